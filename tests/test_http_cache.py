"""HTTP caching of anonymous reads over HTTP: Cache-Control, ETag and 304; responses with a token
never cached; the in-process cache skips all the work on a hit and is emptied by every write."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from heritage_graph.api.http import GRAPHQL_RESPONSE_JSON, HeritageGraphQL
from heritage_graph.api.response_cache import CachedResponse, ResponseCache, etag_of, none_match
from heritage_graph.api.schema import build_schema
from heritage_graph.app import create_app
from heritage_graph.errors import ConfigError, Conflict
from heritage_graph.model import Changes, Node, node_key
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.store.memory import MemoryStore
from heritage_graph.store.neo4j import Neo4jStore
from heritage_graph.tokens import create_token

from .conftest import Client

Q = "query($id: ID!) { node(id: $id) { id name } }"
FIESTA = {"id": "fiesta"}
VARY = "Accept, Accept-Language, Authorization"
ETAG = re.compile(r'^"[0-9a-f]{32}"$')
NODES = [Node(kind="Source", id="src-1", name="Field notes", properties={"type": "fieldwork"}, version=1),
         Node(kind="Tradition", id="fiesta", name="Fiesta", names={"es": "Fiesta", "en": "Feast"},
              properties={"category": "festival", "domains": ["social-practices"]}, sources=("src-1",), version=1),
         Node(kind="Tradition", id="danza", name="Danza", properties={"category": "dance"}, sources=("src-1",),
              version=1)]
CONSENT = """mutation($id: ID!, $v: Int!) { setConsent(id: $id, expectedVersion: $v,
  consent: {status: WITHDRAWN, givenBy: "Asamblea comunal"}, reason: "assembly decision") { __typename } }"""
CREATE = """mutation { createNode(reason: "survey", input: {kind: TRADITION, id: "borrador", name: "Borrador",
  properties: {category: "festival"}, sources: ["src-1"]}) { __typename } }"""


@dataclass
class Served:
    store: Store
    client: Client
    view: HeritageGraphQL
    runs: int = 0  # requests strawberry ran: a cache hit runs none
    curator: dict[str, str] | None = None

    def get(self, query: str = Q, variables: dict | None = None, **headers: str) -> httpx.Response:
        import json

        params = {"query": query, **({"variables": json.dumps(variables)} if variables else {})}
        return self.client.get("/graphql", params=params, headers=headers)

    def post(self, query: str = Q, variables: dict | None = None, **headers: str) -> httpx.Response:
        return self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)

    @property
    def cache(self) -> ResponseCache:
        return self.view.policy({"app": None}).cache


def serve(store: Store, settings: Settings | None = None) -> Served:
    app = create_app(settings or Settings(), store=store)
    view = next(r.endpoint for r in app.routes if getattr(r, "path", None) == "/graphql")
    assert isinstance(view, HeritageGraphQL)
    view._policy = None  # built from the app's settings at the first request, as in production
    served = Served(store, Client(app), view)
    run = view.run

    async def counting_run(*args: Any, **kwargs: Any) -> Any:
        served.runs += 1
        return await run(*args, **kwargs)

    view.run = counting_run  # type: ignore[method-assign]
    secret, _ = create_token(store, "curator", name="cur")  # type: ignore[arg-type]
    served.curator = {"authorization": f"Bearer {secret}"}
    return served


def filled(kind: str, tmp_path: Path) -> Store:
    store: Store = MemoryStore() if kind == "memory" else LadybugStore(tmp_path / "db").open()
    store.init()
    store.write(NODES, [])
    return store


@pytest.fixture
def memory() -> Iterator[Served]:
    s = serve(filled("memory", Path()))
    yield s
    s.client.close()


@pytest.fixture(params=["memory", "ladybug"])
def each(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """The stores that keep a data version in process."""
    s = serve(filled(request.param, tmp_path))
    yield s
    s.client.close()
    s.store.close()


# --- headers --------------------------------------------------------------------------------------


def test_an_anonymous_query_is_public_with_an_etag_over_get_and_post(memory: Served) -> None:
    by_get, by_post = memory.get(variables=FIESTA), memory.post(variables=FIESTA)
    for r in (by_get, by_post):
        assert r.status_code == 200 and r.json() == {"data": {"node": {"id": "fiesta", "name": "Fiesta"}}}
        assert r.headers["cache-control"] == "public, max-age=60"
        assert ETAG.match(r.headers["etag"]) and r.headers["vary"] == VARY
        assert r.headers["content-type"] == "application/json"
        assert int(r.headers["content-length"]) == len(r.content)
    assert by_get.headers["etag"] == by_post.headers["etag"] == etag_of(by_get.content, "application/json")


@pytest.mark.parametrize(("max_age", "expected"), [(5, "public, max-age=5"), (0, "public, no-cache")])
def test_max_age_follows_the_setting(max_age: int, expected: str) -> None:
    s = serve(filled("memory", Path()), Settings(cache_max_age=max_age))
    assert s.get(variables=FIESTA).headers["cache-control"] == expected
    s.client.close()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_matching_if_none_match_gives_304_without_a_body(memory: Served, method: str) -> None:
    send = getattr(memory, method)
    first = send(variables=FIESTA)
    etag = first.headers["etag"]
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        r = send(variables=FIESTA, **{"if-none-match": header})
        assert r.status_code == 304 and r.content == b"", header
        assert (r.headers["etag"], r.headers["cache-control"], r.headers["vary"]) == (
            etag, "public, max-age=60", VARY)
        assert "content-type" not in r.headers
    for header in ('"other"', 'W/"other"', etag[:-2] + '"'):
        r = send(variables=FIESTA, **{"if-none-match": header})
        assert r.status_code == 200 and r.content == first.content, header


def test_a_304_needs_no_cached_copy(memory: Served) -> None:
    etag = memory.get(variables=FIESTA).headers["etag"]
    fresh = serve(memory.store)  # another replica: nothing cached yet, same bytes, same ETag
    r = fresh.get(variables=FIESTA, **{"if-none-match": etag})
    assert r.status_code == 304 and fresh.runs == 1
    fresh.client.close()


def test_answers_are_kept_apart_by_language_and_media_type(memory: Served) -> None:
    en = memory.get(variables=FIESTA, **{"accept-language": "en"})
    es = memory.get(variables=FIESTA, **{"accept-language": "es"})
    assert en.json()["data"]["node"]["name"] == "Feast" and es.json()["data"]["node"]["name"] == "Fiesta"
    assert en.headers["etag"] != es.headers["etag"]
    runs = memory.runs
    # Another way of asking for English: another header, the same answer, from the cache.
    again = memory.get(variables=FIESTA, **{"accept-language": "en-GB,en;q=0.9"})
    assert again.json()["data"]["node"]["name"] == "Feast" and memory.runs == runs
    strict = memory.get(variables=FIESTA, accept=GRAPHQL_RESPONSE_JSON)
    assert strict.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    plain = memory.get(variables=FIESTA)
    assert strict.content == plain.content and strict.headers["etag"] != plain.headers["etag"]


# --- the in-process cache -------------------------------------------------------------------------


def test_a_hit_skips_parsing_validation_and_execution(memory: Served) -> None:
    store = memory.store
    assert isinstance(store, MemoryStore)
    first = memory.get(variables=FIESTA)
    calls, runs = store.calls, memory.runs
    assert runs == 1
    assert memory.get(variables=FIESTA).content == first.content  # the very same request
    assert memory.post(variables=FIESTA).content == first.content  # the same query, by POST
    assert (store.calls, memory.runs) == (calls, runs) and memory.cache.hits == 2
    swapped = {"x": 1, "id": "fiesta"}
    assert memory.post(variables=swapped).content == memory.post(variables=dict(reversed(swapped.items()))).content
    assert memory.runs == runs + 1, "the same variables in another order are the same request"


def test_requests_with_a_token_are_private_and_never_from_the_cache(memory: Served) -> None:
    assert memory.curator is not None
    created = memory.post(CREATE, **memory.curator)
    assert created.json()["data"]["createNode"]["__typename"] == "NodeSaved"
    assert created.headers["cache-control"] == "private, no-store" and created.headers["vary"] == VARY
    draft = {"id": "borrador"}
    anonymous = memory.get(variables=draft)
    assert anonymous.json() == {"data": {"node": None}} and ETAG.match(anonymous.headers["etag"])
    etag = anonymous.headers["etag"]
    runs = memory.runs
    curator = memory.get(variables=draft, **memory.curator, **{"if-none-match": etag})
    assert curator.status_code == 200 and curator.json()["data"]["node"]["id"] == "borrador"
    assert curator.headers["cache-control"] == "private, no-store" and "etag" not in curator.headers
    assert memory.runs == runs + 1
    assert memory.get(variables=draft).json() == {"data": {"node": None}}  # nothing leaked into the cache


def test_errors_and_mutations_are_never_cached(memory: Served) -> None:
    failing = '{ lineage(id: "fiesta", maxDepth: 5000) { root { id } } }'
    invalid = "{ noSuchField }"
    mutation = CREATE.replace("borrador", "anonimo")
    for query in (failing, invalid, mutation):
        runs = memory.runs
        for _ in range(2):
            r = memory.post(query)
            assert r.headers["cache-control"] == "no-store" and "etag" not in r.headers, (query, r.headers)
        assert memory.runs == runs + 2, query
    # An anonymous mutation answers with data, not errors (its result says it was refused): still no-store.
    assert memory.post(mutation).json()["data"]["createNode"]["__typename"] == "ForbiddenError"


def test_a_direct_write_is_seen_by_the_very_next_request(each: Served) -> None:
    first = each.get(variables=FIESTA)
    assert each.get(variables=FIESTA).content == first.content and each.runs == 1  # a hit
    (node,) = each.store.get_nodes(["fiesta"])
    each.store.apply(Changes(nodes=[replace(node, name="Fiesta patronal", version=node.version + 1)],
                             expected={node_key("fiesta"): node.version}))
    after = each.get(variables=FIESTA, **{"if-none-match": first.headers["etag"]})
    assert after.status_code == 200 and after.json()["data"]["node"]["name"] == "Fiesta patronal"
    assert after.headers["etag"] != first.headers["etag"] and each.runs == 2
    assert each.get(variables=FIESTA).content == after.content and each.runs == 2  # cached again


def test_a_curator_mutation_is_seen_by_the_very_next_anonymous_request(each: Served) -> None:
    assert each.curator is not None
    first = each.post(variables=FIESTA)
    assert first.json()["data"]["node"]["id"] == "fiesta"
    assert each.post(variables=FIESTA).content == first.content and each.runs == 1
    (node,) = each.store.get_nodes(["fiesta"])
    done = each.post(CONSENT, {"id": "fiesta", "v": node.version}, **each.curator)
    assert done.json() == {"data": {"setConsent": {"__typename": "NodeSaved"}}}, done.text
    hidden = each.post(variables=FIESTA)
    assert hidden.json() == {"data": {"node": None}} and hidden.headers["etag"] != first.headers["etag"]


def test_the_data_version_moves_with_every_committed_write(each: Served) -> None:
    store = each.store
    seen = [store.data_version()]
    (node,) = store.get_nodes(["danza"])
    store.apply(Changes(nodes=[replace(node, name="Danza de tijeras", version=node.version + 1)],
                        expected={node_key("danza"): node.version}))
    seen.append(store.data_version())
    with pytest.raises(Conflict):  # based on a version that is gone: nothing is written
        store.apply(Changes(nodes=[replace(node, name="x", version=node.version + 1)],
                            expected={node_key("danza"): node.version}))
    assert store.data_version() == seen[-1]
    store.delete_all()
    seen.append(store.data_version())
    assert len(set(seen)) == 3 and all(isinstance(v, str) for v in seen)


def test_the_cache_is_bounded(memory: Served) -> None:
    s = serve(memory.store, Settings(cache_entries=3))
    for name in ("fiesta", "danza", "src-1", "nada"):
        s.get(variables={"id": name})
    assert len(s.cache) <= 3  # each answer under two keys: the request's bytes and what it asks
    s.client.close()
    small = ResponseCache(max_entries=100, max_bytes=1000)
    big = CachedResponse.of(b"x" * 2000, "application/json", '"e"', "public, max-age=60")
    small.put("k", big, "1", "1")
    assert len(small) == 0


def test_an_answer_computed_across_a_write_is_not_kept() -> None:
    cache = ResponseCache(max_entries=10, max_bytes=1 << 20)
    entry = CachedResponse.of(b"{}", "application/json", '"e"', "public, max-age=60")
    cache.put("k", entry, computed_at="1", version_now="2")
    assert cache.get("k", "2") is None
    cache.put("k", entry, computed_at="2", version_now="2")
    assert cache.get("k", "2") is entry
    assert cache.get("k", "3") is None and len(cache) == 0  # a new version empties it


def test_a_store_without_a_data_version_is_not_cached_in_process() -> None:
    # Neo4j before a background read has confirmed its counter (no connection here): no version.
    assert Neo4jStore("bolt://localhost:1", "neo4j", None).data_version() is None

    class Shared(MemoryStore):
        def data_version(self) -> None:  # type: ignore[override]
            return None

    store = Shared()
    store.write(NODES, [])
    s = serve(store)
    first = s.get(variables=FIESTA)
    assert s.get(variables=FIESTA).content == first.content and s.runs == 2  # ran again
    assert s.get(variables=FIESTA, **{"if-none-match": first.headers["etag"]}).status_code == 304
    assert len(s.cache) == 0
    s.client.close()


@pytest.mark.parametrize(("header", "matches"), [
    (None, False), ("", False), ("*", True), (' * ', True), ('"abc"', True), ('W/"abc"', True),
    ('"x", "abc"', True), ('"x",W/"abc" ', True), ('"x"', False), ('"ab"', False), ("abc", False),
    ('"a,b", "abc"', True), ('"abc', False),
])
def test_if_none_match_is_compared_as_rfc_9110_says(header: str | None, matches: bool) -> None:
    assert none_match(header, '"abc"') is matches


def test_cache_settings_read_the_environment_and_refuse_nonsense() -> None:
    env = Settings.from_env({"HERITAGE_CACHE_MAX_AGE": "30", "HERITAGE_CACHE_ENTRIES": "5",
                             "HERITAGE_CACHE_BYTES": "6000"})
    assert (env.cache_max_age, env.cache_entries, env.cache_bytes) == (30, 5, 6000)
    assert (Settings().cache_max_age, Settings().cache_entries, Settings().cache_bytes) == (60, 2000, 64 << 20)
    with pytest.raises(ConfigError, match="HERITAGE_CACHE_MAX_AGE must be 0 or more"):
        HeritageGraphQL(build_schema(), settings=Settings(cache_max_age=-1))
    with pytest.raises(ConfigError, match="HERITAGE_CACHE_ENTRIES must be 0"):
        ResponseCache.from_settings(Settings(cache_entries=-1))
