"""Store calls per request are bounded by the query's depth, never by the number of results.

The app serves a store through a counting proxy around the store port (every read method of
heritage_graph/store/base.py ``Store`` and ``GraphQueries``), over the same inventory at two sizes,
the second with ten times the results for every query (relations of a node, lineage nodes at each
level, shortest paths, search hits, listing items, with hidden records among them). Each query makes
the same number of store calls at both sizes, and no more than its bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from heritage_graph.app import create_app
from heritage_graph.model import Node, Relation
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store

from .conftest import PERSISTENT, Client, consented, fresh_store

# The store port's reads: what a request may call.
READS = frozenset({
    "count_nodes", "get_nodes", "list_nodes", "count_kind", "relations", "iter_relations", "child_places",
    "revisions", "revisions_by_op", "search", "lineage_reach", "shortest_paths",
})


class Counting:
    """The store, with a count of the calls made through its port's read methods."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name not in READS:
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return found(*args, **kwargs)

        return counted


def inventory(k: int) -> tuple[list[Node], list[Relation]]:
    """`hub` with 5k relations; a lineage from `root` 3k teachers wide at every level down to 12 levels;
    3k shortest paths between `left` and `right`; 5k records named "ceramista"; one in five hidden."""
    def person(i: str, hidden: bool = False) -> Node:
        return Node("Practitioner", i, f"ceramista {i}", properties=consented(),
                    status="draft" if hidden else "published")

    nodes = [person("hub"), person("root"), person("left"), person("right")]
    rels: list[Relation] = []
    for i in range(5 * k):
        nodes.append(person(f"kin{i:03d}", hidden=i % 5 == 4))
        ends = ("hub", f"kin{i:03d}") if i % 2 else (f"kin{i:03d}", "hub")  # relations both ways
        rels.append(Relation("KIN_OF", *ends, properties={"kinship": "parent"}))
    previous = ["root"]
    for level in range(12):
        layer = [f"t{level:02d}-{i:03d}" for i in range(3 * k)]
        nodes += [person(t, hidden=i % 5 == 4 and level > 0) for i, t in enumerate(layer)]
        rels += [Relation("LEARNED_FROM", p, t) for p in previous for t in layer]
        previous = [t for i, t in enumerate(layer) if i % 5 != 4]
    for i in range(3 * k):
        nodes.append(person(f"mid{i:03d}", hidden=i % 5 == 4))
        rels += [Relation("LEARNED_FROM", "left", f"mid{i:03d}"), Relation("LEARNED_FROM", f"mid{i:03d}", "right")]
    return nodes, rels


QUERIES: dict[str, tuple[str, Callable[[dict[str, Any]], int], int]] = {
    # name: (query, size of the answer, most store calls)
    "node": ('{ node(id: "hub") { id name relations { type node { id name } } } }',
             lambda d: len(d["node"]["relations"]), 4),
    "node, two levels": ('{ node(id: "hub") { relations { node { id relations { node { id } } } } } }',
                         lambda d: len(d["node"]["relations"]), 6),
    "lineage 3": ('{ lineage(id: "root", maxDepth: 3) { nodes { depth node { id name } } edges { from to } } }',
                  lambda d: len(d["lineage"]["nodes"]), 4),
    "lineage 12": ('{ lineage(id: "root", maxDepth: 12) { nodes { depth node { id name } } edges { from to } } }',
                   lambda d: len(d["lineage"]["nodes"]), 4),
    "descendants 12": ('{ lineage(id: "t11-000", direction: DESCENDANTS, maxDepth: 12) { nodes { node { id } } } }',
                       lambda d: len(d["lineage"]["nodes"]), 4),
    "path": ('{ path(from: "left", to: "right", maxDepth: 8) { length nodes { id name } edges { from to } } }',
             lambda d: d["path"]["length"], 4),
    "no path": ('{ path(from: "hub", to: "right", maxDepth: 8) { length } }', lambda d: 0, 4),
    "search": ('{ search(query: "ceramista", first: 100) { totalCount edges { node { id name } } } }',
               lambda d: d["search"]["totalCount"], 4),
    "listing": ('{ practitioners(first: 100) { totalCount edges { node { id name } } } }',
                lambda d: d["practitioners"]["totalCount"], 4),
}


@pytest.fixture(scope="module", params=PERSISTENT)
def counted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[dict[Any, Any]]:
    """Per size, per query: (store calls, size of the answer); and the store's name."""
    out: dict[Any, Any] = {"dialect": request.param}
    for k in (1, 10):
        folder: Path = tmp_path_factory.mktemp(f"calls{k}")
        with fresh_store(request, folder) as store:
            store.write(*inventory(k))
            proxy = Counting(store)
            # Counts, not times: a cold Neo4j on a busy machine may take a while to plan the first queries.
            settings = Settings(cache_max_age=0, cache_entries=0, time_budget_anonymous=120.0)
            client = Client(create_app(settings, store=proxy))  # type: ignore[arg-type]
            try:
                out[k] = {}
                for name, (query, size, _) in QUERIES.items():
                    proxy.calls.clear()
                    r = client.post("/graphql", json={"query": query})
                    body = r.json()
                    assert r.status_code == 200 and not body.get("errors"), (k, name, body)
                    out[k][name] = (len(proxy.calls), size(body["data"]))
            finally:
                client.close()
            if request.param == "neo4j":
                store.delete_all()
    yield out


@pytest.mark.parametrize("name", list(QUERIES))
def test_store_calls_do_not_grow_with_the_results(counted: dict[Any, Any],
                                                  name: str) -> None:
    (small, small_size), (large, large_size) = counted[1][name], counted[10][name]
    bound = QUERIES[name][2]
    if counted["dialect"] == "neo4j" and "lineage" in QUERIES[name][0]:
        bound = 2 * int(QUERIES[name][0].split("maxDepth: ")[1].split(")")[0]) + 3  # level by level
    if name not in ("path", "no path"):
        assert large_size >= 5 * small_size > 0, (small_size, large_size)
    assert small == large, f"{name}: {small} store calls for {small_size} results, {large} for {large_size}"
    assert large <= bound, f"{name}: {large} store calls"
