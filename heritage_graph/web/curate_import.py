"""An admin's upload in the workspace: a workbook or a JSON Lines file, checked, then imported as drafts.

The first post checks the file exactly as ``heritage-graph import`` would (``services/importer.py``,
nothing written) and shows every problem at its ``file:sheet:row:column``, or what the import would
create and change. The file is kept here, in memory, under a random name that the confirming form
carries; the second post imports it, in one transaction, every record as a draft recorded by the admin,
for curators and reviewers to review. An upload changes drafts only: a record the store holds published
(or in review, or retired) is refused. A kept upload is let go when it is imported, after an hour, or
when newer ones crowd it out.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from ..errors import Conflict, ImportRejected
from ..services.importer import ImportReport, run_import
from .curate import Staff, staff_action, staff_page
from .render import render

MAX_UPLOAD_BYTES = 10 << 20
KEPT_SECONDS = 3600
KEPT_UPLOADS = 4  # at most, for all admins together: each may hold MAX_UPLOAD_BYTES
FORMAT_OF = {".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
TEMPLATE = "curate/import.html"


@dataclass(frozen=True)
class Upload:
    actor: str
    name: str
    fmt: str
    data: bytes
    at: float


class Uploads:
    """The uploads checked and not yet imported, by the random name their confirming form carries."""

    def __init__(self) -> None:
        self._kept: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def keep(self, upload: Upload) -> str:
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_old(upload.at)
            while len(self._kept) >= KEPT_UPLOADS:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = upload
        return key

    def take(self, key: str, actor: str) -> Upload | None:
        """The upload ``actor`` kept under ``key``, no longer kept; None if there is none."""
        with self._lock:
            self._forget_old(time.monotonic())
            upload = self._kept.get(key)
            if upload is None or upload.actor != actor:
                return None
            return self._kept.pop(key)

    def _forget_old(self, now: float) -> None:
        for key in [k for k, u in self._kept.items() if now - u.at > KEPT_SECONDS]:
            del self._kept[key]


def _uploads(request: Request) -> Uploads:
    state = request.app.state
    if not hasattr(state, "uploads"):
        state.uploads = Uploads()
    return state.uploads  # type: ignore[no-any-return]


def _page(**extra: Any) -> dict[str, Any]:
    return {"problems": [], "report": None, "key": None, "name": None, "refused": None, "imported": None,
            "max_mb": MAX_UPLOAD_BYTES >> 20, **extra}


async def form(request: Request) -> Response:
    return await staff_page(request, TEMPLATE, lambda s: _page(), role="admin")


def _admin_only(s: Staff) -> Response | None:
    if s.principal.role != "admin":
        return render(s.request, "forbidden.html", {"principal": s.principal,
                                                    "message": "only admins import files"}, status=403)
    return None


async def check_upload(request: Request) -> Response:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD_BYTES + (64 << 10):  # refused before it is read
        principal = request.scope.get("principal")
        return render(request, TEMPLATE, {"principal": principal, **_page(
            refused=f"the file is larger than {MAX_UPLOAD_BYTES >> 20} MB")}, status=413)

    def act(s: Staff, posted: FormData) -> Response:
        if (refused := _admin_only(s)) is not None:
            return refused
        file = posted.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return _refuse(s, "choose a file to upload")
        name = PurePath(file.filename.replace("\\", "/")).name
        fmt = FORMAT_OF.get(PurePath(name).suffix.lower())
        with file.file:  # spooled to a temporary file as it came; let go here, read or not
            data = file.file.read(MAX_UPLOAD_BYTES + 1) if fmt is not None else b""
        if fmt is None:
            return _refuse(s, f"{name}: upload a workbook (.xlsx) or a JSON Lines file (.jsonl)")
        if len(data) > MAX_UPLOAD_BYTES:
            return _refuse(s, f"{name}: larger than {MAX_UPLOAD_BYTES >> 20} MB; import it with "
                              "heritage-graph import --dry-run first, then as drafts here in parts")
        upload = Upload(s.principal.actor, name, fmt, data, time.monotonic())
        try:
            report = _run(s, upload, dry_run=True)
        except ImportRejected as exc:
            return render(s.request, TEMPLATE, {"principal": s.principal, **_page(
                problems=[str(p) for p in exc.problems], name=name)}, status=400)
        key = _uploads(s.request).keep(upload) if report.changed else None
        return render(s.request, TEMPLATE, {"principal": s.principal, **_page(report=report, key=key, name=name)})

    return await staff_action(request, act)


async def confirm(request: Request) -> Response:
    def act(s: Staff, posted: FormData) -> Response:
        if (refused := _admin_only(s)) is not None:
            return refused
        upload = _uploads(s.request).take(str(posted.get("upload", "")), s.principal.actor)
        if upload is None:
            return _refuse(s, "this upload was already imported, or is no longer kept (an hour at most); "
                              "upload the file again", status=410)
        try:
            report = _run(s, upload, dry_run=False)
        except (ImportRejected, Conflict) as exc:  # the store changed since the file was checked
            problems = [str(p) for p in exc.problems] if isinstance(exc, ImportRejected) else [str(exc)]
            return render(s.request, TEMPLATE, {"principal": s.principal, **_page(
                problems=problems, name=upload.name)}, status=409)
        return render(s.request, TEMPLATE, {"principal": s.principal, **_page(imported=report, name=upload.name)})

    return await staff_action(request, act)


def _refuse(s: Staff, message: str, status: int = 400) -> Response:
    return render(s.request, TEMPLATE, {"principal": s.principal, **_page(refused=message)}, status=status)


def _run(s: Staff, upload: Upload, dry_run: bool) -> ImportReport:
    """The import of ``upload`` as drafts, through the file a command-line import would read."""
    settings = s.request.app.state.settings
    with tempfile.TemporaryDirectory(prefix="heritage-upload-") as folder:
        path = Path(folder) / f"upload.{upload.fmt}"
        path.write_bytes(upload.data)
        return run_import(s.store, [path], actor=s.principal.actor, dry_run=dry_run, fmt=upload.fmt,
                          names=[upload.name], as_drafts=True, max_line=settings.max_line_bytes,
                          limits=settings.field_limits)
