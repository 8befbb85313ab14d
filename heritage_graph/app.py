"""The ASGI application: ``create_app(settings)`` is the one composition root.

The store is opened in the lifespan, never at import (or handed in: tests, and ``serve``), and
reaches handlers through ``app.state``, wrapped in a timing proxy that feeds the store-call
metrics. The lifespan's shutdown runs after in-flight requests finish (uvicorn's graceful
shutdown), so the store closes under no request. Operations (heritage_graph/ops/): ``/healthz``,
``/readyz``, ``/metrics``, a request id and one log line per request, CORS when configured.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from time import perf_counter

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import web
from .api import admin, graph_export
from .api.http import HeritageGraphQL, graphiql_assets
from .api.schema import build_schema
from .ops.cors import cors_middleware
from .ops.health import ReadinessProbe, healthz
from .ops.metrics import Metrics, metrics_endpoint
from .ops.middleware import OpsMiddleware
from .ops.timing import TimedStore
from .services import linked_data
from .settings import Settings
from .store import open_store
from .store.base import Store
from .web.sessions import SessionMiddleware

log = logging.getLogger("heritage_graph.app")
GRAPHQL_PATH = "/graphql"


class HeritageApp(Starlette):
    """The app, with a front door for the one request that must cost no more than the framework: an
    anonymous GET of the GraphQL endpoint whose answer the response cache holds (api/response_cache.py)
    is answered here, before any middleware, by the request middleware's own ``answer_graphql`` (request
    id, metrics, log line). Nothing else in the stack would change such an answer: the session middleware
    skips /graphql, and a request CORS would add headers to (one with an ``Origin`` header, CORS on) goes
    the whole way, as does every other request."""

    front: tuple[HeritageGraphQL, OpsMiddleware, bool] | None = None  # the endpoint, ops, CORS on

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self.front
        if (front is not None and scope["type"] == "http" and scope["method"] == "GET"
                and scope["path"] == GRAPHQL_PATH):
            start = perf_counter()
            store = getattr(self.state, "store", None)
            cors = front[2] and any(name == b"origin" for name, _ in scope["headers"])
            found = front[0].front_door(scope, store) if store is not None and not cors else None
            if found is not None:
                await front[1].answer_graphql(scope, send, found[0], found[1], start)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, store: Store | None = None,
               close_store: bool = False) -> Starlette:
    """The app; it opens the store the settings name, or serves ``store``, which it closes at
    shutdown only when told to (``serve`` opens it first, to report a failure plainly)."""
    settings = settings or Settings.from_env()
    metrics = Metrics(store.dialect if store is not None else settings.store_kind)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if store is None:
            opened = open_store(settings, serving=True)
            app.state.store = TimedStore(opened, metrics)
            log.info("store opened", extra={"store": opened.dialect})
        elif not close_store:
            yield
            return
        else:
            opened = store
        try:
            yield
        finally:
            admin.discard_copies()
            del app.state.store  # /readyz says "not open" from here on, not a driver error
            opened.close()
            log.info("store closed", extra={"store": opened.dialect})

    graphql = HeritageGraphQL(build_schema(settings, serving=True), settings=settings)
    app = HeritageApp(
        routes=[
            Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", ReadinessProbe().endpoint, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            graphiql_assets(),
            *linked_data.routes(),
            *graph_export.routes(),  # GET /export/lineage/{id}.{format}, /export/path.{format}
            *admin.routes(),  # POST /admin/backup
            *web.routes(),  # the explorer: /, /search, /records/…, /path, /stories
        ],
        middleware=[Middleware(OpsMiddleware, metrics=metrics, graphql_route=GRAPHQL_PATH),
                    *cors_middleware(settings.cors_origins),
                    Middleware(SessionMiddleware)],  # web pages only; GraphQL takes API tokens alone
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.front = (graphql, OpsMiddleware(app, metrics=metrics, graphql_route=GRAPHQL_PATH), bool(settings.cors_origins))
    if store is not None:
        app.state.store = TimedStore(store, metrics)
    return app
