"""Lineage and path queries, as breadth-first searches over the store port.

Searching level by level (one store call per level, each an index lookup on
the frontier) gives each node at its shortest depth, never loops on cycles and
never enumerates the exponential number of paths a variable-length pattern
can; it also keeps every traversal in one place, where later visibility rules
can prune hidden nodes before they are crossed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .. import schema
from ..errors import InvalidInput, NotFound
from ..model import Node, Relation
from ..store.base import Store
from ..visibility import Visible, everyone

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


def lineage(store: Store, node_id: str, *, ancestors: bool, relation: str, max_depth: int,
            visible: Visible = everyone, fetch: Fetch | None = None) -> Lineage | None:
    """Each node once, at its shortest depth; hidden nodes are neither shown nor crossed."""
    if relation not in LINEAGE_RELATIONS:
        raise InvalidInput(f"relation must be one of {', '.join(LINEAGE_RELATIONS)}", field="relation")
    fetch = fetch or store.get_nodes
    found = fetch([node_id]) if visible([node_id]) else []
    if not found:
        return None
    result = Lineage(root=found[0])
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


def path(store: Store, from_id: str, to_id: str, *, max_depth: int,
         relation_types: Sequence[str] | None = None, visible: Visible = everyone,
         fetch: Fetch | None = None) -> Path | None:
    """The shortest connection, following each relation in either direction, through visible nodes only.

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
