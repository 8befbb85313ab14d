"""The GraphQL HTTP endpoint: strawberry's ASGI view, with the per-request context, GraphQL over
HTTP content negotiation, and GraphiQL served from this package (no CDN, works offline).

GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/), as checked by
tools/graphql-http-audit:

- ``Accept`` picks the response media type: ``application/graphql-response+json`` when the client
  prefers it, ``application/json`` when it prefers that, sends a wildcard or no ``Accept``; 406
  when it accepts neither.
- A request that fails before execution (unparsable JSON, a missing or malformed parameter, a
  GraphQL syntax or validation error, including the query limits, or a variable that cannot be
  coerced) gets no ``data`` entry. With ``application/graphql-response+json`` it is answered 400
  (500 if strawberry hit an unexpected exception); with ``application/json`` 200 (as the spec asks)
  for GraphQL errors and 400 for malformed HTTP requests. Every error has a GraphQL-shaped JSON
  body: ``{"errors": [{"message": ...}]}``.
- Every request is authenticated from its ``Authorization`` header (heritage_graph/tokens.py): none
  is anonymous; a malformed, unknown or revoked token is answered 401, whatever the method, with
  ``WWW-Authenticate: Bearer`` and ``{"errors": [{"message": ..., "extensions": {"code":
  "UNAUTHENTICATED"}}]}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anyio import to_thread
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from ..errors import Unauthenticated
from ..tokens import authenticate, bearer_secret
from .context import Context

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
GRAPHIQL_PAGE = STATIC_DIR / "graphiql" / "index.html"

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_FAILED_KEY = "heritage_graph.failed_before_execution"  # in the request's ASGI scope
_CONTENT_TYPES = {GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8", JSON: JSON}

# The GraphiQL page loads only what this service serves; the CSP makes the browser hold it to that.
GRAPHIQL_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, from an ``Accept`` header; None when neither is acceptable.

    Highest ``q`` wins; on a tie an explicit type beats a wildcard, and
    ``application/graphql-response+json`` beats ``application/json``. Wildcards mean
    ``application/json``, as does a missing or empty header.
    """
    if not accept or not accept.strip():
        return JSON
    refused: set[str] = set()
    offers: list[tuple[float, int, int, str]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media in (GRAPHQL_RESPONSE_JSON, JSON):
            candidate, explicit = media, 1
        elif media in ("*/*", "application/*"):
            candidate, explicit = JSON, 0
        else:
            continue
        if q <= 0:
            if explicit:
                refused.add(candidate)
            continue
        offers.append((q, explicit, candidate == GRAPHQL_RESPONSE_JSON, candidate))
    acceptable = [o for o in offers if o[3] not in refused]
    return max(acceptable)[3] if acceptable else None


def _failed_before_execution(result: ExecutionResult) -> int | None:
    """The status a failure before execution deserves with application/graphql-response+json: 400
    for parse, validation and variable coercion errors (graphql-core reports the latter from
    execute(), with no path, and no data), 500 for an unexpected exception; None if execution ran."""
    errors = result.errors or []
    if not isinstance(result, PreExecutionError) and (result.data is not None or not errors
                                                      or any(e.path is not None for e in errors)):
        return None
    # strawberry turns an exception it did not expect before execution into a PreExecutionError
    # whose error wraps it; a bug, not a bad request.
    unexpected = isinstance(result, PreExecutionError) and any(
        e.original_error is not None and not isinstance(e.original_error, GraphQLError) for e in errors)
    return 500 if unexpected else 400


def _error_body(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}]}


def _challenge(authorization: str | None) -> str:
    """The WWW-Authenticate header of a 401 (RFC 6750): ``invalid_token`` when a Bearer token was sent."""
    try:
        bearer_secret(authorization or "")
    except Unauthenticated:
        return "Bearer"
    return 'Bearer error="invalid_token"'


class HeritageGraphQL(GraphQL):  # type: ignore[type-arg]
    def __init__(self, schema: Any, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._graphiql_html = GRAPHIQL_PAGE.read_text(encoding="utf-8")

    async def get_context(self, request: Any, response: Any = None) -> Context:
        """The request's context; authenticates its Authorization header, on every request (raises
        Unauthenticated for a malformed, unknown or revoked token, which ``__call__`` answers 401)."""
        state = request.app.state
        principal = await to_thread.run_sync(authenticate, state.store, request.headers.get("authorization"))
        return Context(store=state.store, settings=state.settings, request=request, principal=principal)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        media = negotiate(request.headers.get("accept"))
        try:
            if media is None and not self.should_render_graphql_ide(self.request_adapter_class(request)):
                raise HTTPException(406, f"Not Acceptable: this endpoint answers {GRAPHQL_RESPONSE_JSON} "
                                         f"or {JSON}")
            response = await self.run(request)
        except HTTPException as e:
            response = JSONResponse(_error_body(e.reason), status_code=e.status_code,
                                    media_type=_CONTENT_TYPES[media or JSON])
        except Unauthenticated as e:
            body = {"errors": [{"message": str(e), "extensions": {"code": e.code}}]}
            response = JSONResponse(body, status_code=401, media_type=_CONTENT_TYPES[media or JSON],
                                    headers={"www-authenticate": _challenge(request.headers.get("authorization"))})
        else:
            if media and response.media_type == JSON:
                response.headers["content-type"] = _CONTENT_TYPES[media]
                failed = scope.get(_FAILED_KEY)
                if media == GRAPHQL_RESPONSE_JSON and failed:
                    response.status_code = failed
        await response(scope, receive, send)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        failed = _failed_before_execution(result)
        if failed:
            data.pop("data", None)
            request.scope[_FAILED_KEY] = failed
        return data

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._graphiql_html, headers={"content-security-policy": GRAPHIQL_CSP})


def graphiql_assets() -> Mount:
    """GraphiQL's page assets, at /static/graphiql/ (the page refers to them relatively); only that
    folder of heritage_graph/static/ is served."""
    return Mount("/static/graphiql", app=StaticFiles(directory=STATIC_DIR / "graphiql"), name="graphiql-static")


__all__ = ["GRAPHQL_RESPONSE_JSON", "HeritageGraphQL", "graphiql_assets", "negotiate"]
