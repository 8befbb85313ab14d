"""Listings of one kind with filters, paged by keyset on the id."""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..errors import InvalidInput
from ..model import Node, Page
from ..store.base import Store
from ..visibility import Visibility, Visible, everyone
from .paging import Window, neighbours, trim


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


def check_region(store: Store, region: str, visible: Visible = everyone, field: str = "region") -> None:
    """A region filter must name a place the reader may see; an unknown one is an error, not an empty
    answer, and a place the reader may not see reads exactly like an unknown one."""
    if region in visible([region]) and any(n.kind == "Place" for n in store.get_nodes([region])):
        return
    raise InvalidInput(f"{field}: no place has the id {region!r} (the `regions` query lists the places a region "
                       "filter takes)", field=field)


def list_page(store: Store, kind: str, flt: Filter, *, page: Window, visibility: Visibility | None = None,
              visible: Visible = everyone, region_field: str = "filter.region") -> Page:
    if flt.region:
        check_region(store, flt.region, visible, region_field)
    within = places_within(store, flt.region, visible) if flt.region else None

    def read(limit: int, **bounds: str | bool | None) -> list[Node]:
        return store.list_nodes(kind, within=within, domain=flt.domain, limit=limit, visibility=visibility,
                                **bounds)  # type: ignore[arg-type]

    items, more = trim(read(page.size + 1, after=page.after, before=page.before, from_end=page.backward), page)
    around = neighbours(page, items[0].id if items else None, items[-1].id if items else None, more,
                        exists_before=lambda k: bool(read(1, before=k, from_end=True)),
                        exists_after=lambda k: bool(read(1, after=k)))
    total = store.count_kind(kind, within=within, domain=flt.domain, visibility=visibility)
    return Page(items=items, total=total, has_next=around.has_next, has_previous=around.has_previous)

PAGE = 2000
# What a region holds: the records that are located somewhere (places and sources are not counted).
REGION_COUNTED = tuple(k.name for k in schema.NODE_KINDS if k.name not in ("Place", "Source"))


def regions(store: Store, level: str, *, visibility: Visibility | None = None,
            visible: Visible = everyone) -> list[tuple[Node, int]]:
    """The places of ``level`` the reader may see, by id, each with how many records the reader may
    see are located within it (at any depth, through places the reader may see)."""
    if level not in schema.PLACE_LEVELS:
        raise InvalidInput(f"level: {level!r} is not a place level; allowed: {', '.join(schema.PLACE_LEVELS)}",
                           field="level")
    places: list[Node] = []
    after: str | None = None
    while True:
        page = store.list_nodes("Place", after=after, limit=PAGE, visibility=visibility)
        places += [p for p in page if p.properties.get("level") == level]
        if len(page) < PAGE:
            break
        after = page[-1].id
    shown = visible([p.id for p in places])
    return [(place, region_count(store, place.id, visibility=visibility, visible=visible))
            for place in places if place.id in shown]


def region_count(store: Store, region: str, *, visibility: Visibility | None = None,
                 visible: Visible = everyone) -> int:
    """How many records the reader may see are located within ``region`` (at any depth, through places
    the reader may see); places and sources are not counted."""
    within = places_within(store, region, visible)
    return store.count_kinds(REGION_COUNTED, within=within, visibility=visibility)
