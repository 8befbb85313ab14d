"""Two `heritage-graph serve` processes on one Neo4j, as replicas behind a load balancer run.

Neither keeps a copy of the data: a curator's write through one is what the other answers on the very
next request — anonymous and with a token, by POST and by GET, through a persisted query, and with the
ETag of the answer before the write in If-None-Match (which must not get a stale 304). Versions are
checked in Neo4j's transaction, so edits based on the same version through both replicas give exactly
one success and one VersionConflict; a token revoked through one is refused by the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.errors import Conflict
from heritage_graph.model import Changes, Node, Relation, node_key, relation_key
from heritage_graph.services.importer import run_import
from heritage_graph.store import neo4j as neo4j_adapter
from heritage_graph.store.base import Store
from heritage_graph.store.neo4j import Neo4jStore
from heritage_graph.tokens import create_token

from .conftest import _neo4j_store, wipe_neo4j
from .test_curation import CONSENT, CREATE, NEW, UPDATE
from .tools import Server, running_service

pytestmark = pytest.mark.neo4j

RECORD = "taquile-textile-art"  # published in the seeds, with a consent record
READ = "query Read($id: ID!) { node(id: $id) { id version } }"
REVOKE = "mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }"


@dataclass
class Replicas:
    a: Server
    b: Server
    tokens: dict[str, dict[str, str]]  # role: its Authorization header
    token_ids: dict[str, str]
    store: Store


def _cli_token(env: dict[str, str], role: str, name: str) -> tuple[str, str]:
    """`heritage-graph token create` against the Neo4j: the secret and the id it prints."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HERITAGE_"))} | env
    done = subprocess.run([sys.executable, "-m", "heritage_graph.cli", "token", "create", "--role", role,
                           "--name", name], env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    secret = re.search(r"^token\s+(hg_\S+)$", done.stdout, re.M)
    token_id = re.search(r"^id\s+(tok_\S+)$", done.stdout, re.M)
    assert secret and token_id, done.stdout
    return secret.group(1), token_id.group(1)


@pytest.fixture(scope="module")
def replicas(neo4j_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    store = _neo4j_store(neo4j_env)
    try:
        # Seeded before the replicas start, which then start without --seed-if-empty (docs/operations.md §10).
        run_import(store, seed_files(), actor=SEED_ACTOR)
        tokens: dict[str, dict[str, str]] = {}
        ids: dict[str, str] = {}
        for role in ("curator", "admin", "researcher"):
            if role == "curator":  # as an operator makes them; the others faster, in this process
                secret, ids[role] = _cli_token(neo4j_env, role, f"{role}-replicas")
            else:
                secret, record = create_token(store, role, name=f"{role}-replicas")
                ids[role] = record.id
            tokens[role] = {"Authorization": f"Bearer {secret}"}
        folder = tmp_path_factory.mktemp("replicas")
        # HERITAGE_CACHE_CHECK_MS=0: no in-process caching, so another replica's write is seen on the very
        # next request, which these tests check; with caching, within the interval (test_data_version.py).
        strict = {**neo4j_env, "HERITAGE_CACHE_CHECK_MS": "0"}
        with running_service(folder / "a", env=strict, seed=False) as a, \
                running_service(folder / "b", env=strict, seed=False) as b:
            assert "serving the neo4j store" in a.text and "serving the neo4j store" in b.text
            yield Replicas(a, b, tokens, ids, store)
    finally:
        wipe_neo4j(store)


def gql(server: Server, query: str, headers: dict[str, str] | None = None, **variables: Any) -> dict[str, Any]:
    r = httpx.post(f"{server.base}/graphql", json={"query": query, "variables": variables}, headers=headers or {},
                   timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body, body["errors"]
    return body["data"]  # type: ignore[no-any-return]


@dataclass
class Reads:
    """The anonymous ways to read one query from a replica, each with the ETag it last answered."""

    server: Server
    query: str
    variables: dict[str, Any]

    def __post_init__(self) -> None:
        self.sha = hashlib.sha256(self.query.encode()).hexdigest()
        self.etags: dict[str, str] = {}
        self.last: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, int] = {}
        # The replica learns the persisted query (APQ: the hash with its text, once).
        r = httpx.post(f"{self.server.base}/graphql", json={
            "query": self.query, "variables": self.variables,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": self.sha}}}, timeout=30)
        assert r.status_code == 200, r.text

    def _send(self, how: str, headers: dict[str, str]) -> httpx.Response:
        url = f"{self.server.base}/graphql"
        variables = json.dumps(self.variables)
        if how == "POST":
            return httpx.post(url, json={"query": self.query, "variables": self.variables}, headers=headers, timeout=30)
        if how == "GET":
            return httpx.get(url, params={"query": self.query, "variables": variables}, headers=headers, timeout=30)
        extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": self.sha}})
        return httpx.get(url, params={"variables": variables, "extensions": extensions}, headers=headers, timeout=30)

    def each(self) -> dict[str, dict[str, Any]]:
        """Every way's answer (and it is cacheable, with an ETag); each asks with the ETag it had before, so
        an unchanged answer is a 304 and a changed one must come whole."""
        answers = {}
        for how in ("POST", "GET", "persisted GET"):
            before = self.etags.get(how)
            r = self._send(how, {"if-none-match": before} if before else {})
            self.statuses[how] = r.status_code
            if r.status_code == 304:
                assert before is not None and r.headers["etag"] == before
                answers[how] = self.last[how]
                continue
            assert r.status_code == 200, (how, r.text)
            assert r.headers["cache-control"].startswith("public") and r.headers["etag"] != before
            self.etags[how] = r.headers["etag"]
            answers[how] = r.json()["data"]
        self.last = answers
        return answers


def at_once(calls: dict[str, Callable[[], dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each call's result, the calls started together in threads of their own."""
    outcomes: dict[str, dict[str, Any]] = {}
    start = threading.Barrier(len(calls))

    def run(name: str, call: Callable[[], dict[str, Any]]) -> None:
        start.wait()
        outcomes[name] = call()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == len(calls), "a call failed (see the thread's exception above)"
    return outcomes


def test_a_write_through_one_replica_is_read_through_the_other_at_once(replicas: Replicas) -> None:
    a, b, curator, admin = replicas.a, replicas.b, replicas.tokens["curator"], replicas.tokens["admin"]
    version = gql(a, READ, curator, id=RECORD)["node"]["version"]
    reads = Reads(b, READ, {"id": RECORD})
    assert set(map(json.dumps, reads.each().values())) == {json.dumps({"node": {"id": RECORD, "version": version}})}
    assert reads.each()["GET"]["node"]["version"] == version
    assert set(reads.statuses.values()) == {304}, "unchanged: the ETags hold"

    consent = {"status": "GRANTED", "givenBy": "Asamblea comunal de Taquile", "date": "2026-11-12",
               "scope": ["PUBLICATION", "RESEARCH", "MEDIA"]}
    saved = gql(a, CONSENT, curator, id=RECORD, v=version, c=consent)["setConsent"]
    assert saved["__typename"] == "NodeSaved" and saved["node"]["version"] == version + 1

    # The very next requests to the other replica: every anonymous way, with the old ETags, and with tokens.
    for how, answer in reads.each().items():
        assert answer == {"node": {"id": RECORD, "version": version + 1}}, f"{how}: a stale answer"
    assert set(reads.statuses.values()) == {200}, "changed: no 304 for the ETags from before the write"
    assert gql(b, READ, curator, id=RECORD)["node"]["version"] == version + 1
    assert gql(b, READ, replicas.tokens["researcher"], id=RECORD)["node"]["version"] == version + 1

    # And back: a withdrawal through B hides the record from A's anonymous readers at once (admins still see it).
    withdrawn = gql(b, CONSENT, curator, id=RECORD, v=version + 1,
                    c={"status": "WITHDRAWN", "givenBy": "Asamblea comunal de Taquile", "date": "2026-11-13"})
    assert withdrawn["setConsent"]["node"]["version"] == version + 2
    back = Reads(a, READ, {"id": RECORD})
    assert set(map(json.dumps, back.each().values())) == {json.dumps({"node": None})}
    assert gql(a, READ, replicas.tokens["researcher"], id=RECORD) == {"node": None}
    assert gql(a, READ, admin, id=RECORD)["node"]["version"] == version + 2
    restored = gql(a, CONSENT, admin, id=RECORD, v=version + 2, c=consent)  # a withdrawn record: admins only
    assert restored["setConsent"]["__typename"] == "NodeSaved"
    for how, answer in back.each().items():
        assert answer == {"node": {"id": RECORD, "version": version + 3}}, f"{how}: a stale answer"
    for server in (a, b):
        history = gql(server, "query($id: ID!) { history(id: $id) { op version } }", admin, id=RECORD)["history"]
        assert [h["version"] for h in history][-3:] == [version + 1, version + 2, version + 3]


def test_a_version_conflict_is_detected_across_replicas(replicas: Replicas) -> None:
    a, b, curator = replicas.a, replicas.b, replicas.tokens["curator"]
    draft = {**NEW, "id": "fiesta-de-replicas", "name": "Fiesta de réplicas"}
    made = gql(a, CREATE, curator, input=draft)["createNode"]
    assert made["__typename"] == "NodeSaved" and made["node"]["version"] == 1
    assert gql(b, READ, curator, id=draft["id"])["node"]["version"] == 1

    first = gql(a, UPDATE, curator, id=draft["id"], v=1, patch={"name": "Fiesta A"})["updateNode"]
    assert first["__typename"] == "NodeSaved" and first["node"]["version"] == 2
    late = gql(b, UPDATE, curator, id=draft["id"], v=1, patch={"name": "Fiesta B"})["updateNode"]
    assert late["__typename"] == "VersionConflict", late
    assert late["currentVersion"] == 2 and late["currentNode"]["name"] == "Fiesta A"

    # At once, on the same version, through both: exactly one wins each round.
    version = 2
    for round_ in range(6):
        outcomes = at_once({
            name: lambda server=server, name=name, round_=round_, version=version: gql(
                server, UPDATE, curator, id=draft["id"], v=version, patch={"name": f"Fiesta {name} {round_}"}
            )["updateNode"]
            for name, server in (("A", a), ("B", b))})
        kinds = sorted(o["__typename"] for o in outcomes.values())
        assert kinds == ["NodeSaved", "VersionConflict"], outcomes
        version += 1
        [winner] = [name for name, o in outcomes.items() if o["__typename"] == "NodeSaved"]
        for server in (a, b):
            node = gql(server, "query($id: ID!) { node(id: $id) { version name } }", curator, id=draft["id"])["node"]
            assert node == {"version": version, "name": f"Fiesta {winner} {round_}"}
    history = gql(b, "query($id: ID!) { history(id: $id) { op version } }", curator, id=draft["id"])["history"]
    assert [h["version"] for h in history] == list(range(1, version + 1)), "no lost and no duplicated update"


def test_two_writers_on_one_version_one_wins_in_the_store(replicas: Replicas, neo4j_env: dict[str, str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter's check itself, with two drivers (two replicas) whose write transactions are held open
    after the check so that they overlap: the second waits for the first's lock, then reads the version the
    first wrote. (Neo4j's lock_nodes once read the version before taking the lock: both writers passed.)"""
    first = replicas.store
    second = Neo4jStore(neo4j_env["NEO4J_URI"], neo4j_env.get("NEO4J_USER", "neo4j"),
                        neo4j_env.get("NEO4J_PASSWORD")).open()
    node = Node("Tradition", "fiesta-de-cerrojos", "Fiesta de cerrojos", version=1)
    rel = Relation("LOCATED_IN", node.id, "pe", version=1)
    first.apply(Changes(nodes=[node], relations=[rel], expected={node_key(node.id): 0}))
    checked = neo4j_adapter.check_versions

    def check_then_hold(found: dict[tuple[str, ...], int], expected: dict[tuple[str, ...], int]) -> None:
        checked(found, expected)
        time.sleep(0.5)  # the other writer is at its lock meanwhile

    monkeypatch.setattr(neo4j_adapter, "check_versions", check_then_hold)
    try:
        for changes in (lambda name: Changes(nodes=[replace(node, name=name, version=2)],
                                             expected={node_key(node.id): 1}),
                        lambda name: Changes(relations=[replace(rel, note=name, version=2)],
                                             expected={relation_key(rel): 1})):
            def write(store: Store, name: str, changes: Callable[[str], Changes] = changes) -> dict[str, Any]:
                try:
                    store.apply(changes(name))
                except Conflict as exc:
                    return {"__typename": "Conflict", "current": exc.current}
                return {"__typename": "Saved"}

            outcomes = at_once({"A": lambda: write(first, "A"), "B": lambda: write(second, "B")})
            assert sorted(o["__typename"] for o in outcomes.values()) == ["Conflict", "Saved"], outcomes
            assert [o["current"] for o in outcomes.values() if o["__typename"] == "Conflict"] == [2]
    finally:
        second.close()


def test_a_token_revoked_through_one_replica_is_refused_by_the_other(replicas: Replicas) -> None:
    a, b, researcher = replicas.a, replicas.b, replicas.tokens["researcher"]
    assert gql(b, READ, researcher, id="pe") is not None
    revoked = gql(a, REVOKE, replicas.tokens["admin"], id=replicas.token_ids["researcher"])["revokeApiToken"]
    assert revoked["__typename"] == "TokenRevoked"
    r = httpx.post(f"{b.base}/graphql", json={"query": READ, "variables": {"id": "pe"}}, headers=researcher, timeout=30)
    assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_the_replicas_logged_no_error(replicas: Replicas) -> None:
    for server in (replicas.a, replicas.b):
        assert not re.search(r"Traceback|\"level\": \"(ERROR|CRITICAL)\"", server.text), server.text[-4000:]

