"""An admin's download of the whole inventory from the workspace: a workbook, JSON Lines, or the empty
template workbook — the files `heritage-graph export --format xlsx|jsonl` and `heritage-graph template`
write, so that ministry staff who keep spreadsheets need no command line. Admins only: an export holds
every record, drafts and restricted ones included."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..services.exporter import export_to
from ..sheets.write import export_sheets, write_template
from .curate import Staff, staff_page
from .render import render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"xlsx": ("heritage-graph.xlsx", XLSX), "jsonl": ("heritage-graph.jsonl", "application/x-ndjson"),
           "template": ("heritage-graph-template.xlsx", XLSX)}


async def export(request: Request) -> Response:
    fmt = request.query_params.get("format", "xlsx")

    def work(s: Staff) -> dict[str, Any] | Response:
        if fmt not in FORMATS:
            return render(s.request, "curate/problem.html", {
                "principal": s.principal, "back": "/curate",
                "message": f"format: {fmt!r} is not one of {', '.join(FORMATS)}"}, status=400)
        name, media_type = FORMATS[fmt]
        with tempfile.TemporaryDirectory(prefix="hg-export-") as folder:
            target = Path(folder) / name
            if fmt == "xlsx":
                export_sheets(s.store, target, "xlsx")
            elif fmt == "template":
                write_template(target, "xlsx")
            else:
                with target.open("w", encoding="utf-8", newline="") as out:
                    export_to(s.store, out)
            body = target.read_bytes()
        return Response(body, media_type=media_type, headers={
            "content-disposition": f'attachment; filename="{name}"', "cache-control": "private, no-store"})

    return await staff_page(request, "curate/problem.html", work, role="admin")
