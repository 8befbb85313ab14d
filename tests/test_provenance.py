"""Provenance: who recorded what and when, the provenance query, and the
N+1 guarantee of the loaders."""

from __future__ import annotations

import json
from pathlib import Path

from heritage_graph.services.importer import run_import
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import LadybugStore

from .conftest import GraphQLClient

PROVENANCE = """query($id: ID!) { provenance(id: $id) {
  node { id } recordedBy recordedAt updatedAt
  relations { type from to sources { id } }
  sources { source { id title url } record relations { type from to } }
} }"""


def test_provenance_says_which_claims_each_source_supports(gql: GraphQLClient) -> None:
    data = gql(PROVENANCE, id="jesus-urbano-rojas")["provenance"]
    assert data["recordedBy"] == "heritage-graph seed" and data["recordedAt"].endswith("Z")
    by_source = {s["source"]["id"]: s for s in data["sources"]}
    teacher = next(r for r in data["relations"] if r["type"] == "LEARNED_FROM" and r["to"] == "joaquin-lopez-antay")
    for src in teacher["sources"]:
        assert {"type": "LEARNED_FROM", "from": "jesus-urbano-rojas", "to": "joaquin-lopez-antay"} in \
            by_source[src["id"]]["relations"]
    node = gql('query($id: ID!) { node(id: $id) { sources { id } } }', id="jesus-urbano-rojas")["node"]
    for src in node["sources"]:
        assert by_source[src["id"]]["record"] is True
    cited = {s["id"] for r in data["relations"] for s in r["sources"]} | {s["id"] for s in node["sources"]}
    assert cited == set(by_source)


def test_provenance_of_unknown_id_is_null(gql: GraphQLClient) -> None:
    assert gql(PROVENANCE, id="nope") == {"provenance": None}


def test_relations_show_who_recorded_them(gql: GraphQLClient) -> None:
    data = gql('{ node(id: "jesus-urbano-rojas") { recordedBy ... on Practitioner { teachers { recordedBy '
               'recordedAt updatedAt } } } }')["node"]
    assert data["recordedBy"] == "heritage-graph seed"
    assert all(t["recordedBy"] == "heritage-graph seed" and t["recordedAt"] for t in data["teachers"])


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_import_sets_and_later_writes_keep_who_and_when(store: Store, tmp_path: Path) -> None:
    src = {"kind": "Source", "id": "s", "name": "S"}
    node = {"kind": "Place", "id": "p", "name": "P", "sources": ["s"]}
    run_import(store, [_write(tmp_path / "a.jsonl", [src, node])], actor="ana")
    first = store.get_nodes(["p"])[0]
    assert first.recorded_by == "ana" and first.recorded_at == first.updated_at
    run_import(store, [_write(tmp_path / "b.jsonl", [src, node])], actor="beto")
    assert store.get_nodes(["p"])[0] == first, "an unchanged record keeps its stamps"
    run_import(store, [_write(tmp_path / "c.jsonl", [src, {**node, "name": "P2"}])], actor="beto")
    second = store.get_nodes(["p"])[0]
    assert (second.recorded_by, second.recorded_at) == ("ana", first.recorded_at)
    assert second.updated_at is not None and second.updated_at >= first.updated_at  # type: ignore[operator]


def test_provenance_fields_travel_in_the_interchange_format(store: Store, tmp_path: Path) -> None:
    line = {"kind": "Source", "id": "s", "name": "S", "recorded_by": "field team",
            "recorded_at": "2012-06-07T10:00:00Z", "updated_at": "2013-01-01T00:00:00Z"}
    run_import(store, [_write(tmp_path / "a.jsonl", [line])], actor="someone else")
    got = store.get_nodes(["s"])[0]
    assert (got.recorded_by, got.recorded_at, got.updated_at) == (
        "field team", "2012-06-07T10:00:00Z", "2013-01-01T00:00:00Z")


def test_store_calls_grow_with_depth_not_results(tmp_path: Path, seeded_store: Store) -> None:
    from heritage_graph.app import create_app
    from heritage_graph.settings import Settings

    from .conftest import Client
    from .conftest import GraphQLClient as G

    assert isinstance(seeded_store, LadybugStore)
    client = Client(create_app(Settings(), store=seeded_store))
    gql = G(client)
    query = """query($n: Int) { practitioners(first: $n) { edges { node { name sources { id }
      ... on Practitioner {
        teachers { period sources { id } node { name ... on Practitioner { locatedIn { node { name } } } } }
                            kin { node { name } } practices { node { name } } } } } } }"""
    counts, related = {}, {}
    for n in (5, 25):
        before = seeded_store.calls
        data = gql(query, n=n)
        counts[n] = seeded_store.calls - before
        edges = data["practitioners"]["edges"]
        assert len(edges) == n
        related[n] = sum(len(e["node"]["teachers"]) + len(e["node"]["kin"]) + len(e["node"]["practices"])
                         for e in edges)
    client.close()
    # 25 practitioners with their relations: one store call per loader and level of the query
    # (listing, count, then sources, teachers, kin both ways, practices; then the teachers and their
    # places), however many results there are.
    assert related[25] > 50
    assert counts[5] <= 12 and counts[25] <= 12, counts
