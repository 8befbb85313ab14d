"""The stores' native lineage and path queries give the answers of the breadth-first searches.

On random graphs with hidden records (every status, sensitivity and consent, community-scoped
records whose communities PRACTICE or have as MEMBER_OF) and for every kind of reader, the lineage
of each node, both ways and at several depths, is the one the level-by-level search gives (each
node at its shortest depth through visible nodes, the same edges in the same order), and a path
is a shortest path through visible nodes, of the search's length, answered the same way every time.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heritage_graph.model import Node, Relation
from heritage_graph.services import graph
from heritage_graph.store.base import Store
from heritage_graph.visibility import EVERYTHING, PUBLIC, Gate, Visibility

from .conftest import PERSISTENT, consented, fresh_store

READERS = {
    "public": PUBLIC,
    "admin": EVERYTHING,
    "curator": Visibility((), ("public",), ("c0",), ("refused", "withdrawn")),
    "researcher": Visibility(("published",), ("public",), ("c1",), ("pending", "refused", "withdrawn")),
}


def random_world(seed: int, size: int = 36) -> tuple[list[Node], list[Relation]]:
    rng = random.Random(seed)
    nodes = [Node("Community", f"c{i}", f"C{i}") for i in range(3)]
    for i in range(size):
        props: dict[str, Any] = consented()
        roll = rng.random()
        if roll < 0.1:
            props["consent"] = {"status": rng.choice(["refused", "withdrawn", "pending"])}
        nodes.append(Node("Practitioner", f"p{i:02d}", f"P{i}", properties=props,
                          status=rng.choice(["published"] * 5 + ["draft"]),
                          sensitivity=rng.choice(["public"] * 5 + ["community", "community", "restricted"])))
    people = [n.id for n in nodes if n.kind == "Practitioner"]
    rels = {(rel, a, b) for _ in range(size * 2)
            for rel in [rng.choice(["LEARNED_FROM", "LEARNED_FROM", "KIN_OF"])]
            for a, b in [rng.sample(people, 2)]}
    rels |= {("MEMBER_OF", p, f"c{rng.randrange(3)}") for p in rng.sample(people, size // 3)}
    relations = [Relation(r, a, b, properties={"kinship": "parent"} if r == "KIN_OF" else {}) for r, a, b in rels]
    return nodes, relations


@pytest.fixture(params=PERSISTENT)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, list[Node]]]:
    with fresh_store(request, tmp_path) as store:
        nodes, relations = random_world(7)
        store.write(nodes, relations)
        yield store, nodes


def _lineage(store: Store, visibility: Visibility, node_id: str, ancestors: bool, depth: int,
             native: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(graph, "NATIVE", native)
    gate = Gate(store, visibility)
    found = graph.lineage(store, node_id, ancestors=ancestors, relation="LEARNED_FROM", max_depth=depth,
                          visible=gate.visible, fetch=gate.get_nodes)
    if found is None:
        return None
    return (found.root.id, found.depths, sorted(found.nodes), [e.key for e in found.edges],
            [found.nodes[i].name for i in sorted(found.nodes)])


def test_native_lineage_is_the_searched_one(world: tuple[Store, list[Node]],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store, nodes = world
    for reader, visibility in READERS.items():
        for n in nodes:
            for ancestors in (True, False):
                for depth in (1, 3, 10):
                    want = _lineage(store, visibility, n.id, ancestors, depth, False, monkeypatch)
                    got = _lineage(store, visibility, n.id, ancestors, depth, True, monkeypatch)
                    assert got == want, (reader, n.id, ancestors, depth)


def test_native_path_is_a_shortest_visible_path(world: tuple[Store, list[Node]],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store, nodes = world
    rng = random.Random(11)
    ids = [n.id for n in nodes]
    for reader, visibility in READERS.items():
        for _ in range(25):
            a, b = rng.sample(ids, 2)
            monkeypatch.setattr(graph, "NATIVE", False)
            gate = Gate(store, visibility)
            want = graph.path(store, a, b, max_depth=6, visible=gate.visible)
            monkeypatch.setattr(graph, "NATIVE", True)
            gate = Gate(store, visibility)
            got = graph.path(store, a, b, max_depth=6, visible=gate.visible, fetch=gate.get_nodes)
            again = graph.path(store, a, b, max_depth=6, visible=Gate(store, visibility).visible)
            assert (got is None) == (want is None), (reader, a, b)
            if got is None or want is None:
                continue
            assert got.length == want.length, (reader, a, b)
            assert [n.id for n in got.nodes] == [n.id for n in again.nodes]  # type: ignore[union-attr]
            path_ids = [n.id for n in got.nodes]
            assert path_ids[0] == a and path_ids[-1] == b
            assert gate.visible(path_ids) == set(path_ids)
            for (x, y), e in zip(itertools.pairwise(path_ids), got.edges, strict=True):
                assert {e.from_id, e.to_id} == {x, y}
