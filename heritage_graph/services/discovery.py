"""Full-text search over the inventory: arguments checked here, matching in the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .. import schema
from ..errors import InvalidInput
from ..model import Node
from ..search.model import Facets, SearchQuery
from ..search.text import parse_query, snippet
from ..store.base import Store
from ..visibility import EVERYTHING, Visibility, Visible, everyone
from .catalog import check_region


@dataclass
class Hit:
    node: Node
    score: float
    snippet: str


@dataclass
class Results:
    hits: list[Hit]
    total: int
    facets: Facets
    offset: int


def search(store: Store, text: str, *, kinds: Sequence[str] = (), region: str | None = None,
           domains: Sequence[str] = (), unesco: bool | None = None, first: int = 20, offset: int = 0,
           cap: int = 200, lang: str | None = None, visibility: Visibility = EVERYTHING,
           visible: Visible = everyone) -> Results:
    """``visible`` answers which ids the reader may see: a hidden region is no region, and
    the departments in the facets are only those the reader may see."""
    if first < 0 or first > cap:
        raise InvalidInput(f"first must be between 0 and {cap}, got {first}", field="first")
    for k in kinds:
        if k not in schema.KINDS:
            raise InvalidInput(f"kinds: {k!r} is not a node kind; allowed: {', '.join(schema.KINDS)}", field="kinds")
    parsed = parse_query(text)
    if region:
        check_region(store, region, visible)
    page = store.search(SearchQuery(parsed, tuple(kinds), region, tuple(domains), unesco, offset, first, visibility))
    shown = visible([*page.facets.regions, *(n.id for n, _ in page.hits)])
    page.facets.regions = Counter({k: n for k, n in page.facets.regions.items() if k in shown})
    # Hits are checked again, whatever the index said.
    page.hits = [(n, score) for n, score in page.hits if n.id in shown]
    hits = [Hit(node, score, snippet(node, parsed, lang)) for node, score in page.hits]
    return Results(hits, page.total, page.facets, offset)
