"""The floor of issue 15: each figure's best single native query (bench/native.py), timed in a process
of its own on a bare database holding the same rows.

    .venv/bin/python bench/floor.py --db COPY_STORE --manifest MANIFEST [--runs 200] [--warmup 20] \
        [--probes-out PROBES.json]

On LadybugDB, ``--db`` is the `COPY FROM` store (bench/bulkload.py) with its search index built; the
graph file is opened by `ladybug` itself and the index by sqlite3. With NEO4J_URI (NEO4J_USER,
NEO4J_PASSWORD, NEO4J_DATABASE) in the environment, the queries go to that Neo4j instead and ``--db``
is not read.

Before timing anything it
1. picks the unconnected `path` probes (`choose_unconnected`): pairs of practitioners the native
   shortest-path query finds no connection for within maxDepth 8, and writes every figure's probes to
   ``--probes-out`` (the suite measures the service end to end with the same ones);
2. picks the faster lineage (and, on Neo4j, path) form among those giving the same answers.

Prints one JSON object: per figure, cold (distinct probes, as many as there are) and warm (one probe
repeated) timings, the answers' sizes per probe (for the suite to compare with the service's), and
the forms chosen.

The process first raises glibc's heap trim threshold (mallopt M_TRIM_THRESHOLD, 64 MiB), as `serve`
does (heritage_graph/ops/server.py, steady_heap). With the default, whichever heap ends up holding
Ladybug's per-query buffers is shrunk and grown again around every query, and the same calls took
about three times as long, or not, depending on the heap's layout (issue 5's floor of the resolvers'
store calls, small inventory, p50, default vs raised: `node` 10.6 vs 3.7 ms, `lineage` 29 vs 12 ms,
`search` 6.2 vs 2.0 ms, in separate runs). Issue 5's tables in BENCHMARKS.md were measured with that
floor (the resolvers' own store calls through the service's functions, then in bench/figures.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import native
from timing import distinct, measure

from heritage_graph.ops.server import steady_heap

FIGURES = ("node", "lineage", "path", "path_unconnected", "search")
SAMPLE = 50  # probes per figure whose answers are compared with the service's
# The relation types the unconnected pairs follow when the API's default types leave none unconnected
# within maxDepth (the generated inventory is a small world: every practitioner is LOCATED_IN the one
# place tree): the teaching and kinship network, where each teacher forest is a component of its own.
FALLBACK_TYPES = ["LEARNED_FROM", "KIN_OF"]
DEFAULT_TRIES = 40  # candidates tried with the default types before falling back


def candidates(pairs: list[list[str]]) -> list[list[str]]:
    """Pairs of practitioners from different path probes, deterministically: each probe's first end with
    the second end of the probe half the list away (another province, most often), then with the first
    end of the next probe (another forest)."""
    n = len(pairs)
    far = [[pairs[i][0], pairs[(i + n // 2) % n][1]] for i in range(n)]
    near = [[pairs[i][0], pairs[(i + 1) % n][0]] for i in range(n)]
    seen: set[tuple[str, str]] = set()
    out = []
    for a, b in far + near:
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            out.append([a, b])
    return out


def choose_unconnected(db: native.Native, pairs: list[list[str]], want: int, *, tries: int = DEFAULT_TRIES,
                       seconds: float = 300.0) -> dict[str, Any]:
    """The unconnected pairs, verified by the native query: with the API's default relation types when
    ``tries`` candidates give any, else with FALLBACK_TYPES. Sets ``db.path_types`` to the types used."""
    cands = candidates(pairs)
    found = native.unconnected(db, cands[:tries], want, seconds=seconds / 2)
    types: list[str] | None = None
    note = "the API's default relation types"
    if not found:
        types = FALLBACK_TYPES
        db.path_types["path_unconnected"] = types
        found = native.unconnected(db, cands, want, seconds=seconds / 2)
        note = (f"none of {min(tries, len(cands))} candidate pairs is unconnected within maxDepth "
                f"{native.PATH_DEPTH} over the default relation types (every practitioner is LOCATED_IN the "
                f"one place tree), so relationTypes {'+'.join(types)}: each teacher forest is a component")
    return {"pairs": found, "relation_types": types, "note": note, "candidates": len(cands)}


def probe_key(probe: Any) -> str:
    return probe if isinstance(probe, str) else probe["id"] if isinstance(probe, dict) else "|".join(probe)


def measure_native(db: native.Native, probes: dict[str, list[Any]], *, runs: int, warmup: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for figure in FIGURES:
        items = probes[figure]
        if not items:
            out[figure] = None
            continue
        db.prepare(figure, distinct(items))

        def call(probe: Any, f: str = figure) -> Any:
            return db.call(f, probe)

        timed: dict[str, Any] = measure(call, items, runs=runs, warmup=warmup)
        sample = distinct(items)[:SAMPLE]
        sizes = {probe_key(p): native.answer_size(figure, call(p)) for p in sample}
        found = [s for s in sizes.values() if s is not None]
        timed["answers"] = {"found": len(found), "of": len(sizes),
                            "mean_size": round(sum(found) / len(found), 2) if found else None}
        timed["sizes"] = sizes
        out[figure] = timed
    return out


def open_native(db: Path) -> native.Native:
    if os.environ.get("NEO4J_URI"):
        return native.Neo4jNative(dict(os.environ))
    return native.LadybugNative(db)


def run(db: native.Native, manifest: dict[str, Any], *, runs: int, warmup: int
        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(probes for every figure, results)."""
    probes = dict(manifest["probes"])
    chosen = choose_unconnected(db, probes["path"], min(len(probes["path"]), warmup + runs))
    probes["path_unconnected"] = chosen["pairs"]
    probes["relation_types"] = {"path_unconnected": chosen["relation_types"]}
    sample = distinct(probes["lineage"])[:20]
    forms = {"node": db.pick("node", native.NODE_FORMS[db.kind], distinct(probes["node"])[:20],
                             lambda p: {"id": p}, lambda rows: native.node_size(rows[0]) if rows else None),
             "lineage": db.pick("lineage", native.LINEAGE_FORMS[db.kind], sample, lambda p: {"id": p["id"]},
                                lambda rows: sorted(str(r[0]) for r in rows))}
    if len(native.PATH_FORMS[db.kind]) > 1:
        forms["path"] = db.pick("path", native.PATH_FORMS[db.kind], distinct(probes["path"])[:20],
                                lambda p: {"from": p[0], "to": p[1]}, lambda rows: rows[0][0] if rows else None)
    result = measure_native(db, probes, runs=runs, warmup=warmup)
    result["forms"] = forms
    result["unconnected"] = {k: v for k, v in chosen.items() if k != "pairs"} | {"found": len(chosen["pairs"])}
    result["store"] = db.kind
    return probes, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--probes-out", type=Path, help="write every figure's probes here (JSON)")
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    heap = steady_heap()
    db = open_native(args.db)
    try:
        probes, result = run(db, manifest, runs=args.runs, warmup=args.warmup)
    finally:
        db.close()
    if args.probes_out:
        args.probes_out.write_text(json.dumps(probes, ensure_ascii=False) + "\n", encoding="utf-8")
    result["heap"] = heap
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
