"""Graph queries before and after: the breadth-first searches against the stores' native queries.

    .venv/bin/python bench/graph_queries.py --db STORE --manifest MANIFEST [--runs 100] [--warmup 10]

Opens the store as `serve` does (no `init`, nothing written; no server may have it open) and times,
over distinct probes from the generator's manifest, for an anonymous reader:

- `lineage` to depth 12 (ancestors along LEARNED_FROM) and `path` (maxDepth 6, the API's default,
  and maxDepth 8), through services/graph.py as the resolvers call it, with ``graph.NATIVE`` off
  (the level-by-level searches: before) and on (one native query: after);
- `path` between pairs with no connection within maxDepth 8, where the search must exhaust what it
  can reach: pairs of practitioners of different teaching forests, along LEARNED_FROM only (with
  every relation type, the synthetic inventory joins everything within a few steps);
- the native query alone (``lineage_reach``, ``shortest_paths``): the floor of each;
- `node` with its relations and the far ends' names, and `lineage` and `path`, end to end over the
  ASGI app in process (response cache off), with the number of store calls each request made, with
  ``graph.NATIVE`` off and on.

Prints one JSON object of p50/p95 milliseconds per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from timing import summary, time_each

from heritage_graph.app import create_app
from heritage_graph.ops.server import steady_heap
from heritage_graph.services import graph
from heritage_graph.settings import Settings
from heritage_graph.store import open_store
from heritage_graph.store.base import Store
from heritage_graph.visibility import PUBLIC, Gate

LINEAGE_DEPTH = 12
NODE_QUERY = "query($id: ID!) { node(id: $id) { id kind name relations { type from to node { id name } } } }"
LINEAGE_QUERY = ("query($id: ID!) { lineage(id: $id, maxDepth: 12) { root { id } nodes { depth node { id name } } "
                 "edges { from to type } } }")
PATH_QUERY = ("query($a: ID!, $b: ID!, $d: Int!) { path(from: $a, to: $b, maxDepth: $d) { length nodes { id name } "
              "edges { from to type } } }")


def lineage(store: Store, node_id: str) -> Any:
    gate = Gate(store, PUBLIC)
    return graph.lineage(store, node_id, ancestors=True, relation="LEARNED_FROM", max_depth=LINEAGE_DEPTH,
                         visible=gate.visible, fetch=gate.get_nodes)


def path(store: Store, pair: tuple[str, str], depth: int, types: list[str] | None = None) -> Any:
    gate = Gate(store, PUBLIC)
    return graph.path(store, pair[0], pair[1], max_depth=depth, relation_types=types, visible=gate.visible,
                      fetch=gate.get_nodes)


def unconnected_pairs(store: Store, lineages: list[str], want: int) -> list[tuple[str, str]]:
    """Pairs of lineage roots with no LEARNED_FROM connection within 8 steps, by the native query."""
    rng = random.Random(5)
    found: list[tuple[str, str]] = []
    tries = 0
    while len(found) < want and tries < want * 20:
        tries += 1
        a, b = rng.sample(lineages, 2)
        if not store.shortest_paths(a, b, ["LEARNED_FROM"], max_depth=8, visibility=None,  # type: ignore[attr-defined]
                                    cap=1):
            found.append((a, b))
    return found


def timed(call: Callable[[Any], Any], probes: list[Any], warmup: int) -> dict[str, Any]:
    return summary(time_each(call, probes, warmup=warmup)[warmup:] if warmup < len(probes) else
                   time_each(call, probes))


def both(name: str, call: Callable[[Any], Any], probes: list[Any], warmup: int, out: dict[str, Any]) -> None:
    for native in (False, True):
        graph.NATIVE = native
        out[f"{name} ({'native' if native else 'searched'})"] = timed(call, probes, warmup)
    graph.NATIVE = True


def end_to_end(store: Store, probes: dict[str, list[Any]], warmup: int) -> dict[str, Any]:
    app = create_app(replace(Settings(), cache_max_age=0, cache_entries=0, cache_bytes=0), store=store)
    runner = asyncio.Runner()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    out: dict[str, Any] = {}
    calls: dict[str, list[int]] = {}
    failed: dict[str, int] = {}

    def ask(name: str, query: str) -> Callable[[dict[str, Any]], Any]:
        def call(variables: dict[str, Any]) -> Any:
            before = getattr(store, "calls", 0)
            r = runner.run(client.post("/graphql", json={"query": query, "variables": variables}))
            body = r.json()
            if body.get("errors"):  # counted (a time budget run out, say), not timed apart
                failed[name] = failed.get(name, 0) + 1
            calls.setdefault(name, []).append(getattr(store, "calls", 0) - before)
            return body
        return call

    figures = {
        "node": (NODE_QUERY, [{"id": i} for i in probes["node"]]),
        "lineage": (LINEAGE_QUERY, [{"id": p} for p in probes["lineage"]]),
        "path (maxDepth 6)": (PATH_QUERY, [{"a": a, "b": b, "d": 6} for a, b in probes["path"]]),
        "path unconnected (maxDepth 8)": (PATH_QUERY.replace("maxDepth: $d)", "maxDepth: $d, relationTypes: "
                                                                         "[LEARNED_FROM])"),
                                          [{"a": a, "b": b, "d": 8} for a, b in probes["unconnected"]]),
    }
    for name, (query, items) in figures.items():
        out[name] = timed(ask(name, query), items, warmup)
        out[name]["store_calls"] = sorted(set(calls[name]))
        out[name]["errors"] = failed.get(name, 0)
    runner.run(client.aclose())
    runner.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--db", "--manifest"):
        parser.add_argument(flag, type=Path, required=True)
    parser.add_argument("--runs", type=int, default=100, help="distinct probes timed per figure")
    parser.add_argument("--warmup", type=int, default=10, help="untimed probes first")
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))["probes"]
    heap = steady_heap()
    store = open_store(replace(Settings.from_env(), db_path=args.db), init=False, serving=True)
    n = args.runs + args.warmup
    try:
        lineages = [p["id"] for p in manifest["lineage"]]
        probes = {"node": manifest["node"][:n], "lineage": lineages[:n],
                  "path": [tuple(p) for p in manifest["path"][:n]],
                  "unconnected": unconnected_pairs(store, lineages, n)}
        w = args.warmup
        out: dict[str, Any] = {"heap": heap, "unconnected_pairs": len(probes["unconnected"])}
        services: dict[str, Any] = {}
        both("lineage depth 12", lambda p: lineage(store, p), probes["lineage"], w, services)
        both("path maxDepth 6", lambda p: path(store, p, 6), probes["path"], w, services)
        both("path maxDepth 8", lambda p: path(store, p, 8), probes["path"], w, services)
        both("path unconnected maxDepth 8", lambda p: path(store, p, 8, ["LEARNED_FROM"]), probes["unconnected"], w,
             services)
        types = [r for r in graph.schema.RELATIONS if r not in graph.PATH_DEFAULT_EXCLUDED]
        services["native lineage query alone"] = timed(
            lambda p: store.lineage_reach(p, "LEARNED_FROM", ancestors=True,  # type: ignore[attr-defined]
                                          max_depth=LINEAGE_DEPTH), probes["lineage"], w)
        services["native path query alone (maxDepth 6)"] = timed(
            lambda p: store.shortest_paths(p[0], p[1], types, max_depth=6,  # type: ignore[attr-defined]
                                           visibility=None, cap=graph.PATH_CAP), probes["path"], w)
        services["native path query alone, unconnected (maxDepth 8)"] = timed(
            lambda p: store.shortest_paths(p[0], p[1], ["LEARNED_FROM"], max_depth=8,  # type: ignore[attr-defined]
                                           visibility=None, cap=graph.PATH_CAP), probes["unconnected"], w)
        out["services"] = services
        for native in (False, True):
            graph.NATIVE = native
            out[f"end_to_end ({'native' if native else 'searched'})"] = end_to_end(store, probes, w)
    finally:
        store.close()
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
