"""Size limits of the GraphQL endpoint: the request body (refused before it is read, or as soon as
it streams past the limit), the query text, and the result (replaced whole, nothing partial sent)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from heritage_graph.api.http import GRAPHQL_RESPONSE_JSON
from heritage_graph.api.request_limits import RequestLimits
from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.errors import ConfigError
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.memory import MemoryStore
from heritage_graph.tokens import create_token

from .conftest import Client

LIMITS = Settings(max_body_bytes=4096, max_query_bytes=200, max_result_bytes=400)
LISTING = "{ crafts(first: 50) { edges { node { id name } } } }"


@pytest.fixture(scope="module")
def seeded() -> MemoryStore:
    store = MemoryStore()
    run_import(store, seed_files(), actor=SEED_ACTOR)
    return store


@pytest.fixture
def client(seeded: MemoryStore) -> Iterator[Client]:
    c = Client(create_app(LIMITS, store=seeded))
    yield c
    c.close()


def the_error(body: dict, code: str, limit: str, maximum: int, env: str) -> dict:
    (err,) = body["errors"]
    assert err["extensions"]["code"] == code, err
    assert err["extensions"]["limit"] == limit and err["extensions"]["max"] == maximum, err
    assert env in err["message"] and f"{maximum:,} bytes" in err["message"], err
    return err


# --- the body ---------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One request straight through the ASGI app, counting what it read of the body."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks_read: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(app: Any, headers: dict[str, str], chunks: Iterator[bytes]) -> Exchange:
    out = Exchange()

    async def receive() -> dict[str, Any]:
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        out.chunks_read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out.status = message["status"]
            out.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            out.body += message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/graphql", "raw_path": b"/graphql", "root_path": "", "query_string": b"",
             "headers": [(k.encode(), v.encode()) for k, v in {"content-type": "application/json", **headers}.items()],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    return out


def endless(size: int = 1024) -> Iterator[bytes]:
    """A body that never ends (a chunked upload); the test fails rather than loop if it is all read."""
    for _ in range(10_000):
        yield b" " * size


def callers(store: MemoryStore) -> list[tuple[str, Any, dict[str, str]]]:
    """The three ways a body is read: anonymous with the response cache (read whole, for its key),
    anonymous without it, and with a token (both read by strawberry)."""
    secret, _ = create_token(store, "researcher", name="limits")
    return [("anonymous", create_app(LIMITS, store=store), {}),
            ("uncached", create_app(replace_settings(cache_entries=0), store=store), {}),
            ("token", create_app(LIMITS, store=store), {"authorization": f"Bearer {secret}"})]


def replace_settings(**changes: Any) -> Settings:
    return LIMITS.with_overrides(**changes)


def test_a_declared_length_over_the_limit_is_refused_before_reading(seeded: MemoryStore) -> None:
    for name, app, headers in callers(seeded):
        for accept in ("application/json", GRAPHQL_RESPONSE_JSON):
            r = exchange(app, {**headers, "content-length": str(10**9), "accept": accept}, endless())
            assert r.status == 413 and r.chunks_read == 0, name
            assert r.headers["content-type"].startswith(accept) and r.headers["cache-control"] == "no-store"
            err = the_error(r.json(), "BODY_TOO_LARGE", "body", 4096, "HERITAGE_MAX_BODY_BYTES")
            assert err["extensions"]["found"] == 10**9 and "1,000,000,000 bytes" in err["message"]


def test_a_body_streaming_past_the_limit_is_refused_as_it_arrives(seeded: MemoryStore) -> None:
    for name, app, headers in callers(seeded):
        r = exchange(app, headers, endless(1024))
        assert r.status == 413, (name, r.body)
        assert r.chunks_read <= 4096 // 1024 + 1, f"{name} read {r.chunks_read} KiB of a 4 KiB limit"
        err = the_error(r.json(), "BODY_TOO_LARGE", "body", 4096, "HERITAGE_MAX_BODY_BYTES")
        assert "found" not in err["extensions"]


def test_a_body_at_the_limit_is_read(seeded: MemoryStore) -> None:
    payload = json.dumps({"query": "{ __typename }"}).encode()
    body = payload + b" " * (4096 - len(payload))
    for name, app, headers in callers(seeded):
        pieces = iter([body[:1000], body[1000:]])
        r = exchange(app, {**headers, "content-length": str(len(body))}, pieces)
        assert r.status == 200 and r.json() == {"data": {"__typename": "Query"}}, name


def test_an_oversized_body_over_http(client: Client) -> None:
    r = client.post("/graphql", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


# --- the query text ---------------------------------------------------------------------------------


def query_of(size: int) -> str:
    """A valid query of exactly ``size`` UTF-8 bytes, mostly two-byte characters."""
    head, tail = '{ node(id: "', '") { id } }'
    room = size - len(head) - len(tail)
    return head + "ñ" * (room // 2) + "a" * (room % 2) + tail


def test_query_text_is_measured_in_bytes(client: Client) -> None:
    at_limit, over = query_of(200), query_of(201)
    assert len(over) < 200  # fewer characters than the limit: only bytes tell
    ok = client.post("/graphql", json={"query": at_limit})
    assert ok.status_code == 200 and ok.json() == {"data": {"node": None}}
    for accept, status in (("application/json", 200), (GRAPHQL_RESPONSE_JSON, 400)):
        for r in (client.post("/graphql", json={"query": over}, headers={"accept": accept}),
                  client.get("/graphql", params={"query": over}, headers={"accept": accept})):
            assert r.status_code == status and "data" not in r.json(), r.text
            err = the_error(r.json(), "QUERY_TOO_LARGE", "query", 200, "HERITAGE_MAX_QUERY_BYTES")
            assert err["extensions"]["found"] == 201 and r.headers["cache-control"] == "no-store"


def test_an_oversized_query_is_not_persisted(client: Client) -> None:
    over = query_of(300)
    digest = hashlib.sha256(over.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    r = client.post("/graphql", json={"query": over, "extensions": ext})
    the_error(r.json(), "QUERY_TOO_LARGE", "query", 200, "HERITAGE_MAX_QUERY_BYTES")
    assert client.post("/graphql", json={"extensions": ext}).json()["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_FOUND")


# --- the result --------------------------------------------------------------------------------------


def test_a_result_over_the_limit_is_replaced_whole(client: Client, seeded: MemoryStore) -> None:
    unlimited = Client(create_app(Settings(), store=seeded))
    full = unlimited.post("/graphql", json={"query": LISTING})
    unlimited.close()
    assert len(full.content) > 400 and "cajon-san-marcos" in full.text
    for accept in ("application/json", GRAPHQL_RESPONSE_JSON):
        r = client.post("/graphql", json={"query": LISTING}, headers={"accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
        body = r.json()
        assert body["data"] is None and "cajon-san-marcos" not in r.text  # nothing of it leaks
        err = the_error(body, "RESULT_TOO_LARGE", "result", 400, "HERITAGE_MAX_RESULT_BYTES")
        assert err["extensions"]["found"] == len(full.content) and "`first`" in err["message"]
        assert r.headers["cache-control"] == "no-store" and "etag" not in r.headers
    small = client.post("/graphql", json={"query": "{ crafts(first: 1) { edges { node { id } } } }"})
    assert small.json()["data"]["crafts"]["edges"], small.text


def test_a_mutation_whose_result_is_too_large_says_it_was_carried_out() -> None:
    store = MemoryStore()
    run_import(store, seed_files(), actor=SEED_ACTOR)
    secret, _ = create_token(store, "curator", name="cur")
    client = Client(create_app(LIMITS.with_overrides(max_query_bytes=4096), store=store))
    mutation = """mutation { createNode(reason: "survey", input: {kind: TRADITION, id: "fiesta-grande",
      name: "Fiesta grande", properties: {category: "festival"}, sources: ["src-unesco-culture-ich-en-rl-00166"]}) {
      ... on NodeSaved { node { id name names { lang text } summaries { lang text } sources { id title } }
                         revision { op actor at after } } } }"""
    r = client.post("/graphql", json={"query": mutation}, headers={"authorization": f"Bearer {secret}"})
    err = the_error(r.json(), "RESULT_TOO_LARGE", "result", 400, "HERITAGE_MAX_RESULT_BYTES")
    assert "The mutation was carried out" in err["message"] and r.headers["cache-control"] == "private, no-store"
    assert store.get_nodes(["fiesta-grande"])[0].status == "draft"
    client.close()


# --- settings ----------------------------------------------------------------------------------------


def test_limits_have_documented_defaults_read_the_environment_and_refuse_zero() -> None:
    s = Settings()
    assert (s.max_body_bytes, s.max_query_bytes, s.max_result_bytes) == (1 << 20, 64 << 10, 8 << 20)
    env = Settings.from_env({"HERITAGE_MAX_BODY_BYTES": "10", "HERITAGE_MAX_QUERY_BYTES": "11",
                             "HERITAGE_MAX_RESULT_BYTES": "12"})
    assert (env.max_body_bytes, env.max_query_bytes, env.max_result_bytes) == (10, 11, 12)
    with pytest.raises(ConfigError, match="HERITAGE_MAX_BODY_BYTES must be a whole number"):
        Settings.from_env({"HERITAGE_MAX_BODY_BYTES": "1MB"})
    with pytest.raises(ConfigError, match="HERITAGE_MAX_RESULT_BYTES must be at least 1"):
        RequestLimits.from_settings(Settings(max_result_bytes=0))
