"""How responsive the service stays while anonymous clients send the costliest queries the limits let
through, and how fast the attacks of issue 10 are refused.

A throw-away seeded store is served (`bench/load.py`'s `own_server`, real `heritage-graph serve`).
Then, for `--duration` seconds, `--heavy` clients each send, one after another, the heaviest query
under the anonymous cost limit (a page of 200 practitioners with their relations), while one probe
sends a cheap query (a node by id) every 50 ms. The probe's latency is reported with no load first
and under the load, with the refusal time of the two attack shapes (6-deep relations from a hub, and
aliases of walks). Results: bench/results/budget-<time>.json and the printed table.

    .venv/bin/python bench/budget.py [--duration 20] [--heavy 4] [--no-turns]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.load import machine, own_server, percentile

RESULTS = Path(__file__).resolve().parent / "results"
HEAVY = "{ practitioners(first: 200) { edges { node { name relations { node { name } } } } } }"
CHEAP = '{ node(id: "pe-cusco") { name } }'


def walk(levels: int) -> str:
    inner = "id name"
    for _ in range(levels):
        inner = f"id relations {{ type node {{ {inner} }} }}"
    return f'node(id: "pe") {{ {inner} }}'


ATTACKS = {"6-deep relations from a hub": "{ " + walk(6) + " }",
           "10 aliases of a 2-hop walk": "{ " + " ".join(f"w{i}: {walk(2)}" for i in range(10)) + " }"}


def probe(client: httpx.Client, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        r = client.post("/graphql", json={"query": CHEAP})
        assert r.status_code == 200 and r.json()["data"]["node"], r.text
        out.append((time.perf_counter() - began) * 1000)
        time.sleep(0.05)


def heavy(client: httpx.Client, stop: threading.Event, out: list[float], codes: list[str]) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        r = client.post("/graphql", json={"query": HEAVY})
        out.append((time.perf_counter() - began) * 1000)
        body = r.json()
        codes.append(body["errors"][0]["extensions"]["code"] if body.get("errors") else "ok")


def stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"n": len(ordered), "p50_ms": round(percentile(ordered, 0.5), 1),
            "p95_ms": round(percentile(ordered, 0.95), 1), "max_ms": round(ordered[-1], 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--heavy", type=int, default=4)
    parser.add_argument("--no-turns", action="store_true",
                        help="Let every heavy query run at once (HERITAGE_HEAVY_CONCURRENCY=1000), for comparison.")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                              "duration_s": args.duration, "heavy_clients": args.heavy,
                              "heavy_concurrency": 1000 if args.no_turns else "default"}
    # Every request sends a token: anonymous answers would come from the response cache, and this
    # measures the work (the queries stay within the anonymous cost limit all the same).
    settings = {"HERITAGE_HEAVY_CONCURRENCY": "1000"} if args.no_turns else None
    with own_server(args.heavy + 1, 0, settings) as target, httpx.Client(
            base_url=target.base, timeout=120, headers={"authorization": f"Bearer {target.curators[-1]}"}) as client:
        idle: list[float] = []
        stop = threading.Event()
        thread = threading.Thread(target=probe, args=(client, stop, idle))
        thread.start()
        time.sleep(min(5.0, args.duration / 4))
        stop.set()
        thread.join()
        result["cheap_idle"] = stats(idle)

        refused = {}
        for name, query in ATTACKS.items():
            began = time.perf_counter()
            r = httpx.post(f"{target.base}/graphql", json={"query": query}, timeout=120)  # anonymous
            body = r.json()
            refused[name] = {"ms": round((time.perf_counter() - began) * 1000, 1), "bytes": len(query),
                             "code": body["errors"][0]["extensions"]["code"] if body.get("errors") else "ran"}
        result["attacks"] = refused

        loaded: list[float] = []
        heavy_ms: list[float] = []
        codes: list[str] = []
        stop = threading.Event()
        threads = [threading.Thread(target=heavy, args=(
            httpx.Client(base_url=target.base, timeout=120, headers={"authorization": f"Bearer {secret}"}), stop,
            heavy_ms, codes)) for secret in target.curators[:args.heavy]]
        threads.append(threading.Thread(target=probe, args=(client, stop, loaded)))
        for t in threads:
            t.start()
        time.sleep(args.duration)
        stop.set()
        for t in threads:
            t.join()
        result["cheap_under_load"] = stats(loaded)
        result["heavy"] = {**stats(heavy_ms), "outcomes": {c: codes.count(c) for c in sorted(set(codes))}}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"budget-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
