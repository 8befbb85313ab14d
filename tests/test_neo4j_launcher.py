"""The Neo4j launcher of tools/neo4j: what `make neo4j` and the test runs rely on."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_NEO4J
from tools.neo4j.launch import JAR, Server, build, free_port, unavailable

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def jar() -> Path:
    reason = unavailable()
    if reason:
        (pytest.fail if REQUIRE_NEO4J else pytest.skip)(reason)
    return build()


def launch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["java", "-Xmx256m", "-jar", str(JAR), *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NEO4J_PASSWORD": "", **(env or {})})


@pytest.mark.parametrize(("args", "message"), [
    (["--data", "x", "--password", "long-enough"], "--port and --data are required"),
    (["--port", "70000", "--data", "x", "--password", "long-enough"], "--port 70000: not a port"),
    (["--port", "7999", "--data", "x"], "no password: give --password or set NEO4J_PASSWORD"),
    (["--port", "7999", "--data", "x", "--password", "short"], "the password has 5 characters"),
    (["--port", "7999", "--data", "x", "--password", "long-enough", "--pagecache", "lots"],
     "--pagecache lots: not a size"),
    (["--port", "7999", "--data", "x", "--password", "long-enough", "--config", "no.such=1"],
     "--config no.such=1: not SETTING=VALUE"),
    (["--port", "7999", "--data", "x", "--password", "long-enough", "--verbose"], "unknown argument --verbose"),
])
def test_bad_arguments_are_named_and_exit_2(jar: Path, tmp_path: Path, args: list[str], message: str) -> None:
    args = [str(tmp_path / a) if a == "x" else a for a in args]
    done = launch(*args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Exception" not in done.stderr


def test_a_folder_that_is_not_a_store_is_refused(jar: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    done = launch("--port", str(free_port()), "--data", str(tmp_path), "--password", "long-enough")
    assert done.returncode == 2
    assert "neither empty nor a Neo4j store made by this launcher" in done.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_port_in_use_is_refused(jar: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = launch("--port", str(port), "--data", str(tmp_path / "s"), "--password", "long-enough")
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr


def test_ready_line_export_sigterm_and_a_restart_with_another_password(jar: Path, tmp_path: Path) -> None:
    import neo4j
    from neo4j.exceptions import AuthError

    password = "it's a $ecret & more"
    server = Server(data=tmp_path / "store", password=password)
    server.start()
    try:
        assert "ready" in server.ready_line.split()
        export = server.ready_line[server.ready_line.index("export "):]
        # The line is pasted into a shell: what the shell makes of it is exactly the server's settings.
        shell = subprocess.run(["bash", "-c", f'{export}; printf "%s\\n" "$NEO4J_URI" "$NEO4J_USER" '
                                '"$NEO4J_PASSWORD"'], capture_output=True, text=True, check=True)
        assert shell.stdout.splitlines() == [server.uri, "neo4j", password]
        with neo4j.GraphDatabase.driver(server.uri, auth=("neo4j", password)) as driver:
            driver.execute_query("CREATE (:Probe {n: 1})")
    finally:
        status = server.stop()
    assert status == 0, "SIGTERM is a clean stop"

    again = Server(data=tmp_path / "store", port=server.port, password="another password")
    again.start()
    try:
        with neo4j.GraphDatabase.driver(again.uri, auth=("neo4j", "another password")) as driver:
            records, _, _ = driver.execute_query("MATCH (p:Probe) RETURN p.n AS n")
            assert [r["n"] for r in records] == [1], "the store is kept between starts"
        with neo4j.GraphDatabase.driver(again.uri, auth=("neo4j", password)) as driver, pytest.raises(AuthError):
            driver.verify_connectivity()
    finally:
        assert again.stop() == 0
