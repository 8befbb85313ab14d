"""The request middleware (pure ASGI, so it adds microseconds, not a task per request): request id,
metrics, one log line per request, and the last line of defence that turns any exception into a
JSON 500 without a trace — or, for a store that cannot be reached (a route's authentication while
Neo4j is down), a JSON 503 with ``STORE_UNAVAILABLE`` and ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
from time import perf_counter
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth import ANONYMOUS
from ..errors import STORE_UNAVAILABLE_MESSAGE, StoreError
from .graphql import operation_label
from .logs import CURRENT, RequestInfo, emit_line, request_id_from
from .metrics import Metrics

access_log = logging.getLogger("heritage_graph.access")
error_log = logging.getLogger("heritage_graph.errors")
REQUEST_ID_HEADER = b"x-request-id"
# Probes and scrapes every few seconds would drown the log: their successes are logged at DEBUG.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "unmatched"
CLIENT_CLOSED = 499  # nginx's status for a request whose client went away before the answer
RETRY_AFTER = "5"  # seconds, in the Retry-After of a 503 while the store is unavailable


def internal_error_body(request_id: str) -> bytes:
    return json.dumps({"errors": [{"message": "Internal server error",
                                   "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}}]
                       }).encode()


def unavailable_body(code: str, request_id: str) -> bytes:
    return json.dumps({"errors": [{"message": STORE_UNAVAILABLE_MESSAGE,
                                   "extensions": {"code": code, "retryable": True, "requestId": request_id}}]
                       }).encode()


class OpsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, graphql_route: str = "/graphql") -> None:
        self.app = app
        self.metrics = metrics
        self.graphql_route = graphql_route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        info = RequestInfo(request_id_from(_header(scope, REQUEST_ID_HEADER)))
        token = CURRENT.set(info)
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, info.id.encode())]
            await send(message)

        self.metrics.in_progress.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            status = CLIENT_CLOSED
        except Exception as exc:
            if isinstance(exc, StoreError) and exc.retryable:  # expected while the store is down: no traceback
                error_log.warning("the store is unavailable answering %s %s: %s", scope["method"], scope["path"], exc)
                if not started:
                    status = 503
                    await _send_unavailable(send_with_id, exc.code, info.id)
            else:
                error_log.exception("unhandled error answering %s %s", scope["method"], scope["path"])
                if not started:
                    status = 500
                    await _send_internal_error(send_with_id, info.id)
        finally:
            self.metrics.in_progress.dec()
            seconds = perf_counter() - start
            route = _route(scope)
            self._finish(scope, info, route, status, seconds)
            CURRENT.reset(token)

    async def answer_graphql(self, scope: Scope, send: Send, response: Any, operation: str | None,
                             start: float) -> None:
        """Send ``response`` (a cached anonymous GraphQL answer, api/response_cache.RawResponse), found by
        the app before its middleware ran (app.py), as ``__call__`` would have: with the request id, counted
        in the metrics under the GraphQL route, and logged with its operation; ``start``: when the app
        got the request (perf_counter)."""
        info = RequestInfo(request_id_from(_header(scope, REQUEST_ID_HEADER)), operation_label(operation), "ok",
                           ANONYMOUS.role)
        token = CURRENT.set(info)
        self.metrics.in_progress.inc()
        try:
            await send({"type": "http.response.start", "status": response.status,
                        "headers": [*response.headers, (REQUEST_ID_HEADER, info.id.encode())]})
            await send({"type": "http.response.body", "body": response.body})
        finally:
            self.metrics.in_progress.dec()
            self._finish(scope, info, self.graphql_route, response.status, perf_counter() - start)
            CURRENT.reset(token)

    def _finish(self, scope: Scope, info: RequestInfo, route: str, status: int, seconds: float) -> None:
        if info.outcome is None and route == self.graphql_route and status >= 400:
            # Refused before strawberry ran an operation (bad JSON, unknown token, not acceptable).
            info.outcome = "rejected"
        if info.outcome is not None and status >= 500:
            info.outcome = "error"
        if info.outcome is not None and info.operation is None:
            info.operation = "unknown"
        self.metrics.observe_request(route, scope["method"], status, seconds, info.operation, info.outcome)
        if status >= 500:
            level = logging.WARNING
        elif route in QUIET_ROUTES and status < 400:
            level = logging.DEBUG
        else:
            level = logging.INFO
        if not access_log.isEnabledFor(level):
            return
        fields: dict[str, Any] = {"method": scope["method"], "path": scope["path"], "route": route,
                                  "status": status, "duration_ms": round(seconds * 1000, 3)}
        if info.operation is not None:
            fields["operation"] = info.operation
            fields["outcome"] = info.outcome
        if info.role is not None:
            fields["role"] = info.role
        client = scope.get("client")
        if client:
            fields["client"] = client[0]
        # Made and handled directly: Logger.log would walk the stack for a caller nobody reads.
        emit_line(access_log, level, "%s %s %s", (scope["method"], scope["path"], status), fields)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def _route(scope: Scope) -> str:
    """The matched route's template (``/ld/{id}``), so that labels stay few whatever the paths."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


async def _send_internal_error(send: Send, request_id: str) -> None:
    await _send_json(send, 500, internal_error_body(request_id))


async def _send_unavailable(send: Send, code: str, request_id: str) -> None:
    await _send_json(send, 503, unavailable_body(code, request_id), [(b"retry-after", RETRY_AFTER.encode())])


async def _send_json(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *(extra or [])]})
    await send({"type": "http.response.body", "body": body})
