"""Admin routes. ``POST /admin/backup``: the service takes a backup of the embedded store it holds
(heritage_graph/services/backup.py) and streams it as a tar archive; ``heritage-graph backup PATH
--url URL`` calls it, since no other process may open the store while the service has it.

It needs an admin token. The store is held still only while its files are copied; the copy is then
checked and sent while the service carries on. One backup at a time (409 while one is taken).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..errors import HeritageGraphError, Unauthenticated
from ..ops.timing import unwrap
from ..services import backup
from ..store.ladybug import LadybugStore
from ..tokens import authenticate

BACKUP_PATH = "/admin/backup"
NEO4J_BACKUP = ("this service runs on Neo4j: back it up with Neo4j's own tools (neo4j-admin database dump, or "
                "neo4j-admin database backup on Enterprise Edition; see docs/operations.md)")
_one_at_a_time = threading.Lock()


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status,
                        headers=headers)


def _take(store: LadybugStore) -> tuple[Path, list[str]]:
    """The checked backup in a new folder beside the store (same disk, which has room for a store)."""
    if not _one_at_a_time.acquire(blocking=False):
        raise _Busy
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{store.path.name}.backup-", dir=store.path.parent))
        try:
            backup.snapshot(store, folder, online=True)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return folder, sorted(p.name for p in folder.iterdir())
    finally:
        _one_at_a_time.release()


class _Busy(Exception):
    pass


def _send(folder: Path, names: list[str]) -> Iterator[bytes]:
    try:
        # The manifest last: a reader that sees it has seen every file it lists.
        yield from backup.tar_stream(folder, [*(n for n in names if n != backup.MANIFEST), backup.MANIFEST])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def backup_endpoint(request: Request) -> Response:
    store = unwrap(getattr(request.app.state, "store", None))
    if store is None:
        return _error(503, "the store is not open (the service is starting or stopping)", "STORE_UNAVAILABLE")
    try:
        principal = await to_thread.run_sync(authenticate, store, request.headers.get("authorization"))
    except Unauthenticated as exc:
        return _error(401, str(exc), exc.code, {"www-authenticate": "Bearer"})
    if principal.role == "anonymous":
        return _error(401, "taking a backup needs an admin token: send Authorization: Bearer <token>",
                      "UNAUTHENTICATED", {"www-authenticate": "Bearer"})
    if principal.role != "admin":
        return _error(403, f"taking a backup needs an admin token; this token's role is {principal.role}",
                      "FORBIDDEN")
    if not isinstance(store, LadybugStore):
        return _error(501, NEO4J_BACKUP, "NOT_IMPLEMENTED")
    try:
        folder, names = await to_thread.run_sync(_take, store)
    except _Busy:
        return _error(409, "a backup is being taken already; ask again when it is done", "CONFLICT")
    except HeritageGraphError as exc:
        return _error(503, f"the backup failed: {exc}", exc.code)
    stamp = backup.Manifest.read(folder).created_at.replace(":", "").replace("-", "")[:15]
    return StreamingResponse(_send(folder, names), media_type="application/x-tar",
                             headers={"content-disposition": f'attachment; filename="heritage-backup-{stamp}.tar"'})


def routes() -> list[Route]:
    return [Route(BACKUP_PATH, backup_endpoint, methods=["POST"])]
