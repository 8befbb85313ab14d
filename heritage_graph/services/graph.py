"""Lineage and path queries: a native query or two on the Cypher stores, breadth-first searches otherwise.

On LadybugDB a lineage is one recursive query (``lineage_reach``, cypher/ladybug/reach.cypher: each
node within maxDepth at its shortest depth, with its data and the relations reaching it); on LadybugDB
and Neo4j a path is one shortest-path query (``shortest_paths``, cypher/*/relations.cypher); so a
request makes a handful of store calls whatever the size of its answer. Neo4j 5.26 plans a lineage's
``SHORTEST 1`` with an open end by enumerating paths (past 120 s on a dense 12-level lineage), so there a
lineage stays the level-by-level search below: store calls bounded by the depth, not by the results.
The native queries ask for shortest paths only (``SHORTEST``, ``ALL SHORTEST`` with both ends bound and
a cap on how many), never every path.

Visibility: a lineage's reach is read blind and walked again here through the visible nodes only
(Ladybug evaluates a recursive pattern's node predicate by scanning the node table first, while a
reach is a few dozen nodes: cypher/ladybug/reach.cypher); a path is searched blind first and,
only when each shortest path crosses a hidden node, again with the reader's rule (the VISIBLE fragment,
community scope included) inside the engine's search. Either way hidden nodes are neither shown nor
crossed, and the answers are those of the searches below.

A store without those queries (the in-memory fake, Neo4j's lineage) gets the breadth-first searches: one store call per
level, each an index lookup on the frontier, with the same answers (tests/test_graph_native.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .. import schema
from ..errors import InvalidInput, NotFound
from ..model import Node, Relation
from ..store.base import GraphQueries, ShortestPath, Store
from ..store.cypher import MAX_DEPTH
from ..visibility import EVERYTHING, Gate, Visibility, Visible, everyone

LINEAGE_RELATIONS = ("LEARNED_FROM", "DERIVED_FROM")
# Provenance and editorial links are not heritage connections: a path runs
# through them only when asked to.
PATH_DEFAULT_EXCLUDED = ("DOCUMENTED_BY", "FEATURES", "COVER_PLACE")
# The maxDepth of a lineage and of a path when none is given (GraphQL and the /export routes alike).
LINEAGE_DEPTH = 10
PATH_DEPTH = 6
# Reads nodes by id: the store's get_nodes, or a reader's Gate, which has already read the nodes
# it judged visible and so saves reading them twice.
Fetch = Callable[[Sequence[str]], list[Node]]
# Off: every lineage and path as the breadth-first searches (bench/graph_queries.py compares the two).
NATIVE = True
# How many shortest paths path() reads to choose one; with more, it falls back to the breadth-first search.
PATH_CAP = 256


@dataclass
class Lineage:
    root: Node
    depths: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Relation] = field(default_factory=list)


@dataclass
class Path:
    nodes: list[Node]
    edges: list[Relation]

    @property
    def length(self) -> int:
        return len(self.edges)


def check_depth(value: int, cap: int, name: str = "maxDepth") -> int:
    if value < 1 or value > cap:
        raise InvalidInput(f"{name} must be between 1 and {cap}, got {value}", field=name)
    return value


def require_visible(visible: Visible, ids: dict[str, str]) -> None:
    """NOT_FOUND naming the argument whose record does not exist or may not be read: the two read the
    same, so an error never tells that a hidden record exists. ``ids``: argument name -> id."""
    shown = visible(list(ids.values()))
    for argument, node_id in ids.items():
        if node_id not in shown:
            raise not_found(argument, node_id)


def not_found(argument: str, node_id: str) -> NotFound:
    return NotFound(f"{argument}: no record has the id {node_id!r}", field=argument)


def native(store: Store, max_depth: int, query: str) -> GraphQueries | None:
    """The store, if it has the native ``query`` (``lineage_reach``: the embedded store;
    ``shortest_paths``: both), ``NATIVE`` is on and the depth is one its text can be written with
    (``MAX_DEPTH``: a server may allow deeper requests, HERITAGE_MAX_DEPTH)."""
    usable = NATIVE and hasattr(store, query) and max_depth <= MAX_DEPTH
    return store if usable else None  # type: ignore[return-value]


def visibility_of(visible: Visible) -> Visibility | None:
    """The rule behind a ``visible``: a Gate's, everything for ``everyone``, None for another callable."""
    gate = getattr(visible, "__self__", None)
    if isinstance(gate, Gate) and getattr(visible, "__func__", None) is Gate.visible:
        return gate.visibility
    return EVERYTHING if visible is everyone else None


def lineage(store: Store, node_id: str, *, ancestors: bool, relation: str, max_depth: int,
            visible: Visible = everyone, fetch: Fetch | None = None) -> Lineage | None:
    """Each node once, at its shortest depth; hidden nodes are neither shown nor crossed. The edges: the
    relations from nodes short of ``max_depth`` (the root included) to nodes reached, level by level,
    each level in (from, to) order."""
    if relation not in LINEAGE_RELATIONS:
        raise InvalidInput(f"relation must be one of {', '.join(LINEAGE_RELATIONS)}", field="relation")
    fetch = fetch or store.get_nodes
    found = fetch([node_id]) if visible([node_id]) else []
    if not found:
        return None
    result = Lineage(root=found[0])
    queries = native(store, max_depth, "lineage_reach")
    if queries is not None:
        return _native_lineage(store, queries, result, relation, ancestors, max_depth, visible)
    seen = {node_id}
    frontier = [node_id]
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        rels = store.relations(frontier, "out" if ancestors else "in", [relation])
        allowed = visible({r.to_id if ancestors else r.from_id for r in rels})
        nxt: list[str] = []
        for r in sorted(rels, key=lambda r: (r.from_id, r.to_id)):
            far = r.to_id if ancestors else r.from_id
            if far not in allowed:
                continue
            if far not in seen:
                seen.add(far)
                result.depths[far] = depth
                nxt.append(far)
            result.edges.append(r)
        frontier = nxt
    for n in fetch(list(result.depths)):
        result.nodes[n.id] = n
    result.edges = [e for e in result.edges if e.from_id in seen and e.to_id in seen]
    return result


def _native_lineage(store: Store, queries: GraphQueries, result: Lineage, relation: str, ancestors: bool,
                    max_depth: int, visible: Visible) -> Lineage:
    """The lineage from one native query, the reach (every node within ``max_depth`` whoever may see
    it, with its data and the relations reaching it), and the root's own such relations: the same
    level-by-level walk as below, over what those two calls read, through visible nodes only. A walk
    through visible nodes never leaves the reach, and the reach holds every relation it could take, so
    the answer is the search's, in the search's order. A Gate judges the nodes read by the reach
    without reading them again (only the communities of community-scoped records, for a reader whose
    token has a community)."""
    root = result.root.id
    reached = {r.node.id: r for r in queries.lineage_reach(root, relation, ancestors=ancestors,
                                                           max_depth=max_depth) if r.node.id != root}
    gate = getattr(visible, "__self__", None)
    if isinstance(gate, Gate):
        gate.judge([r.node for r in reached.values()])
    shown = visible(list(reached)) | {root}
    into = {i: r.edges for i, r in reached.items()}
    into[root] = store.relations([root], "in" if ancestors else "out", [relation])

    def near(e: Relation) -> str:
        return e.from_id if ancestors else e.to_id

    leaving: dict[str, list[Relation]] = {}
    for far, edges in into.items():
        if far in shown:
            for e in edges:
                leaving.setdefault(near(e), []).append(e)
    seen = {root}
    frontier = [root]
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        nxt: list[str] = []
        for e in sorted((e for n in frontier for e in leaving.get(n, ())), key=lambda e: (e.from_id, e.to_id)):
            far = e.to_id if ancestors else e.from_id
            if far not in seen:
                seen.add(far)
                result.depths[far] = depth
                result.nodes[far] = reached[far].node
                nxt.append(far)
            result.edges.append(e)
        frontier = nxt
    return result


def path(store: Store, from_id: str, to_id: str, *, max_depth: int,
         relation_types: Sequence[str] | None = None, visible: Visible = everyone,
         fetch: Fetch | None = None) -> Path | None:
    """The shortest connection, following each relation in either direction, through visible nodes only.

    On a store with ``shortest_paths``, the engine's shortest-path search finds every shortest path
    (``_native_path``: no connection within ``max_depth`` is the engine's exhaustive search, not ours)
    and the least through visible nodes by ``_path_key`` is the answer: the same on both stores,
    whatever order each finds them in. With ``PATH_CAP`` or more shortest paths (hubs between the
    two), or without the native query, the answer is the breadth-first search's (``_searched_path``):

    Judging every node a search reaches costs a read of each (thousands past a hub: a tradition's
    practitioners, a department's records), while hidden records are few. So the search first runs
    blind to visibility, except for the nodes already found hidden, and then judges only the path
    it found; a hidden node on it is blocked and the search runs again. Each answer is a shortest
    path among the nodes not blocked; the first whose nodes are all visible is a shortest path
    through visible nodes (blocking only ever removes hidden ones). Past ``OPTIMISTIC_TRIES`` it
    judges every node as it goes.
    """
    types = list(relation_types) if relation_types else [
        r for r in schema.RELATIONS if r not in PATH_DEFAULT_EXCLUDED
    ]
    fetch = fetch or store.get_nodes
    ends = {n.id: n for n in fetch(sorted(visible([from_id, to_id])))}
    if from_id not in ends or to_id not in ends:
        return None
    if from_id == to_id:
        return Path([ends[from_id]], [])
    queries = native(store, max_depth, "shortest_paths")
    if queries is not None:
        found = _native_path(queries, from_id, to_id, types, max_depth, visible)
        if found is not None:
            ids, edges = found
            if not ids:
                return None
            by_id = {n.id: n for n in fetch(ids)}
            return Path([by_id[i] for i in ids], edges)
    return _searched_path(store, from_id, to_id, types, max_depth, visible, fetch)


def _native_path(queries: GraphQueries, from_id: str, to_id: str, types: list[str], max_depth: int,
                 visible: Visible) -> tuple[list[str], list[Relation]] | None:
    """A shortest path through visible nodes from the store's shortest-path queries (([], []) when there
    is none), or None when they cannot tell (too many shortest paths, or no rule to push into them).

    The first query is blind to visibility, as the engine searches fastest (it returns [] when nothing
    connects the two within ``max_depth``, having searched everything it could reach); a path through
    visible nodes is never shorter than it, so when some of its shortest paths cross visible nodes only,
    those are exactly the shortest visible ones. When each crosses a hidden node, the second carries the
    reader's rule into the search."""
    blind = queries.shortest_paths(from_id, to_id, types, max_depth=max_depth, visibility=None, cap=PATH_CAP)
    if not blind:
        return [], []
    if len(blind) >= PATH_CAP:
        return None
    shown = visible({i for p in blind for i in p.ids})
    paths = [p for p in blind if shown.issuperset(p.ids)]
    if not paths:
        visibility = visibility_of(visible)
        if visibility is None:
            return None
        paths = queries.shortest_paths(from_id, to_id, types, max_depth=max_depth, visibility=visibility,
                                       cap=PATH_CAP)
        if not paths:
            return [], []
        if len(paths) >= PATH_CAP:
            return None
    chosen = min(paths, key=_path_key)
    return chosen.ids, chosen.edges


def _path_key(p: ShortestPath) -> tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]]:
    """Of several shortest paths, the one path() answers: the least by its relations' (type, from, to)
    in order from ``from``, as the breadth-first search tries them, then by node ids. Both stores find
    the same set, so they answer the same path."""
    return tuple(e.key for e in p.edges), tuple(p.ids)


def _searched_path(store: Store, from_id: str, to_id: str, types: list[str], max_depth: int,
                   visible: Visible, fetch: Fetch) -> Path | None:
    """path() by bidirectional breadth-first searches over the store port (see path())."""
    blocked: set[str] = set()

    def not_blocked(ids: Iterable[str]) -> set[str]:
        return set(ids) - blocked

    for _ in range(OPTIMISTIC_TRIES):
        found = _shortest(store, from_id, to_id, types, max_depth, not_blocked)
        if found is None:
            return None
        hidden = set(found[0]) - visible(found[0])
        if not hidden:
            break
        blocked |= hidden
    else:
        found = _shortest(store, from_id, to_id, types, max_depth, visible)
        if found is None:
            return None
    ids, edges = found
    by_id = {n.id: n for n in fetch(ids)}
    return Path([by_id[i] for i in ids], edges)


# How many times path() searches blind to visibility before judging every node it reaches.
OPTIMISTIC_TRIES = 8


def _shortest(store: Store, from_id: str, to_id: str, types: list[str], max_depth: int,
              allowed_of: Visible) -> tuple[list[str], list[Relation]] | None:
    """Bidirectional breadth-first search, expanding the smaller frontier each round, crossing only
    the nodes ``allowed_of`` lets through: the ids and relations of a shortest path, or None."""
    parents: list[dict[str, tuple[str, Relation] | None]] = [{from_id: None}, {to_id: None}]
    frontiers = [[from_id], [to_id]]
    depth = 0
    meet: str | None = None
    while frontiers[0] and frontiers[1] and depth < max_depth and meet is None:
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        here, there = parents[side], parents[1 - side]
        rels = store.relations(frontiers[side], "out", types) + store.relations(frontiers[side], "in", types)
        nxt: list[str] = []
        frontier_set = set(frontiers[side])
        allowed = allowed_of({r.to_id if r.from_id in frontier_set else r.from_id for r in rels})
        for r in sorted(rels, key=lambda r: (r.rel, r.from_id, r.to_id)):
            near, far = (r.from_id, r.to_id) if r.from_id in frontier_set else (r.to_id, r.from_id)
            if far in here or far not in allowed:
                continue
            here[far] = (near, r)
            nxt.append(far)
            if far in there and meet is None:
                meet = far
        frontiers[side] = nxt
        depth += 1
    if meet is None:
        return None
    ids: list[str] = []
    edges: list[Relation] = []
    cur: str | None = meet
    while cur is not None:
        ids.append(cur)
        step = parents[0][cur]
        if step is not None:
            edges.append(step[1])
        cur = step[0] if step else None
    ids.reverse()
    edges.reverse()
    cur = meet
    while True:
        step = parents[1][cur]
        if step is None:
            break
        cur = step[0]
        ids.append(cur)
        edges.append(step[1])
    return ids, edges
