"""Child processes of the suite: commands timed with their peak memory, servers started and stopped,
and what /proc says about a running one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
MIB = 1024 * 1024


ROOT = BENCH.parent


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without the service's settings: children use the store they are given (``extra``,
    e.g. the NEO4J_* of the suite's own Neo4j), never a Neo4j or a folder the caller's shell points at.
    They import the code of this checkout (PYTHONPATH first), not whatever checkout the virtual
    environment's editable install names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HERITAGE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return {**env, **(extra or {})}


def cli(*args: str) -> list[str]:
    """`heritage-graph ARGS` with the suite's own Python (the console script runs the same `run()`)."""
    return [sys.executable, "-m", "heritage_graph.cli", *args]


def script(name: str, *args: str) -> list[str]:
    return [sys.executable, str(BENCH / name), *args]


@dataclass(frozen=True)
class Finished:
    returncode: int
    seconds: float
    peak_rss_mib: float
    output: str
    over_memory: bool = False  # killed for passing the resident-set limit it was run with


def run_measured(cmd: Sequence[str], log: Path, rss_limit_mib: float | None = None,
                 env: Mapping[str, str] | None = None) -> Finished:
    """Run ``cmd`` to the end, output to ``log``; wall time and the child's peak resident set (wait4).
    With ``rss_limit_mib`` the child is killed once its resident set passes it (a run that would
    otherwise take the machine's memory, and everything else running, with it)."""
    over = False
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, env=clean_env(env))
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG if rss_limit_mib else 0)
                if pid:
                    break
                try:
                    rss = memory(proc.pid)["rss_mib"]
                except (OSError, KeyError):
                    rss = 0.0
                if rss > (rss_limit_mib or float("inf")):
                    over = True
                    proc.kill()
                time.sleep(0.5)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux.
    return Finished(proc.returncode, seconds, usage.ru_maxrss / 1024, log.read_text(errors="replace"), over)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory(pid: int) -> dict[str, float]:
    """Resident set now (VmRSS) and at its peak so far (VmHWM), MiB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mib": round(fields["VmRSS"], 1), "hwm_mib": round(fields["VmHWM"], 1)}


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    base: str

    @property
    def pid(self) -> int:
        return self.proc.pid


@contextmanager
def serving(cmd: Sequence[str], port: int, log: Path, *, ready: str = "/healthz", timeout: float = 300,
            env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """Start a server, wait until ``ready`` answers 200, and stop it (SIGTERM, then SIGKILL) on exit."""
    out = log.open("wb")
    proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, env=clean_env(env))
    server = Server(proc, port, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            with suppress(httpx.TransportError):
                if httpx.get(server.base + ready, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(cmd)} did not answer {ready} within {timeout:g} s")
            time.sleep(0.2)
        yield server
    finally:
        stop(proc)
        out.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
