"""The strawberry schema: built once, with errors mapped to stable codes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry import Schema
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

from ..errors import STORE_FAILED_MESSAGE, STORE_UNAVAILABLE_MESSAGE, HeritageGraphError, StoreError
from ..ops.graphql import OperationObserver
from ..settings import Settings
from .cost import CostLimitExtension, CostLimits, HeavyGate, HeavyTurns
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


class MaskedError(GraphQLError):
    """What a client sees of an unexpected error; ``original_error`` stays for the server's eyes."""


class HeritageSchema(Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # strawberry's default logs every error, a client's typo included, at ERROR with its traceback.
        # Here only unexpected errors are logged, once, and masked in place: that also covers an
        # exception raised before execution (in a validation rule), which never reaches ErrorCodes.
        for i, error in enumerate(errors):
            if _unexpected(error):
                errors[i] = _masked(error)
            elif _request_error(error) and "code" not in (error.extensions or {}):
                # graphql-core's own errors (syntax, validation, variables) get a code like every other
                error.extensions = {**(error.extensions or {}), "code": _request_error_code(error)}


def _request_error(error: GraphQLError) -> bool:
    """An error of graphql-core's own (syntax, validation, variable coercion), not a resolver's."""
    return error.original_error is None or isinstance(error.original_error, GraphQLError)


# graphql-core's variable coercion errors (validation's own start with "Variable '$" too: "is never used").
_COERCION = re.compile(r"Variable '\$[^']*' (has invalid value|got invalid value|of required type .* was not provided"
                       r"|of non-null type .* must not be null)")


def _request_error_code(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if _COERCION.match(error.message):
        return "BAD_USER_INPUT"  # the document is valid; a value sent for it is not
    return "GRAPHQL_VALIDATION_FAILED"


def _unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return not isinstance(error, MaskedError) and original is not None and not isinstance(
        original, GraphQLError | HeritageGraphError)


def _masked(error: GraphQLError) -> GraphQLError:
    log.error("unexpected error at %s", ".".join(map(str, error.path or [])) or "-", exc_info=error.original_error)
    return MaskedError("Internal server error", nodes=error.nodes, source=error.source,
                       positions=error.positions, path=error.path, original_error=error.original_error,
                       extensions={"code": "INTERNAL_SERVER_ERROR"})


def _coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if _request_error(error) and "code" not in (error.extensions or {}):
        error.extensions = {**(error.extensions or {}), "code": _request_error_code(error)}
    if original is None or isinstance(original, GraphQLError) or isinstance(error, MaskedError):
        return error
    if isinstance(original, StoreError):
        return _store_failure(error, original)
    if isinstance(original, HeritageGraphError):
        ext = dict(error.extensions or {})
        ext.setdefault("code", original.code)
        field = getattr(original, "field", None)
        if field:
            ext.setdefault("field", field)
        error.extensions = ext
        return error
    return _masked(error)


def _store_failure(error: GraphQLError, original: StoreError) -> GraphQLError:
    """A store failure keeps its code but not its text, which is the database's own (paths, query
    fragments): the server log has it, with the request id."""
    log.error("store failure at %s: %s", ".".join(map(str, error.path or [])) or "-", original)
    message = STORE_UNAVAILABLE_MESSAGE if original.retryable else STORE_FAILED_MESSAGE
    return MaskedError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                       path=error.path, original_error=original,
                       extensions={"code": original.code, "retryable": original.retryable})


def build_schema(settings: Settings | None = None, *, serving: bool = False) -> Schema:
    """The schema; ``serving``: the service's, whose heavy queries take turns (an async extension, so
    a schema for synchronous use goes without)."""
    # The limits' validation rules are built here, once, so ValidationCache can hit (see limits.py).
    settings = settings or Settings()
    limits = QueryLimits.from_settings(settings)
    costs = CostLimits.from_settings(settings)
    turns = [lambda: HeavyTurns(gate)] if serving else []
    gate = HeavyGate(settings.heavy_cost, settings.heavy_concurrency)
    return HeritageSchema(query=Query, mutation=Mutation, types=list(KIND_TYPES.values()),
                          extensions=[ErrorCodes, OperationObserver, limits.extension, ParserCache, ValidationCache,
                                      lambda: CostLimitExtension(costs, settings.max_page_size), *turns])
