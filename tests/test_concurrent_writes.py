"""Concurrent curator writes on the embedded store, against the real server (uvicorn).

Ladybug allows one writer; the service serializes writes (one store lock, the version check in the
write's transaction) while reads go on. Curators append to records with optimistic versions (read the
version, update with expectedVersion, again on VersionConflict), many requests in flight at once, with
readers running throughout. What must hold: every acknowledged update is in the record and in its
history, exactly once and in version order (no lost update); the reads all succeed (no 5xx, no GraphQL
error, no lock error); nothing hangs (a time limit turns a deadlock into a failure, not a speed check).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from .tools import Server, new_store_with_tokens, running_service

CURATORS = 4
APPENDS = 6  # per curator
READERS = 3
HANG = 120.0  # seconds: only a deadlock (or a stalled server) takes this long
MAX_ATTEMPTS = 100  # per append: a curator that never gets through is starved, which is a failure too
# A traceback, a line logged at ERROR or above (JSON or text logs), or any mention of a lock.
LOG_ALARMS = re.compile(r"Traceback|\"level\": \"(ERROR|CRITICAL)\"|^(ERROR|CRITICAL)\b|\block", re.I | re.M)

RESULT = """__typename
  ... on NodeSaved { node { id version ... on Tradition { safeguarding } } }
  ... on VersionConflict { currentVersion }
  ... on InvalidInputError { message }
  ... on NotFoundError { message }
  ... on ForbiddenError { message }"""
CREATE = f"mutation($input: NodeInput!) {{ createNode(input: $input) {{ {RESULT} }} }}"
UPDATE = f"""mutation($id: ID!, $v: Int!, $text: String!) {{
  updateNode(id: $id, expectedVersion: $v, patch: {{properties: {{safeguarding: $text}}}}) {{ {RESULT} }} }}"""
RELATE = """mutation($from: ID!, $to: ID!) {
  addRelation(input: {type: LOCATED_IN, from: $from, to: $to}) {
    __typename ... on RelationSaved { relation { from to version } } } }"""
READ = "query($id: ID!) { node(id: $id) { id version ... on Tradition { safeguarding } } }"
HISTORY = "query($id: ID!) { history(id: $id) { op version after } }"
READS = [
    ('query($id: ID!) { node(id: $id) { id name relations { type node { id name } } } }',
     {"id": "jesus-urbano-rojas"}),
    ('{ search(query: "danza de tijeras") { totalCount edges { node { id } } facets { kinds { kind count } } } }',
     {}),
    ('{ lineage(id: "jesus-urbano-rojas", direction: ANCESTORS) { nodes { depth node { id } } } }', {}),
    ('{ traditions(first: 20, filter: {region: "pe-puno"}) { totalCount edges { node { id name } } } }', {}),
]


@dataclass
class Service:
    server: Server
    curators: list[dict[str, str]]

    def alarms(self) -> list[str]:
        return [line for line in self.server.output if LOG_ALARMS.search(line)]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    db = tmp_path_factory.mktemp("concurrent") / "db"
    curators = new_store_with_tokens(db, [("curator", f"curator {i}") for i in range(CURATORS)])
    with running_service(db) as server:
        service = Service(server, curators)
        yield service
    assert not service.alarms(), "the server logged errors:\n" + server.text[-4000:]


async def _gql(client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None,
               **variables: Any) -> dict[str, Any]:
    r = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers or {})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body, body
    return body["data"]


@dataclass
class Readers:
    """Anonymous readers that keep reading until told to stop; every answer is kept to be judged."""

    answers: list[tuple[int, str]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, client: httpx.AsyncClient, which: int) -> None:
        i = which
        while not self.stop.is_set():
            query, variables = READS[i % len(READS)]
            r = await client.post("/graphql", json={"query": query, "variables": variables})
            self.answers.append((r.status_code, r.text))
            i += 1

    def failures(self) -> list[tuple[int, str]]:
        return [(status, text) for status, text in self.answers
                if status != 200 or '"errors"' in text or re.search(r"\block", text, re.I)]


async def _with_readers(base: str, work: Any) -> tuple[Any, Readers]:
    """Run ``work(client)`` with readers going on beside it; a hang fails as a deadlock."""
    readers = Readers()
    limits = httpx.Limits(max_connections=CURATORS + READERS + 2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        reading = [asyncio.create_task(readers.run(client, i)) for i in range(READERS)]
        try:
            result = await asyncio.wait_for(work(client), HANG)
        except TimeoutError:
            pytest.fail(f"the writes did not finish within {HANG:g} s: deadlock or stalled server")
        finally:
            readers.stop.set()
        await asyncio.wait_for(asyncio.gather(*reading), HANG)
    return result, readers


def _draft(node_id: str) -> dict[str, Any]:
    return {"kind": "TRADITION", "id": node_id, "name": f"Registro {node_id}",
            "properties": {"category": "festival", "safeguarding": "start"}}


@dataclass
class Appends:
    acknowledged: dict[int, str] = field(default_factory=dict)  # version made → the token it appended
    conflicts: int = 0
    first_try: int = 0


async def _append(client: httpx.AsyncClient, headers: dict[str, str], node_id: str, token: str,
                  log: Appends, before_write: Any = None) -> None:
    """Append ``token`` to the record's safeguarding text: read, write on that version, again on conflict."""
    for attempt in range(MAX_ATTEMPTS):
        node = (await _gql(client, READ, headers, id=node_id))["node"]
        if before_write is not None and attempt == 0:
            await before_write()
        result = (await _gql(client, UPDATE, headers, id=node_id, v=node["version"],
                             text=f"{node['safeguarding']} {token}"))["updateNode"]
        if result["__typename"] == "NodeSaved":
            version = result["node"]["version"]
            assert version == node["version"] + 1, result
            assert version not in log.acknowledged, f"version {version} acknowledged twice"
            log.acknowledged[version] = token
            log.first_try += attempt == 0
            return
        assert result["__typename"] == "VersionConflict", result
        assert result["currentVersion"] > node["version"], result
        log.conflicts += 1
    pytest.fail(f"{token} did not get through in {MAX_ATTEMPTS} attempts")


async def _check_record(client: httpx.AsyncClient, headers: dict[str, str], node_id: str,
                        acknowledged: dict[int, str]) -> None:
    """The record holds every acknowledged token once, in version order, and its history has one
    revision per acknowledged update, each adding exactly its token to the one before."""
    final = (await _gql(client, READ, headers, id=node_id))["node"]
    ordered = [acknowledged[v] for v in sorted(acknowledged)]
    assert sorted(acknowledged) == list(range(2, 2 + len(acknowledged))), sorted(acknowledged)
    assert final["version"] == 1 + len(acknowledged)
    words = final["safeguarding"].split()
    assert words[0] == "start" and Counter(words[1:]) == Counter(acknowledged.values()), final
    assert words[1:] == ordered
    history = (await _gql(client, HISTORY, headers, id=node_id))["history"]
    updates = [h for h in history if h["op"] == "update"]
    assert [h["op"] for h in history if h["op"] != "add-relation"] == ["create"] + ["update"] * len(acknowledged)
    assert [h["version"] for h in updates] == sorted(acknowledged)
    text = "start"
    for h in updates:
        text = f"{text} {acknowledged[h['version']]}"
        assert h["after"]["properties"]["safeguarding"] == text, h


def test_curators_appending_to_one_record_lose_nothing(service: Service) -> None:
    """Every round, all curators read the record and then write at once on what they read: the store
    takes one write per version and answers the others VersionConflict, and they retry."""
    node_id = "registro-disputado"
    log = Appends()

    async def work(client: httpx.AsyncClient) -> None:
        created = (await _gql(client, CREATE, service.curators[0], input=_draft(node_id)))["createNode"]
        assert created["__typename"] == "NodeSaved", created
        barrier = asyncio.Barrier(CURATORS)

        async def curator(i: int) -> None:
            for k in range(APPENDS):
                await _append(client, service.curators[i], node_id, f"c{i}-{k}", log, barrier.wait)

        await asyncio.gather(*(curator(i) for i in range(CURATORS)))
        await _check_record(client, service.curators[0], node_id, log.acknowledged)

    _, readers = asyncio.run(_with_readers(service.server.base, work))
    assert len(log.acknowledged) == CURATORS * APPENDS
    # After each barrier all curators write on versions read before it: one write per version wins.
    assert log.conflicts >= (CURATORS - 1) * APPENDS, log
    assert readers.answers and not readers.failures(), readers.failures()[:3]
    assert not service.alarms(), service.alarms()


def test_curators_writing_different_records_do_not_interfere(service: Service) -> None:
    """Creates, relations to one shared place, and appends to each curator's own record, all at once:
    no conflict anywhere (nobody else touches a curator's record), and each record complete."""
    ids = [f"registro-propio-{i}" for i in range(CURATORS)]
    logs = [Appends() for _ in range(CURATORS)]

    async def work(client: httpx.AsyncClient) -> None:
        async def curator(i: int) -> None:
            headers = service.curators[i]
            created = (await _gql(client, CREATE, headers, input=_draft(ids[i])))["createNode"]
            assert created["__typename"] == "NodeSaved", created
            # Every curator links to the same published place: a relation write checks both ends' versions.
            linked = (await _gql(client, RELATE, headers, **{"from": ids[i], "to": "pe-puno"}))["addRelation"]
            assert linked["__typename"] == "RelationSaved", linked
            for k in range(APPENDS):
                await _append(client, headers, ids[i], f"own{i}-{k}", logs[i])

        await asyncio.gather(*(curator(i) for i in range(CURATORS)))
        for i in range(CURATORS):
            await _check_record(client, service.curators[i], ids[i], logs[i].acknowledged)
        place = await _gql(client, 'query { node(id: "pe-puno") { relations(types: [LOCATED_IN], direction: IN) '
                                   '{ node { id } } } }', service.curators[0])
        assert set(ids) <= {r["node"]["id"] for r in place["node"]["relations"]}

    _, readers = asyncio.run(_with_readers(service.server.base, work))
    for log in logs:
        assert len(log.acknowledged) == APPENDS and log.conflicts == 0 and log.first_try == APPENDS, log
    assert readers.answers and not readers.failures(), readers.failures()[:3]
    assert not service.alarms(), service.alarms()
