"""The download routes: a lineage or a path as GraphML, DOT or CSV (services/graph_formats.py).

- ``GET /export/lineage/{id}.{format}?direction=&relation=&maxDepth=&part=``
- ``GET /export/path.{format}?from=&to=&maxDepth=&relationTypes=&part=``

Each answers what the GraphQL field of the same name answers the same reader, through the same
service calls: the principal comes from the ``Authorization: Bearer`` token (a bad token is 401), the
arguments are checked as GraphQL checks them (400 naming the parameter, with the allowed values),
and an id that does not exist or may not be read is the same 404 as GraphQL's NOT_FOUND error. The
store is read in a worker thread, within the GraphQL time budget of the reader's kind. Anonymous
answers are cacheable (``public``, ETag, 304), like ``/ld``; answers to a token are
``private, no-store``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import schema
from ..auth import ANONYMOUS
from ..errors import HeritageGraphError, InvalidInput, NotFound, StoreError, StoreTimeout, Unauthenticated
from ..ops.middleware import RETRY_AFTER
from ..services import graph, graph_formats
from ..services.graph_formats import Drawing
from ..settings import Settings
from ..store.base import Store, deadline_in
from ..tokens import authenticate
from ..visibility import Gate, Visibility
from .budget import CLIENT_CLOSED_REQUEST, run_bounded, time_budget_exceeded
from .enums import LineageDirection
from .response_cache import NO_STORE, PRIVATE, CachedResponse, RawResponse, etag_of, public_cache_control

log = logging.getLogger("heritage_graph.export")
LINEAGE_PATH = "/export/lineage/{file}"
PATH_PATH = "/export/path.{format}"
DIRECTIONS = tuple(d.name for d in LineageDirection)
# Reads the graph through a reader's gate; raises NotFound as the GraphQL field does.
Draw = Callable[[Store, Gate], Drawing]


@dataclass(frozen=True)
class Export:
    """A checked request: what to read, and how to send it."""

    draw: Draw
    name: str
    format: str
    part: str | None  # the CSV table: edges or nodes

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.part}.csv" if self.part else f"{self.name}.{self.format}"

    def render(self, drawing: Drawing) -> str:
        render = graph_formats.CSV_PARTS[self.part] if self.part else graph_formats.FORMATS[self.format].render
        return render(drawing)


class Params:
    """A request's query parameters, refused (InvalidInput naming the parameter) when unknown,
    repeated, or not one of the values allowed."""

    def __init__(self, query: QueryParams, allowed: tuple[str, ...], lists: tuple[str, ...] = ()) -> None:
        for name in dict.fromkeys(query.keys()):
            if name not in allowed:
                raise InvalidInput(f"{name}: not a parameter of this export; it takes {', '.join(allowed)}",
                                   field=name)
            if name not in lists and len(query.getlist(name)) > 1:
                raise InvalidInput(f"{name}: give it once, got {len(query.getlist(name))} values", field=name)
        self.query = query

    def required(self, name: str, what: str) -> str:
        value = self.query.get(name)
        if not value:
            raise InvalidInput(f"{name}: required, {what}", field=name)
        return value

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.query.get(name, default)
        if value not in allowed:
            raise InvalidInput(f"{name}: {value!r} is not allowed; choose one of: {', '.join(allowed)}", field=name)
        return value

    def choices(self, name: str, allowed: tuple[str, ...]) -> list[str] | None:
        """Values given comma-separated, as the parameter repeated, or both; None when none is."""
        values = [v.strip() for text in self.query.getlist(name) for v in text.split(",") if v.strip()]
        for value in values:
            if value not in allowed:
                raise InvalidInput(f"{name}: {value!r} is not allowed; choose from: {', '.join(allowed)}", field=name)
        return values or None

    def depth(self, default: int, cap: int) -> int:
        text = self.query.get("maxDepth")
        if text is not None and not (text.lstrip("-").isdigit() and len(text) <= 9):
            raise InvalidInput(f"maxDepth: {text!r} is not a whole number; give one between 1 and {cap}",
                               field="maxDepth")
        return graph.check_depth(default if text is None else int(text), cap)

    def part(self, fmt: str) -> str | None:
        if fmt == "csv":
            return self.choice("part", tuple(graph_formats.CSV_PARTS), "edges")
        if "part" in self.query:
            raise InvalidInput(f"part: only a csv export has parts ({', '.join(graph_formats.CSV_PARTS)}); "
                               f"a {fmt} export is one file", field="part")
        return None


def check_format(fmt: str) -> str:
    if fmt not in graph_formats.FORMATS:
        raise InvalidInput(f"format: {fmt!r} is not an export format; end the file name in one of: "
                           f"{', '.join('.' + f for f in graph_formats.FORMATS)}", field="format")
    return fmt


def lineage_export(request: Request, settings: Settings) -> Export:
    node_id, dot, fmt = request.path_params["file"].rpartition(".")
    fmt = check_format(fmt if dot else "")
    params = Params(request.query_params, ("direction", "relation", "maxDepth", "part"))
    direction = params.choice("direction", DIRECTIONS, LineageDirection.ANCESTORS.name)
    relation = params.choice("relation", graph.LINEAGE_RELATIONS, graph.LINEAGE_RELATIONS[0])
    depth = params.depth(graph.LINEAGE_DEPTH, settings.max_depth)
    name = f"lineage-{node_id}-{direction}-{relation}".lower()

    def draw(store: Store, gate: Gate) -> Drawing:
        graph.require_visible(gate.visible, {"id": node_id})
        found = graph.lineage(store, node_id, ancestors=direction == LineageDirection.ANCESTORS.name,
                              relation=relation, max_depth=depth, visible=gate.visible, fetch=gate.get_nodes)
        if found is None:  # removed since it was judged visible: as if it never was
            raise graph.not_found("id", node_id)
        return graph_formats.of_lineage(found, name)

    return Export(draw, name, fmt, params.part(fmt))


def path_export(request: Request, settings: Settings) -> Export:
    fmt = check_format(request.path_params["format"])
    params = Params(request.query_params, ("from", "to", "maxDepth", "relationTypes", "part"), ("relationTypes",))
    from_id = params.required("from", "the id of the node the path starts from")
    to_id = params.required("to", "the id of the node the path ends at")
    depth = params.depth(graph.PATH_DEPTH, settings.max_depth)
    types = params.choices("relationTypes", tuple(schema.RELATIONS))
    name = f"path-{from_id}-{to_id}"

    def draw(store: Store, gate: Gate) -> Drawing:
        graph.require_visible(gate.visible, {"from": from_id, "to": to_id})
        found = graph.path(store, from_id, to_id, max_depth=depth, relation_types=types, visible=gate.visible,
                           fetch=gate.get_nodes)
        if found is None:  # GraphQL's null: both ends may be read, and nothing connects them
            raise NotFound(f"no path from {from_id!r} to {to_id!r} within maxDepth {depth}")
        return graph_formats.of_path(found, name)

    return Export(draw, name, fmt, params.part(fmt))


def _error(status: int, error: HeritageGraphError | str, code: str, headers: dict[str, str] | None = None) -> Response:
    extensions = {"code": code}
    if field := getattr(error, "field", None):
        extensions["field"] = field
    return JSONResponse({"errors": [{"message": str(error), "extensions": extensions}]}, status_code=status,
                        headers={"cache-control": NO_STORE, **(headers or {})})


async def _answer(request: Request, plan: Callable[[Request, Settings], Export]) -> Response | RawResponse:
    settings: Settings = request.app.state.settings
    store = getattr(request.app.state, "store", None)
    if store is None:
        return _error(503, "the store is not open (the service is starting or stopping)", "STORE_UNAVAILABLE")
    header = request.headers.get("authorization")
    try:
        # No header: anonymous, and no worker thread to learn it.
        principal = ANONYMOUS if header is None else await to_thread.run_sync(authenticate, store, header)
        export = plan(request, settings)
    except Unauthenticated as exc:
        return _error(401, exc, exc.code, {"www-authenticate": "Bearer"})
    except InvalidInput as exc:
        return _error(400, exc, exc.code)
    gate = Gate(store, Visibility.of(principal))
    budget = settings.time_budget if header is not None else settings.time_budget_anonymous

    def read() -> str:
        return export.render(export.draw(store, gate))

    try:
        with deadline_in(budget):  # and Neo4j's transactions end with it (store/base.py)
            outcome = await run_bounded(to_thread.run_sync(read, abandon_on_cancel=True), budget, request.receive)
    except (InvalidInput, NotFound) as exc:
        return _error(400 if isinstance(exc, InvalidInput) else 404, exc, exc.code)
    except StoreError as exc:
        if isinstance(exc, StoreTimeout):
            outcome = "timeout"
        else:  # the store's own text (paths, query fragments) goes to the log only, as for GraphQL
            log.error("store failure in %s: %s", request.url.path, exc)
            return _error(503 if exc.retryable else 500, "the store failed; try again later", exc.code,
                          {"retry-after": RETRY_AFTER} if exc.retryable else None)
    if outcome == "disconnected":
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    if outcome == "timeout":
        error = time_budget_exceeded(budget, header is not None)["errors"][0]  # type: ignore[index]
        return JSONResponse({"errors": [error]}, status_code=503, headers={"cache-control": NO_STORE})
    return _file(request, export, outcome, settings, anonymous=header is None)


def _file(request: Request, export: Export, text: str, settings: Settings, *, anonymous: bool) -> RawResponse:
    body = text.encode("utf-8")
    media = graph_formats.FORMATS[export.format].media_type
    control = public_cache_control(settings.cache_max_age) if anonymous else PRIVATE
    cached = CachedResponse.of(body, media, etag_of(body, media), control)
    cached.ok.headers.append((b"content-disposition", f'attachment; filename="{export.filename}"'.encode("ascii")))
    return cached.answer(request.headers.get("if-none-match"))


async def lineage_endpoint(request: Request) -> Response | RawResponse:
    return await _answer(request, lineage_export)


async def path_endpoint(request: Request) -> Response | RawResponse:
    return await _answer(request, path_export)


def routes() -> list[Route]:
    return [Route(LINEAGE_PATH, lineage_endpoint, methods=["GET"], name="export-lineage"),
            Route(PATH_PATH, path_endpoint, methods=["GET"], name="export-path")]
