"""The strawberry schema: built once, with errors mapped to stable codes."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry import Schema
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

from ..errors import HeritageGraphError
from ..settings import Settings
from .limits import QueryLimits
from .mutations import Mutation
from .query import Query
from .types import KIND_TYPES

log = logging.getLogger("heritage_graph.api")


class ErrorCodes(SchemaExtension):
    """Expected errors keep their message and gain ``extensions.code``; any
    other error is logged once and masked, so no internals reach a client."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        result.errors = [_coded(e) for e in result.errors]


def _coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error
    if isinstance(original, HeritageGraphError):
        ext = dict(error.extensions or {})
        ext.setdefault("code", original.code)
        field = getattr(original, "field", None)
        if field:
            ext.setdefault("field", field)
        error.extensions = ext
        return error
    log.error("unexpected error at %s", ".".join(map(str, error.path or [])), exc_info=original)
    return GraphQLError("Internal server error", nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path,
                        extensions={"code": "INTERNAL_SERVER_ERROR"})


def build_schema(settings: Settings | None = None) -> Schema:
    # The limits' validation rules are built here, once, so ValidationCache can hit (see limits.py).
    limits = QueryLimits.from_settings(settings or Settings())
    return Schema(query=Query, mutation=Mutation, types=list(KIND_TYPES.values()),
                  extensions=[ErrorCodes, limits.extension, ParserCache, ValidationCache])
