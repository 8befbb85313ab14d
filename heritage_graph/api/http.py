"""The GraphQL HTTP endpoint: strawberry's ASGI view, with the per-request context."""

from __future__ import annotations

from typing import Any

from strawberry.asgi import GraphQL

from .context import Context


class HeritageGraphQL(GraphQL):  # type: ignore[type-arg]
    async def get_context(self, request: Any, response: Any = None) -> Context:
        state = request.app.state
        return Context(store=state.store, settings=state.settings, request=request)
