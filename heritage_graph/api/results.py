"""The typed failures that mutation results share: expected errors are part of the schema."""

from __future__ import annotations

import strawberry


@strawberry.type
class FieldProblem:
    field: str | None
    message: str


@strawberry.type(description="The input breaks the schema; each problem names its field and what is allowed.")
class InvalidInputError:
    message: str
    problems: list[FieldProblem]


@strawberry.type
class NotFoundError:
    message: str


@strawberry.type
class ForbiddenError:
    message: str


__all__ = ["FieldProblem", "ForbiddenError", "InvalidInputError", "NotFoundError"]
