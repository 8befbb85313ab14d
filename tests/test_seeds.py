"""The Peru demo inventory: complete, sourced, and importable."""

from __future__ import annotations

import pytest

from heritage_graph.cli import seed_files
from heritage_graph.model import Node, Relation
from heritage_graph.services.importer import parse_files, run_import
from heritage_graph.store.memory import MemoryStore


@pytest.fixture(scope="module")
def records() -> tuple[list[Node], list[Relation]]:
    parsed = parse_files(seed_files())
    assert not parsed.problems, parsed.problems
    return [loc.record for loc in parsed.nodes], [loc.record for loc in parsed.relations]  # type: ignore[return-value]


def test_seeds_import_cleanly_and_idempotently() -> None:
    store = MemoryStore()
    first = run_import(store, seed_files())
    assert first.nodes.created > 300 and first.relations.created > 300
    assert not run_import(store, seed_files()).changed


def test_every_node_and_relation_cites_a_source(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    assert [n.id for n in nodes if n.kind != "Source" and not n.sources] == []
    assert [r.key for r in rels if not r.sources] == []


def test_every_source_is_cited_and_has_a_url(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    cited = {s for n in nodes for s in n.sources} | {s for r in rels for s in r.sources}
    sources = [n for n in nodes if n.kind == "Source"]
    assert sources and all(n.properties.get("url", "").startswith("http") for n in sources)
    assert [n.id for n in sources if n.id not in cited] == []


def test_all_fourteen_unesco_elements(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = records
    inscribed = [n for n in nodes if n.properties.get("unesco")]
    assert len(inscribed) == 14
    assert {n.properties["unesco"]["list"] for n in inscribed} == {
        "representative", "urgent-safeguarding", "good-practices"}


def test_names_and_summaries_in_spanish_and_english(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = records
    missing = [n.id for n in nodes if n.kind != "Source" and not ({"es", "en"} <= set(n.names)
                                                                   and {"es", "en"} <= set(n.summary))]
    assert missing == []


def test_programme_regions_have_heritage(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    store = MemoryStore()
    store.write(nodes, rels)
    from heritage_graph.services.catalog import places_within

    for region in ("pe-ayacucho", "pe-cusco", "pe-lambayeque", "pe-puno"):
        within = places_within(store, region)
        found = sum(store.count_kind(k, within=within) for k in ("Tradition", "Craft", "Recipe"))
        assert found >= 3, region
        assert store.count_kind("Practitioner", within=within) >= 1 or region == "pe-lambayeque"


def test_place_hierarchy_reaches_the_country(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    parent = {r.from_id: r.to_id for r in rels if r.rel == "LOCATED_IN"}
    kinds = {n.id: n.kind for n in nodes}
    countries = {n.id for n in nodes if n.kind == "Place" and n.properties.get("level") == "country"}
    for n in nodes:
        if n.kind != "Place" or n.id in countries:
            continue
        seen, cur = set(), n.id
        while cur not in countries:
            assert cur not in seen and cur in parent, f"{n.id} does not nest up to a country"
            seen.add(cur)
            cur = parent[cur]
            assert kinds[cur] == "Place"
