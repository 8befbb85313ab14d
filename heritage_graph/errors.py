"""Heritage Graph's error tree.

Every error the project raises on purpose derives from ``HeritageGraphError``;
store adapters translate driver exceptions into ``StoreError`` subclasses so
that services and the API never see a driver type::

    HeritageGraphError
    ├── ConfigError            bad settings (environment, CLI options)
    ├── InvalidInput           an argument or record breaks the schema
    │   └── ImportRejected     an import failed validation; carries every problem
    ├── NotFound               no record with that id (or none the reader may see)
    ├── Unauthenticated        a malformed, unknown or revoked API token (HTTP 401)
    ├── Forbidden              the principal's role may not do that
    ├── Conflict               the record changed since the version the writer read
    └── StoreError             the store failed; ``retryable`` says if trying again may help
        ├── StoreUnavailable   cannot reach or open the store (retryable)
        ├── StoreLocked        another process holds the embedded store (retryable)
        ├── StoreTimeout       a store query outlived the serving process's query timeout
        └── StoreQueryError    the store refused a query (a bug, not retryable)
"""

from __future__ import annotations

from dataclasses import dataclass

# What a client is told of a store failure; the store's own text (paths, query fragments) stays in the log.
STORE_UNAVAILABLE_MESSAGE = "The store is unavailable; try again shortly."
STORE_FAILED_MESSAGE = "The store could not answer this request."


class HeritageGraphError(Exception):
    """Base of every error the project raises on purpose."""

    code = "INTERNAL"


class ConfigError(HeritageGraphError):
    code = "CONFIG"


class InvalidInput(HeritageGraphError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, located as ``file:line``, or in a spreadsheet as
    ``file:sheet:row:column`` (a CSV file is its own sheet; a problem of a whole row names no column)."""

    file: str
    line: int
    message: str
    sheet: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        place = [self.file, *([self.sheet] if self.sheet else []), str(self.line),
                 *([self.column] if self.column else [])]
        return f"{':'.join(place)}: {self.message}"


class ImportRejected(InvalidInput):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.sheet or "", p.line, p.column or "", p.message))
        n = len(self.problems)
        head = f"import rejected: {n} problem{'s' if n != 1 else ''}; the store is unchanged"
        super().__init__("\n".join([head, *map(str, self.problems)]))


class NotFound(HeritageGraphError):
    code = "NOT_FOUND"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Unauthenticated(HeritageGraphError):
    """The request's credentials are malformed, unknown or revoked (no credentials is anonymous)."""

    code = "UNAUTHENTICATED"


class Forbidden(HeritageGraphError):
    code = "FORBIDDEN"


class Conflict(HeritageGraphError):
    """An optimistic-concurrency check failed: ``current`` is the version now stored."""

    code = "CONFLICT"

    def __init__(self, message: str, *, key: tuple[str, ...], current: int | None) -> None:
        super().__init__(message)
        self.key = key
        self.current = current


class StoreError(HeritageGraphError):
    code = "STORE_ERROR"
    retryable = False


class StoreUnavailable(StoreError):
    code = "STORE_UNAVAILABLE"
    retryable = True


class StoreLocked(StoreUnavailable):
    code = "STORE_LOCKED"


class StoreTimeout(StoreError):
    """A store query stopped by the serving process's query timeout (api/budget.py)."""

    code = "TIME_BUDGET_EXCEEDED"


class StoreQueryError(StoreError):
    code = "STORE_QUERY_ERROR"
