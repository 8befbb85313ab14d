"""The floor: the store calls each resolver makes, timed in a process of their own.

    .venv/bin/python bench/floor.py --db STORE --manifest MANIFEST [--runs 200] [--warmup 20] [--read-only]

Opens the store as `serve` does (`open_store(settings, serving=True)`, the same page cache) but without
`init`, and writes nothing; run it while no server has the store open (Ladybug allows one process per
store folder). On Neo4j (NEO4J_URI... in the environment, as `serve` reads them) the same calls go to
that server, at any time. Prints one JSON object: per figure, cold (distinct probes) and warm (one probe
repeated) timings, and the size of the answers.

The process first raises glibc's heap trim threshold (mallopt M_TRIM_THRESHOLD, 64 MiB), as `serve`
does (heritage_graph/ops/server.py, steady_heap). With the default, whichever heap ends up holding
Ladybug's per-query buffers is shrunk and grown again around
every query, and the same calls take about three times as long, or not, depending on the heap's
layout (small inventory, p50, default vs raised: `node` 10.6 vs 3.7 ms, `lineage` 29 vs 12 ms,
`search` 6.2 vs 2.0 ms, in separate runs).

Not read-only by default: LadybugDB 0.22 answers point lookups more slowly in read-only mode (a
`path`, which makes hundreds of them, took 2.3 times as long on the small inventory), so a read-only
floor would not be the floor of the server's own calls. --read-only measures that mode.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from figures import FIGURES, Figure
from timing import cycle, measure

from heritage_graph.ops.server import steady_heap
from heritage_graph.settings import Settings
from heritage_graph.store import open_store
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import LadybugStore


def answer_size(figure: Figure, answer: Any) -> float | None:
    """How big an answer is: relations listed, lineage nodes, path length, search total; None when null."""
    if answer is None:
        return None
    if figure.name == "node":
        return len(answer)
    if figure.name == "lineage":
        return len(answer.depths)
    if figure.name == "path":
        return answer.length
    return answer.total


def measure_floor(store: Store, probes: dict[str, list[Any]], *, runs: int, warmup: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for figure in FIGURES:
        def call(probe: Any, f: Figure = figure) -> Any:
            return f.floor(store, probe)

        out[figure.name] = _measure_one(figure, call, probes[figure.probes], runs=runs, warmup=warmup)
    return out


def _measure_one(figure: Figure, call: Callable[[Any], Any], items: list[Any], *, runs: int, warmup: int
                 ) -> dict[str, Any]:
    timed: dict[str, Any] = measure(call, items, runs=runs, warmup=warmup)
    sizes = [answer_size(figure, call(p)) for p in cycle(items, min(runs, len(items)), warmup)]
    found = [s for s in sizes if s is not None]
    timed["answers"] = {"found": len(found), "of": len(sizes),
                        "mean_size": round(sum(found) / len(found), 2) if found else None}
    return timed


def open_like_serve(db: Path, read_only: bool) -> Store:
    """The store as `serve` opens it (its page cache too), without `init`; or read-only. Neo4j when the
    environment names one (NEO4J_URI...), as for `serve`; ``db`` is then not used."""
    settings = replace(Settings.from_env(), db_path=db)
    if read_only and not settings.neo4j_uri:
        return LadybugStore(db, read_only=True).open()
    serving = {"serving": True} if "serving" in inspect.signature(open_store).parameters else {}
    return open_store(settings, init=False, **serving)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--read-only", action="store_true", help="open the store read-only")
    args = parser.parse_args(argv)
    probes = json.loads(args.manifest.read_text(encoding="utf-8"))["probes"]
    heap = steady_heap()
    store = open_like_serve(args.db, args.read_only)
    try:
        result = measure_floor(store, probes, runs=args.runs, warmup=args.warmup)
    finally:
        store.close()
    result["heap"] = heap
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
