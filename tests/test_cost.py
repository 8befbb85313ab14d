"""The cost limit (refused before any store call), the time budget and a client that leaves (the
work stops), and cheap requests answered while a heavy one runs (issue 10, denial of service)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from graphql import parse

from heritage_graph.api.cost import FANOUT, estimate
from heritage_graph.api.schema import build_schema
from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.model import Relation
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import Direction
from heritage_graph.store.memory import MemoryStore
from heritage_graph.tokens import create_token

from .tools import serving_in_thread

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


class CountingStore(MemoryStore):
    """The seeded inventory; counts every read, and can make relation reads slow."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.calls = 0

    def get_nodes(self, ids: Sequence[str]) -> list[Any]:
        self.calls += 1
        return super().get_nodes(ids)

    def relations(self, ids: Sequence[str], direction: Direction, types: Sequence[str]) -> list[Relation]:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        return super().relations(ids, direction, types)


def seeded(delay: float = 0.0) -> CountingStore:
    store = CountingStore()
    run_import(store, seed_files(), actor=SEED_ACTOR)
    store.delay = delay
    return store


def walk(levels: int, root: str = "pe") -> str:
    """``relations { node { … } }`` ``levels`` deep from a hub (the country holds every department)."""
    inner = "id name"
    for _ in range(levels):
        inner = f"id relations {{ type node {{ {inner} }} }}"
    return f'node(id: "{root}") {{ {inner} }}'


def nested(levels: int, root: str = "pe") -> str:
    return "{ " + walk(levels, root) + " }"


def post(app: Any, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.post("/graphql", json={"query": query}, headers=headers or {})

    return asyncio.run(call())


@pytest.fixture(scope="module")
def store() -> CountingStore:
    return seeded()


def test_the_estimate_follows_pages_fanouts_ids_and_aliases() -> None:
    schema = build_schema()._schema

    def cost(query: str, variables: dict[str, Any] | None = None) -> float:
        return estimate(schema, parse(query), None, variables, 200)

    rel = FANOUT["relations"]
    assert cost('{ node(id: "x") { id } }') == 2
    assert cost('{ node(id: "x") { relations { node { name } } } }') == 1 + rel * 3
    assert cost("query($n: Int!) { practitioners(first: $n) { edges { node { name } } } }", {"n": 7}) == 1 + 7 * 3
    assert cost("{ practitioners(first: 5000) { edges { cursor } } }") == 1 + 200 * 2  # capped at the page size
    assert cost('{ nodes(ids: ["a", "b", "c"]) { name } }') == 3 * 2
    typed = cost('{ node(id: "x") { ... on Practitioner { teachers { node { name } } } } }')
    assert typed == 1 + FANOUT["Relation"] * 3
    one = cost('{ node(id: "x") { relations { type } } }')
    assert cost('{ a: node(id: "x") { relations { type } } b: node(id: "x") { relations { type } } }') == 2 * one
    # Fragments within fragments, each spread twice: measured once per fragment, counted every time.
    chain = "".join(f"fragment F{i} on Node {{ id ...F{i + 1} ...F{i + 1} }}\n" for i in range(30))
    assert cost('{ node(id: "x") { ...F0 } }\n' + chain + "fragment F30 on Node { id }") == 1 + (2 ** 31 - 1)


def test_deep_nesting_from_a_hub_is_refused_before_any_store_call(store: CountingStore) -> None:
    app = create_app(Settings(), store=store)
    before = store.calls
    r = post(app, nested(3), GRAPHQL_RESPONSE)
    assert r.status_code == 400, r.text
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["found"] > error["extensions"]["max"] == 50_000
    assert "HERITAGE_MAX_COST_ANONYMOUS" in error["message"] and "data" not in r.json()
    assert store.calls == before  # nothing was read
    assert post(app, nested(1)).json()["data"]["node"]["relations"]  # one level is well within the limit


def test_aliases_of_multi_hop_walks_are_refused(store: CountingStore) -> None:
    app = create_app(Settings(), store=store)
    one = nested(2)
    assert "errors" not in post(app, one).json()  # one walk is within the limit …
    query = "{ " + " ".join(f"w{i}: {walk(2)}" for i in range(10)) + " }"  # … ten aliases of it are not
    assert len(query) < 2000
    before = store.calls
    r = post(app, query)
    assert r.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY", r.text
    assert store.calls == before


def test_the_limit_depends_on_the_role(store: CountingStore) -> None:
    researcher, _ = create_token(store, "researcher")
    app = create_app(Settings(), store=store)
    query = "{ practitioners(first: 30) { edges { node { relations { node { relations { type } } } } } } }"
    refused = post(app, query)
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    answered = post(app, query, {"authorization": f"Bearer {researcher}"})
    assert answered.status_code == 200 and "errors" not in answered.json(), answered.text
    low = create_app(Settings(max_cost_researcher=100), store=store)
    again = post(low, query, {"authorization": f"Bearer {researcher}"})
    assert again.json()["errors"][0]["extensions"]["max"] == 100
    assert "HERITAGE_MAX_COST_RESEARCHER" in again.json()["errors"][0]["message"]


def test_the_time_budget_stops_a_query_and_its_store_calls() -> None:
    store = seeded(delay=0.3)
    app = create_app(Settings(time_budget_anonymous=0.5), store=store)
    before = store.calls
    r = post(app, nested(2, root="pe-ayacucho"))  # within the cost limit, slow on this store
    assert r.status_code == 200
    body = r.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "TIME_BUDGET_EXCEEDED", r.text
    assert "HERITAGE_TIME_BUDGET_ANONYMOUS" in body["errors"][0]["message"]
    assert r.headers["cache-control"] == "no-store"
    stopped = store.calls
    time.sleep(1.5)  # had the query gone on, its next levels would be read by now
    assert store.calls - stopped <= 1  # at most the read in flight when the budget ran out
    full = seeded()
    post(create_app(Settings(), store=full), nested(2, root="pe-ayacucho"))
    assert stopped - before < full.calls  # it never read what the whole query needs


@pytest.fixture
def live() -> Iterator[tuple[str, CountingStore]]:
    store = seeded(delay=0.4)
    with serving_in_thread(create_app(Settings(), store=store)) as (base, _server):
        yield base, store


def test_a_client_that_leaves_stops_its_query(live: tuple[str, CountingStore]) -> None:
    base, store = live
    query = nested(2, root="pe-ayacucho")
    before = store.calls
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/graphql", json={"query": query}, timeout=httpx.Timeout(10, read=0.6))
    time.sleep(0.5)  # the service hears of the disconnect
    settled = store.calls
    time.sleep(3)  # the whole query takes tens of seconds on this store: had it gone on, it would read on
    assert store.calls - settled <= 1, "the query went on after its client had left"
    whole = seeded()
    post(create_app(Settings(), store=whole), query)
    assert settled - before < whole.calls


def test_a_cheap_request_is_answered_while_a_heavy_one_runs(live: tuple[str, CountingStore]) -> None:
    base, _store = live
    heavy_done = threading.Event()

    def heavy() -> None:
        httpx.post(f"{base}/graphql", json={"query": nested(2, root="pe-ayacucho")}, timeout=60)
        heavy_done.set()

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.3)
    r = httpx.post(f"{base}/graphql", json={"query": '{ node(id: "pe") { name } }'}, timeout=60)
    assert r.json()["data"]["node"]["name"]
    assert not heavy_done.is_set(), "the cheap request waited for the heavy one"
    thread.join(timeout=60)
    assert heavy_done.is_set()
