"""Server time of the explorer's record page, beside the GraphQL `node` query for the same records.

    .venv/bin/python bench/web_pages.py [--db STORE_DIR] [--runs 200] [--warmup 20]

Serves a store with `heritage-graph serve` (the Peru demo in a temporary folder by default; any store
folder with --db, or the Neo4j that NEO4J_URI names), then times over HTTP, from this process:

- `GET /records/{id}` for distinct records (cold) and for one record repeated (warm), as an anonymous
  visitor would ask them (no `If-None-Match`: the page is rendered each time);
- `GET /records/{id}` with the page's own ETag in `If-None-Match` (the 304 a returning visitor gets);
- the GraphQL `node` query of bench/figures.py for the same ids: the API figure the page sits beside.

The probes are every record the demo holds of the kinds with record pages (practitioners, elements,
communities, places, organizations), in id order, each requested once for the distinct figures
(bench/timing.py: fewer records than runs means fewer requests, n says how many). Prints one JSON
object and writes it to bench/results/web-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import figures
import httpx
import procs
from timing import measure, summary, time_each

KINDS_QUERY = """query($after: String) { search(query: "a", first: 200, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id kind } } } }"""


def record_ids(client: httpx.Client, limit: int) -> list[str]:
    """Ids of records with a page, found through the API as a visitor sees them."""
    ids: list[str] = []
    after = None
    while len(ids) < limit:
        data = client.post("/graphql", json={"query": KINDS_QUERY, "variables": {"after": after}}).json()["data"]
        ids += [e["node"]["id"] for e in data["search"]["edges"] if e["node"]["kind"] not in ("Source", "Story")]
        if not data["search"]["pageInfo"]["hasNextPage"]:
            break
        after = data["search"]["pageInfo"]["endCursor"]
    return sorted(set(ids))[:limit]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a store folder [a temporary one with the Peru demo]")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hg-web-bench-"))
    db = args.db or work / "db"
    port = procs.free_port()
    cmd = procs.cli("--db", str(db), "serve", "--port", str(port), "--seed-if-empty")
    with procs.serving(cmd, port, work / "serve.log") as server, httpx.Client(base_url=server.base, timeout=60) as c:
        ids = record_ids(c, 10_000)
        if not ids:
            raise SystemExit("error: the store holds no record with a page")

        def page(node_id: str) -> httpx.Response:
            r = c.get(f"/records/{node_id}")
            if r.status_code != 200:
                raise RuntimeError(f"/records/{node_id}: {r.status_code}")
            return r

        def api(node_id: str) -> dict[str, Any]:
            body: dict[str, Any] = c.post("/graphql", json=figures.FIGURES[0].payload(node_id)).json()
            return body

        etags = {i: page(i).headers["etag"] for i in ids[: args.runs]}
        revalidated = time_each(lambda i: c.get(f"/records/{i}", headers={"if-none-match": etags[i]}),
                                list(etags), 0,
                                check=lambda i, r: None if r.status_code == 304 else sys.exit(f"no 304 for {i}"))
        result = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "records": len(ids), "runs": args.runs,
            "warmup": args.warmup, "store": str(args.db) if args.db else "Peru demo (embedded)",
            "record_page": measure(page, ids, runs=args.runs, warmup=args.warmup),
            "record_page_304": summary(revalidated),
            "graphql_node": measure(api, ids, runs=args.runs, warmup=args.warmup),
            "page_bytes": summary([len(page(i).content) for i in ids[:50]]),
        }
    out = procs.BENCH / "results" / f"web-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
