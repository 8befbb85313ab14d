"""Search documents: a node's text plus where it is, derived from the graph."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .. import schema
from ..model import Node
from ..store.base import BATCH, Store, chunks
from ..visibility import communities_of
from .text import SearchText, search_text

# Relations that say where a node is: LOCATED_IN, and a story's cover place.
WHERE = ("LOCATED_IN", "COVER_PLACE")
MAX_PLACE_DEPTH = 10


@dataclass(frozen=True)
class SearchDoc:
    id: str
    kind: str
    text: SearchText
    domains: tuple[str, ...]
    unesco: bool
    places: tuple[str, ...]  # every place it is in, at any depth (a Place is in itself)
    departments: tuple[str, ...]
    sensitivity: str
    status: str
    consent_status: str | None
    communities: tuple[str, ...]  # for the community scope of `community` records


class PlaceTree:
    """Parents and levels of places, fetched from the store once each."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.parents: dict[str, list[str]] = {}
        self.levels: dict[str, str | None] = {}

    def _load(self, ids: Iterable[str]) -> None:
        todo = [i for i in dict.fromkeys(ids) if i not in self.parents]
        for _ in range(MAX_PLACE_DEPTH):
            if not todo:
                return
            for chunk in chunks(todo, BATCH):
                for i in chunk:
                    self.parents.setdefault(i, [])
                for r in self.store.relations(chunk, "out", ["LOCATED_IN"]):
                    self.parents[r.from_id].append(r.to_id)
                for n in self.store.get_nodes(chunk):
                    self.levels[n.id] = n.properties.get("level") if n.kind == "Place" else None
            todo = [p for i in todo for p in self.parents[i] if p not in self.parents]

    def ancestors(self, starts: Sequence[str]) -> list[str]:
        self._load(starts)
        seen: dict[str, None] = {}
        frontier = list(starts)
        for _ in range(MAX_PLACE_DEPTH + 1):
            frontier = [p for p in frontier if p not in seen]
            if not frontier:
                break
            seen.update(dict.fromkeys(frontier))
            self._load(frontier)
            frontier = [q for p in frontier for q in self.parents.get(p, [])]
        return [p for p in seen if self.levels.get(p) is not None]


def build_documents(store: Store, nodes: Sequence[Node], tree: PlaceTree | None = None) -> list[SearchDoc]:
    tree = tree or PlaceTree(store)
    direct: dict[str, list[str]] = {n.id: [] for n in nodes}
    for chunk in chunks([n.id for n in nodes], BATCH):
        for r in store.relations(chunk, "out", list(WHERE)):
            direct[r.from_id].append(r.to_id)
    communities = communities_of(store, [n.id for n in nodes])
    docs = []
    for n in nodes:
        starts = direct[n.id] + ([n.id] if n.kind == "Place" else [])
        if n.kind == "Place":
            tree.levels.setdefault(n.id, n.properties.get("level"))
        places = tuple(sorted(tree.ancestors(starts)))
        docs.append(SearchDoc(
            id=n.id,
            kind=n.kind,
            text=search_text(n),
            domains=tuple(n.properties.get("domains") or ()),
            unesco=bool(n.properties.get("unesco")),
            places=places,
            departments=tuple(p for p in places if tree.levels.get(p) == "department"),
            sensitivity=n.sensitivity,
            status=n.status,
            consent_status=n.consent_status,
            communities=tuple(sorted(communities[n.id] | ({n.id} if n.kind == "Community" else set()))),
        ))
    return docs


def iter_documents(store: Store, page: int = BATCH) -> Iterator[SearchDoc]:
    """Every node's document, for a rebuild; places are fetched once each."""
    tree = PlaceTree(store)
    for kind in schema.KINDS:
        after: str | None = None
        while True:
            nodes = store.list_nodes(kind, after=after, limit=page)
            yield from build_documents(store, nodes, tree)
            if len(nodes) < page:
                break
            after = nodes[-1].id
