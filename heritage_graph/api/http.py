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
- When the store cannot be reached (Neo4j down, starting or failing over), a request that got
  nothing done because of it is answered 503 with ``Retry-After`` and ``retryable: true`` (code
  ``STORE_UNAVAILABLE``, or ``TIME_BUDGET_EXCEEDED`` when Neo4j ended its transaction at the time
  budget): one whose token could not be looked up, and an operation that produced no data and failed
  on the store (``data`` stays as GraphQL made it, null or every root field null). An operation that
  answered part of its fields keeps 200.

Around that: size limits on the body, the query text and the result (request_limits.py);
automatic persisted queries, over POST and GET (persisted.py); and, for anonymous requests,
Cache-Control, ETag and 304, and an in-process cache of whole responses that skips parsing,
validation and execution on a hit (response_cache.py). Requests with a token are never cached:
``Cache-Control: private, no-store``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from anyio import to_thread
from cross_web import HTTPException, StarletteRequestAdapter
from graphql import GraphQLError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from ..auth import ANONYMOUS
from ..errors import STORE_FAILED_MESSAGE, STORE_UNAVAILABLE_MESSAGE, StoreError, Unauthenticated
from ..ops.graphql import operation_label
from ..ops.logs import CURRENT
from ..ops.middleware import RETRY_AFTER
from ..ops.timing import unwrap
from ..resources import resource
from ..settings import Settings
from ..store.base import deadline_in
from ..tokens import authenticate, bearer_secret
from .budget import CLIENT_CLOSED_REQUEST, run_bounded, time_budget_exceeded
from .context import Context, preferred_language
from .persisted import PersistedQueries, Resolved
from .request_limits import RequestLimits, RequestRefused
from .response_cache import (
    NO_STORE,
    PRIVATE,
    VARY,
    CachedResponse,
    RawResponse,
    ResponseCache,
    anonymous_request,
    cache_key,
    check_max_age,
    etag_of,
    operation_kind,
    public_cache_control,
)

GRAPHIQL = "graphiql"  # the folder of resource("static") with GraphiQL's page and assets

log = logging.getLogger("heritage_graph.api")
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# In the request's ASGI scope:
_FAILED_KEY = "heritage_graph.failed_before_execution"  # the status of a failure before execution
_PARSED_KEY = "heritage_graph.parsed"  # (GraphQLRequestData, Resolved): the request, parsed once
_OK_KEY = "heritage_graph.succeeded"  # the operation ran and returned data without errors
_UNAVAILABLE_KEY = "heritage_graph.store_unavailable"  # the operation produced nothing: the store was down
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


def _lone_surrogate(value: object, path: str) -> str | None:
    """The path of the first string in ``value`` that cannot be encoded as UTF-8, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and _lone_surrogate(key, path) is not None:
            return f"{path}.{key!r}" if path else repr(key)
        found = _lone_surrogate(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _error_body(message: str, code: str = "BAD_REQUEST") -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


MAX_JSON_DEPTH = 64  # of the body, and of GET's variables and extensions; no GraphQL input needs more


def _json_depth(value: object, limit: int, depth: int = 1) -> int:
    """How deep ``value`` nests, counted no further than one past ``limit``."""
    if depth > limit or not isinstance(value, dict | list):
        return depth if isinstance(value, dict | list) else depth - 1
    items = value.values() if isinstance(value, dict) else value
    return max((_json_depth(v, limit, depth + 1) for v in items), default=depth)


def _json_type(value: object) -> str:
    """What a parsed JSON value is, in JSON's words (the client wrote JSON, not Python)."""
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")


def _check_envelope(data: GraphQLRequestData) -> None:
    """The request's parameters have the types GraphQL over HTTP gives them."""
    for name, value, kind, what in (("query", data.query, str, "a string"),
                                    ("operationName", data.operation_name, str, "a string"),
                                    ("variables", data.variables, dict, "an object"),
                                    ("extensions", data.extensions, dict, "an object")):
        if value is not None and not isinstance(value, kind):
            raise HTTPException(400, f"{name} must be {what} or null, got {_json_type(value)}")


def _challenge(authorization: str | None) -> str:
    """The WWW-Authenticate header of a 401 (RFC 6750): ``invalid_token`` when a Bearer token was sent."""
    try:
        bearer_secret(authorization or "")
    except Unauthenticated:
        return "Bearer"
    return 'Bearer error="invalid_token"'


@dataclass(frozen=True)
class HttpPolicy:
    """What the endpoint enforces and keeps, built once per app from its settings."""

    limits: RequestLimits
    persisted: PersistedQueries
    cache: ResponseCache
    public: str  # the Cache-Control of a public answer

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpPolicy:
        return cls(RequestLimits.from_settings(settings), PersistedQueries.from_settings(settings),
                   ResponseCache.from_settings(settings), public_cache_control(check_max_age(settings)))

    def resolve(self, data: GraphQLRequestData) -> Resolved:
        if data.query is not None:
            self.limits.check_query(data.query)
        return self.persisted.resolve(data.query, data.extensions)


class _Adapter(StarletteRequestAdapter):
    """strawberry's request adapter, with the request it wraps in reach (for its ASGI scope)."""

    @property
    def request(self) -> Request:
        return self._request  # type: ignore[no-any-return]


def _mark(response: Response, cache_control: str) -> Response:
    response.headers.setdefault("cache-control", cache_control)
    response.headers["vary"] = VARY
    return response


def _observe_hit(operation_name: str | None) -> None:
    """Tell the request log and metrics what strawberry would have, had it run (ops/graphql.py)."""
    info = CURRENT.get()
    if info is not None:
        info.operation, info.outcome, info.role = operation_label(operation_name), "ok", ANONYMOUS.role


@dataclass(frozen=True, slots=True)
class Front:
    """A request's key in the front of the response cache, and the data version it was read at."""

    key: Hashable
    version: str
    size: int  # of the request bytes in the key


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for a body already read: the body once, then whatever the client sends next."""
    pending = True

    async def again() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def _store_down(result: ExecutionResult) -> bool:
    """The operation failed on a store that cannot be reached, and produced nothing else."""
    if not result.errors or (result.data and any(v is not None for v in result.data.values())):
        return False
    return any(isinstance(e.original_error, StoreError) and e.original_error.retryable for e in result.errors)


def store_failure(error: StoreError) -> tuple[int, dict[str, Any]]:
    """The status and GraphQL-shaped body of a request the store failed before it ran (its token could
    not be looked up): 503 when trying again may help, else 500. The store's own text goes to the log only."""
    log.warning("store failure before execution: %s", error)
    message = STORE_UNAVAILABLE_MESSAGE if error.retryable else STORE_FAILED_MESSAGE
    return (503 if error.retryable else 500,
            {"errors": [{"message": message, "extensions": {"code": error.code, "retryable": error.retryable}}]})


def _refusal(error: HTTPException | Unauthenticated | RequestRefused | StoreError, headers: Headers) -> Response:
    """The answer to a request refused before it ran, in the media type it asked for."""
    media = negotiate(headers.get("accept"))
    content_type = _CONTENT_TYPES[media or JSON]
    if isinstance(error, StoreError):
        status, body = store_failure(error)
        response = JSONResponse(body, status_code=status, media_type=content_type,
                                headers={"retry-after": RETRY_AFTER} if status == 503 else None)
    elif isinstance(error, Unauthenticated):
        body = {"errors": [{"message": str(error), "extensions": {"code": error.code}}]}
        response = JSONResponse(body, status_code=401, media_type=content_type,
                                headers={"www-authenticate": _challenge(headers.get("authorization"))})
    elif isinstance(error, RequestRefused):
        response = JSONResponse(error.body(), status_code=error.status_for(media == GRAPHQL_RESPONSE_JSON),
                                media_type=content_type, headers=error.headers)
    else:
        code = {405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE", 413: "BODY_TOO_LARGE"}.get(error.status_code,
                                                                                             "BAD_REQUEST")
        response = JSONResponse(_error_body(error.reason, code), status_code=error.status_code,
                                media_type=content_type)
    return _mark(response, NO_STORE)


class HeritageGraphQL(GraphQL):  # type: ignore[type-arg]
    request_adapter_class = _Adapter

    def __init__(self, schema: Any, settings: Settings | None = None, **kwargs: Any) -> None:
        """``settings`` (else the app's, read at the first request) set the size limits, the
        persisted-query store and the caches."""
        super().__init__(schema, **kwargs)
        self._graphiql_html = (resource("static") / GRAPHIQL / "index.html").read_text(encoding="utf-8")
        self._policy = HttpPolicy.from_settings(settings) if settings is not None else None

    def policy(self, scope: Scope) -> HttpPolicy:
        if self._policy is None:
            self._policy = HttpPolicy.from_settings(scope["app"].state.settings)
        return self._policy

    def decode_json(self, data: str | bytes) -> object:
        """A request's JSON, refused (400, naming the problem) when Python reads it but the rest of
        the service could not: a number too long to convert (strawberry catches only syntax errors,
        so it was a 500), or text holding a lone surrogate escape such as "\\ud800", which is not
        Unicode and which no store can encode."""
        try:
            value = json.loads(data)
        except json.JSONDecodeError:
            raise
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            raise HTTPException(400, f"Unable to parse request body as JSON: {exc}") from None
        except RecursionError:
            value = None
            depth = MAX_JSON_DEPTH + 1
        else:
            depth = _json_depth(value, MAX_JSON_DEPTH)
        if depth > MAX_JSON_DEPTH:
            raise HTTPException(400, f"the request's JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        where = _lone_surrogate(value, "")
        if where is not None:
            raise HTTPException(400, f"{where or 'the request'}: the text holds a lone surrogate escape "
                                     "(\\ud800–\\udfff alone), which is not valid Unicode")
        return value

    async def get_context(self, request: Any, response: Any = None) -> Context:
        """The request's context; authenticates its Authorization header, on every request (raises
        Unauthenticated for a malformed, unknown or revoked token, which ``__call__`` answers 401)."""
        state = request.app.state
        header = request.headers.get("authorization")
        # No header: anonymous, and no worker thread to learn it. A query stopped at its time budget (or by its
        # client leaving) leaves the look-up to finish in its thread, as its other store calls.
        principal = ANONYMOUS if header is None else await to_thread.run_sync(authenticate, state.store, header,
                                                                                abandon_on_cancel=True)
        return Context(store=state.store, settings=state.settings, request=request, principal=principal)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET that names a persisted query has no `query` parameter, yet is no visit of a browser.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        """strawberry's parsing, then the query size limit and persisted queries; parsed once per
        request (``_anonymous`` parses before strawberry runs)."""
        scope = request.request.scope
        parsed = scope.get(_PARSED_KEY)
        if parsed is None:
            if request.method == "POST" and "json" in (request.headers.get("content-type") or ""):
                # strawberry reads the body's members without looking at what the body is
                try:
                    body = self.decode_json(await request.get_body())
                except json.JSONDecodeError:
                    raise HTTPException(400, "Unable to parse request body as JSON") from None
                if not isinstance(body, dict):
                    raise HTTPException(400, "the request body must be a JSON object with a `query` (or a "
                                             f"persisted query's `extensions`), got {_json_type(body)}")
            data = await super().parse_http_body(request)
            if isinstance(data, list):  # pragma: no cover - strawberry refuses batches (batching is off)
                raise HTTPException(400, "Batching is not enabled")
            _check_envelope(data)
            resolved = self.policy(scope).resolve(data)
            parsed = scope[_PARSED_KEY] = (replace(data, query=resolved.query), resolved)
        return parsed[0]  # type: ignore[no-any-return]

    def front_door(self, scope: Scope, store: Any) -> tuple[RawResponse, str | None] | None:
        """The answer to an anonymous GET that the front of the response cache holds, and its operation's
        name, or None. No I/O and no parsing: the app asks before its middleware runs (app.py), so that a
        repeated GET costs a dictionary look-up; anything it does not answer goes the whole way, where
        the same look-up is made again (POST, a first request, a request with a token)."""
        policy = self._policy
        if policy is None or not policy.cache.enabled:
            return None
        version = unwrap(store).data_version()
        if version is None or (seen := anonymous_request(scope)) is None:
            return None
        hit = policy.cache.get(("GET", scope["query_string"], seen.fingerprint), version, count_miss=False)
        return None if hit is None else (hit.answer(seen.if_none_match), hit.operation)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response: Response | RawResponse
        try:
            response = await self._respond(scope, receive, self.policy(scope))
        except (HTTPException, Unauthenticated, RequestRefused, StoreError) as e:
            response = _refusal(e, Headers(scope=scope))
        await response(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive, policy: HttpPolicy) -> Response | RawResponse:
        front: Front | None = None
        version = unwrap(scope["app"].state.store).data_version() if policy.cache.enabled else None
        method = scope["method"]
        if version is not None and method in ("GET", "POST") and (seen := anonymous_request(scope)) is not None:
            # The front of the cache: the request's own bytes, before any parsing.
            if method == "POST":
                policy.limits.check_content_length(seen.content_length)
                body = await policy.limits.read_body(receive)
                receive = _replay(body, receive)
                front = Front((method, body, seen.fingerprint), version, len(body))
            else:
                front = Front((method, scope["query_string"], seen.fingerprint), version, len(scope["query_string"]))
            if (hit := policy.cache.get(front.key, version)) is not None:
                _observe_hit(hit.operation)
                return hit.answer(seen.if_none_match)
        request = Request(scope, policy.limits.counting(receive))
        headers = request.headers
        media = negotiate(headers.get("accept"))
        ide = self.should_render_graphql_ide(self.request_adapter_class(request))
        if media is None and not ide:
            raise HTTPException(406, f"Not Acceptable: this endpoint answers {GRAPHQL_RESPONSE_JSON} or {JSON}")
        policy.limits.check_content_length(headers.get("content-length"))
        if ide or request.method not in ("GET", "POST"):
            return await self.run(request)
        if request.method == "GET":
            data = await self.parse_http_body(self.request_adapter_class(request))
            if data.query is not None and operation_kind(data.query, data.operation_name) == "mutation":
                raise RequestRefused("Mutations are not allowed over GET: send them with POST.", "METHOD_NOT_ALLOWED",
                                     status=405, headers={"allow": "POST"})
        if "authorization" not in headers:
            return await self._anonymous(request, media or JSON, policy, front)
        return _mark(await self._execute(request, media or JSON, policy), PRIVATE)

    async def _anonymous(self, request: Request, media: str, policy: HttpPolicy,
                         front: Front | None) -> Response | RawResponse:
        """An anonymous request the front of the cache did not know: from the cache by what it
        asks (the same query sent differently), else run, and made cacheable (public, ETag, 304)
        when it is a query that succeeded."""
        scope = request.scope
        data = await self.parse_http_body(self.request_adapter_class(request))
        resolved: Resolved = scope[_PARSED_KEY][1]
        store = unwrap(request.app.state.store)
        version = store.data_version() if policy.cache.enabled else None
        key = None
        if version is not None and data.query is not None:
            key = cache_key(data.query, resolved.sha256, data.operation_name, data.variables,
                            preferred_language(request.headers.get("accept-language")), media)
            if (hit := policy.cache.get(key, version)) is not None:
                if front is not None:
                    policy.cache.put(front.key, hit, front.version, version, front.size)
                _observe_hit(hit.operation)
                return hit.answer(request.headers.get("if-none-match"))
            policy.cache.misses += 1
        response = await self._execute(request, media, policy)
        if not (scope.get(_OK_KEY) and response.status_code == 200 and data.query is not None
                and operation_kind(data.query, data.operation_name) == "query"):
            return _mark(response, NO_STORE)
        body = bytes(response.body)
        cached = CachedResponse.of(body, _CONTENT_TYPES[media], etag_of(body, media), policy.public,
                                   data.operation_name)
        if key is not None and version is not None:
            now = store.data_version()
            policy.cache.put(key, cached, version, now, len(data.query))
            if front is not None:
                policy.cache.put(front.key, cached, front.version, now, front.size)
        return cached.answer(request.headers.get("if-none-match"))

    async def _execute(self, request: Request, media: str, policy: HttpPolicy) -> Response:
        """Run the request through strawberry; then the media type, the status of a failure before
        execution, the persisted query to remember, and the result size limit."""
        response = await self._within_budget(request, media)
        if response.media_type != JSON:
            return response
        scope = request.scope
        response.headers["content-type"] = _CONTENT_TYPES[media]
        failed = scope.get(_FAILED_KEY)
        if media == GRAPHQL_RESPONSE_JSON and failed:
            response.status_code = failed
        if scope.get(_UNAVAILABLE_KEY):
            response.status_code = 503
            response.headers["retry-after"] = RETRY_AFTER
        data, resolved = scope.get(_PARSED_KEY) or (None, None)
        if resolved is not None and not failed:
            policy.persisted.register(resolved)
        size = len(response.body)
        if size > policy.limits.max_result:
            scope[_OK_KEY] = False
            mutation = data is not None and data.query is not None and operation_kind(
                data.query, data.operation_name) == "mutation"
            response = JSONResponse(policy.limits.result_too_large(size, mutation=mutation),
                                    media_type=_CONTENT_TYPES[media])
        return response

    async def _within_budget(self, request: Request, media: str) -> Response:
        """Run a query within its time budget, and stop it when the client goes away: a query that
        nobody waits for, or that outlives its budget, must not hold the store for other requests.
        Mutations run to the end: a write may be committing when the budget runs out, and its result
        must say so (they are bounded by the cost limit). Every Neo4j transaction of the request, a
        mutation's included, ends with the budget all the same: Neo4j rolls back what has not committed
        by then (a database still starting holds transactions until it is available)."""
        data = await self.parse_http_body(self.request_adapter_class(request))  # the body, read once
        settings: Settings = request.app.state.settings
        budget = settings.time_budget if "authorization" in request.headers else settings.time_budget_anonymous
        # Neo4j's transactions for this request end with its budget, mutations' included (store/base.py).
        with deadline_in(budget):
            if data.query is None or operation_kind(data.query, data.operation_name) != "query":
                return await self.run(request)
            outcome = await run_bounded(self.run(request), budget, request.receive)
        if isinstance(outcome, Response):
            return outcome
        request.scope[_OK_KEY] = False
        if outcome == "disconnected":
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        return JSONResponse(time_budget_exceeded(budget, "authorization" in request.headers),
                            media_type=_CONTENT_TYPES[media], headers={"cache-control": NO_STORE})

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        failed = _failed_before_execution(result)
        if failed:
            data.pop("data", None)
            request.scope[_FAILED_KEY] = failed
        request.scope[_OK_KEY] = not result.errors and result.data is not None
        request.scope[_UNAVAILABLE_KEY] = _store_down(result)
        return data

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._graphiql_html, headers={"content-security-policy": GRAPHIQL_CSP})


def graphiql_assets() -> Mount:
    """GraphiQL's page assets, at /static/graphiql/ (the page refers to them relatively); only that
    folder of heritage_graph/static/ is served."""
    return Mount("/static/graphiql", app=StaticFiles(directory=resource("static") / GRAPHIQL), name="graphiql-static")


__all__ = ["GRAPHQL_RESPONSE_JSON", "HeritageGraphQL", "HttpPolicy", "graphiql_assets", "negotiate"]
