"""`heritage-graph serve --seed-if-empty` (what `make serve` runs), as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_seeds_an_empty_store_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "heritage_graph.cli", "--db", str(tmp_path / "db"), "serve", "--port", str(port),
         "--seed-if-empty"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        r = httpx.post(f"{base}/graphql", json={"query": '{ lineage(id: "jesus-urbano-rojas") '
                                                         '{ nodes { depth node { id } } } }'}, timeout=10)
        depths = {n["node"]["id"]: n["depth"] for n in r.json()["data"]["lineage"]["nodes"]}
        assert depths["joaquin-lopez-antay"] == 1 and depths["manuela-momediano"] == 2
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "the store is empty: loading the Peru seeds" in out
    # uvicorn finishes its graceful shutdown, then re-raises the SIGTERM it caught.
    assert "Application shutdown complete" in out
    assert proc.returncode in (0, -15), out
