"""Shared fixtures: one contract suite over every store adapter, a seeded app."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings

from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
# `make test` and .ci/run set it: a Neo4j that cannot be had is then a failure, not a skip.
REQUIRE_NEO4J = os.environ.get("HERITAGE_TEST_REQUIRE_NEO4J") == "1"
# .ci/run sets it too: a Dockerfile that cannot be linted (hadolint missing) is then a failure, not a skip.
REQUIRE_HADOLINT = os.environ.get("HERITAGE_TEST_REQUIRE_HADOLINT") == "1"
# `pytest --hypothesis-profile=explore` finds failures without the (slow) shrinking.
hypothesis_settings.register_profile("explore", phases=[Phase.explicit, Phase.generate])


@pytest.fixture(scope="session")
def neo4j_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """NEO4J_URI/USER/PASSWORD/DATABASE of the Neo4j the tests use: the one NEO4J_URI names, else one
    started here once per run (tools/neo4j, when java and mvn are on PATH) and stopped at the end.
    It is not put in os.environ: the embedded-store tests keep running as they would without it."""
    if os.environ.get("NEO4J_URI"):
        yield {name: os.environ[name] for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")
               if os.environ.get(name)}
        return
    from tools.neo4j.launch import LaunchError, Server, unavailable

    reason = unavailable()
    if reason:
        if REQUIRE_NEO4J:
            pytest.fail(f"Neo4j is required here (HERITAGE_TEST_REQUIRE_NEO4J=1): {reason}", pytrace=False)
        pytest.skip(reason)
    server = Server(data=tmp_path_factory.mktemp("neo4j") / "store")
    try:
        server.start()
    except LaunchError as exc:
        (pytest.fail if REQUIRE_NEO4J else pytest.skip)(f"Neo4j did not start: {exc}")
    try:
        yield server.env()
    finally:
        server.stop()


def _neo4j_store(env: dict[str, str]) -> Store:
    from heritage_graph.store.neo4j import Neo4jStore

    store = Neo4jStore(
        env["NEO4J_URI"], env.get("NEO4J_USER", "neo4j"), env.get("NEO4J_PASSWORD"),
        env.get("NEO4J_DATABASE", "neo4j"),
    ).open()
    store.init()
    if store.count_nodes() and not os.environ.get("HERITAGE_TEST_WIPE_NEO4J"):
        store.close()
        pytest.skip("the Neo4j database is not empty; the tests refuse to touch data they did not create "
                    "(set HERITAGE_TEST_WIPE_NEO4J=1 to allow)")
    return store


def wipe_neo4j(store: Store) -> None:
    """Empty the run's Neo4j of what a test wrote, its API tokens, users and sessions too (delete_all keeps
    them), and close it."""
    store.delete_all()
    store._driver.execute_query(  # type: ignore[attr-defined]
        "MATCH (t) WHERE t:HeritageToken OR t:HeritageUser OR t:HeritageSession DELETE t")
    store.close()


def consented(**properties: object) -> dict[str, object]:
    """Properties of a living person who may be public: a consent basis (docs/outline.md, the consent rule)."""
    return {"consent": {"basis": "given"}, **properties}


# The persistent stores, for tests that run the service over each of them (`params=PERSISTENT`).
PERSISTENT = ["ladybug", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@contextmanager
def fresh_store(request: pytest.FixtureRequest, folder: Path) -> Iterator[Store]:
    """An empty initialised store of the kind `request.param` names: the embedded one in `folder`, or
    the test run's Neo4j, emptied again afterwards (its API tokens too) for the next module."""
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "ladybug":
        store: Store = LadybugStore(folder / "db").open()
        store.init()
        try:
            yield store
        finally:
            store.close()
        return
    store = _neo4j_store(request.getfixturevalue("neo4j_env"))
    try:
        yield store
    finally:
        wipe_neo4j(store)


@pytest.fixture(params=["memory", "ladybug", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        s: Store = MemoryStore()
    elif request.param == "ladybug":
        s = LadybugStore(tmp_path / f"db-{uuid.uuid4().hex[:6]}").open()
        s.init()
    else:
        s = _neo4j_store(request.getfixturevalue("neo4j_env"))
    try:
        yield s
    finally:
        if request.param == "neo4j":
            wipe_neo4j(s)
        else:
            s.close()


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = LadybugStore(tmp_path_factory.mktemp("seeded") / "db").open()
    s.init()
    run_import(s, seed_files(), actor=SEED_ACTOR)
    yield s
    s.close()


class Client:
    """A synchronous face on httpx.AsyncClient over the ASGI app, one event loop per session."""

    def __init__(self, app: object) -> None:
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        return self._runner.run(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


@pytest.fixture(scope="session")
def client(seeded_store: Store) -> Iterator[Client]:
    c = Client(create_app(Settings(), store=seeded_store))
    yield c
    c.close()


class GraphQLClient:
    def __init__(self, client: Client) -> None:
        self.client = client

    def __call__(self, query: str, **variables: object) -> dict:
        r = self.client.post("/graphql", json={"query": query, "variables": variables})
        assert r.status_code == 200, r.text
        body = r.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, query: str, **variables: object) -> list[dict]:
        r = self.client.post("/graphql", json={"query": query, "variables": variables})
        body = r.json()
        assert body.get("errors"), f"expected errors, got {body}"
        return body["errors"]


@pytest.fixture(scope="session")
def gql(client: Client) -> GraphQLClient:
    return GraphQLClient(client)


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get("NEO4J_URI"):
        return f"neo4j tests: against {os.environ['NEO4J_URI']}"
    from tools.neo4j.launch import unavailable

    reason = unavailable()
    if reason:
        return f"neo4j tests: {'FAIL' if REQUIRE_NEO4J else 'skipped'} ({reason})"
    return "neo4j tests: a Neo4j 5.26 server is started for them (tools/neo4j)"
