"""Build and run the Neo4j launcher of this folder (Launcher.java): for `make neo4j`, the tests and bench.

`python tools/neo4j/launch.py --port 7687 --data .neo4j` builds the jar when it is missing or older than
its sources (Maven, offline once ~/.m2 holds what it needs) and runs Neo4j in the foreground. The tests
and bench import `Server` to start a throw-away one on a free port and stop (or kill) it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
JAR = HERE / "target" / "heritage-neo4j.jar"
# A bounded JVM: Neo4j's heap plus its page cache stay near 1.5 GiB, a fraction of a 24 GiB machine,
# and two of them (tests, a replica or fault test) fit beside the suite.
HEAP = "1g"
PAGE_CACHE = "512m"
READY_SECONDS = 180


class LaunchError(RuntimeError):
    """Neo4j could not be built or started; the message says why and what to check."""


def unavailable() -> str | None:
    """Why this machine cannot run the launcher (no java or no mvn on PATH), or None."""
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        return (f"{' and '.join(missing)} not found on PATH: the Neo4j tests start a Neo4j 5.26 server "
                "built with Maven (tools/neo4j/README.md); install OpenJDK 17 and Maven, or set NEO4J_URI "
                "to a running Neo4j 5")
    return None


def stale() -> bool:
    """Whether the jar is missing or older than the pom or a Java source."""
    if not JAR.exists() or not (JAR.parent / "lib").is_dir():
        return True
    built = JAR.stat().st_mtime
    sources = [HERE / "pom.xml", *(HERE / "src").rglob("*.java")]
    return any(p.stat().st_mtime > built for p in sources)


def build(*, quiet: bool = True) -> Path:
    """The jar, built first when stale: offline first (Maven's cache), then from Maven Central."""
    if not stale():
        return JAR
    reason = unavailable()
    if reason:
        raise LaunchError(reason)
    base = ["mvn", "-B", "-DskipTests", "-f", str(HERE / "pom.xml"), "package"]
    if quiet:
        base.insert(1, "-q")
    for extra in (["-o"], []):
        done = subprocess.run(base[:1] + extra + base[1:], capture_output=quiet, text=True)
        if done.returncode == 0 and JAR.exists():
            return JAR
    tail = (done.stdout + done.stderr)[-3000:] if quiet else ""
    raise LaunchError(f"building the Neo4j launcher failed (mvn exit {done.returncode}); "
                      f"run `make neo4j-build` to see Maven's output\n{tail}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One Neo4j JVM on 127.0.0.1: start it, read its `ready` line, stop it with SIGTERM or kill it."""

    def __init__(self, data: Path | None = None, port: int | None = None, password: str | None = None,
                 heap: str = HEAP, page_cache: str = PAGE_CACHE) -> None:
        self._owned_data = data is None
        self.data = Path(data) if data is not None else Path(tempfile.mkdtemp(prefix="neo4j-"))
        self.port = port or free_port()
        self.password = password or secrets.token_urlsafe(12)
        self.heap = heap
        self.page_cache = page_cache
        self.proc: subprocess.Popen[str] | None = None
        self.ready_line = ""
        self._stderr: list[str] = []
        self._readers: list[threading.Thread] = []

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {"NEO4J_URI": self.uri, "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": self.password}

    def command(self) -> list[str]:
        return ["java", f"-Xmx{self.heap}", f"-Xms{self.heap}", "-jar", str(JAR), "--port", str(self.port),
                "--data", str(self.data), "--pagecache", self.page_cache, "--stop-with-stdin"]

    def start(self, timeout: float = READY_SECONDS) -> Server:
        build()
        env = {**os.environ, "NEO4J_PASSWORD": self.password}
        pipe = subprocess.PIPE
        self.proc = subprocess.Popen(self.command(), stdin=pipe, stdout=pipe, stderr=pipe, text=True, env=env,
                                     start_new_session=True)
        self._stderr = []
        ready: list[str] = []
        said = threading.Event()
        self._readers = [threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True),
                         threading.Thread(target=self._read_stdout, args=(self.proc, ready, said), daemon=True)]
        for reader in self._readers:
            reader.start()
        said.wait(timeout)
        if not ready:
            self.kill()
            log = "".join(self._stderr)[-3000:]
            raise LaunchError(f"Neo4j did not say ready within {timeout:.0f} s (exit {self.proc.returncode}); "
                              f"its log: {self.data / 'logs' / 'debug.log'}\n{log}")
        self.ready_line = ready[0]
        return self

    @staticmethod
    def _read_stdout(proc: subprocess.Popen[str], ready: list[str], said: threading.Event) -> None:
        """Sets `said` at the ready line or at the end of output (a failed start), and drains the rest."""
        assert proc.stdout is not None
        for line in proc.stdout:
            if not ready and " ready " in line:
                ready.append(line.strip())
                said.set()
        said.set()

    def _drain_stderr(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr.append(line)
            del self._stderr[:-200]

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM, and wait for the clean shutdown (SIGKILL after `timeout`)."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        finally:
            self._close_pipes()

    def kill(self) -> None:
        """SIGKILL: a crash, as a fault test wants it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self._close_pipes()

    def _close_pipes(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            # The readers reach the end of output once the JVM is gone; then their pipes can close.
            for reader in self._readers:
                reader.join(10)
            for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    pipe.close()

    def close(self) -> None:
        self.stop()
        if self._owned_data:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build (when needed) and run Neo4j in the foreground.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("NEO4J_PORT", "7687")))
    parser.add_argument("--data", default=os.environ.get("NEO4J_DATA", ".neo4j"),
                        help="store folder (default .neo4j, kept between runs)")
    parser.add_argument("--password", default=os.environ.get("NEO4J_PASSWORD"),
                        help="password of the user neo4j (default: NEO4J_PASSWORD, else 'heritage-dev')")
    parser.add_argument("--heap", default=HEAP)
    parser.add_argument("--pagecache", default=PAGE_CACHE)
    parser.add_argument("--build-only", action="store_true", help="build the jar and exit")
    args = parser.parse_args(argv)
    try:
        build(quiet=False)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.build_only:
        print(f"built {JAR}")
        return 0
    env = {**os.environ, "NEO4J_PASSWORD": args.password or "heritage-dev"}
    cmd = ["java", f"-Xmx{args.heap}", f"-Xms{args.heap}", "-jar", str(JAR), "--port", str(args.port),
           "--data", args.data, "--pagecache", args.pagecache]
    # exec: the JVM gets the terminal's signals itself (Ctrl-C and SIGTERM stop it cleanly).
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
