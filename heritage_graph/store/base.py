"""The store port: the small interface every service depends on.

Adapters (Ladybug, Neo4j, the in-memory fake) implement it and translate their
driver's errors into ``heritage_graph.errors.StoreError`` subclasses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..errors import Conflict, StoreQueryError
from ..model import Changes, Node, Relation, Revision

if TYPE_CHECKING:
    from ..search.model import SearchPage, SearchQuery
    from ..visibility import Visibility

Direction = Literal["out", "in"]
Progress = Callable[[int], None]
BATCH = 2000

# When the request making a store call stops waiting for it (time.monotonic()): set from the request's
# time budget by the API (api/http.py, api/graph_export.py), None outside requests (commands, imports,
# the seeding of `serve --seed-if-empty`). A store that can bound a transaction by time (Neo4j) gives each
# transaction what remains, so that no work goes on in the database for a request that has been answered,
# and a request never waits longer than its budget for a database that is starting or failing over.
DEADLINE: ContextVar[float | None] = ContextVar("heritage_store_deadline", default=None)


@contextmanager
def deadline_in(seconds: float) -> Iterator[None]:
    """Store calls made in this context (and in the worker threads it starts) are due in ``seconds``."""
    token = DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        DEADLINE.reset(token)


def window(ids: Sequence[str], after: str | None, before: str | None, limit: int | None,
           from_end: bool = False) -> list[str]:
    """``list_nodes`` over sorted ids already in hand: those strictly between ``after`` and ``before``,
    the first (or, ``from_end``, the last) ``limit`` of them."""
    inside = [i for i in ids if (not after or i > after) and (not before or i < before)]
    if limit is None:
        return inside
    return inside[max(0, len(inside) - limit):] if from_end else inside[:limit]


@dataclass(frozen=True)
class Reached:
    """A node a lineage's reach found (``lineage_reach``), at its shortest depth, with the relations of
    the lineage's type between it and its neighbours on the side it was reached from (reached or not)."""

    node: Node
    depth: int
    edges: list[Relation]


@dataclass(frozen=True)
class ShortestPath:
    """One shortest path (``shortest_paths``): its node ids in order, and the relations between them."""

    ids: list[str]
    edges: list[Relation]


class GraphQueries(Protocol):
    """Lineage and path each in one native query (services/graph.py): ``shortest_paths`` on both Cypher
    stores, ``lineage_reach`` on the embedded store only (cypher/ladybug/reach.cypher says why). Without
    one (the in-memory fake; Neo4j's lineage) the service searches level by level."""

    def lineage_reach(self, node_id: str, relation: str, *, ancestors: bool, max_depth: int) -> list[Reached]:
        """Every node reached from ``node_id`` along ``relation`` (out for ``ancestors``, in otherwise),
        each once at its shortest depth (1 to ``max_depth``), whoever may see it; ``node_id`` itself
        is not listed."""

    def shortest_paths(self, from_id: str, to_id: str, types: Sequence[str], *, max_depth: int,
                       visibility: Visibility | None, cap: int) -> list[ShortestPath]:
        """Up to ``cap`` of the shortest paths (each at most ``max_depth`` relations of ``types``, in
        either direction) between the two nodes, through nodes ``visibility`` lets through (None: any);
        [] when there is none."""


class Store(Protocol):
    dialect: str

    def init(self) -> None:
        """Create tables, constraints and indexes; safe to run again."""

    def close(self) -> None: ...

    def count_nodes(self) -> int: ...

    def get_nodes(self, ids: Sequence[str]) -> list[Node]:
        """The nodes with these ids that exist, in no particular order."""

    def list_nodes(
        self,
        kind: str,
        *,
        within: Sequence[str] | None = None,
        domain: str | None = None,
        after: str | None = None,
        before: str | None = None,
        limit: int | None = None,
        visibility: Visibility | None = None,
        from_end: bool = False,
    ) -> list[Node]:
        """Nodes of a kind ordered by id, with ids between ``after`` and ``before`` (both excluded).

        ``limit``: the first so many of them, or with ``from_end`` the last so many (still in id order);

        ``within``: only nodes LOCATED_IN (a story: whose COVER_PLACE is) one of these place ids;
        ``visibility``: only what it lets through (None: everything).
        """

    def count_kind(
        self, kind: str, *, within: Sequence[str] | None = None, domain: str | None = None,
        visibility: Visibility | None = None,
    ) -> int: ...

    def count_kinds(self, kinds: Sequence[str], *, within: Sequence[str],
                    visibility: Visibility | None = None) -> int:
        """``count_kind`` summed over ``kinds`` (each node has one kind), in as few calls as the store
        can make it: the home page counts every kind within each region."""

    def relations(
        self, ids: Sequence[str], direction: Direction, types: Sequence[str]
    ) -> list[Relation]:
        """Relations of these types leaving (``out``) or reaching (``in``) the ids."""

    def iter_relations(self, rel: str) -> Iterator[Relation]:
        """Every relation of a type, ordered by (from, to)."""

    def delete_all(self) -> None:
        """Remove every node, relation and revision."""

    def apply(self, changes: Changes, progress: Progress | None = None) -> None:
        """Write ``changes`` in one transaction, first checking ``changes.expected`` versions
        under lock (raises Conflict), and record its revisions."""

    def apply_stream(self, changes: Iterable[Changes], progress: Progress | None = None, *,
                     creates_only: bool = False, batched: bool = False) -> None:
        """Write each ``Changes`` of ``changes``, in order, in one transaction, as ``apply`` writes
        one: a failure anywhere (a version check, a write, or the iterable itself raising) leaves the
        store as it was. The iterable is consumed as it is written, so its parts need never be in
        memory together (a national import, services/import_stream.py); a part may read the store,
        and then sees the parts before it.

        ``creates_only``: the caller has found that every record is new (a store may then load the
        parts with its bulk path). ``batched``: each part is committed on its own instead, for a
        store that cannot hold the whole in one transaction (Neo4j): a failure then leaves the
        parts before it written."""

    def revisions(self, ids: Sequence[str]) -> list[Revision]:
        """The revisions of these nodes and of their relations, oldest first."""

    def revisions_by_op(self, ops: Sequence[str]) -> list[Revision]:
        """Every revision made by one of these operations, oldest first."""

    def search(self, query: SearchQuery) -> SearchPage:
        """Ranked matches of a full-text query, with facet counts over all matches."""

    def write(self, nodes: Sequence[Node], relations: Sequence[Relation],
              progress: Progress | None = None) -> None:
        """Upsert nodes (with their sources) and relations in one transaction.

        ``progress`` is called with the number of records written after each batch.
        """

    # True when a read of a few ids costs well under a millisecond and never waits on a network
    # (an embedded store): the API then runs such reads on the event loop (api/context.py).
    inline_reads: bool

    def data_version(self) -> str | None:
        """A value that changes whenever a write (``apply``, ``delete_all``) commits, for in-process
        caches of what was read (api/response_cache.py, the explorer's pages). It must cost no I/O: it
        is called from the event loop on every anonymous request. None when no value can vouch for
        the data now (Neo4j, shared by replicas, between two background reads of its counter, or with
        ``HERITAGE_CACHE_CHECK_MS=0``): nothing is served from such caches then."""


def chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """Batches for UNWIND: large enough to amortize a call, small enough for memory."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def check_written(written: int, expected: int) -> None:
    """Refuse a relation batch that matched fewer endpoints than it names."""
    if written != expected:
        raise StoreQueryError(
            f"{expected - written} of {expected} relations name a node that does not exist; nothing was written"
        )


def check_versions(found: dict[tuple[str, ...], int], expected: dict[tuple[str, ...], int]) -> None:
    """Compare the versions read under lock (``found``: the records that exist) with those the
    writer expected (0: the record must not exist yet)."""
    for key, want in expected.items():
        what = key[1] if key[0] == "node" else f"{key[1]} from {key[2]!r} to {key[3]!r}"
        if key not in found:
            if want:
                raise Conflict(f"{what} no longer exists", key=key, current=None)
            continue
        have = found[key]
        if want == 0:
            raise Conflict(f"{what} already exists (version {have})", key=key, current=have)
        if have != want:
            raise Conflict(f"{what} changed: it is at version {have}, the change was based on version {want}",
                           key=key, current=have)


def by_type(keys: list[tuple[str, ...]]) -> dict[str, list[dict[str, str]]]:
    """Relation keys ("rel", type, from, to) grouped by type, as UNWIND rows."""
    out: dict[str, list[dict[str, str]]] = {}
    for _, rel, from_id, to_id in keys:
        out.setdefault(rel, []).append({"from": from_id, "to": to_id})
    return out


class WriteByApply:
    """Adapters' ``write``: ``apply`` with nothing but nodes and relations."""

    def apply(self, changes: Changes, progress: Progress | None = None) -> None:
        raise NotImplementedError

    def write(self, nodes: Sequence[Node], relations: Sequence[Relation],
              progress: Progress | None = None) -> None:
        self.apply(Changes(list(nodes), list(relations)), progress)


def merged(parts: Iterable[Changes]) -> Changes:
    """The parts of a stream as one ``Changes``, as writing them one after the other in one
    transaction would leave the store (for a store that writes a stream as one ``apply``): a record
    written twice is written as the later part has it, and a part's expected version of a record an
    earlier part wrote is checked against what that part wrote (a mismatch is a ``Conflict`` before
    anything is written); the others are checked by the store against what it holds."""
    nodes: dict[str, Node] = {}
    relations: dict[tuple[str, str, str], Relation] = {}
    removed: dict[tuple[str, str, str], Relation] = {}
    written: dict[tuple[str, ...], int] = {}
    out = Changes()
    for part in parts:
        for key, want in part.expected.items():
            if key in written:
                check_versions({key: written[key]}, {key: want})
            else:
                out.expected.setdefault(key, want)
        for n in part.nodes:
            nodes[n.id] = n
            written[("node", n.id)] = n.version
        for r in part.removed:
            relations.pop(r.key, None)
            removed[r.key] = r
            written.pop(("rel", *r.key), None)
        for r in part.relations:
            removed.pop(r.key, None)
            relations[r.key] = r
            written[("rel", *r.key)] = r.version
        out.revisions += part.revisions
        out.based_on = part.based_on
    out.nodes, out.relations, out.removed = list(nodes.values()), list(relations.values()), list(removed.values())
    return out
