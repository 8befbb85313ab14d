"""What a search asks and what it answers, shared by every store."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..model import Node
from ..visibility import EVERYTHING, Visibility
from .text import ParsedQuery


@dataclass(frozen=True)
class SearchQuery:
    text: ParsedQuery
    kinds: tuple[str, ...] = ()
    region: str | None = None
    domains: tuple[str, ...] = ()  # any of them
    unesco: bool | None = None
    offset: int = 0
    limit: int = 20
    visibility: Visibility = EVERYTHING


@dataclass
class Facets:
    """Counts over every match, not just the page."""

    kinds: Counter[str] = field(default_factory=Counter)
    regions: Counter[str] = field(default_factory=Counter)  # department ids
    domains: Counter[str] = field(default_factory=Counter)


@dataclass
class SearchPage:
    hits: list[tuple[Node, float]]
    total: int
    facets: Facets
    query: ParsedQuery | None = None  # as the store expanded it (near keys), to mark what matched
