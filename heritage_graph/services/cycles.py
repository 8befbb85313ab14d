"""Cycles in hierarchies: the relation types the schema marks ``acyclic`` (places nest, elements
derive and are part of others) must never lead from a record back to itself.

The store holds no cycle (every write is checked), so a cycle can only be closed by new relations.
The check walks the store's relations of that type out from the new relations' targets, level by
level in batches, and looks for strongly connected components in the union of what it found and the
new relations: any new relation inside one closes a cycle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ..store.base import Store, chunks

# Ids per store read of a level: a store may answer a long list with one scan.
_CHUNK = 100_000


def closed_cycles(store: Store, rel: str, new: Sequence[tuple[str, str]]) -> dict[int, list[str]]:
    """For each new relation (index in ``new``) that closes a cycle of ``rel``, the cycle as ids,
    starting and ending at its ``from``."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in new:
        graph[a].add(b)
    expanded: set[str] = set()
    frontier = {b for _, b in new}
    while frontier:
        expanded |= frontier
        found: set[str] = set()
        for chunk in chunks(sorted(frontier), _CHUNK):
            for r in store.relations(chunk, "out", [rel]):
                graph[r.from_id].add(r.to_id)
                found.add(r.to_id)
        frontier = {n for n in found | {b for n in frontier for b in graph.get(n, ())}} - expanded
    component = _components(graph)
    cycles: dict[int, list[str]] = {}
    for i, (a, b) in enumerate(new):
        if component.get(a) is not None and component.get(a) == component.get(b):
            cycles[i] = [a, *_route(graph, b, a, component)]
    return cycles


def _components(graph: dict[str, set[str]]) -> dict[str, int]:
    """Tarjan's strongly connected components, iteratively (hierarchies run deep); only nodes in a
    component of two or more are listed (self-loops are refused before this)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: dict[str, int] = {}
    counter = 0
    for root in list(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    for member in members:
                        out[member] = index[node]
    return out


def _route(graph: dict[str, set[str]], start: str, goal: str, component: dict[str, int]) -> list[str]:
    """A shortest route from ``start`` to ``goal`` inside their component."""
    parents: dict[str, str | None] = {start: None}
    frontier = [start]
    while frontier and goal not in parents:
        nxt = []
        for n in frontier:
            for m in sorted(graph.get(n, ())):
                if m not in parents and component.get(m) == component.get(start):
                    parents[m] = n
                    nxt.append(m)
        frontier = nxt
    route: list[str] = []
    cur: str | None = goal
    while cur is not None:
        route.append(cur)
        cur = parents.get(cur)
    return route[::-1]
