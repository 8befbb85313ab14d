"""Results: the machine, the targets of issue 15 met or missed, the JSON file and the BENCHMARKS.md tables.

Results measured before issue 15 (no ``targets_of``) keep the targets issue 5 set and the floors of
that time (the resolvers' own store calls) they were evaluated with when measured: they are shown
under a history heading that says so, never against issue 15's targets."""

from __future__ import annotations

import json
import os
import platform
import re
import textwrap
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
BENCHMARKS = BENCH.parent / "BENCHMARKS.md"
BEGIN, END = "<!-- bench-suite:begin -->", "<!-- bench-suite:end -->"
# The section goes above the first section after the title (the baseline) the first time.
ANCHOR = "\n## Baseline"
GIB = 1024.0
STORES = {"ladybug": "LadybugDB (embedded)", "neo4j": "Neo4j"}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    try:
        ladybug = version("ladybug")
    except PackageNotFoundError:
        ladybug = "unknown"
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem_kib / 1024 / 1024, 1),
            "python": platform.python_version(), "ladybug": ladybug, "os": platform.platform()}


# -- targets ---------------------------------------------------------------------------------------


def _ms(x: float) -> str:
    return f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms"


def _under(value: float, limit: float) -> tuple[bool, str]:
    """A ceiling: met with room to spare, or missed by a factor."""
    if value <= limit:
        return True, f"{limit / value:.1f}× under" if value > 0 else "at zero"
    return False, f"{value / limit:.1f}× over"


def _over(value: float, limit: float) -> tuple[bool, str]:
    """A floor (ratios that must reach a value)."""
    if value >= limit:
        return True, f"{value / limit:.1f}× the target"
    return False, f"{limit / value:.1f}× short" if value > 0 else "none"


IMPORT_RSS_MIB = 4 * GIB
QUERY_TARGETS = {  # figure: (label, p50 ceiling in ms)
    "node": ("`node` by id, with its relations", 2.0),
    "lineage": ("`lineage` to depth 12", 5.0),
    "path": ("`path`, connected pairs (maxDepth 8)", 50.0),
    "path_unconnected": ("`path`, no connection within maxDepth 8", 150.0),
    "search": ("`search`, three words, with facets", 20.0),
}
LINEAGE_FLOOR_RATIO = 3.0
STORY_RATIO = 0.8
SERVING_RSS_MIB = 1 * GIB


def _row(key: str, figure: str, target: str, measured: str, floor: str, ratio: float | None, met: bool | None,
         by: str, value: float | None = None) -> dict[str, Any]:
    return {"key": key, "figure": figure, "target": target, "measured": measured, "floor": floor,
            "ratio": None if ratio is None else round(ratio, 4), "met": met, "by": by, "value": value}


def _import_row(r: dict[str, Any]) -> dict[str, Any]:
    imp, bulk = r["import"], r["bulk_load"]
    rss_met, rss_by = _under(imp["peak_rss_mib"], IMPORT_RSS_MIB)
    rss = f"peak RSS {imp['peak_rss_mib']:,.0f} MiB"
    batch = f", --batch-size {imp['batch_size']:,}" if imp.get("batch_size") else ""
    target = "peak RSS ≤ 4 GiB, rate ≥ 0.5 × `COPY FROM`, all or nothing"
    if "failed" in imp:
        measured = f"did not finish: {imp['failed']} after {imp['seconds']:.0f} s ({rss}{batch})"
        if "batched" in bulk:
            b = bulk["batched"]
            measured += (f"; the queries ran on the same rows loaded through the adapter in {b['transactions']:,} "
                         f"transactions of {b['batch_rows']:,} records (bench/neo4j_load.py)")
        elif "skipped" not in bulk:
            measured += "; the queries ran on the `COPY FROM` store"
        floor = "—" if "skipped" in bulk else f"`COPY FROM` {bulk['rows_per_s']:,.0f} rows/s ({bulk['seconds']:.1f} s)"
        return _row("import", "`heritage-graph import` of the whole inventory", target, measured, floor, 0.0 if
                    "skipped" not in bulk else None, False, "import failed", imp["rows_per_s"])
    measured = f"{imp['rows_per_s']:,.0f} rows/s ({imp['seconds']:.1f} s), {rss}{batch}"
    if imp.get("jvm_hwm_mib"):
        measured += f"; Neo4j JVM peak {imp['jvm_hwm_mib']:,.0f} MiB"
    if "skipped" in bulk:
        # Neo4j: no baseline to divide by (suite.NO_COPY_FROM says why); the memory half is evaluated.
        return _row("import", "`heritage-graph import` of the whole inventory", target, measured,
                    "none: no `COPY FROM` on Neo4j", None, False if not rss_met else None,
                    f"memory {rss_by}; rate not evaluated: {bulk['skipped']}", imp["rows_per_s"])
    ratio = imp["rows_per_s"] / bulk["rows_per_s"]
    rate_met, rate_by = _over(ratio, 0.5)
    # Batches are committed one by one (docs/interchange.md, "Large imports"): not all or nothing.
    whole = not imp.get("batch_size")
    said = "all or nothing" if whole else "all or nothing: no (each batch committed)"
    return _row("import", "`heritage-graph import` of the whole inventory", target, measured,
                f"`COPY FROM` {bulk['rows_per_s']:,.0f} rows/s ({bulk['seconds']:.1f} s)", ratio,
                rss_met and rate_met and whole, f"memory {rss_by}, rate {rate_by}, {said}", imp["rows_per_s"])


def _query_row(name: str, lat: dict[str, Any] | None, forms: dict[str, Any]) -> dict[str, Any]:
    label, limit = QUERY_TARGETS[name]
    target = f"p50 ≤ {limit:g} ms" + (f", ≤ {LINEAGE_FLOOR_RATIO:g} × native" if name == "lineage" else "")
    if lat is None:
        return _row(name, label, target, "not measured: no probes", "—", None, None, "no probes")
    e2e, native = lat["e2e"], lat.get("native")
    p50 = e2e["cold"]["p50"]
    measured = (f"p50 {_ms(p50)}, p95 {_ms(e2e['cold']['p95'])} (n={e2e['cold']['n']}, distinct); "
                f"repeated p50 {_ms(e2e['warm']['p50'])}")
    ratio = lat.get("ratio_cold")
    floor = "—"
    if native:
        form = (forms.get("path") if name.startswith("path") else forms.get(name)) or {}
        floor = (f"native p50 {_ms(native['cold']['p50'])}, p95 {_ms(native['cold']['p95'])}"
                 + (f" ({form['chosen']})" if form.get("chosen") else ""))
    met, by = _under(p50, limit)
    if name == "lineage":
        if ratio is None:
            met, by = False, f"time {by}, no native floor"
        else:
            met_ratio, by_ratio = _under(ratio, LINEAGE_FLOOR_RATIO)
            met, by = met and met_ratio, f"time {by}, ratio {by_ratio}"
    return _row(name, label, target, measured, floor, ratio, met, by, p50)


def _calls_row(r: dict[str, Any]) -> dict[str, Any]:
    parts, grows = [], []
    for name, lat in r["latency"].items():
        if not lat or "calls" not in lat:
            continue
        small, large = lat["calls"]["smallest"], lat["calls"]["largest"]
        if small["calls"] != large["calls"]:
            grows.append(name)
        parts.append(f"{name} {small['calls']} (size {_size(small['size'])}) / {large['calls']} "
                     f"(size {_size(large['size'])})")
    by = ("the same at both sizes for every figure" if not grows else
          "more calls for a larger answer: " + ", ".join(grows))
    return _row("calls", "store calls per request", "bounded by the query's depth, not by the results",
                "; ".join(parts) + " — at the smallest / largest answer among the distinct probes",
                "—", None, not grows, by)


def _size(size: float | None) -> str:
    return "none" if size is None else f"{size:g}"


def evaluate(r: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target of issue 15, from a results dict."""
    rows = [_import_row(r)]
    forms = (r.get("floor") or {}).get("forms", {})
    rows += [_query_row(name, r["latency"].get(name), forms) for name in QUERY_TARGETS]
    tp = r["throughput"]
    ratio = tp["graphql"]["rps"] / tp["plain"]["rps"] if tp["plain"]["rps"] else 0.0
    met, by = _over(ratio, STORY_RATIO)
    rows.append(_row("story", "a public story, repeated (persisted query, GET)", f"≥ {STORY_RATIO:g} × plain "
                     "Starlette req/s", f"{tp['graphql']['rps']:,.0f} req/s ({tp['mode']}), {tp['connections']} "
                     f"connections, {tp['duration']:g} s", f"plain Starlette {tp['plain']['rps']:,.0f} req/s", ratio,
                     met, by, tp["graphql"]["rps"]))
    mem = r["memory"]
    met, by = _under(mem["hwm_mib"], SERVING_RSS_MIB)
    rows.append(_row("memory", "memory while serving", "resident set ≤ 1 GiB",
                     f"peak {mem['hwm_mib']:,.0f} MiB, at the end {mem['rss_mib']:,.0f} MiB", "—",
                     mem["hwm_mib"] / SERVING_RSS_MIB, met, by, mem["hwm_mib"]))
    rows.append(_calls_row(r))
    store = r.get("store") or {}
    if store.get("kind") == "neo4j":
        jvm = r.get("jvm_memory")
        if jvm:
            measured = (f"while serving peak {jvm['serving_peak_rss_mib']:,.0f} MiB, at the end "
                        f"{jvm['rss_mib']:,.0f} MiB; over the whole run (import included) {jvm['hwm_mib']:,.0f} MiB")
        else:
            measured = "not measured: an existing server (NEO4J_URI), not started by the suite"
        rows.append(_row("jvm", "the store server's memory (Neo4j JVM)",
                         f"none (heap {store.get('heap') or '?'}, page cache {store.get('page_cache') or '?'})",
                         measured, "—", None, None, "not a target: issue 15's is the service's"))
    return rows


# -- files -----------------------------------------------------------------------------------------


def store_kind(results: dict[str, Any]) -> str:
    """The store a result was measured on: results from before the choice are the embedded store's."""
    return str((results.get("store") or {}).get("kind", "ladybug"))


def results_path(size_label: str, when: datetime, folder: Path = RESULTS, store: str = "ladybug") -> Path:
    suffix = "" if store == "ladybug" else f"-{store}"
    return folder / f"{when.strftime('%Y-%m-%d')}-{size_label}{suffix}.json"


def write_results(results: dict[str, Any], folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = results_path(results["size"]["label"], datetime.fromisoformat(results["date"]), folder,
                        store_kind(results))
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def issue(results: dict[str, Any]) -> str:
    """The issue whose targets and floors a result was measured with: results from before issue 15 carry
    issue 5's (and the resolvers' store calls as their floor)."""
    return str(results.get("targets_of", "issue 5"))


def latest_results(folder: Path = RESULTS) -> list[dict[str, Any]]:
    """The newest suite result of each size, store and issue, the national size first, the embedded store
    first."""
    newest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("suite") != "bench/suite.py":
            continue  # other benches (bench/load.py) write here too
        key = (data["size"]["label"], store_kind(data), issue(data))
        if key not in newest or data["date"] > newest[key]["date"]:
            newest[key] = data
    return sorted(newest.values(), key=lambda d: (d["size"]["label"] != "default", -d["size"]["nodes"],
                                                  d["size"]["label"], list(STORES).index(store_kind(d))))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


INTRO = (
    "`make bench` (1,000,000 nodes, 5,000,000 relations) or `make bench SIZE=--small` (20,000 / 100,000) runs "
    "`bench/suite.py`: it generates a synthetic inventory from a fixed seed (`bench/generate.py`), imports it "
    "with `heritage-graph import` (peak resident set of the import process), loads the same rows with "
    "LadybugDB's `COPY FROM` into a fresh store made by the project's DDL (`bench/bulkload.py`), and measures "
    "each query end to end over HTTP against `heritage-graph serve` (uvicorn, 1 worker). Results: "
    "`bench/results/`, rewritten here by each run. The targets are issue 15's, set for the national size.",
    "The floor of each query is the best single native query the store can run for the same answer, with "
    "the visibility rule of an anonymous reader inside it, on a bare database holding the same rows (on "
    "LadybugDB the `COPY FROM` store and the SQLite FTS5 search index built on it, on Neo4j the rows the "
    "suite loaded), timed in a process of its own (`bench/native.py`, `bench/floor.py`); the suite checks "
    "that its answers have the sizes of the service's (relations, lineage nodes, path length or none, "
    "search total). Ratios: end to end ÷ native floor (p50 over distinct probes); import rate ÷ `COPY FROM` "
    "rate; GraphQL req/s ÷ plain Starlette req/s; serving resident set ÷ 1 GiB. Query figures are over "
    "distinct probes, each requested once, so none is answered by the in-process response cache; "
    "`repeated` is one probe again and again (the cache's figure). `path` is measured for connected pairs "
    "and for pairs the native shortest-path query finds no connection for within maxDepth 8. Store calls "
    "per request are the server's own count (`/metrics`) around each request, at the smallest and the "
    "largest answer.",
    "`make bench STORE=neo4j` (or `STORE=both`; `bench/suite.py --store ladybug|neo4j|both`) runs the same "
    "steps on Neo4j: a Neo4j 5.26 Community server started by the suite (`tools/neo4j/launch.py`, a heap "
    "and page cache sized for the inventory, `bench/neo4j_bench.py`), or the one `NEO4J_URI` names; the "
    "import (batched with `--batch-size` when the CLI offers it) and `serve` go through the service's "
    "Neo4j adapter. Neo4j has no `COPY FROM` step (its bulk loader, `neo4j-admin database import`, builds "
    "a database offline, outside the service), so its import rate stands alone; the Neo4j JVM's resident "
    "set is given beside the service's. Each size has one table, the stores side by side.",
    "At the default size, generating takes about 30 s and 0.9 GB (`bench/.data/`, kept), the CSV files for "
    "`COPY FROM` another 0.9 GB (kept beside it), and the stores several GB in `$TMPDIR` while the suite runs "
    "(removed at the end). Run it on a quiet machine: the load average when a run began and ended is given "
    "with it.",
)
HISTORY = (
    "Measured before issue 15, against issue 5's targets (`node` p50 ≤ 2 ms, `lineage` p50 ≤ 10 ms and "
    "≤ 1.5 × raw, `path` p50 ≤ 50 ms at the API's default maxDepth 6, `search` p50 ≤ 20 ms, story ≥ 0.5 × "
    "plain, serving ≤ 1.5 GiB, import ≥ 0.5 × `COPY FROM`) and issue 5's floor: `raw` was the resolvers' "
    "own store calls in a process of their own, not a native query, and the distinct probes were cycled "
    "when there were fewer than requested. Kept as they were measured; not comparable with the tables "
    "above."
)


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=100, break_long_words=False, break_on_hyphens=False)


def render(all_results: list[dict[str, Any]]) -> str:
    out = ["## National-scale suite (issues 5 and 15)", ""]
    for paragraph in INTRO:
        out += [*_wrap(paragraph), ""]
    current = [r for r in all_results if issue(r) == "issue 15"]
    older = [r for r in all_results if issue(r) != "issue 15"]
    if not current:
        out += ["Not run yet with issue 15's targets and native floors.", ""]
    for runs in _by_size(current).values():
        out += _render_size15(runs)
    if older:
        out += ["### History: issue 5's targets and floors", ""]
        out += [*_wrap(HISTORY), ""]
        for runs in _by_size(older).values():
            out += _render_size(runs, level="####")
    return "\n".join(out).rstrip() + "\n"


def _by_size(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    sizes: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        sizes.setdefault(r["size"]["label"], []).append(r)
    return sizes


def _met(t: dict[str, Any]) -> str:
    met = "—" if t["met"] is None else "met" if t["met"] else "missed"
    return f"{met} ({_cell(t['by'])})"


def _ratio(t: dict[str, Any]) -> str:
    return "—" if t["ratio"] is None else f"{t['ratio']:.3g}"


def _render_size15(runs: list[dict[str, Any]]) -> list[str]:
    """One size measured with issue 15's targets: measured value, floor, ratio and met/missed per store."""
    return _render_table(runs, "###", "", ("floor", "ratio", "met?"),
                         lambda t: [_cell(t["measured"]), _cell(t["floor"]), _ratio(t), _met(t)], _notes15)


def _render_table(runs: list[dict[str, Any]], level: str, suffix: str, columns: tuple[str, ...],
                  cells_of: Any, notes: Any) -> list[str]:
    """One size: a line per store, one table with the store's columns side by side, the notes per store."""
    size = runs[0]["size"]
    by_store = {store_kind(r): r for r in runs}
    lines = [f"{level} {size['nodes']:,} nodes, {size['relations']:,} relations{suffix}", ""]
    for r in by_store.values():
        lines += [*_wrap(_store_line(r)), ""]
    missing = [STORES[k] for k in STORES if k not in by_store]
    if missing:
        lines += [*_wrap(f"Not measured at this size on {' and '.join(missing)}."), ""]
    header = "| figure | target |" + "".join(f" {STORES[k]} |" + "".join(f" {c} |" for c in columns) for k in STORES)
    lines += [header, "|---|---|" + "---|" * (1 + len(columns)) * len(STORES)]
    rows: dict[str, dict[str, Any]] = {}
    for r in by_store.values():
        for t in r["targets"]:
            rows.setdefault(t["key"], t)
    dashes = ["—"] * len(columns)
    for key, first in rows.items():
        cells: list[str] = []
        for k in STORES:
            found = next((t for t in by_store[k]["targets"] if t["key"] == key), None) if k in by_store else None
            if found is None and k in by_store and key == "jvm":
                cells += ["the store runs inside the service process (see memory while serving)", *dashes]
            elif found is None:
                cells += ["not measured", *dashes]
            else:
                cells += cells_of(found)
        lines.append(f"| {first['figure']} | {_cell(first['target'])} | " + " | ".join(cells) + " |")
    lines.append("")
    for k, r in by_store.items():
        lines += [*_wrap(f"{STORES[k]}. " + notes(r)), ""]
    return lines


_NO_CACHE = (" Neo4j answers no response from the service's in-process cache (`data_version` is None: other "
             "replicas may write), so `repeated` runs the store calls again.")


def _notes15(r: dict[str, Any]) -> str:
    imp, bulk, tp, lat = r["import"], r["bulk_load"], r["throughput"], r["latency"]
    fl = r.get("floor") or {}
    un = fl.get("unconnected") or {}
    if "batched" in bulk:
        stored = (f"the import failed, so written through the Neo4j adapter in transactions of "
                  f"{bulk['batched']['batch_rows']:,} records, without revisions")
    elif "skipped" in bulk:
        stored = "written with their revisions and the full-text index properties through the Neo4j adapter"
    else:
        stored = (f"written with their revisions and the search index; store {imp['store_mib']:,.0f} MiB, the "
                  f"`COPY FROM` one {bulk['store_mib']:,.0f} MiB (its search index built in "
                  f"{bulk.get('index_seconds', 0):,.0f} s for the floor)")
    checks = []
    hits = []
    for name, v in lat.items():
        if not v:
            continue
        c = v.get("check")
        if c:
            checks.append(f"{name} {c['mismatches']} of {c['compared']}"
                          + (f" (e.g. {c['examples'][0]['probe']}: native {_size(c['examples'][0]['native'])}, "
                             f"service {_size(c['examples'][0]['service'])})" if c["examples"] else ""))
        hits.append(f"{name} {v['calls']['cache_hits']}")
    answers = {k: v["answers"] for k, v in lat.items() if v}
    forms = ", ".join(f"{k}: {v['chosen']} ({', '.join(f'{f} {ms:g} ms' for f, ms in v['median_ms'].items())}"
                      + (f"; disagreeing: {', '.join(v['disagree'])}" if v["disagree"] else "") + ")"
                      for k, v in (fl.get("forms") or {}).items())
    path = answers.get("path") or {"found": 0, "of": 0, "mean_size": None}
    return (
        f"Import: {imp['records']:,} lines ({imp['lines_per_s']:,.0f} lines/s) become {imp['rows']:,} nodes and "
        f"relations, {stored}. Queries: up to {r['latency_runs']} distinct probes after up to "
        f"{r['latency_warmup']} warm-up requests (fewer when there are fewer probes: n in the table), then one "
        f"probe repeated as often (`repeated`); distinct requests the response cache answered (no store call): "
        f"{', '.join(hits)}.{_NO_CACHE if store_kind(r) == 'neo4j' else ''} The HTTP round trip of "
        f"`/healthz` takes {_ms(r['http_floor']['p50'])} (p50). "
        f"Native floors: {fl.get('heap', 'allocator defaults')}; forms tried, the faster of those agreeing "
        f"chosen (median of the best of 3): {forms or 'one each'}. Native answers whose size differs from the "
        f"service's: {', '.join(checks) or 'not compared'}. Unconnected pairs: {un.get('found', 0)} of "
        f"{un.get('candidates', 0)} candidates, {un.get('note', '')}. Answers: `node` lists "
        f"{answers['node']['mean_size']} relations on average, `lineage` {answers['lineage']['mean_size']} "
        f"ancestors; `path` found a connection for {path['found']} of {path['of']} connected pairs, "
        f"{path['mean_size']} hops on average; `search` {answers['search']['mean_size']} hits on average. "
        f"Throughput: {tp['note']}."
    )


def _store_line(r: dict[str, Any]) -> str:
    m, store = r["machine"], r.get("store") or {}
    load = r.get("load_average", {})
    busy = (f"; load average {load['start']:.1f} at the start, {load['end']:.1f} at the end" if load else "")
    kind = store_kind(r)
    what = (f"LadybugDB {store.get('version') or m['ladybug']}" if kind == "ladybug" else
            f"Neo4j {store.get('version', 'unknown')}, {store.get('how', '')}")
    return (f"{STORES[kind]}, {r['date'][:10]}: {m['cpu']}, {m['cores']} cores, {m['ram_gib']:g} GiB, Python "
            f"{m['python']}, {what}; seed {r['size']['seed']}; `{r['command']}`{busy}.")


def _result_cell(t: dict[str, Any] | None) -> tuple[str, str]:
    if t is None:
        return "—", "—"
    ratio = "" if t["ratio"] is None else f" (ratio {t['ratio']:.3g})"
    met = "—" if t["met"] is None else "yes" if t["met"] else "no"
    return _cell(t["measured"] + ratio), f"{met} ({_cell(t['by'])})"


def _render_size(runs: list[dict[str, Any]], level: str = "###") -> list[str]:
    """One size measured before issue 15, as it was rendered then: a column pair per store."""
    return _render_table(runs, level, " (before issue 15)", ("met?",), lambda t: list(_result_cell(t)), _notes)


def _notes(r: dict[str, Any]) -> str:
    imp, bulk, tp, lat = r["import"], r["bulk_load"], r["throughput"], r["latency"]
    answers = {k: v["answers"] for k, v in lat.items()}
    path = answers["path"]
    if "batched" in bulk:
        stored = (f"the import failed, so written through the Neo4j adapter in transactions of "
                  f"{bulk['batched']['batch_rows']:,} records, without revisions, with the full-text index "
                  f"properties; Neo4j's store folder {imp['store_mib']:,.0f} MiB after the run")
    elif "skipped" in bulk:
        stored = (f"written with their revisions and the full-text index properties through the Neo4j "
                  f"adapter; Neo4j's store folder {imp['store_mib']:,.0f} MiB after the run")
    else:
        stored = (f"written with their revisions and the search index (`COPY FROM` loads the nodes and "
                  f"relations only); store {imp['store_mib']:,.0f} MiB, the `COPY FROM` one "
                  f"{bulk['store_mib']:,.0f} MiB")
    cache = (" Neo4j answers no response from the service's in-process cache (`data_version` is None: "
             "other replicas may write), so `repeated` runs the store calls again." if store_kind(r) == "neo4j"
             else "")
    return (
        f"Import: {imp['records']:,} lines ({imp['lines_per_s']:,.0f} lines/s) become {imp['rows']:,} nodes and "
        f"relations, {stored}. "
        f"Queries: {r['latency_runs']} distinct probes after {r['latency_warmup']} warm-up requests, then one "
        f"probe repeated as often (`repeated`); the HTTP round trip of `/healthz` takes "
        f"{_ms(r['http_floor']['p50'])} (p50).{cache} The raw figures come from a process of their own with "
        f"{r.get('floor_heap', 'allocator defaults')} (`bench/floor.py` says why); the server runs as it "
        f"ships. Answers: `node` lists {answers['node']['mean_size']} relations "
        f"on average, `lineage` {answers['lineage']['mean_size']} ancestors; `path` found a connection for "
        f"{path['found']} of {path['of']} pairs (practitioners of two teacher forests of one province), "
        f"{path['mean_size']} hops on average; `search` {answers['search']['mean_size']} hits on average. "
        f"Throughput: {tp['note']}."
    )


def update_benchmarks(text: str, section: str) -> str:
    block = f"{BEGIN}\n{section}{END}"
    if BEGIN in text and END in text:
        return re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, count=1, flags=re.S)
    at = text.find(ANCHOR)
    if at < 0:
        return text.rstrip() + "\n\n" + block + "\n"
    return text[:at] + "\n" + block + "\n" + text[at:]


def rewrite_benchmarks(path: Path = BENCHMARKS, folder: Path = RESULTS) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(update_benchmarks(text, render(latest_results(folder))), encoding="utf-8")


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
