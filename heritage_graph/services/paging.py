"""Page requests in the manner of Relay connections: the first ``n`` after a cursor, or the last ``n``
before one, with both neighbours' existence reported (``hasPreviousPage``, ``hasNextPage``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..errors import InvalidInput

DEFAULT_SIZE = 20
T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """The ``size`` first items after ``after`` (or, ``backward``, the last ones before ``before``);
    both bounds are excluded, and either may be absent."""

    size: int = DEFAULT_SIZE
    after: str | int | None = None  # an id, or a position among search matches
    before: str | int | None = None
    backward: bool = False


def window(*, first: int | None = None, last: int | None = None, after: str | int | None = None,
           before: str | int | None = None, cap: int) -> Window:
    if first is not None and last is not None:
        # Relay allows both, but the page they name is rarely what a client means: refused, with why.
        raise InvalidInput("first and last: give one of them (first pages forward from `after`, last backward "
                           "from `before`)", field="last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= cap:
            raise InvalidInput(f"{name} must be between 0 and {cap}, got {value}", field=name)
    if last is not None:
        return Window(last, after, before, backward=True)
    return Window(DEFAULT_SIZE if first is None else first, after, before)


@dataclass(frozen=True)
class Neighbours:
    has_previous: bool
    has_next: bool


def trim(found: Sequence[T], w: Window) -> tuple[list[T], bool]:
    """The page out of ``size + 1`` items read from the window's start (or end), and whether there
    were more in the window than the page holds."""
    more = len(found) > w.size
    if w.backward:
        return (list(found[max(0, len(found) - w.size):]) if w.size else []), more
    return list(found[:w.size]), more


def neighbours(w: Window, first_key: str | None, last_key: str | None, more: bool,
               exists_before: Callable[[str], bool], exists_after: Callable[[str], bool]) -> Neighbours:
    """Whether anything matching comes before and after the page, counting what is outside the window:
    a page read forward from ``after`` has a previous page when anything precedes its first item, one
    read backward from ``before`` a next page when anything follows its last. An empty page judges by
    its cursor. ``exists_before(k)``/``exists_after(k)``: is there a match below/above key ``k``."""
    def earlier() -> bool:
        bound = first_key if first_key is not None else w.after
        return bound is not None and exists_before(bound)

    def later() -> bool:
        bound = last_key if last_key is not None else w.before
        return bound is not None and exists_after(bound)

    if w.backward:
        return Neighbours(has_previous=more or (w.after is not None and earlier()),
                          has_next=w.before is not None and later())
    return Neighbours(has_previous=w.after is not None and earlier(),
                      has_next=more or (w.before is not None and later()))
