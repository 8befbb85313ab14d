"""The national-scale benchmark suite (issues 5 and 15): one command, every figure, results in bench/results/.

    make bench                      # = .venv/bin/python bench/suite.py  (1,000,000 nodes, 5,000,000 relations)
    make bench SIZE=--small         # = .venv/bin/python bench/suite.py --small  (20,000 / 100,000)
    .venv/bin/python bench/suite.py --nodes 5000 --relations 25000 --runs 30 --duration 2 --no-update \
        --results /tmp/results     # a quick run that leaves BENCHMARKS.md and bench/results/ alone

1. Generate the inventory (bench/generate.py), cached in bench/.data/ by seed, size and generator version.
2. Import it with `heritage-graph import` into a fresh embedded store: wall time and the child's peak RSS
   (issue 15's target: ≤ 4 GiB).
3. Load the same rows with LadybugDB's `COPY FROM` into a fresh store made by the project's DDL
   (bench/bulkload.py): the import's rate over this one is the ratio the target is about. The `COPY FROM`
   store, with the search index built on it, is the floor's bare database.
4. The floor (bench/floor.py, in a process of its own, before the server starts): each figure's best
   single native query (bench/native.py) on the bare database. It first picks the `path` pairs with no
   connection within maxDepth 8 (verified by the native shortest-path query) and the faster of the
   native forms that agree, and writes every figure's probes for step 5.
5. `heritage-graph serve` (uvicorn, 1 worker) on the imported store (the `COPY FROM` one when the
   import failed): each query end to end over HTTP with httpx on 127.0.0.1 — `node`, `lineage`,
   `path` for connected and for unconnected pairs (maxDepth 8), `search` — over distinct probes each
   requested once (never answered by the response cache), then one repeated (warm); off the clock, the
   server's store-call count (/metrics) around each request and the size of each answer, compared with
   the native answers. Then a public story requested again and again as an automatic persisted query
   over GET (POST with the query when the server has no persisted queries: the result says which)
   against a plain Starlette endpoint answering the same bytes, with the same load generator
   (bench/loadgen.py); the server's resident set from /proc.
6. Write bench/results/<date>-<size>.json and rewrite the suite's section of BENCHMARKS.md (not with
   --no-update).

    make bench STORE=neo4j          # = .venv/bin/python bench/suite.py --store neo4j  (also: both)

On Neo4j (--store neo4j, or both: the embedded store first, then Neo4j, on the same inventory) the
suite starts a Neo4j 5.26 of its own through tools/neo4j/launch.py, its store in the temporary folder,
with a heap and page cache sized for the inventory (bench/neo4j_bench.py says how; --neo4j-heap and
--neo4j-pagecache override), or uses the one NEO4J_URI (NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE)
names, which must be empty (--neo4j-wipe empties it before and after). Step 2 imports into it with
`heritage-graph import` — batched (`--batch-size`, --neo4j-batch-size records) when the CLI offers
that option, else in one transaction, and when that fails through bench/neo4j_load.py; step 3 is
skipped (`COPY FROM` is LadybugDB's; NO_COPY_FROM says why); the floor's native queries and step 5
run against the loaded Neo4j; the JVM's resident set is sampled with the server's (not for a server
the suite did not start). The results go to bench/results/<date>-<size>-neo4j.json, and BENCHMARKS.md
shows each size's stores side by side.

Temporary stores go to a folder under $TMPDIR, removed at the end (--keep keeps it). At the default
size expect about 1 GB of JSON Lines and 1.3 GB of CSV in bench/.data/, and several GB of stores in
the temporary folder; see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import figures
import floor
import generate
import httpx
import neo4j_bench
import procs
import report
from loadgen import raw_request
from plan import PlanError, add_size_options, make_plan, size_from
from timing import measure, summary, time_each

MIB = 1024 * 1024
STORES = {"ladybug": "LadybugDB (embedded)", "neo4j": "Neo4j"}
REBUILD_INDEX = ("import sys; from heritage_graph.store.ladybug import LadybugStore; "
                 "s = LadybugStore(sys.argv[1]).open(); print(s.rebuild_search(), 'documents'); s.close()")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- steps ---------------------------------------------------------------------------------------------


def import_options() -> list[str]:
    """The options `heritage-graph import --help` lists (a streaming import may add `--batch-size`)."""
    done = subprocess.run(procs.cli("import", "--help"), capture_output=True, text=True, timeout=120)
    return sorted(set(re.findall(r"--[a-z][a-z0-9-]*", done.stdout)))


def run_import(data: Path, manifest: dict[str, Any], db: Path, logs: Path,
               rss_limit_mib: float | None = None, env: dict[str, str] | None = None,
               batch_size: int | None = None) -> dict[str, Any]:
    """`heritage-graph import` into ``db``, or into the Neo4j that ``env`` names (NEO4J_URI...); with
    ``batch_size``, its batched mode (`--batch-size N`)."""
    files = [str(data / f) for f in manifest["files"]]
    batch = ["--batch-size", str(batch_size)] if batch_size else []
    done = procs.run_measured(procs.cli("--db", str(db), "import", "--by", "bench", *batch, *files),
                              logs / "import.log", rss_limit_mib=rss_limit_mib, env=env)
    lines = manifest["nodes"] + manifest["counts"]["relation_lines"]
    rows = manifest["nodes"] + manifest["relations"]
    if done.returncode != 0:
        # Recorded, not raised: the queries are then measured on the `COPY FROM` store (same rows).
        reason = (f"killed at {rss_limit_mib:,.0f} MiB resident (--import-rss-limit)" if done.over_memory
                  else f"exit status {done.returncode}: {done.output.strip().splitlines()[-1:]}")
        return {"failed": reason, "seconds": round(done.seconds, 2), "records": lines, "rows": rows,
                "lines_per_s": 0.0, "rows_per_s": 0.0, "peak_rss_mib": round(done.peak_rss_mib, 1),
                "store_mib": 0.0, "report": "", **({"batch_size": batch_size} if batch_size else {})}
    return {"seconds": round(done.seconds, 2), "records": lines, "rows": rows,
            "lines_per_s": round(lines / done.seconds, 1), "rows_per_s": round(rows / done.seconds, 1),
            "peak_rss_mib": round(done.peak_rss_mib, 1), "store_mib": round(procs.dir_bytes(db) / MIB, 1),
            "report": done.output.strip().splitlines()[-1] if done.output.strip() else "",
            **({"batch_size": batch_size} if batch_size else {})}


def run_bulk_load(data: Path, db: Path, logs: Path) -> dict[str, Any]:
    out = logs / "bulkload.log"
    done = procs.run_measured(procs.script("bulkload.py", "--data", str(data), "--db", str(db)), out)
    if done.returncode != 0:
        raise RuntimeError(f"the COPY FROM baseline failed ({done.returncode}):\n{done.output[-4000:]}")
    result: dict[str, Any] = json.loads(done.output.strip().splitlines()[-1])
    result["peak_rss_mib"] = round(done.peak_rss_mib, 1)
    result["store_mib"] = round(procs.dir_bytes(db) / MIB, 1)
    return result


def run_floor(db: Path, data: Path, logs: Path, runs: int, warmup: int, env: dict[str, str] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The native floor (bench/floor.py) in a process of its own: (its results, every figure's probes)."""
    probes_file = logs / "probes.json"
    done = procs.run_measured(procs.script("floor.py", "--db", str(db), "--manifest", str(data / generate.MANIFEST),
                                           "--runs", str(runs), "--warmup", str(warmup),
                                           "--probes-out", str(probes_file)), logs / "floor.log", env=env)
    if done.returncode != 0:
        raise RuntimeError(f"the floor measurement failed ({done.returncode}):\n{done.output[-4000:]}")
    result: dict[str, Any] = json.loads(done.output.strip().splitlines()[-1])
    probes: dict[str, Any] = json.loads(probes_file.read_text(encoding="utf-8"))
    return result, probes


STORE_CALLS = "heritage_store_call_duration_seconds_count{"


def store_calls(client: httpx.Client) -> int:
    """The server's store calls so far: the sum of its timing proxy's counts (heritage_graph/ops/timing.py,
    one per call the services make), read from /metrics."""
    text = client.get("/metrics").text
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines() if line.startswith(STORE_CALLS))


def measure_e2e(client: httpx.Client, probes: dict[str, Any], *, runs: int, warmup: int
                ) -> dict[str, dict[str, Any]]:
    """Each figure's GraphQL request over HTTP: distinct probes, each once (cold: never an answer from the
    response cache), then one repeated (warm). Off the clock, before and after each timed request, the
    server's store-call count (/metrics): the calls each request made, and the size of its answer."""
    out: dict[str, dict[str, Any]] = {}
    types = probes.get("relation_types") or {}
    for figure in figures.FIGURES:
        items = probes.get(figure.probes) or []
        out[figure.name] = (measure_figure(client, figure, items, types.get(figure.name), runs=runs, warmup=warmup)
                            if items else None)
    return out


def measure_figure(client: httpx.Client, figure: figures.Figure, items: list[Any], types: list[str] | None, *,
                   runs: int, warmup: int) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []
    mark = [0]

    def call(probe: Any) -> dict[str, Any]:
        body: dict[str, Any] = client.post("/graphql", json=figure.payload(probe, types)).json()
        return body

    def before(probe: Any) -> None:
        mark[0] = store_calls(client)

    def check(probe: Any, body: dict[str, Any]) -> None:
        figures.check_answer(figure, body)
        seen.append({"probe": floor.probe_key(probe), "size": figures.answer_size(figure, body),
                     "calls": store_calls(client) - mark[0]})

    timed: dict[str, Any] = measure(call, items, runs=runs, warmup=warmup, check=check, before=before)
    cold = seen[: timed["cold"]["n"]]
    timed["sizes"] = {e["probe"]: e["size"] for e in cold}
    timed["calls"] = calls_summary(cold, seen[timed["cold"]["n"]:])
    return timed


def calls_summary(cold: list[dict[str, Any]], warm: list[dict[str, Any]]) -> dict[str, Any]:
    """Store calls per request at the smallest and the largest answer among the distinct probes (the
    target: bounded by the query's depth, never by the number of results — met when equal), and how
    many distinct requests made none (an answer from the response cache: there should be none)."""
    sized = [e for e in cold if e["size"] is not None] or cold
    small = min(sized, key=lambda e: (e["size"] or 0, e["calls"]))
    large = max(sized, key=lambda e: (e["size"] or 0, e["calls"]))
    return {"smallest": small, "largest": large, "min": min(e["calls"] for e in cold),
            "max": max(e["calls"] for e in cold), "cache_hits": sum(1 for e in cold if e["calls"] == 0),
            "repeated_calls": max((e["calls"] for e in warm), default=0)}


def compare_answers(floor_sizes: dict[str, Any], e2e_sizes: dict[str, Any]) -> dict[str, Any]:
    """The native floor's answers against the service's on the probes both measured: the same number of
    relations, lineage nodes or search hits, the same path length or both none."""
    both = [k for k in floor_sizes if k in e2e_sizes]
    bad = [{"probe": k, "native": floor_sizes[k], "service": e2e_sizes[k]} for k in both
           if floor_sizes[k] != e2e_sizes[k]]
    return {"compared": len(both), "mismatches": len(bad), "examples": bad[:5]}


def http_floor(client: httpx.Client, runs: int) -> dict[str, float | int]:
    """The HTTP round trip alone: the server's /healthz, same client."""
    return summary(time_each(lambda _: client.get("/healthz"), list(range(runs + 10)), 10))


def story_request(server: procs.Server, story: str, work: Path) -> dict[str, Any]:
    """The request the throughput figure repeats, and the bytes it answers.

    An automatic persisted query over GET when the server knows the protocol (the hash alone answers
    PERSISTED_QUERY_NOT_FOUND first, the query registers, then the hash alone answers the data);
    otherwise the query itself by POST."""
    query = figures.story_query(story)
    base = server.base
    first = httpx.get(base + figures.apq_target(query, with_query=False), timeout=30)
    codes = [((e.get("extensions") or {}).get("code")) for e in _errors(first)]
    if "PERSISTED_QUERY_NOT_FOUND" in codes:
        registered = httpx.get(base + figures.apq_target(query, with_query=True), timeout=30)
        _require_data(registered, "registering the persisted query")
        target = figures.apq_target(query, with_query=False)
        answer = httpx.get(base + target, timeout=30)
        _require_data(answer, "the persisted query by its hash")
        mode, request = "persisted query, GET", raw_request("GET", target, server.port)
        note = "an automatic persisted query (its hash alone) by GET"
    else:
        body = json.dumps({"query": query}).encode()
        answer = httpx.post(base + "/graphql", content=body, headers={"content-type": "application/json"},
                            timeout=30)
        _require_data(answer, "the story query")
        mode, request = "POST, no persisted queries", raw_request("POST", "/graphql", server.port, body,
                                                                  "application/json")
        note = ("the server did not answer the persisted-query protocol (the hash alone gave "
                f"{codes or first.status_code}), so the query itself by POST")
    (work / "story-request.http").write_bytes(request)
    (work / "story-answer.json").write_bytes(answer.content)
    return {"mode": mode, "note": note, "story": story, "bytes": len(answer.content),
            "media_type": answer.headers.get("content-type", "application/json")}


def _errors(r: httpx.Response) -> list[dict[str, Any]]:
    try:
        errors = r.json().get("errors") or []
    except ValueError:
        return []
    return errors if isinstance(errors, list) else []


def _require_data(r: httpx.Response, what: str) -> None:
    if r.status_code != 200 or _errors(r) or not (r.json().get("data") or {}).get("story"):
        raise RuntimeError(f"{what}: HTTP {r.status_code}: {r.text[:500]}")


def load(port: int, request: Path, logs: Path, name: str, connections: int, duration: float, warmup: float
         ) -> dict[str, Any]:
    done = procs.run_measured(procs.script("loadgen.py", "--port", str(port), "--request", str(request),
                                           "--connections", str(connections), "--duration", str(duration),
                                           "--warmup", str(warmup)), logs / f"load-{name}.log")
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed ({done.returncode}):\n{done.output[-4000:]}")
    result: dict[str, Any] = json.loads(done.output.strip().splitlines()[-1])
    return result


def throughput(server: procs.Server, story: str, work: Path, logs: Path, *, connections: int, duration: float,
               warmup: float, sample_jvm: Callable[[str], None] | None = None) -> dict[str, Any]:
    req = story_request(server, story, work)
    graphql = load(server.port, work / "story-request.http", logs, "graphql", connections, duration, warmup)
    after_load = procs.memory(server.pid)
    if sample_jvm:
        sample_jvm("after_load")
    port = procs.free_port()
    plain_cmd = procs.script("plain_app.py", "--port", str(port), "--body", str(work / "story-answer.json"),
                             "--media-type", req["media_type"])
    with procs.serving(plain_cmd, port, logs / "plain.log") as plain_server:
        check = httpx.get(plain_server.base + "/story", timeout=30)
        if check.content != (work / "story-answer.json").read_bytes():
            raise RuntimeError("the plain endpoint does not answer the same bytes")
        (work / "plain-request.http").write_bytes(raw_request("GET", "/story", port))
        plain = load(port, work / "plain-request.http", logs, "plain", connections, duration, warmup)
    for name, res in (("GraphQL", graphql), ("plain", plain)):
        if res["errors"] or not res["requests"]:
            raise RuntimeError(f"the {name} endpoint answered {res['statuses']} with {res['errors']} errors")
    ratio = graphql["rps"] / plain["rps"]
    req["note"] += (f"; {req['bytes']:,} bytes per answer; the load generator is one Python process on the same "
                    "2 cores as the server it measures, the same for both")
    return {**req, "graphql": graphql, "plain": plain, "ratio": round(ratio, 4), "connections": connections,
            "duration": duration, "memory_after_load": after_load}


def serve_and_measure(db: Path, probes: dict[str, Any], work: Path, logs: Path, *, runs: int, warmup: int,
                      connections: int, duration: float, load_warmup: float, start_timeout: float = 600,
                      neo: neo4j_bench.Neo4j | None = None) -> dict[str, Any]:
    """`heritage-graph serve` on ``db`` (or on ``neo``): the figures end to end, the throughput, and its
    memory (and the Neo4j JVM's, sampled at the same moments, when the suite started it)."""
    port = procs.free_port()
    with procs.serving(procs.cli("--db", str(db), "serve", "--port", str(port)), port, logs / "serve.log",
                       timeout=start_timeout, env=neo.env if neo else None) as server:
        memory = {"after_start": procs.memory(server.pid)}
        jvm: dict[str, dict[str, float]] = {}

        def sample_jvm(when: str) -> None:
            if neo is not None and (m := neo.memory()) is not None:
                jvm[when] = m

        sample_jvm("after_start")
        with httpx.Client(base_url=server.base, timeout=120, headers={"accept": "application/json"}) as client:
            log("end to end over HTTP: " + ", ".join(f.name for f in figures.FIGURES))
            e2e = measure_e2e(client, probes, runs=runs, warmup=warmup)
            memory["after_queries"] = procs.memory(server.pid)
            sample_jvm("after_queries")
            floor_http = http_floor(client, min(runs, 200))
        log(f"throughput of a repeated public story: {connections} connections, {duration:g} s each")
        tp = throughput(server, probes["story"][0], work, logs, connections=connections, duration=duration,
                        warmup=load_warmup, sample_jvm=sample_jvm)
        memory["end"] = procs.memory(server.pid)
        sample_jvm("end")
    memory["after_load"] = tp.pop("memory_after_load")
    peak = max(m["hwm_mib"] for m in memory.values())
    served = {"e2e": e2e, "http_floor": floor_http, "throughput": tp,
              "memory": {"hwm_mib": peak, "rss_mib": memory["end"]["rss_mib"], "samples": memory}}
    if jvm:
        # VmHWM of the JVM counts the import too: while serving, the largest resident set sampled.
        served["jvm_memory"] = {"serving_peak_rss_mib": max(m["rss_mib"] for m in jvm.values()),
                                "rss_mib": jvm["end"]["rss_mib"], "hwm_mib": jvm["end"]["hwm_mib"],
                                "samples": jvm}
    return served


# -- the whole run ------------------------------------------------------------------------------------


def run(args: argparse.Namespace, label: str, nodes: int, relations: int, command: str,
        store: str = "ladybug") -> dict[str, Any]:
    """One run of every step on one store (``ladybug`` or ``neo4j``); the results, targets evaluated."""
    plan = make_plan(nodes, relations, args.seed)
    started = report.now()
    load_start = os.getloadavg()[0]
    log(f"inventory: {nodes:,} nodes, {relations:,} relations, seed {args.seed}")
    data, manifest, reused = generate.cached(plan, args.data_dir, log=log)
    work = Path(tempfile.mkdtemp(prefix=f"hg-bench-{store}-", dir=args.workdir))
    logs = work / "logs"
    logs.mkdir()
    log(f"working in {work} ({STORES[store]})")
    try:
        steps = run_neo4j if store == "neo4j" else run_ladybug
        parts = steps(args, data, manifest, work, logs)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results = assemble(label=label, seed=args.seed, command=command, started=started.isoformat(), data=data,
                       manifest=manifest, reused=reused, runs=args.runs, warmup=args.warmup, **parts)
    # Other work on the machine moves every figure: say how busy it was.
    results["load_average"] = {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)}
    return results


def _log_import(imported: dict[str, Any]) -> None:
    log(f"  {imported['seconds']} s, {imported['rows_per_s']:,.0f} rows/s, "
        f"peak RSS {imported['peak_rss_mib']:,.0f} MiB" + (f" — FAILED: {imported['failed']}"
                                                            if "failed" in imported else ""))


def run_ladybug(args: argparse.Namespace, data: Path, manifest: dict[str, Any], work: Path, logs: Path
                ) -> dict[str, Any]:
    """The embedded store: import, `COPY FROM` baseline, floor, serve."""
    log("heritage-graph import into a fresh store")
    # All or nothing by default: a fresh store takes a large import by loading a copy of its graph file and
    # swapping it in (store/ladybug_swap.py), in bounded memory. --ladybug-batch-size measures the batched
    # mode instead, with a page cache of --ladybug-buffer-pool-mb.
    batch, pool = args.ladybug_batch_size, args.ladybug_buffer_pool_mb
    env = {**os.environ, "HERITAGE_BUFFER_POOL_MB": str(pool)} if pool else None
    imported = run_import(data, manifest, work / "import-store", logs, args.import_rss_limit, env=env,
                          batch_size=batch or None)
    _log_import(imported)
    if "failed" in imported:
        shutil.rmtree(work / "import-store", ignore_errors=True)  # what is left of it, for the disk
    log("COPY FROM the same rows into a fresh store")
    bulk = run_bulk_load(data, work / "copy-store", logs)
    log(f"  {bulk['seconds']} s, {bulk['rows_per_s']:,.0f} rows/s")
    # The floor's bare database: the `COPY FROM` store, with the search index an import would have
    # built (the copy made the store's tables with `init` first, so an empty index would pass for
    # current). The queries run end to end on the imported store; on the `COPY FROM` one (the same
    # nodes and relations, no revisions) when the import failed, so that they are still measured.
    copy = work / "copy-store"
    index = procs.run_measured([sys.executable, "-c", REBUILD_INDEX, str(copy)], logs / "index.log")
    if index.returncode != 0:
        raise RuntimeError(f"building the search index failed:\n{index.output[-4000:]}")
    bulk["index_seconds"] = round(index.seconds, 1)
    log(f"  search index of the `COPY FROM` store: {index.seconds:.0f} s, peak RSS {index.peak_rss_mib:,.0f} MiB")
    log("the floor on the `COPY FROM` store: native queries (bench/native.py), in a process of their own")
    floor_result, probes = run_floor(copy, data, logs, args.runs, args.warmup)
    _log_floor(floor_result)
    store = copy if "failed" in imported else work / "import-store"
    served = serve_and_measure(store, probes, work, logs, runs=args.runs,
                               warmup=args.warmup, connections=args.connections, duration=args.duration,
                               load_warmup=args.load_warmup, start_timeout=args.start_timeout)
    return {"store": {"kind": "ladybug", "version": report.machine()["ladybug"]}, "imported": imported,
            "bulk": bulk, "floor": floor_result, "served": served}


def _log_floor(result: dict[str, Any]) -> None:
    u = result["unconnected"]
    log(f"  unconnected pairs: {u['found']} ({u['note']}); forms: "
        + ", ".join(f"{k} {v['chosen']}" for k, v in result["forms"].items()))
    for name in floor.FIGURES:
        if result.get(name):
            log(f"  {name}: native p50 {result[name]['cold']['p50']} ms")


def import_limit(limit: float, neo: neo4j_bench.Neo4j) -> float:
    """The import process's resident-set limit beside the suite's JVM: what the machine has, less the
    JVM's heap and page cache, 1 GiB of the JVM's own and 2 GiB for the rest; at most ``limit``."""
    if neo.external or not neo.heap or not neo.page_cache:
        return limit
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MIB
    jvm = neo4j_bench.mib(neo.heap) + neo4j_bench.mib(neo.page_cache) + 1024
    return min(limit, total - jvm - 2048)


NO_COPY_FROM = ("no `COPY FROM` baseline on Neo4j: `COPY FROM` is LadybugDB's bulk loader, and Neo4j's "
                "(`neo4j-admin database import`) only builds a new database offline, outside the service, "
                "so there is no like-for-like rate to divide by")


def run_neo4j(args: argparse.Namespace, data: Path, manifest: dict[str, Any], work: Path, logs: Path
              ) -> dict[str, Any]:
    """Neo4j: import through the service's adapter, floor, serve; no `COPY FROM` (NO_COPY_FROM)."""
    rows = manifest["nodes"] + manifest["relations"]
    unused = work / "unused-db"  # `--db` is ignored when NEO4J_URI is set; nothing is written there
    with neo4j_bench.server(work, rows, heap=args.neo4j_heap, page_cache=args.neo4j_pagecache,
                            wipe=args.neo4j_wipe, log=log) as neo:
        # A batched service import when the CLI offers one (the streaming import's `--batch-size`): one
        # transaction of the whole inventory outgrows the heap at the default size.
        batch = args.neo4j_batch_size if "--batch-size" in import_options() else None
        log(f"heritage-graph import into Neo4j {neo.version}" + (f", --batch-size {batch:,}" if batch else ""))
        imported = run_import(data, manifest, unused, logs, import_limit(args.import_rss_limit, neo), env=neo.env,
                              batch_size=batch)
        _log_import(imported)
        bulk: dict[str, Any] = {"skipped": NO_COPY_FROM}
        if "failed" in imported:
            # Its one transaction outgrew the heap (bench/neo4j_load.py): the same rows through the same
            # adapter in smaller transactions, so that the queries are still measured at this size.
            log("loading the same rows through the adapter in batches (bench/neo4j_load.py)")
            done = procs.run_measured(procs.script("neo4j_load.py", "--data", str(data)), logs / "neo4j_load.log",
                                      env=neo.env)
            if done.returncode != 0:
                raise RuntimeError(f"the batched load into Neo4j failed ({done.returncode}):\n{done.output[-4000:]}")
            bulk["batched"] = json.loads(done.output.strip().splitlines()[-1])
            bulk["batched"]["peak_rss_mib"] = round(done.peak_rss_mib, 1)
            log(f"  {bulk['batched']['seconds']} s, {bulk['batched']['rows_per_s']:,.0f} rows/s")
        neo.sample("after_import")
        imported["store_mib"] = neo.store_mib() or 0.0
        if neo.samples:
            imported["jvm_hwm_mib"] = neo.samples["after_import"]["hwm_mib"]
        log(f"skipping `COPY FROM`: {NO_COPY_FROM}")
        log("the floor on Neo4j: native queries (bench/native.py), in a process of their own")
        floor_result, probes = run_floor(unused, data, logs, args.runs, args.warmup, env=neo.env)
        _log_floor(floor_result)
        served = serve_and_measure(unused, probes, work, logs, runs=args.runs, warmup=args.warmup,
                                   connections=args.connections, duration=args.duration,
                                   load_warmup=args.load_warmup, start_timeout=args.start_timeout, neo=neo)
    if neo.data:
        imported["store_mib"] = neo.store_mib() or 0.0  # after the checkpoint Neo4j makes as it stops
    return {"store": neo.describe(), "imported": imported, "bulk": bulk, "floor": floor_result,
            "served": served}


def _answers(sizes: dict[str, Any]) -> dict[str, Any]:
    found = [v for v in sizes.values() if v is not None]
    return {"found": len(found), "of": len(sizes), "mean_size": round(sum(found) / len(found), 2) if found else None}


def assemble(*, label: str, seed: int, command: str, started: str, data: Path, manifest: dict[str, Any],
             reused: bool, imported: dict[str, Any], bulk: dict[str, Any], floor: dict[str, Any],
             served: dict[str, Any], runs: int, warmup: int, store: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """The results of a run, with the targets evaluated."""
    latency = {}
    for figure in figures.FIGURES:
        e2e, native = served["e2e"].get(figure.name), floor.get(figure.name)
        if e2e is None:
            latency[figure.name] = None  # no probes (no unconnected pair found)
            continue
        entry: dict[str, Any] = {"e2e": {"cold": e2e["cold"], "warm": e2e["warm"]}, "calls": e2e["calls"],
                                 "answers": _answers(e2e["sizes"])}
        if native is not None:
            entry["native"] = {"cold": native["cold"], "warm": native["warm"]}
            entry["native_answers"] = native["answers"]
            entry["check"] = compare_answers(native["sizes"], e2e["sizes"])
            for mode in ("cold", "warm"):
                base = native[mode]["p50"]
                entry[f"ratio_{mode}"] = round(e2e[mode]["p50"] / base, 3) if base else None
        latency[figure.name] = entry
    results: dict[str, Any] = {
        "suite": "bench/suite.py",
        "date": started,
        "command": command,
        "store": store or {"kind": "ladybug", "version": report.machine()["ladybug"]},
        "size": {"label": label, "nodes": manifest["nodes"], "relations": manifest["relations"], "seed": seed},
        "machine": report.machine(),
        "data": {"folder": str(data), "reused": reused, "bytes": manifest["bytes"],
                 "generation_seconds": manifest["seconds"], "counts": manifest["counts"]},
        "import": imported,
        "bulk_load": bulk,
        "latency_runs": runs,
        "latency_warmup": warmup,
        "latency": latency,
        "targets_of": "issue 15",
        "floor": {"kind": "native", "forms": floor.get("forms", {}), "unconnected": floor.get("unconnected", {}),
                  "heap": floor.get("heap", "allocator defaults")},
        "http_floor": served["http_floor"],
        "throughput": served["throughput"],
        "memory": served["memory"],
    }
    if "jvm_memory" in served:
        results["jvm_memory"] = served["jvm_memory"]
    results["targets"] = report.evaluate(results)
    return results


def print_summary(results: dict[str, Any]) -> None:
    print(f"{STORES[results['store']['kind']]}, {results['size']['nodes']:,} nodes:")
    for t in results["targets"]:
        verdict = "  —   " if t["met"] is None else "MET   " if t["met"] else "MISSED"
        ratio = "" if t["ratio"] is None else f" — ratio {t['ratio']:g}"
        floor_ = "" if t.get("floor", "—") == "—" else f"; floor {t['floor']}"
        print(f"  {verdict} {t['figure']}: {t['measured']}{floor_}{ratio}; {t['by']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_size_options(parser)
    parser.add_argument("--runs", type=int, default=200, help="timed requests per figure and mode [200]")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first [20]")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per endpoint [10]")
    parser.add_argument("--load-warmup", type=float, default=2.0, help="unmeasured seconds of load first [2]")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections of the load [32]")
    parser.add_argument("--data-dir", type=Path, default=generate.DATA_DIR, help="generated inventories [bench/.data]")
    parser.add_argument("--workdir", type=Path, default=None, help="where the temporary stores go [$TMPDIR]")
    parser.add_argument("--start-timeout", type=float, default=600, help="seconds `serve` may take to answer [600]")
    parser.add_argument("--keep", action="store_true", help="keep the temporary stores and logs")
    parser.add_argument("--import-rss-limit", type=float, default=18 * 1024,
                        help="MiB of resident set past which the import is stopped and recorded as failed [18432]")
    parser.add_argument("--no-update", action="store_true",
                        help="print and write the JSON under --results only; leave BENCHMARKS.md alone")
    parser.add_argument("--results", type=Path, default=report.RESULTS, help="where the JSON goes [bench/results]")
    parser.add_argument("--store", choices=("ladybug", "neo4j", "both"), default="ladybug",
                        help="the embedded LadybugDB store, Neo4j (its own, started by tools/neo4j/launch.py, "
                             "or the one NEO4J_URI names), or both one after the other [ladybug]")
    parser.add_argument("--neo4j-heap", help="the suite's Neo4j's JVM heap, e.g. 6g [sized for the inventory]")
    parser.add_argument("--neo4j-pagecache", help="the suite's Neo4j's page cache, e.g. 2g [sized for the inventory]")
    parser.add_argument("--ladybug-batch-size", type=int, default=None,
                        help="import into LadybugDB in committed batches of so many records (`import "
                             "--batch-size`) [default: all or nothing]")
    parser.add_argument("--ladybug-buffer-pool-mb", type=int, default=None,
                        help="the import's LadybugDB page cache in MiB (HERITAGE_BUFFER_POOL_MB) [default: "
                             "the command's]")
    parser.add_argument("--neo4j-batch-size", type=int, default=20_000,
                        help="records per transaction when `heritage-graph import` offers --batch-size [20000]")
    parser.add_argument("--neo4j-wipe", action="store_true",
                        help="with NEO4J_URI: empty that Neo4j before the import and after the run")
    args = parser.parse_args(argv)
    label, nodes, relations = size_from(args, parser)
    if args.runs < 1 or args.warmup < 0 or args.duration <= 0 or args.connections < 1:
        parser.error("--runs and --connections must be at least 1, --warmup at least 0, --duration above 0")
    try:
        make_plan(nodes, relations, args.seed)
    except PlanError as exc:
        parser.error(str(exc))
    command = shlex.join([".venv/bin/python", "bench/suite.py", *(sys.argv[1:] if argv is None else argv)])
    done = []
    for store in (("ladybug", "neo4j") if args.store == "both" else (args.store,)):
        results = run(args, label, nodes, relations, command, store)
        path = report.write_results(results, args.results)
        log(f"results: {path}")
        done.append(results)
    if not args.no_update:
        report.rewrite_benchmarks(folder=args.results)
        log(f"rewrote the suite's section of {report.BENCHMARKS}")
    for results in done:
        print_summary(results)


if __name__ == "__main__":
    main()
