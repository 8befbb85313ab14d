"""Hierarchies stay acyclic: imports name the line that would close a cycle, with the route."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heritage_graph.errors import ImportRejected
from heritage_graph.model import Node, Relation
from heritage_graph.services.cycles import closed_cycles
from heritage_graph.services.importer import run_import
from heritage_graph.store.base import Store


def _lines(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _place(i: str) -> Node:
    return Node("Place", i, i.upper())


def test_an_import_closing_a_cycle_through_the_store_names_its_line_and_the_route(store: Store,
                                                                                   tmp_path: Path) -> None:
    store.write([_place(i) for i in "abcd"], [Relation("LOCATED_IN", "b", "a"), Relation("LOCATED_IN", "c", "b")])
    f = _lines(tmp_path / "places.jsonl", [
        {"rel": "LOCATED_IN", "from": "e", "to": "c"},   # fine alone: e in c in b in a
        {"rel": "LOCATED_IN", "from": "a", "to": "d"},   # a in d, d in c: a → d → c → b → a
        {"rel": "LOCATED_IN", "from": "d", "to": "c"},
    ])
    store.write([_place("e")], [])
    with pytest.raises(ImportRejected) as err:
        run_import(store, [f])
    # Every line on the cycle is named: which of them is wrong is for the person importing to say.
    assert [(p.line, p.message) for p in err.value.problems] == [
        (2, "LOCATED_IN from 'a' to 'd' would close a cycle (a → d → c → b → a); LOCATED_IN is a hierarchy"),
        (3, "LOCATED_IN from 'd' to 'c' would close a cycle (d → c → b → a → d); LOCATED_IN is a hierarchy")]
    assert {r.key for r in store.iter_relations("LOCATED_IN")} == {("LOCATED_IN", "b", "a"), ("LOCATED_IN", "c", "b")}


def test_cycles_within_one_import_and_self_loops(store: Store, tmp_path: Path) -> None:
    store.write([Node("Tradition", t, t) for t in ("t1", "t2", "t3")], [])
    f = _lines(tmp_path / "parts.jsonl", [
        {"rel": "PART_OF", "from": "t1", "to": "t2"},
        {"rel": "PART_OF", "from": "t2", "to": "t1"},
        {"rel": "DERIVED_FROM", "from": "t3", "to": "t3"},
        {"rel": "ASSOCIATED_WITH", "from": "t1", "to": "t2"},
        {"rel": "ASSOCIATED_WITH", "from": "t2", "to": "t1"},   # not a hierarchy: a cycle is fine
    ])
    with pytest.raises(ImportRejected) as err:
        run_import(store, [f])
    messages = {p.line: p.message for p in err.value.problems}
    assert set(messages) == {1, 2, 3}
    assert "would close a cycle (t1 → t2 → t1)" in messages[1]
    assert "would close a cycle (t2 → t1 → t2)" in messages[2]
    assert messages[3] == "to: DERIVED_FROM from 't3' to itself; a relation links two different records"


def test_a_deep_chain_has_no_cycle_and_closing_it_has_one(store: Store) -> None:
    ids = [f"p{i}" for i in range(300)]
    store.write([_place(i) for i in ids], [Relation("LOCATED_IN", a, b) for a, b in zip(ids[1:], ids, strict=False)])
    assert closed_cycles(store, "LOCATED_IN", [("q", "p299")]) == {}
    found = closed_cycles(store, "LOCATED_IN", [("p0", "p299")])
    assert found == {0: ["p0", *reversed(ids)]}
