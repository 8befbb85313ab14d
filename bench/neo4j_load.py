"""The Neo4j store for the queries when `heritage-graph import` cannot load an inventory in one transaction.

    NEO4J_URI=… NEO4J_PASSWORD=… .venv/bin/python bench/neo4j_load.py --data INVENTORY_DIR [--batch ROWS]

The import is all or nothing (docs/interchange.md), so Neo4j holds its whole state on the heap until
the commit, and past some size that state outgrows the largest heap the machine can give
(`MemoryPoolOutOfMemoryError`; BENCHMARKS.md has the sizes). The suite then loads the same rows
through the same adapter (`Neo4jStore.apply`: the nodes with their full-text fields and sources, the
relations, the store's search token total), in transactions of ``--batch`` rows, so that the queries
are still measured at that size, as the embedded store's are on its `COPY FROM` store. Like that
store, it holds no revisions: each record is stamped as bench/bulkload.py stamps it. The database must
be empty. Three passes over the files: the Source nodes (which the others cite), the other nodes, and
the relations. Prints one JSON object: rows, seconds, rows per second, transactions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bulkload import STAMP, _records

from heritage_graph.model import Changes, Node, Relation
from heritage_graph.store.neo4j import Neo4jStore

BATCH_ROWS = 20_000


def _batches(records: Iterator[Node | Relation], keep: Callable[[Node | Relation], bool], size: int
             ) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for rec in records:
        if keep(rec):
            batch.append(replace(rec, **STAMP))
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def load(store: Neo4jStore, data: Path, files: list[str], size: int) -> dict[str, Any]:
    passes: list[Callable[[Node | Relation], bool]] = [
        lambda r: isinstance(r, Node) and r.kind == "Source",
        lambda r: isinstance(r, Node) and r.kind != "Source",
        lambda r: isinstance(r, Relation),
    ]
    rows = transactions = 0
    started = time.perf_counter()
    for keep in passes:
        for batch in _batches(_records(data, files), keep, size):
            if isinstance(batch[0], Node):
                store.apply(Changes(nodes=batch, expected={("node", n.id): 0 for n in batch}))
                rows += len(batch) + sum(len(n.sources) for n in batch)
            else:
                store.apply(Changes(relations=batch))
                rows += len(batch)
            transactions += 1
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds, 1),
            "batch_rows": size, "transactions": transactions}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder bench/generate.py wrote")
    parser.add_argument("--batch", type=int, default=BATCH_ROWS, help=f"records per transaction [{BATCH_ROWS:,}]")
    args = parser.parse_args(argv)
    manifest = json.loads((args.data / "manifest.json").read_text(encoding="utf-8"))
    store = Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                       os.environ.get("NEO4J_PASSWORD"), os.environ.get("NEO4J_DATABASE", "neo4j")).open()
    try:
        store.init()
        if store.count_nodes():
            raise SystemExit("error: the Neo4j database is not empty; the load needs an empty one")
        result = load(store, args.data, manifest["files"], args.batch)
    finally:
        store.close()
    expected = manifest["nodes"] + manifest["relations"]
    if result["rows"] != expected:
        raise SystemExit(f"error: loaded {result['rows']} rows, the inventory has {expected}")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
