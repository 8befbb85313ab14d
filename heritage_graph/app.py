"""The ASGI application: ``create_app(settings)`` is the one composition root.

The store is opened in the lifespan, never at import, and reaches handlers
through ``app.state``; a store handed in (tests) is used as is and not closed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api.http import HeritageGraphQL, graphiql_assets
from .api.schema import build_schema
from .services import linked_data
from .settings import Settings
from .store import open_store
from .store.base import Store


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store if store is not None else open_store(settings)
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "store": request.app.state.store.dialect})

    graphql = HeritageGraphQL(build_schema(settings))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            graphiql_assets(),
            *linked_data.routes(),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    if store is not None:
        app.state.store = store
    return app
