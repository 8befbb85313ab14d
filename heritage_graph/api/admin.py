"""Admin routes. ``POST /admin/backup``: the service takes a backup of the embedded store it holds
(heritage_graph/services/backup.py) and streams it as a tar archive; ``heritage-graph backup PATH
--url URL`` calls it, since no other process may open the store while the service has it.

It needs an admin token. The store is held still only while its files are copied; the copy is then
checked and sent while the service carries on. One backup at a time (409 while one is taken).

The copy holds everything the store does (restricted records, token hashes), so it must not outlive
its request: it is removed when the response ends however it ends (sent, client gone, error,
cancelled), at shutdown, and, for a process that was killed, when the store is next opened.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..errors import HeritageGraphError, Unauthenticated
from ..ops.timing import unwrap
from ..services import backup
from ..services.exporter import export_lines
from ..services.linked_data import jsonld_chunks
from ..store import folder_lock
from ..store.ladybug import LadybugStore
from ..tokens import authenticate

BACKUP_PATH = backup.BACKUP_PATH
EXPORT_PATH = "/admin/export"
NEO4J_BACKUP = ("this service runs on Neo4j: back it up with Neo4j's own tools (neo4j-admin database dump, or "
                "neo4j-admin database backup on Enterprise Edition; see docs/operations.md)")
_one_at_a_time = threading.Lock()
_copies: set[Path] = set()  # backups being sent by this process
_copies_guard = threading.Lock()


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status,
                        headers=headers)


def _take(store: LadybugStore) -> tuple[Path, list[str]]:
    """The checked backup in a new folder beside the store (same disk, which has room for a store)."""
    if not _one_at_a_time.acquire(blocking=False):
        raise _Busy
    try:
        folder = Path(tempfile.mkdtemp(prefix=folder_lock.sibling_prefix(store.path, "backup"), dir=store.path.parent))
        with _copies_guard:
            _copies.add(folder)
        try:
            backup.snapshot(store, folder, online=True)
        except BaseException:
            _discard(folder)
            raise
        return folder, sorted(p.name for p in folder.iterdir())
    finally:
        _one_at_a_time.release()


class _Busy(Exception):
    pass


def _discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    with _copies_guard:
        _copies.discard(folder)


def discard_copies() -> None:
    """Remove every backup copy this process still holds (the service is stopping)."""
    with _copies_guard:
        folders = list(_copies)
    for folder in folders:
        _discard(folder)


def _sent_then_removed(folder: Path, order: list[str]) -> Iterator[bytes]:
    try:
        yield from backup.tar_stream(folder, order)
    finally:  # before the last message goes out, so a client that has it all finds no copy left
        _discard(folder)


class _CopyResponse(StreamingResponse):
    """Streams a backup copy and removes it when the response ends, however it ends: a generator's
    ``finally`` alone is not enough, since a client that goes away stops the stream without closing it."""

    def __init__(self, folder: Path, names: list[str], headers: dict[str, str]) -> None:
        # The manifest last: a reader that sees it has seen every file it lists.
        order = [*(n for n in names if n != backup.MANIFEST), backup.MANIFEST]
        self._tar = _sent_then_removed(folder, order)
        super().__init__(self._tar, media_type="application/x-tar", headers=headers)
        self.folder = folder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with contextlib.suppress(ValueError):  # still running in its worker thread: the unlink suffices
                self._tar.close()
            _discard(self.folder)


async def _admin_store(request: Request, doing: str) -> Any:
    """The store, for an admin's request; otherwise the error response to send."""
    store = unwrap(getattr(request.app.state, "store", None))
    if store is None:
        return _error(503, "the store is not open (the service is starting or stopping)", "STORE_UNAVAILABLE")
    try:
        principal = await to_thread.run_sync(authenticate, store, request.headers.get("authorization"))
    except Unauthenticated as exc:
        return _error(401, str(exc), exc.code, {"www-authenticate": "Bearer"})
    if principal.role == "anonymous":
        return _error(401, f"{doing} needs an admin token: send Authorization: Bearer <token>",
                      "UNAUTHENTICATED", {"www-authenticate": "Bearer"})
    if principal.role != "admin":
        return _error(403, f"{doing} needs an admin token; this token's role is {principal.role}", "FORBIDDEN")
    return store


async def backup_endpoint(request: Request) -> Response:
    store = await _admin_store(request, "taking a backup")
    if isinstance(store, Response):
        return store
    if not isinstance(store, LadybugStore):
        return _error(501, NEO4J_BACKUP, "NOT_IMPLEMENTED")
    try:
        folder, names = await to_thread.run_sync(_take, store)
    except _Busy:
        return _error(409, "a backup is being taken already; ask again when it is done", "CONFLICT")
    except HeritageGraphError as exc:
        return _error(503, f"the backup failed: {exc}", exc.code)
    stamp = backup.Manifest.read(folder).created_at.replace(":", "").replace("-", "")[:15]
    return _CopyResponse(folder, names, {"content-disposition": f'attachment; filename="heritage-backup-{stamp}.tar"'})


EXPORT_FORMATS = {"jsonl": "application/x-ndjson; charset=utf-8", "jsonld": "application/ld+json; charset=utf-8"}


async def export_endpoint(request: Request) -> Response:
    """``GET /admin/export?format=jsonl|jsonld``: what ``heritage-graph export`` writes, streamed as it is
    read (``heritage-graph export --url`` calls it). Not cached anywhere: it holds restricted records."""
    store = await _admin_store(request, "exporting the store")
    if isinstance(store, Response):
        return store
    fmt = request.query_params.get("format", "jsonl")
    if fmt not in EXPORT_FORMATS:
        return _error(400, f"format: {fmt!r} is not an export format; choose one of: {', '.join(EXPORT_FORMATS)}",
                      "BAD_USER_INPUT")
    lines = export_lines(store) if fmt == "jsonl" else jsonld_chunks(store, {})
    return StreamingResponse((line.encode("utf-8") for line in lines), media_type=EXPORT_FORMATS[fmt],
                             headers={"cache-control": "no-store",
                                      "content-disposition": f'attachment; filename="heritage-export.{fmt}"'})


def routes() -> list[Route]:
    return [Route(BACKUP_PATH, backup_endpoint, methods=["POST"]),
            Route(EXPORT_PATH, export_endpoint, methods=["GET"])]
