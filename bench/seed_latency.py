"""Baseline latency of the core read paths on the Peru seeds, in process over ASGI.

    .venv/bin/python bench/seed_latency.py [--runs 60]

Seeds a throw-away embedded store, then times each GraphQL request end to end
through the ASGI app (httpx, no network), discarding the first 10 runs. The
national-scale benchmark suite (issue 5) replaces this; it stays as the small,
quick baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.ladybug import LadybugStore

QUERIES = {
    "node with relations": '{ node(id: "jesus-urbano-rojas") { id name ... on Practitioner { teachers { node { id } }'
                           ' students { node { id } } kin { node { id } } } } }',
    "lineage": '{ lineage(id: "jesus-urbano-rojas") { nodes { depth node { id } } edges { from to } } }',
    "path": '{ path(from: "jesus-urbano-rojas", to: "taquile-textile-art", maxDepth: 10) { length } }',
    "search with facets": '{ search(query: "danza de tijeras") { totalCount edges { snippet node { id } } '
                          'facets { kinds { kind count } regions { id count } } } }',
    "story": '{ story(id: "story-qoylluriti", language: "en") { title body } }',
}


async def measure(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = LadybugStore(Path(tmp) / "db").open()
        store.init()
        started = time.perf_counter()
        run_import(store, seed_files(), actor=SEED_ACTOR)
        print(f"seed import: {time.perf_counter() - started:.2f} s")
        app = create_app(Settings(), store=store)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for name, query in QUERIES.items():
                times = []
                for _ in range(runs + 10):
                    t = time.perf_counter()
                    r = await client.post("/graphql", json={"query": query})
                    times.append((time.perf_counter() - t) * 1000)
                    assert "errors" not in r.json(), r.text
                times = sorted(times[10:])
                p95 = times[max(0, int(len(times) * 0.95) - 1)]
                print(f"{name:20} p50 {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")
        store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    asyncio.run(measure(parser.parse_args().runs))
