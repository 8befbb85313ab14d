"""Neo4j killed (SIGKILL) under a running `heritage-graph serve`, then restarted on the same folder and port.

Clients keep sending curator mutations and reads, anonymous and with a token, throughout. While Neo4j is
down, `/readyz` says not ready (503) and every GraphQL request fails within seconds — never hangs, never
a 500 or a traceback — with HTTP 503, `Retry-After` and `extensions.code` `STORE_UNAVAILABLE` (docs/
operations.md, "When Neo4j is down"). While it starts again (it accepts connections before its database
is available, and holds their queries until it is) no request waits longer than its time budget. Once
Neo4j is back the same service process is ready again and serves writes without a restart of its own,
and every mutation it acknowledged is in Neo4j at (at least) the version it acknowledged: none is lost.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from heritage_graph.errors import STORE_UNAVAILABLE_MESSAGE
from heritage_graph.store.neo4j import Neo4jStore
from heritage_graph.tokens import create_token

from .conftest import REQUIRE_NEO4J
from .test_concurrent_writes import CREATE, UPDATE
from .tools import running_service

pytestmark = pytest.mark.neo4j

WRITERS = 3
READERS = 2
FAIL_FAST = 8.0  # seconds: the most a request may take while Neo4j is down (about 4 s of driver retries)
BUDGET = 10  # seconds: the service's time budgets here, which bound the wait for a database still starting
SLOWEST = BUDGET + 10.0  # seconds: the most any request may take (Neo4j ends timed-out transactions within 2 s)
OUTAGE = 6.0  # seconds the clients keep sending while Neo4j is down, after the checks below
ANONYMOUS_READ = "{ traditions(first: 5) { totalCount edges { node { id } } } }"
TOKEN_READ = "query($id: ID!) { node(id: $id) { id version } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id version } }"


@pytest.fixture
def neo4j_server(tmp_path: Path) -> Iterator[Any]:
    """A Neo4j of this test's own (it is killed): not the session's shared one."""
    from tools.neo4j.launch import LaunchError, Server, unavailable

    reason = unavailable()
    if reason:
        (pytest.fail if REQUIRE_NEO4J else pytest.skip)(reason)
    server = Server(data=tmp_path / "neo4j")
    try:
        server.start()
    except LaunchError as exc:
        (pytest.fail if REQUIRE_NEO4J else pytest.skip)(f"Neo4j did not start: {exc}")
    yield server


@dataclass
class Outcome:
    kind: str  # create, update, anonymous, token
    started: float  # time.monotonic()
    seconds: float
    status: int
    code: str | None  # extensions.code of the first error
    body: str


@dataclass
class Clients:
    """Curators and readers sending requests without pause until stopped; what they saw, and the
    mutations the service acknowledged (id: version)."""

    base: str
    headers: dict[str, str]
    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def send(self, client: httpx.Client, kind: str, query: str, token: bool, **variables: Any) -> dict[str, Any] | None:
        started = time.monotonic()
        r = client.post("/graphql", json={"query": query, "variables": variables},
                        headers=self.headers if token else {})
        body: dict[str, Any] = {}
        with contextlib.suppress(ValueError):  # not JSON: recorded as it came (and then a failure)
            body = r.json()
        code = (body.get("errors") or [{}])[0].get("extensions", {}).get("code")
        self.outcomes.append(Outcome(kind, started, time.monotonic() - started, r.status_code, code, r.text))
        if r.status_code == 200 and not body.get("errors"):
            return body["data"]  # type: ignore[no-any-return]
        return None

    def curator(self, n: int) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            i = 0
            while not self.stop.is_set():
                i += 1
                node_id = f"fault-{n}-{i}"
                made = self.send(client, "create", CREATE, True, input={
                    "kind": "TRADITION", "id": node_id, "name": f"Fiesta {n}.{i}",
                    "properties": {"category": "festival", "domains": ["social-practices"]}})
                if not made or made["createNode"]["__typename"] != "NodeSaved":
                    continue  # refused, or its outcome unknown: the next record
                self.acknowledged[node_id] = made["createNode"]["node"]["version"]
                edited = self.send(client, "update", UPDATE, True, id=node_id, v=1, text=f"Fiesta {n}.{i}, again")
                if edited and edited["updateNode"]["__typename"] == "NodeSaved":
                    self.acknowledged[node_id] = edited["updateNode"]["node"]["version"]

    def reader(self, n: int) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            while not self.stop.is_set():
                self.send(client, "anonymous", ANONYMOUS_READ, False)
                ids = list(self.acknowledged)
                self.send(client, "token", TOKEN_READ, True, id=ids[-1] if ids else "fault-0-1")
                time.sleep(0.05)

    def warm_up(self, timeout: float = 120) -> None:
        """Each kind of request once, until it succeeds: a fresh Neo4j plans its first queries slowly."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base, timeout=60) as client:
            for kind, query, token, variables in (
                    ("anonymous", ANONYMOUS_READ, False, {}), ("token", TOKEN_READ, True, {"id": "warm-up"}),
                    ("create", CREATE, True, {"input": {"kind": "TRADITION", "id": "warm-up", "name": "Warm-up"}}),
                    ("update", UPDATE, True, {"id": "warm-up", "v": 1, "text": "Warmed up."})):
                while self.send(client, kind, query, token, **variables) is None:
                    assert time.monotonic() < deadline, f"the service does not answer: {self.outcomes[-3:]}"
                    time.sleep(1)
        self.outcomes.clear()

    def start(self) -> Clients:
        self.threads = [threading.Thread(target=self.curator, args=(n,), daemon=True) for n in range(WRITERS)]
        self.threads += [threading.Thread(target=self.reader, args=(n,), daemon=True) for n in range(READERS)]
        for t in self.threads:
            t.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(SLOWEST * 3)
        assert not any(t.is_alive() for t in self.threads), "a client is stuck"

    def wait_for(self, what: str, check: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"{what} within {timeout:g} s: {self.outcomes[-5:]}"
            time.sleep(0.1)


def _unavailable(r: httpx.Response, seconds: float) -> None:
    """A request refused for want of Neo4j, as operations.md documents it."""
    assert seconds < FAIL_FAST, f"took {seconds:.1f} s"
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5" and r.headers["cache-control"] == "no-store"
    errors = r.json()["errors"]
    assert errors and all(e["message"] == STORE_UNAVAILABLE_MESSAGE for e in errors), errors
    assert errors[0]["extensions"]["code"] == "STORE_UNAVAILABLE" and errors[0]["extensions"]["retryable"] is True
    assert "Traceback" not in r.text and "neo4j" not in r.text.lower()


def _timed(method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = httpx.request(method, url, timeout=60, **kwargs)
    return r, time.monotonic() - started


def test_neo4j_killed_and_restarted_under_load(neo4j_server: Any, tmp_path: Path) -> None:
    from tools.neo4j.launch import Server

    env = neo4j_server.env()
    store = Neo4jStore(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"]).open()
    store.init()
    secret, _ = create_token(store, "curator", name="curator-faults")
    store.close()
    headers = {"Authorization": f"Bearer {secret}"}
    restarted: Server | None = None
    try:
        budgets = {"HERITAGE_TIME_BUDGET": str(BUDGET), "HERITAGE_TIME_BUDGET_ANONYMOUS": str(BUDGET)}
        with running_service(tmp_path / "unused", env=env | budgets, seed=False) as service:
            base, pid = service.base, service.proc.pid
            clients = Clients(base, headers)
            clients.warm_up()
            clients.start()
            try:
                clients.wait_for("five acknowledged mutations", lambda: len(clients.acknowledged) >= 5, 60)
                neo4j_server.kill()  # SIGKILL: no clean shutdown, connections cut mid-transaction
                killed = time.monotonic()

                # Not ready within a probe's time, and says why.
                while (ready := _timed("GET", f"{base}/readyz"))[0].status_code != 503:
                    assert time.monotonic() - killed < FAIL_FAST, ready[0].text
                r, seconds = ready
                assert seconds < 3 and r.json()["status"] == "not ready" and r.json()["checks"] == {"store": "failed"}
                assert r.json()["reason"].startswith("cannot reach Neo4j") and "NEO4J_URI" in r.json()["fix"]
                assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200  # alive: do not restart it
                # Every kind of GraphQL request: a 503 within seconds.
                _unavailable(*_timed("POST", f"{base}/graphql", json={"query": ANONYMOUS_READ}))
                _unavailable(*_timed("GET", f"{base}/graphql", params={"query": ANONYMOUS_READ}))
                _unavailable(*_timed("POST", f"{base}/graphql", headers=headers,
                                     json={"query": TOKEN_READ, "variables": {"id": "fault-0-1"}}))
                _unavailable(*_timed("POST", f"{base}/graphql", headers=headers, json={
                    "query": UPDATE, "variables": {"id": "fault-0-1", "v": 1, "text": "while down"}}))
                time.sleep(OUTAGE)  # the clients keep trying meanwhile
                down = [o for o in clients.outcomes if o.started > killed + FAIL_FAST]
                assert down and all(o.status == 503 for o in down), [o for o in down if o.status != 503][:3]

                restarted = Server(data=neo4j_server.data, port=neo4j_server.port,
                                   password=neo4j_server.password).start()
                back = time.monotonic()
                clients.wait_for("ready again", lambda: httpx.get(f"{base}/readyz", timeout=10).status_code == 200,
                                 30)
                before = len(clients.acknowledged)
                clients.wait_for("mutations acknowledged again",
                                 lambda: len(clients.acknowledged) >= before + 2 * WRITERS, 60)
            finally:
                clients.finish()
            assert service.proc.poll() is None and service.proc.pid == pid, "the service recovered by itself"

            # Nothing but answers, documented refusals (503: Neo4j unreachable, or a transaction ended at its
            # request's time budget while the database started; a query past its budget), none slow, no trace.
            allowed = {(200, None), (503, "STORE_UNAVAILABLE"), (503, "TIME_BUDGET_EXCEEDED"),
                       (200, "TIME_BUDGET_EXCEEDED")}
            odd = [o for o in clients.outcomes if (o.status, o.code) not in allowed]
            assert not odd, odd[:3]
            assert max(o.seconds for o in clients.outcomes) < SLOWEST, max(clients.outcomes, key=lambda o: o.seconds)
            assert not [o for o in clients.outcomes if "Traceback" in o.body]
            # Neo4j's absence explains each failure: none before the kill but a query past its budget (a busy
            # machine), none long after the restart.
            failed = [o for o in clients.outcomes if o.code is not None]
            timeline = [(o.kind, round(o.started - killed, 1), round(o.seconds, 1), o.status, o.code) for o in failed]
            assert [o for o in failed if o.code == "STORE_UNAVAILABLE"], "the clients did not see the outage"
            assert all(o.started + o.seconds > killed - 1 or o.code == "TIME_BUDGET_EXCEEDED" for o in failed), \
                f"failures before the kill (kind, start after the kill, seconds, status, code): {timeline}"
            assert all(o.started < back + SLOWEST for o in failed), \
                f"failures long after the restart ({back - killed:.1f} s after the kill): {timeline}"

            # Every acknowledged mutation is in Neo4j, read through the same (recovered) service.
            acknowledged = dict(clients.acknowledged)
            ids = sorted(acknowledged)
            found: dict[str, int] = {}
            for i in range(0, len(ids), 100):
                r = httpx.post(f"{base}/graphql", headers=headers, timeout=30,
                               json={"query": NODES, "variables": {"ids": ids[i:i + 100]}})
                assert r.status_code == 200 and "errors" not in r.json(), r.text
                found.update({n["id"]: n["version"] for n in r.json()["data"]["nodes"] if n})
            lost = {i: v for i, v in acknowledged.items() if found.get(i, 0) < v}
            assert not lost, f"acknowledged but lost: {lost}"
        alarms = [line for line in service.output if re.search(r"Traceback|\"level\": \"CRITICAL\"", line)]
        assert not alarms, "".join(alarms[:20])
    finally:
        (restarted or neo4j_server).stop()
