"""`heritage-graph serve --seed-if-empty` (what `make serve` runs), as a real process."""

from __future__ import annotations

from pathlib import Path

import httpx

from .tools import running_service


def test_serve_seeds_an_empty_store_and_answers(tmp_path: Path) -> None:
    with running_service(tmp_path / "db") as server:
        r = httpx.post(f"{server.base}/graphql", json={"query": '{ lineage(id: "jesus-urbano-rojas") '
                                                                '{ nodes { depth node { id } } } }'}, timeout=10)
        depths = {n["node"]["id"]: n["depth"] for n in r.json()["data"]["lineage"]["nodes"]}
        assert depths["joaquin-lopez-antay"] == 1 and depths["manuela-momediano"] == 2
    out = server.text
    assert "the store is empty: loading the Peru seeds" in out
    # uvicorn finishes its graceful shutdown, then re-raises the SIGTERM it caught.
    assert "Application shutdown complete" in out
    assert server.proc.returncode in (0, -15), out
