"""What the request middleware cannot see from outside: the GraphQL operation's name, how it ended,
and who asked. A schema extension learns them from strawberry's own parse, without parsing again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError

from .logs import CURRENT

ANONYMOUS = "anonymous"
INVALID = "invalid"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


def operation_label(name: str | None) -> str:
    """The operation's name, ``anonymous`` when it has none, ``invalid`` when the client's
    ``operationName`` is not a GraphQL name (or is absurdly long)."""
    if not name:
        return ANONYMOUS
    return name if _NAME.fullmatch(name) else INVALID


def outcome_of(result: Any) -> str:
    """``ok``; ``error`` when the operation ran and its result carries errors; ``rejected`` when it
    was refused before running (syntax, validation, query limits, variables that do not coerce)."""
    if result is None or isinstance(result, PreExecutionError):
        return "rejected"
    errors = getattr(result, "errors", None)
    if not errors:
        return "ok"
    # graphql-core reports variables that do not coerce from execute(), with no data and no path.
    if getattr(result, "data", None) is None and all(e.path is None for e in errors):
        return "rejected"
    return "error"


class OperationObserver(SchemaExtension):
    """Records the operation's name, outcome and principal on the request's ``RequestInfo``."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        finally:
            info = CURRENT.get()
            if info is not None:
                ec = self.execution_context
                info.operation = operation_label(ec.operation_name)
                info.outcome = outcome_of(ec.result)
                principal = getattr(ec.context, "principal", None)
                if principal is not None:
                    info.role = principal.role
