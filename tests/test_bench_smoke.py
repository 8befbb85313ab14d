"""A tiny run of the national-scale benchmark suite (bench/): the generator writes valid, exact,
deterministic inventories whose probes are public; the COPY FROM baseline loads the very rows the
import writes; and every measuring step of the suite runs and reports. Nothing here is timed."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from heritage_graph.services.discovery import search
from heritage_graph.services.exporter import export_to
from heritage_graph.services.importer import run_import
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.visibility import PUBLIC, is_public

# bench/ holds scripts, not a package: its modules import each other by name.
sys.path.append(str(Path(__file__).resolve().parent.parent / "bench"))
import bulkload
import figures
import floor
import generate
import native
import report
import suite
from plan import SIZES, PlanError, make_plan

NODES, RELATIONS, SEED = 300, 1000, 7


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("bench") / "inventory"
    return folder, generate.generate(make_plan(NODES, RELATIONS, SEED), folder)


@pytest.fixture(scope="module")
def imported(inventory: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, manifest = inventory
    db = tmp_path_factory.mktemp("bench") / "store"
    store = LadybugStore(db).open()
    try:
        store.init()
        report_ = run_import(store, [folder / f for f in manifest["files"]], actor="bench")
    finally:
        store.close()
    assert (report_.nodes.created, report_.relations.created) == (NODES, manifest["counts"]["relation_lines"])
    return db


def test_inventory_is_exact_deterministic_and_andean(inventory: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    folder, manifest = inventory
    counts = manifest["counts"]
    assert sum(counts["nodes_by_kind"].values()) == NODES
    assert sum(counts["relations_by_type"].values()) == RELATIONS
    assert set(counts["nodes_by_kind"]) == {"Source", "Place", "Organization", "Community", "Tradition", "Craft",
                                            "Recipe", "Practitioner", "Story"}
    assert max(int(level) for level in counts["levels"]) <= generate.MAX_LEVEL
    again = generate.generate(make_plan(NODES, RELATIONS, SEED), tmp_path / "again")
    other = generate.generate(make_plan(NODES, RELATIONS, SEED + 1), tmp_path / "other")
    for name in generate.FILES:
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes()
    assert (tmp_path / "other" / generate.FILES[1]).read_bytes() != (folder / generate.FILES[1]).read_bytes()
    assert again["probes"] == manifest["probes"] and other["probes"] != manifest["probes"]
    text = (folder / generate.FILES[1]).read_text(encoding="utf-8")
    assert "'" in text and "ñ" in text and "á" in text
    nodes = [json.loads(line) for line in text.splitlines()]
    assert all(set(n["names"]) == {"es", "en"} for n in nodes)
    cited = sum(1 for n in nodes if n.get("sources"))
    assert cited > len(nodes) // 3


def test_plan_refuses_sizes_the_shape_cannot_take() -> None:
    with pytest.raises(PlanError, match="at least 100"):
        make_plan(50, 200)
    with pytest.raises(PlanError, match="too few"):
        make_plan(NODES, 100)
    with pytest.raises(PlanError, match="too many"):
        make_plan(NODES, 100_000)
    default = make_plan(*SIZES["default"])
    assert default.places == 1 + 25 + default.provinces + default.districts + default.localities
    assert sum(q.target for q in default.quotas.values()) + default.mandatory == 5_000_000


def test_imported_probes_exist_and_are_public(inventory: tuple[Path, dict[str, Any]], imported: Path) -> None:
    _, manifest = inventory
    probes = manifest["probes"]
    ids = (probes["node"] + [p["id"] for p in probes["lineage"]] + [i for pair in probes["path"] for i in pair]
           + probes["story"])
    assert probes["node"] and probes["lineage"] and probes["path"] and probes["story"] and probes["search"]
    store = LadybugStore(imported, read_only=True).open()
    try:
        found = {n.id: n for n in store.get_nodes(sorted(set(ids)))}
        assert set(found) == set(ids)
        assert all(is_public(n) for n in found.values())
        for phrase in probes["search"][:5]:
            assert len(phrase.split()) == 3
            assert search(store, phrase, visibility=PUBLIC).total >= 1, phrase
    finally:
        store.close()


def _without_stamps(store: LadybugStore) -> list[dict[str, Any]]:
    out = io.StringIO()
    export_to(store, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    for line in lines:
        for key in ("recorded_by", "recorded_at", "updated_at"):
            line.pop(key, None)
    return lines


def test_copy_from_loads_the_rows_the_import_wrote(inventory: tuple[Path, dict[str, Any]], imported: Path,
                                                   tmp_path: Path) -> None:
    folder, _ = inventory
    result = bulkload.run(folder, tmp_path / "copy", tmp_path / "csv")
    assert result["rows"] == NODES + RELATIONS and not result["csv_reused"]
    stores = [LadybugStore(imported, read_only=True).open(), LadybugStore(tmp_path / "copy", read_only=True).open()]
    try:
        assert _without_stamps(stores[0]) == _without_stamps(stores[1])
    finally:
        for s in stores:
            s.close()
    with pytest.raises(ValueError, match="cannot be written as a CSV list"):
        bulkload._cell(["maíz, papa"], "STRING[]", "somewhere")


def test_copy_from_takes_line_breaks_through_a_serial_file(tmp_path: Path) -> None:
    lines = [{"kind": "Source", "id": "s", "name": "S"},
             {"kind": "Practitioner", "id": "a", "name": "Ñusta Q'espi", "sources": ["s"]},
             {"kind": "Practitioner", "id": "b", "name": "Túpac Ayme"},
             {"rel": "LEARNED_FROM", "from": "a", "to": "b", "note": "first line\nsecond, \"quoted\" line"}]
    (tmp_path / "all.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": 3, "relations": 2, "files": ["all.jsonl"]}))
    result = bulkload.run(tmp_path, tmp_path / "copy", tmp_path / "csv")
    assert result["rows"] == 5 and (tmp_path / "csv" / "LEARNED_FROM-serial.csv").exists()
    store = LadybugStore(tmp_path / "copy", read_only=True).open()
    try:
        [rel] = store.relations(["a"], "out", ["LEARNED_FROM"])
        assert rel.note == "first line\nsecond, \"quoted\" line" and rel.version == 1
        assert {n.id: n.name for n in store.get_nodes(["a"])} == {"a": "Ñusta Q'espi"}
    finally:
        store.close()


@pytest.fixture(scope="module")
def copied(inventory: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The floor's bare database: the `COPY FROM` store with its search index, as the suite makes it."""
    folder, _ = inventory
    work = tmp_path_factory.mktemp("bench")
    bulkload.run(folder, work / "copy", work / "csv")
    store = LadybugStore(work / "copy").open()
    try:
        store.rebuild_search()
    finally:
        store.close()
    return work / "copy"


def test_the_suite_measures_and_reports(inventory: tuple[Path, dict[str, Any]], imported: Path, copied: Path,
                                        tmp_path: Path) -> None:
    folder, manifest = inventory
    db = native.LadybugNative(copied)
    try:
        probes, raw = floor.run(db, manifest, runs=3, warmup=1)
        assert probes["path_unconnected"] and all(db.call("path_unconnected", p) is None
                                                  for p in probes["path_unconnected"])
    finally:
        db.close()
    for name in floor.FIGURES:
        assert raw[name]["cold"]["n"] == raw[name]["warm"]["n"] == 3
    assert raw["node"]["answers"]["mean_size"] > 0 and raw["lineage"]["answers"]["found"] > 0
    assert raw["forms"]["lineage"]["chosen"] in native.LINEAGE_FORMS["ladybug"]
    logs = tmp_path / "logs"
    logs.mkdir()
    imported_cli = suite.run_import(folder, manifest, tmp_path / "cli-store", logs)
    assert imported_cli["rows"] == NODES + RELATIONS and imported_cli["peak_rss_mib"] > 0
    served = suite.serve_and_measure(imported, probes, tmp_path, logs, runs=3, warmup=1, connections=4,
                                     duration=0.5, load_warmup=0.2, start_timeout=120)
    tp = served["throughput"]
    assert tp["graphql"]["requests"] > 0 and tp["plain"]["requests"] > 0
    assert tp["graphql"]["body_bytes"] == tp["plain"]["body_bytes"] == [tp["bytes"]]
    assert served["memory"]["hwm_mib"] > 0 and served["e2e"]["search"]["warm"]["n"] == 3
    for name in floor.FIGURES:
        calls = served["e2e"][name]["calls"]
        assert calls["cache_hits"] == 0 and calls["min"] > 0, name  # distinct probes: never the cache
    bulk = {"rows": NODES + RELATIONS, "seconds": 1.0, "rows_per_s": 1300.0, "store_mib": 1.0, "peak_rss_mib": 1.0}
    results = suite.assemble(label="tiny", seed=SEED, command="test", started=report.now().isoformat(), data=folder,
                             manifest=manifest, reused=False, imported=imported_cli, bulk=bulk, floor=raw,
                             served=served, runs=3, warmup=1)
    assert [t["key"] for t in results["targets"]] == ["import", "node", "lineage", "path", "path_unconnected",
                                                      "search", "story", "memory", "calls"]
    assert all(isinstance(t["met"], bool) for t in results["targets"])
    # The native answers have the sizes of the service's (the path lengths, the lineage nodes...).
    for name in floor.FIGURES:
        check = results["latency"][name]["check"]
        assert check["compared"] > 0 and check["mismatches"] == 0, (name, check)
    path = report.write_results(results, tmp_path / "results")
    assert json.loads(path.read_text(encoding="utf-8"))["targets"] == results["targets"]
    page = "# Benchmarks\n\nIntro.\n\n## Baseline, before\n\nOld table.\n"
    once = report.update_benchmarks(page, report.render(report.latest_results(tmp_path / "results")))
    assert once.index(report.BEGIN) < once.index("## Baseline") and "Old table." in once
    assert ("| figure | target | LadybugDB (embedded) | floor | ratio | met? | Neo4j | floor | ratio | met? |"
            in once)
    assert "300 nodes, 1,000 relations" in once and "Not measured at this size on Neo4j." in once
    assert report.update_benchmarks(once, report.render(report.latest_results(tmp_path / "results"))) == once


def test_apq_targets_follow_the_protocol() -> None:
    query = figures.story_query("story-000000")
    hashed = httpx.URL("http://x" + figures.apq_target(query, with_query=False))
    assert "query" not in hashed.params
    ext = json.loads(hashed.params["extensions"])["persistedQuery"]
    assert ext == {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    assert httpx.URL("http://x" + figures.apq_target(query, with_query=True)).params["query"] == query


@pytest.mark.neo4j
def test_the_suite_runs_on_neo4j(neo4j_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`bench/suite.py --store neo4j` on the tests' Neo4j (NEO4J_URI: an existing server, emptied before and
    after): the import, the floor and `serve` go to Neo4j, `COPY FROM` is skipped with its reason, and the
    report puts the stores side by side."""
    for name, value in neo4j_env.items():
        monkeypatch.setenv(name, value)
    results = tmp_path / "results"
    suite.main(["--store", "neo4j", "--nodes", str(NODES), "--relations", str(RELATIONS), "--seed", str(SEED),
                "--runs", "3", "--warmup", "1", "--duration", "0.5", "--load-warmup", "0.2", "--connections", "4",
                "--no-update", "--neo4j-wipe", "--results", str(results), "--data-dir", str(tmp_path / "data"),
                "--workdir", str(tmp_path)])
    [path] = results.glob("*-neo4j.json")
    r = json.loads(path.read_text(encoding="utf-8"))
    assert r["store"]["kind"] == "neo4j" and r["store"]["external"] and r["store"]["version"].startswith("5.")
    assert r["import"]["rows"] == NODES + RELATIONS and "failed" not in r["import"]
    assert "neo4j-admin" in r["bulk_load"]["skipped"]
    targets = {t["key"]: t for t in r["targets"]}
    assert list(targets) == ["import", "node", "lineage", "path", "path_unconnected", "search", "story", "memory",
                             "calls", "jvm"]
    assert targets["import"]["met"] is None and targets["import"]["ratio"] is None
    assert targets["jvm"]["met"] is None and "not measured" in targets["jvm"]["measured"]  # not our JVM
    assert r["latency"]["node"]["answers"]["mean_size"] > 0 and r["latency"]["lineage"]["answers"]["found"] == 3
    assert r["throughput"]["graphql"]["requests"] > 0
    assert "— ratio" not in capsys.readouterr().out.split("of the whole inventory")[1].splitlines()[0]
    page = report.render(report.latest_results(results))
    assert "| figure | target | LadybugDB (embedded) | floor | ratio | met? | Neo4j | floor | ratio | met? |" in page
    assert "Not measured at this size on LadybugDB (embedded)." in page and "no `COPY FROM` on Neo4j" in page
    for name in floor.FIGURES:
        assert r["latency"][name]["check"]["mismatches"] == 0, (name, r["latency"][name]["check"])
    from heritage_graph.store.neo4j import Neo4jStore

    store = Neo4jStore(neo4j_env["NEO4J_URI"], neo4j_env.get("NEO4J_USER", "neo4j"),
                       neo4j_env.get("NEO4J_PASSWORD")).open()
    try:
        assert store.count_nodes() == 0  # emptied again for the other tests
    finally:
        store.close()


def test_neo4j_is_sized_for_the_inventory() -> None:
    import neo4j_bench

    assert neo4j_bench.sizing(1_300) == ("1024m", "512m")
    heap, cache = neo4j_bench.sizing(1_200_000)
    assert neo4j_bench.mib(heap) <= 12 * 1024 and neo4j_bench.mib(cache) <= 4 * 1024
    assert neo4j_bench.mib("2g") == 2048 and neo4j_bench.mib("512m") == 512
