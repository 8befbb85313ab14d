"""Automatic persisted queries (Apollo's protocol) over HTTP: POST and GET, unknown hashes, hash
mismatches, what is remembered and for how long, and the example in docs/graphql.md."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from heritage_graph.api.http import GRAPHQL_RESPONSE_JSON
from heritage_graph.api.persisted import PersistedQueries
from heritage_graph.api.request_limits import RequestRefused
from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.errors import ConfigError
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.store.memory import MemoryStore
from heritage_graph.tokens import create_token

from .conftest import Client

ROOT = Path(__file__).resolve().parent.parent
STORY = '{ story(id: "story-taquile-textiles", language: "en") { title } }'
TITLE = "Taquile, the island where men and women weave"
NODE = "query Node($id: ID!) { node(id: $id) { id name } }"
NOT_FOUND = {"errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def ext(digest: str, version: object = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


def post(client: Client, body: dict, **headers: str) -> httpx.Response:
    return client.post("/graphql", json=body, headers=headers)


def get(client: Client, params: dict, **headers: str) -> httpx.Response:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return client.get("/graphql", params=encoded, headers=headers)


@pytest.fixture
def client(seeded_store: Store) -> Iterator[Client]:
    """A fresh app (so a fresh persisted-query store) over the seeds; it only reads."""
    c = Client(create_app(Settings(), store=seeded_store))
    yield c
    c.close()


@pytest.fixture
def memory_client() -> Iterator[tuple[Client, MemoryStore]]:
    store = MemoryStore()
    run_import(store, seed_files(), actor=SEED_ACTOR)
    c = Client(create_app(Settings(), store=store))
    yield c, store
    c.close()


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE_JSON])
def test_an_unknown_hash_asks_for_the_query_as_apollo_does(client: Client, accept: str | None) -> None:
    r = post(client, {"extensions": ext(sha(STORY))}, **({"accept": accept} if accept else {}))
    # Apollo Server's answer: 200 whatever the media type, so that no client error handling masks it.
    assert r.status_code == 200 and r.json() == NOT_FOUND
    assert r.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert "etag" not in r.headers


def test_the_query_with_its_hash_runs_then_the_hash_alone_is_enough(client: Client) -> None:
    digest = sha(NODE)
    variables = {"id": "scissors-dance"}
    assert post(client, {"extensions": ext(digest), "variables": variables}).json() == NOT_FOUND
    first = post(client, {"query": NODE, "variables": variables, "extensions": ext(digest)})
    assert first.status_code == 200 and first.json()["data"]["node"]["id"] == "scissors-dance"
    by_post = post(client, {"variables": {"id": "ceviche"}, "extensions": ext(digest), "operationName": "Node"})
    assert by_post.json() == {"data": {"node": {"id": "ceviche", "name": by_post.json()["data"]["node"]["name"]}}}
    # GET with no `query` parameter, as Apollo's useGETForHashedQueries sends it; curl's */* is no browser.
    by_get = get(client, {"extensions": ext(digest), "variables": variables}, accept="*/*")
    assert by_get.status_code == 200 and by_get.json() == first.json()
    assert by_get.headers["content-type"] == "application/json"


def test_hashes_are_compared_case_insensitively(client: Client) -> None:
    assert post(client, {"query": STORY, "extensions": ext(sha(STORY).upper())}).status_code == 200
    assert post(client, {"extensions": ext(sha(STORY))}).json()["data"]["story"]["title"] == TITLE


def test_a_hash_that_does_not_match_the_query_is_refused_and_nothing_is_stored(client: Client) -> None:
    other = sha("{ __typename }")
    for accept in ("application/json", GRAPHQL_RESPONSE_JSON):
        r = post(client, {"query": STORY, "extensions": ext(other)}, accept=accept)
        assert r.status_code == 400 and "data" not in r.json(), r.text
        (err,) = r.json()["errors"]
        assert err["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
        assert sha(STORY) in err["message"]  # the real hash, to help whoever computed it wrong
        assert r.headers["cache-control"] == "no-store"
    assert post(client, {"extensions": ext(other)}).json() == NOT_FOUND


@pytest.mark.parametrize(("extensions", "fragment"), [
    ({"persistedQuery": "abc"}, "must be an object"),
    (ext(sha(STORY), version=2), "Unsupported persisted query version 2"),
    (ext("abc"), "64 hexadecimal digits"),
    (ext("z" * 64), "64 hexadecimal digits"),
    ({"persistedQuery": {"version": 1}}, "64 hexadecimal digits"),
])
def test_a_malformed_persisted_query_is_a_bad_request(client: Client, extensions: dict, fragment: str) -> None:
    for r in (post(client, {"query": STORY, "extensions": extensions}), get(client, {"extensions": extensions})):
        assert r.status_code == 400, r.text
        (err,) = r.json()["errors"]
        assert fragment in err["message"] and err["extensions"]["code"] == "BAD_REQUEST", err


def test_other_extensions_and_a_null_persisted_query_are_ignored(client: Client) -> None:
    r = post(client, {"query": STORY, "extensions": {"persistedQuery": None, "clientLibrary": {"name": "x"}}})
    assert r.status_code == 200 and r.json()["data"]["story"]["title"] == TITLE


def test_a_query_is_remembered_only_once_it_validates(client: Client) -> None:
    bad = "{ noSuchField }"
    r = post(client, {"query": bad, "extensions": ext(sha(bad))})
    assert r.status_code == 200 and "data" not in r.json() and r.json()["errors"], r.text
    assert post(client, {"extensions": ext(sha(bad))}).json() == NOT_FOUND
    broken = "{ story("
    post(client, {"query": broken, "extensions": ext(sha(broken))})
    assert post(client, {"extensions": ext(sha(broken))}).json() == NOT_FOUND


def test_a_get_without_query_or_extensions_still_opens_graphiql(client: Client) -> None:
    r = client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_mutations_stay_refused_over_get_even_persisted(memory_client: tuple[Client, MemoryStore]) -> None:
    client, store = memory_client
    secret, _ = create_token(store, "curator", name="cur")
    mutation = ('mutation { createNode(reason: "r", input: {kind: TRADITION, id: "fiesta-apq", name: "Fiesta",'
                ' properties: {category: "festival"}, sources: ["src-unesco-culture-ich-en-rl-00166"]})'
                ' { __typename } }')
    auth = {"authorization": f"Bearer {secret}"}
    r = post(client, {"query": mutation, "extensions": ext(sha(mutation))}, **auth)
    assert r.json() == {"data": {"createNode": {"__typename": "NodeSaved"}}}, r.text
    version = store.data_version()
    for accept in ("application/json", GRAPHQL_RESPONSE_JSON):
        r = get(client, {"extensions": ext(sha(mutation))}, accept=accept, **auth)
        assert r.status_code == 405 and r.headers["allow"] == "POST" and "data" not in r.json(), r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"  # as without a hash
    assert store.data_version() == version  # nothing ran


def test_requests_with_a_token_use_persisted_queries_too(memory_client: tuple[Client, MemoryStore]) -> None:
    client, store = memory_client
    secret, _ = create_token(store, "researcher", name="res")
    assert post(client, {"query": STORY, "extensions": ext(sha(STORY))}).status_code == 200
    r = post(client, {"extensions": ext(sha(STORY))}, authorization=f"Bearer {secret}")
    assert r.json()["data"]["story"]["title"] == TITLE
    assert r.headers["cache-control"] == "private, no-store"


def test_the_store_forgets_the_least_recently_used() -> None:
    pq = PersistedQueries(max_entries=2, max_bytes=10_000)
    queries = ["{ a }", "{ b }", "{ c }"]
    for q in queries[:2]:
        pq.register(pq.resolve(q, ext(sha(q))))
    assert pq.resolve(None, ext(sha("{ a }"))).query == "{ a }"  # a is now the most recently used
    pq.register(pq.resolve("{ c }", ext(sha("{ c }"))))
    assert len(pq) == 2
    with pytest.raises(RequestRefused) as forgotten:
        pq.resolve(None, ext(sha("{ b }")))
    assert forgotten.value.code == "PERSISTED_QUERY_NOT_FOUND"
    assert pq.resolve(None, ext(sha("{ c }"))).query == "{ c }"


def test_the_store_is_bounded_in_bytes_too() -> None:
    pq = PersistedQueries(max_entries=100, max_bytes=300)
    long = "{ " + "a " * 200 + "}"
    pq.register(pq.resolve(long, ext(sha(long))))  # larger than the whole store: not kept
    assert len(pq) == 0
    for i in range(10):
        q = f"{{ field{i} }}"
        pq.register(pq.resolve(q, ext(sha(q))))
    assert 0 < len(pq) < 10  # each costs its text and its 64-digit hash


def test_persisted_queries_can_be_turned_off(seeded_store: Store) -> None:
    client = Client(create_app(Settings(apq_entries=0), store=seeded_store))
    try:
        r = post(client, {"query": STORY, "extensions": ext(sha(STORY))})
        off = {"message": "PersistedQueryNotSupported", "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"}}
        assert r.status_code == 200 and r.json() == {"errors": [off]}
        assert post(client, {"query": STORY}).json()["data"]["story"]["title"] == TITLE
    finally:
        client.close()


def test_settings_read_the_environment_and_refuse_negative_sizes() -> None:
    s = Settings.from_env({"HERITAGE_APQ_ENTRIES": "7", "HERITAGE_APQ_BYTES": "9000"})
    assert (s.apq_entries, s.apq_bytes) == (7, 9000)
    assert (Settings().apq_entries, Settings().apq_bytes) == (2000, 16 << 20)
    with pytest.raises(ConfigError, match="HERITAGE_APQ_BYTES must be 0"):
        PersistedQueries.from_settings(Settings(apq_bytes=-1))


def test_the_guide_s_example_works_as_written(client: Client) -> None:
    """docs/graphql.md: the query, its hash, the not-found answer, and both curl calls."""
    guide = (ROOT / "docs" / "graphql.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Persisted queries, caching and limits"):]
    query = re.search(r"```graphql\n(.*?)\n```", section, re.S).group(1)  # type: ignore[union-attr]
    digest = sha(query)
    assert f"Its hash is `{digest}`" in section
    shown = json.loads(re.search(r"```json\n(\{\"errors.*?)\n```", section, re.S).group(1))  # type: ignore[union-attr]
    assert post(client, {"extensions": ext(digest)}).json() == shown == NOT_FOUND
    script = re.search(r"```sh\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    assert f"H={digest}\n" in script and json.dumps(query)[1:-1] in script
    assert post(client, {"query": query, "extensions": ext(digest)}).json() == {"data": {"story": {"title": TITLE}}}
    assert get(client, {"extensions": ext(digest)}).json() == {"data": {"story": {"title": TITLE}}}
