"""Search quality on the Peru seeds: recall@5 and MRR of a judged set of queries, per store.

    .venv/bin/python bench/search_quality.py [--neo4j] [--raise-floor]

Loads the seeds (seeds/*.jsonl) into an embedded store in a temporary folder, and with --neo4j into a
Neo4j too (the one NEO4J_URI names, which must be empty, else one started through tools/neo4j), asks
every query of search_judged.jsonl as a reader of the web search page would (the discovery service,
its first ten hits) and prints, per store, in total and by kind of query (spelling variant, typo,
partial word, name), the share of queries whose expected record is among the first five hits
(recall@5) and the mean of 1/rank of the expected record among the first ten (MRR; 0 when absent),
then every query whose record is not first.

The judged set was written from how the records' names are spelt by people (Quechua and Aymara
spellings, Spanish and English names, typos, partial words), each with the record a person asking
it looks for, before the ranking was measured against it: a query is not changed to pass.

search_quality_floor.json holds the figures tests/test_search_quality.py requires of the embedded
store (both stores answer alike, tests/test_parity.py); --raise-floor writes today's figures there
when they are higher, never lower.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from heritage_graph.cli import SEED_ACTOR, seed_files  # noqa: E402
from heritage_graph.services.discovery import search  # noqa: E402
from heritage_graph.services.importer import run_import  # noqa: E402
from heritage_graph.services.paging import Window  # noqa: E402
from heritage_graph.store.base import Store  # noqa: E402
from heritage_graph.store.ladybug import LadybugStore  # noqa: E402

JUDGED = HERE / "search_judged.jsonl"
FLOOR = HERE / "search_quality_floor.json"
DEPTH = 10  # hits read per query (MRR counts a record found below this as not found)
RECALL_AT = 5


def judged(path: Path = JUDGED) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rank(store: Store, query: str, expected: str) -> int | None:
    """The position (1-based) of ``expected`` among the first DEPTH hits, or None."""
    hits = [h.node.id for h in search(store, query, page=Window(size=DEPTH)).hits]
    return hits.index(expected) + 1 if expected in hits else None


def scores(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {"queries": len(ranks),
            "recall_at_5": round(sum(1 for r in ranks if r is not None and r <= RECALL_AT) / n, 4),
            "mrr": round(sum(1 / r for r in ranks if r is not None) / n, 4)}


def measure(store: Store, queries: list[dict[str, str]]) -> dict[str, Any]:
    """Scores in total and by kind of query, and the queries whose record is not first."""
    ranks = [rank(store, q["query"], q["expected"]) for q in queries]
    by_kind: dict[str, list[int | None]] = defaultdict(list)
    for q, r in zip(queries, ranks, strict=True):
        by_kind[q["kind"]].append(r)
    return {"total": scores(ranks), "by_kind": {k: scores(v) for k, v in sorted(by_kind.items())},
            "not_first": [{"query": q["query"], "expected": q["expected"], "rank": r}
                          for q, r in zip(queries, ranks, strict=True) if r != 1]}


@contextmanager
def seeded(store: Store, *, wipe: bool = False) -> Iterator[Store]:
    """``store`` (open) initialised and loaded with the seeds; emptied again (``wipe``) and closed after."""
    try:
        store.init()
        run_import(store, seed_files(), actor=SEED_ACTOR)
        yield store
    finally:
        if wipe:
            store.delete_all()
        store.close()


def raise_floor(measured: dict[str, float], path: Path = FLOOR) -> dict[str, float]:
    """The floor, each figure raised to ``measured`` where that is higher; written back."""
    floor = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    new = {k: max(floor.get(k, 0.0), measured[k]) for k in ("recall_at_5", "mrr")}
    path.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
    return new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--neo4j", action="store_true", help="measure a Neo4j store too")
    parser.add_argument("--raise-floor", action="store_true", help="raise search_quality_floor.json to today's")
    args = parser.parse_args()
    queries = judged()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with seeded(LadybugStore(Path(tmp) / "db").open()) as store:
            results["embedded"] = measure(store, queries)
        if args.neo4j:
            import neo4j_bench

            with neo4j_bench.server(Path(tmp), 2000, heap=None, page_cache=None, wipe=False,
                                    log=lambda m: print(m, file=sys.stderr)) as neo, \
                    seeded(neo4j_bench._store(neo.env), wipe=True) as store:
                results["neo4j"] = measure(store, queries)
    # Both stores' queries together (each store's figures are above).
    stores = list(results.values())
    results["total"] = {k: round(sum(s["total"][k] for s in stores) / len(stores), 4)
                        for k in ("recall_at_5", "mrr")}
    if args.raise_floor:
        results["floor"] = raise_floor(results["embedded"]["total"])
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
