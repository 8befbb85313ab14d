"""The floor: the store calls each resolver makes, timed in a process of their own.

    .venv/bin/python bench/floor.py --db STORE --manifest MANIFEST [--runs 200] [--warmup 20] [--read-only]

Opens the store as `serve` does — but without `init`, and it writes nothing — while no server has it
open (Ladybug allows one process per store folder), and prints one JSON object: per figure, cold
(distinct probes) and warm (one probe repeated) timings, and the size of the answers.

Not read-only by default: LadybugDB 0.22 answers point lookups more slowly in read-only mode (a
`path`, which makes hundreds of them, took 2.3 times as long on the small inventory), so a read-only
floor would not be the floor of the server's own calls. --read-only measures that mode.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from figures import FIGURES, Figure
from timing import cycle, measure

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
        items = probes[figure.probes]
        timed = measure(lambda p, f=figure: f.floor(store, p), items, runs=runs, warmup=warmup)  # type: ignore[misc]
        sizes = [answer_size(figure, figure.floor(store, p)) for p in cycle(items, min(runs, len(items)), warmup)]
        found = [s for s in sizes if s is not None]
        timed["answers"] = {"found": len(found), "of": len(sizes),
                            "mean_size": round(sum(found) / len(found), 2) if found else None}
        out[figure.name] = timed
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--read-only", action="store_true", help="open the store read-only")
    args = parser.parse_args(argv)
    probes = json.loads(args.manifest.read_text(encoding="utf-8"))["probes"]
    store = LadybugStore(args.db, read_only=args.read_only).open()
    try:
        result = measure_floor(store, probes, runs=args.runs, warmup=args.warmup)
    finally:
        store.close()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
