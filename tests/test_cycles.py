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


def test_a_cycle_through_a_record_the_curator_cannot_see_is_refused_without_saying_why(store: Store) -> None:
    from heritage_graph.auth import Principal
    from heritage_graph.services.curation import Curation, Rejected

    # later derives from a restricted record, which derives from earlier: later → hidden → earlier
    store.write([Node("Source", "src", "Fuente", properties={"title": "Informe", "type": "web"}),
                 Node("Tradition", "earlier", "Earlier", status="draft", sources=("src",)),
                 Node("Tradition", "zqhiddenx", "Hidden rite", sensitivity="restricted", sources=("src",)),
                 Node("Tradition", "later", "Later", status="draft", sources=("src",)),
                 Node("Tradition", "open-a", "Open A", status="draft", sources=("src",)),
                 Node("Tradition", "open-b", "Open B", status="draft", sources=("src",))],
                [Relation("DERIVED_FROM", "later", "zqhiddenx"), Relation("DERIVED_FROM", "zqhiddenx", "earlier"),
                 Relation("DERIVED_FROM", "open-b", "open-a")])
    curator = Curation(store, Principal(role="curator", name="field curator"))
    with pytest.raises(Rejected) as hidden_route:
        curator.add_relation({"rel": "DERIVED_FROM", "from": "earlier", "to": "later"})
    text = str(hidden_route.value) + " ".join(p.message for p in hidden_route.value.problems)
    assert "zqhiddenx" not in text and "Hidden" not in text and "cycle" not in text and "leads" not in text
    assert "cannot be added by this account" in text
    # A route the curator can read is told in full.
    with pytest.raises(Rejected) as open_route:
        curator.add_relation({"rel": "DERIVED_FROM", "from": "open-a", "to": "open-b"})
    assert "would close a cycle (open-a → open-b → open-a)" in " ".join(p.message for p in open_route.value.problems)
    # An admin, who reads every record, is told the route through it.
    admin = Curation(store, Principal(role="admin", name="admin"))
    with pytest.raises(Rejected) as told:
        admin.add_relation({"rel": "DERIVED_FROM", "from": "earlier", "to": "later"})
    assert "earlier → later → zqhiddenx → earlier" in " ".join(p.message for p in told.value.problems)
