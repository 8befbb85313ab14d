"""Search documents: a node's text plus where it is, derived from the graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .. import schema
from ..model import Node
from ..store.base import BATCH, Store, chunks
from ..visibility import COMMUNITY_LINKS, PUBLIC, communities_of
from .text import SearchText, search_text

# Relations that say where a node is: LOCATED_IN, and a story's cover place.
WHERE = ("LOCATED_IN", "COVER_PLACE")
# Every relation a document depends on: where things are, and the community links of visibility.
SNAPSHOT_RELATIONS = tuple(dict.fromkeys((*WHERE, *COMMUNITY_LINKS["in"], *COMMUNITY_LINKS["out"])))


@dataclass(frozen=True)
class SearchDoc:
    id: str
    kind: str
    text: SearchText
    domains: tuple[str, ...]
    unesco: bool
    places: tuple[str, ...]  # every place it is in, at any depth (a Place is in itself), as anyone sees them
    hidden_places: tuple[str, ...]  # places on the way that not everyone may see (kept to refresh the doc)
    departments: tuple[str, ...]
    sensitivity: str
    status: str
    consent_status: str | None
    communities: tuple[str, ...]  # for the community scope of `community` records


class PlaceTree:
    """Parents of places, and which places anyone may see, fetched from the store once each.

    Only places anyone may see place a record in a region: a draft or restricted place
    neither counts as a region nor leads up to one (the index serves every reader, so
    it follows the public view). Hidden places are still recorded, so that a document
    is refreshed when such a place changes.
    """

    def __init__(self, store: Store | None) -> None:
        self.store = store  # None: everything is given up front (snapshot_documents)
        self.parents: dict[str, list[str]] = {}
        self.places: dict[str, Node] = {}

    def _load(self, ids: Iterable[str]) -> None:
        todo = [i for i in dict.fromkeys(ids) if i not in self.parents]
        if self.store is None:
            return
        for chunk in chunks(todo, BATCH):
            for i in chunk:
                self.parents.setdefault(i, [])
            for r in self.store.relations(chunk, "out", ["LOCATED_IN"]):
                self.parents[r.from_id].append(r.to_id)
            for n in self.store.get_nodes(chunk):
                if n.kind == "Place":
                    self.places[n.id] = n

    def ancestors(self, starts: Sequence[str]) -> tuple[list[str], list[str]]:
        """(public places the starts are in, at any depth through public places; hidden ones met)."""
        public: dict[str, None] = {}
        hidden: dict[str, None] = {}
        frontier = list(starts)
        for _ in range(schema.MAX_PLACE_DEPTH + 1):
            frontier = [p for p in dict.fromkeys(frontier) if p not in public and p not in hidden]
            if not frontier:
                break
            self._load(frontier)
            nxt = []
            for p in frontier:
                place = self.places.get(p)
                if place is None:
                    continue
                if PUBLIC.allows(place):
                    public[p] = None
                    nxt += self.parents.get(p, [])
                else:
                    hidden[p] = None
            frontier = nxt
        return list(public), list(hidden)

    def level(self, place_id: str) -> str | None:
        place = self.places.get(place_id)
        return place.properties.get("level") if place else None


def build_documents(store: Store, nodes: Sequence[Node], tree: PlaceTree | None = None) -> list[SearchDoc]:
    tree = tree or PlaceTree(store)
    direct: dict[str, list[str]] = {n.id: [] for n in nodes}
    for chunk in chunks([n.id for n in nodes], BATCH):
        for r in store.relations(chunk, "out", list(WHERE)):
            direct[r.from_id].append(r.to_id)
    communities = communities_of(store, [n.id for n in nodes])
    return [_document(n, direct[n.id], communities[n.id], tree) for n in nodes]


def _document(n: Node, where: list[str], communities: set[str], tree: PlaceTree) -> SearchDoc:
    if n.kind == "Place":
        tree.places[n.id] = n
    public, hidden = tree.ancestors(where + ([n.id] if n.kind == "Place" else []))
    places = tuple(sorted(public))
    return SearchDoc(
        id=n.id,
        kind=n.kind,
        text=search_text(n),
        domains=tuple(n.properties.get("domains") or ()),
        unesco=bool(n.properties.get("unesco")),
        places=places,
        hidden_places=tuple(sorted(hidden)),
        departments=tuple(p for p in places if tree.level(p) == "department"),
        sensitivity=n.sensitivity,
        status=n.status,
        consent_status=n.consent_status,
        communities=tuple(sorted(communities | ({n.id} if n.kind == "Community" else set()))),
    )


def snapshot_documents(places: Iterable[Node], nodes: Iterable[Node],
                       ends: Mapping[str, Iterable[tuple[str, str]]]) -> Iterator[SearchDoc]:
    """Every node's document from the whole graph read in a few scans: every Place, the (from, to)
    ends of the relations documents depend on (``SNAPSHOT_RELATIONS``), and the nodes, which may be
    streamed (a national inventory's nodes need not be in memory at once). A store that can read
    those in a few scans rebuilds its index this way instead of a few queries per node."""
    tree = PlaceTree(None)
    where: dict[str, list[str]] = defaultdict(list)
    communities: dict[str, set[str]] = defaultdict(set)
    for place in places:
        tree.places[place.id] = place
        tree.parents.setdefault(place.id, [])
    for rel, pairs in ends.items():
        for a, b in pairs:
            if rel == "LOCATED_IN" and a in tree.places:
                tree.parents[a].append(b)
            if rel in WHERE:
                where[a].append(b)
            if rel in COMMUNITY_LINKS["in"]:
                communities[b].add(a)
            if rel in COMMUNITY_LINKS["out"]:
                communities[a].add(b)
    for n in nodes:
        # Ids that are not places have no parents to load (the tree never asks the store).
        yield _document(n, where.get(n.id, []), communities.get(n.id, set()), tree)
