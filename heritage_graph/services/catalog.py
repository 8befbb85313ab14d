"""Listings of one kind with filters, paged by keyset on the id."""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..errors import InvalidInput
from ..model import Page
from ..store.base import Store
from ..visibility import Visibility, Visible, everyone


@dataclass(frozen=True)
class Filter:
    region: str | None = None
    domain: str | None = None


def places_within(store: Store, region: str, visible: Visible = everyone) -> list[str]:
    """The region and every place nested in it, at any depth, through places the reader may see."""
    seen = {region}
    frontier = [region]
    for _ in range(schema.MAX_PLACE_DEPTH):
        found = [p for p in store.child_places(frontier) if p not in seen]
        allowed = visible(found)
        frontier = [p for p in found if p in allowed]
        if not frontier:
            break
        seen.update(frontier)
    return sorted(seen)


def list_page(store: Store, kind: str, flt: Filter, *, first: int, after: str | None, cap: int,
              visibility: Visibility | None = None, visible: Visible = everyone) -> Page:
    if first < 0 or first > cap:
        raise InvalidInput(f"first must be between 0 and {cap}, got {first}", field="first")
    if flt.region and not visible([flt.region]):
        return Page([], 0, False)  # a region the reader may not see is no region
    within = places_within(store, flt.region, visible) if flt.region else None
    items = store.list_nodes(kind, within=within, domain=flt.domain, after=after, limit=first + 1,
                             visibility=visibility)
    total = store.count_kind(kind, within=within, domain=flt.domain, visibility=visibility)
    return Page(items=items[:first], total=total, has_next=len(items) > first)
