"""Full-text search over the inventory: arguments checked here, matching in the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .. import schema
from ..errors import InvalidInput
from ..model import Node
from ..search.model import Facets, SearchPage, SearchQuery
from ..search.text import matched_name, parse_query, snippet
from ..store.base import Store
from ..visibility import EVERYTHING, Visibility, Visible, everyone
from .catalog import check_region
from .paging import Window

FIRST_PAGE = Window()


@dataclass
class Hit:
    node: Node
    score: float
    snippet: str
    matched_name: str | None = None  # the name or variant found (docs/search.md), None: other text


@dataclass
class Results:
    hits: list[Hit]
    total: int
    facets: Facets
    offset: int
    end: int = 0  # the position after the page: more matches follow when it is below the total


def search(store: Store, text: str, *, kinds: Sequence[str] = (), region: str | None = None,
           domains: Sequence[str] = (), unesco: bool | None = None, page: Window = FIRST_PAGE,
           lang: str | None = None, visibility: Visibility = EVERYTHING, visible: Visible = everyone) -> Results:
    """``page`` bounds are positions among the matches (``after`` and ``before`` excluded). ``visible``
    answers which ids the reader may see: a hidden region is no region, and the departments in the
    facets are only those the reader may see."""
    for k in kinds:
        if k not in schema.KINDS:
            raise InvalidInput(f"kinds: {k!r} is not a node kind; allowed: {', '.join(schema.KINDS)}", field="kinds")
    parsed = parse_query(text)
    if region:
        check_region(store, region, visible)

    def matches(offset: int, limit: int) -> SearchPage:
        return store.search(SearchQuery(parsed, tuple(kinds), region, tuple(domains), unesco, offset, limit,
                                        visibility))

    start = 0 if page.after is None else int(page.after) + 1
    if page.backward:
        # the last page needs the total first: a search for no hits gives it
        end = int(page.before) if page.before is not None else matches(0, 0).total
        start = max(start, end - page.size)
    else:
        end = start + page.size if page.before is None else min(start + page.size, int(page.before))
    found = matches(start, max(0, end - start))
    shown = visible([*found.facets.regions, *(n.id for n, _ in found.hits)])
    found.facets.regions = Counter({k: n for k, n in found.facets.regions.items() if k in shown})
    # Hits are checked again, whatever the index said.
    found.hits = [(n, score) for n, score in found.hits if n.id in shown]
    asked = found.query or parsed  # with the near keys the store found for misspelt words
    hits = [Hit(node, score, snippet(node, asked, lang), matched_name(node, asked, lang)) for node, score in found.hits]
    return Results(hits, found.total, found.facets, start, max(start, end))
