"""Operations: /healthz and /readyz, Prometheus metrics, JSON logs with request ids, no trace to a
client, CORS, and a graceful shutdown of a real server (heritage_graph/ops/)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from heritage_graph.api import limits
from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.errors import ConfigError, StoreUnavailable
from heritage_graph.ops import metrics as metrics_module
from heritage_graph.ops.cors import parse_origins
from heritage_graph.ops.health import ReadinessProbe
from heritage_graph.ops.logs import configure_logging, request_id_from
from heritage_graph.ops.metrics import Metrics
from heritage_graph.ops.timing import TimedStore, unwrap
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import DEADLINE
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.store.memory import MemoryStore
from heritage_graph.store.neo4j import Neo4jStore
from heritage_graph.tokens import create_token

from .conftest import Client
from .tools import free_port, running_service

MakeClient = Callable[..., Client]
SECRET = "secret-detail-/srv/heritage/db"
NODE_QUERY = '{ node(id: "jesus-urbano-rojas") { id } }'


# --- helpers -------------------------------------------------------------------------------------------


def samples(client: Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics as {(name, labels): value}."""
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def client_for() -> Iterator[MakeClient]:
    """``client_for(store, settings)``: a client on a new app; closed after the test."""
    made: list[Client] = []

    def make(store: Any, settings: Settings | None = None) -> Client:
        made.append(Client(create_app(settings or Settings(), store=store)))
        return made[-1]

    yield make
    for c in made:
        c.close()


@pytest.fixture
def app_client(client_for: MakeClient) -> Client:
    return client_for(MemoryStore())


@contextlib.contextmanager
def captured_log(fmt: str = "json", flush_ms: int = 0) -> Iterator[io.StringIO]:
    """The service's log, captured; the logging set-up is restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    try:
        configure_logging(fmt, "INFO", stream, flush_ms=flush_ms)
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    with captured_log() as stream:
        yield stream


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    """The service's lines (not those of the test's own HTTP client)."""
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [e for e in lines if not e["logger"].startswith("httpx")]


class ExplodingStore(MemoryStore):
    """A store whose node reads fail with an error nobody expected."""

    def get_nodes(self, ids: Any) -> list[Any]:
        raise RuntimeError(SECRET)


# --- /healthz and /readyz -------------------------------------------------------------------------------


@pytest.fixture
def ladybug(tmp_path: Path) -> Iterator[LadybugStore]:
    store = LadybugStore(tmp_path / "db").open()
    store.init()
    yield store
    store.close()


def test_readyz_is_ready_when_the_store_answers_and_the_index_is_current(client_for: MakeClient,
                                                                         ladybug: LadybugStore) -> None:
    c = client_for(ladybug)
    r = c.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["store"] == "ladybug"
    assert body["checks"]["store"] == "ok" and body["checks"]["search_index"].startswith("current (generation ")
    assert r.headers["cache-control"] == "no-store"


def test_readyz_names_a_stale_index_and_how_to_fix_it(client_for: MakeClient, ladybug: LadybugStore) -> None:
    c = client_for(ladybug)
    ladybug._index.update([], "999")  # as if a write's index update had been lost
    r = c.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "not ready" and body["checks"]["search_index"] == "stale"
    assert "search index is stale" in body["reason"] and "generation 999" in body["reason"]
    assert "restart the service" in body["fix"] and "heritage-graph init" in body["fix"]
    ladybug.rebuild_search()  # what a restart does
    assert c.get("/readyz").status_code == 200


def test_readyz_says_a_closed_store_is_not_open_while_healthz_stays_alive(client_for: MakeClient,
                                                                          ladybug: LadybugStore) -> None:
    c = client_for(ladybug)
    ladybug.close()
    r = c.get("/readyz")
    assert r.status_code == 503 and r.json()["reason"] == "the embedded store is not open"
    assert "HERITAGE_DB" in r.json()["fix"]
    assert c.get("/healthz").json() == {"status": "ok", "store": "ladybug"}


def test_readyz_answers_503_at_once_while_a_check_is_stuck(client_for: MakeClient, ladybug: LadybugStore) -> None:
    c = client_for(ladybug)
    app = c._client._transport.app  # type: ignore[attr-defined]
    probe = next(r.endpoint.__self__ for r in app.routes if getattr(r, "path", "") == "/readyz")
    assert isinstance(probe, ReadinessProbe)
    probe.timeout = 0.2
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # a long write holds the embedded store
        with ladybug._lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(10)
        first = c.get("/readyz")
        assert first.status_code == 503 and "did not answer within 0.2 s" in first.json()["reason"]
        second = c.get("/readyz")
        assert second.status_code == 503 and "previous readiness check has not finished" in second.json()["reason"]
    finally:
        release.set()
        holder.join()
    deadline = time.monotonic() + 10  # the stuck check ends once the store is free
    while (r := c.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, r.text


class FakeNeo4jDriver:
    """A driver whose every session answers ``RETURN 1`` (the readiness read), or raises ``error``."""

    execute_query_bookmark_manager = None

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.verified = 0
        self.databases: list[str] = []

    def session(self, **config: Any) -> FakeNeo4jDriver:
        self.databases.append(config["database"])
        return self

    def __enter__(self) -> FakeNeo4jDriver:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def run(self, query: Any) -> FakeNeo4jDriver:
        assert (query.text, query.timeout) == ("RETURN 1", 2.0), "a trivial read, ended by Neo4j within 2 s"
        self.verified += 1
        if self.error is not None:
            raise self.error
        return self

    def consume(self) -> None:
        return None

    def close(self) -> None:
        return None


def neo4j_client(client_for: MakeClient, driver: FakeNeo4jDriver | None) -> Client:
    store = Neo4jStore("bolt://fake:7687", "neo4j", "x")
    store._driver = driver
    return client_for(store, Settings(neo4j_uri="bolt://fake:7687"))


def test_readyz_on_neo4j_verifies_connectivity(client_for: MakeClient) -> None:
    driver = FakeNeo4jDriver()
    r = neo4j_client(client_for, driver).get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready", "store": "neo4j",
                                                 "checks": {"store": "ok", "search_index": "in Neo4j"}}
    assert driver.verified == 1 and driver.databases == ["neo4j"], "a read on NEO4J_DATABASE, not just a handshake"


def test_readyz_on_an_unreachable_or_closed_neo4j(client_for: MakeClient) -> None:
    from neo4j.exceptions import DatabaseUnavailable, ServiceUnavailable

    r = neo4j_client(client_for, FakeNeo4jDriver(ServiceUnavailable("Couldn't connect to fake:7687"))).get("/readyz")
    assert r.status_code == 503
    assert r.json()["reason"].startswith("cannot reach Neo4j (check NEO4J_URI)") and "NEO4J_URI" in r.json()["fix"]
    starting = DatabaseUnavailable._hydrate_neo4j(code="Neo.TransientError.General.DatabaseUnavailable",
                                                  message="Database 'neo4j' is unavailable.")
    r = neo4j_client(client_for, FakeNeo4jDriver(starting)).get("/readyz")
    assert r.status_code == 503 and r.json()["reason"].startswith("the Neo4j database is not available")
    r = neo4j_client(client_for, None).get("/readyz")
    assert r.status_code == 503 and r.json()["reason"] == "the Neo4j store is not open"


# --- metrics -------------------------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_method_and_status(app_client: Client) -> None:
    app_client.get("/ld/jesus-urbano-rojas")
    app_client.get("/ld/manuela-momediano")
    app_client.get("/no/such/page")
    found = samples(app_client)
    assert value(found, "heritage_http_requests_total", route="/ld/{id}", method="GET", status="404") == 2
    assert value(found, "heritage_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert value(found, "heritage_http_request_duration_seconds_count", route="/ld/{id}", method="GET") == 2
    assert not any("jesus-urbano-rojas" in str(labels) for _, labels in found)
    [info] = [dict(labels) for name, labels in found if name == "heritage_info"]
    assert info["store"] == "memory" and info["version"]


def test_graphql_operations_are_counted_by_name_and_outcome(app_client: Client) -> None:
    def post(body: dict[str, Any], **headers: str) -> int:
        return app_client.post("/graphql", json=body, headers=headers).status_code

    post({"query": "query Lineage { __typename }"})
    post({"query": "query A { __typename } query B { __typename }", "operationName": "B"})
    post({"query": '{ crafts(first: -1) { edges { node { id } } } }'})  # runs, answers a field error
    post({"query": "query Broken { nope }"})  # validation
    post({"query": "{"})  # syntax
    post({"query": "{ __typename }", "operationName": "bad name!"})
    post({"query": "{ __typename }"}, authorization="Bearer hg_unknown")  # refused before strawberry runs
    found = samples(app_client)

    def ops(operation: str, outcome: str) -> float:
        return value(found, "heritage_graphql_operations_total", operation=operation, outcome=outcome)

    assert ops("Lineage", "ok") == 1 and ops("B", "ok") == 1
    assert ops("anonymous", "error") == 1
    assert ops("Broken", "rejected") == 1 and ops("anonymous", "rejected") == 1
    assert ops("invalid", "rejected") == 1
    assert ops("unknown", "rejected") == 1
    assert value(found, "heritage_http_requests_total", route="/graphql", method="POST", status="401") == 1
    assert value(found, "heritage_graphql_operation_duration_seconds_count", operation="Lineage") == 1


def test_operation_names_are_capped(app_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_module, "MAX_OPERATIONS", 2)
    for i, name in enumerate(("One", "Two", "Three", "Four", "One")):
        app_client.post("/graphql", json={"query": f"query {name} {{ t{i}: __typename }}"})
    found = samples(app_client)
    counted = {dict(labels)["operation"]: v for (name, labels), v in found.items()
               if name == "heritage_graphql_operations_total"}
    assert counted == {"One": 2, "Two": 1, "other": 2}


def test_store_calls_are_timed_and_their_errors_counted(app_client: Client) -> None:
    app_client.post("/graphql", json={"query": NODE_QUERY})
    assert value(samples(app_client), "heritage_store_call_duration_seconds_count", call="get_nodes") == 1

    class Down(MemoryStore):
        def count_nodes(self) -> int:
            raise StoreUnavailable("down")

    metrics = Metrics("memory")
    store = TimedStore(Down(), metrics)
    with pytest.raises(StoreUnavailable):
        store.count_nodes()
    assert store.dialect == "memory" and unwrap(store).dialect == "memory"
    assert metrics.store_errors.labels("count_nodes", "STORE_UNAVAILABLE")._value.get() == 1
    assert metrics.store_calls.labels("count_nodes")._sum.get() > 0


def test_each_app_has_its_own_registry(client_for: MakeClient) -> None:
    first = client_for(MemoryStore())
    second = client_for(MemoryStore())
    first.get("/healthz")
    assert value(samples(first), "heritage_http_requests_total", route="/healthz", method="GET", status="200") == 1
    assert value(samples(second), "heritage_http_requests_total", route="/healthz", method="GET", status="200") == 0


def test_import_progress_is_fed_by_the_importer_callbacks() -> None:
    metrics = Metrics("memory")
    imports = metrics.imports
    with imports.run():
        report = run_import(MemoryStore(), seed_files(), actor=SEED_ACTOR, progress=imports.read,
                            on_write=imports.writing)
    written = report.nodes.created + report.relations.created
    lines = sum(1 for f in seed_files() for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    assert written > 0
    assert imports.records._value.get() == written
    assert imports.lines._value.get() == lines
    assert imports.progress_ratio._value.get() == 1
    assert imports.imports.labels("ok")._value.get() == 1


def test_a_rejected_import_is_counted(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "NoSuchKind", "id": "x"}\n', encoding="utf-8")
    imports = Metrics("memory").imports
    with pytest.raises(Exception, match="import rejected"), imports.run():
        run_import(MemoryStore(), [bad], progress=imports.read, on_write=imports.writing)
    assert imports.imports.labels("rejected")._value.get() == 1
    assert imports.records._value.get() == 0


# --- logs and errors -----------------------------------------------------------------------------------


def test_one_json_line_per_request_with_its_id_operation_and_role(client_for: MakeClient,
                                                                  log_lines: io.StringIO) -> None:
    store = MemoryStore()
    secret, _ = create_token(store, "curator", name="Ana")
    c = client_for(store)
    r = c.post("/graphql", json={"query": "query Who { __typename }"},
               headers={"x-request-id": "req-123", "authorization": f"Bearer {secret}"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "req-123"
    [line] = [e for e in parsed(log_lines) if e["logger"] == "heritage_graph.access"]
    assert line["request_id"] == "req-123" and line["level"] == "INFO"
    assert {k: line[k] for k in ("method", "path", "route", "status", "operation", "outcome", "role")} == {
        "method": "POST", "path": "/graphql", "route": "/graphql", "status": 200, "operation": "Who",
        "outcome": "ok", "role": "curator"}
    assert isinstance(line["duration_ms"], float) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", line["time"])
    assert secret not in log_lines.getvalue()


def test_a_request_id_is_made_when_the_client_sends_none_or_an_unsafe_one(app_client: Client) -> None:
    made = app_client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    for unsafe in ("x" * 129, "a b", 'x"}{"level":"INFO'):
        got = app_client.get("/healthz", headers={"x-request-id": unsafe}).headers["x-request-id"]
        assert got != unsafe and re.fullmatch(r"[0-9a-f]{32}", got)
    assert request_id_from("žluť".encode()) != "žluť"
    assert request_id_from(b"4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7") == (
        "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7")


def test_an_unexpected_graphql_error_is_masked_and_logged_with_the_request_id(client_for: MakeClient,
                                                                              log_lines: io.StringIO) -> None:
    c = client_for(ExplodingStore())
    r = c.post("/graphql", json={"query": NODE_QUERY}, headers={"x-request-id": "boom-1"})
    assert r.status_code == 200
    assert r.json()["errors"][0]["message"] == "Internal server error"
    assert r.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert SECRET not in r.text and "Traceback" not in r.text
    errors = [e for e in parsed(log_lines) if e["level"] == "ERROR"]
    assert len(errors) == 1, errors  # logged once (strawberry's own log of every error is replaced)
    assert errors[0]["request_id"] == "boom-1" and SECRET in errors[0]["exception"]
    access = [e for e in parsed(log_lines) if e["logger"] == "heritage_graph.access"]
    assert access[0]["outcome"] == "error"


def test_lines_logged_in_store_worker_threads_carry_the_request_id(client_for: MakeClient,
                                                                   log_lines: io.StringIO) -> None:
    class Chatty(MemoryStore):
        inline_reads = False  # like a networked store: every read in a worker thread

        def get_nodes(self, ids: Any) -> list[Any]:
            assert threading.current_thread() is not threading.main_thread()
            logging.getLogger("heritage_graph.store.test").warning("reading %d nodes", len(ids))
            return super().get_nodes(ids)

    client_for(Chatty()).post("/graphql", json={"query": NODE_QUERY}, headers={"x-request-id": "thread-1"})
    [line] = [e for e in parsed(log_lines) if e["logger"] == "heritage_graph.store.test"]
    assert line["request_id"] == "thread-1" and line["message"] == "reading 1 nodes"


def test_an_error_raised_before_execution_is_masked_too(app_client: Client, log_lines: io.StringIO,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(limits.MaxAliasesRule, "check", broken)
    r = app_client.post("/graphql", json={"query": "{ __typename }"},
                        headers={"accept": "application/graphql-response+json", "x-request-id": "early-1"})
    assert r.status_code == 500 and SECRET not in r.text
    assert r.json()["errors"][0]["message"] == "Internal server error"
    [error] = [e for e in parsed(log_lines) if e["level"] == "ERROR"]
    assert error["request_id"] == "early-1" and SECRET in error["exception"]


def test_an_error_outside_graphql_answers_json_500_without_a_trace(client_for: MakeClient,
                                                                   log_lines: io.StringIO) -> None:
    c = client_for(ExplodingStore())
    r = c.get("/ld/jesus-urbano-rojas", headers={"x-request-id": "ld-1"})
    assert r.status_code == 500 and r.headers["content-type"] == "application/json"
    assert r.headers["x-request-id"] == "ld-1"
    assert r.json() == {"errors": [{"message": "Internal server error",
                                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "ld-1"}}]}
    lines = parsed(log_lines)
    [error] = [e for e in lines if e["level"] == "ERROR"]
    assert error["request_id"] == "ld-1" and SECRET in error["exception"] and "Traceback" in error["exception"]
    [access] = [e for e in lines if e["logger"] == "heritage_graph.access"]
    assert access["status"] == 500 and access["level"] == "WARNING" and access["request_id"] == "ld-1"
    found = samples(c)
    assert value(found, "heritage_http_requests_total", route="/ld/{id}", method="GET", status="500") == 1


class DownStore(MemoryStore):
    """A store that cannot be reached (Neo4j down): every read, token look-ups included, fails."""

    def get_nodes(self, ids: Any) -> list[Any]:
        raise StoreUnavailable(f"cannot reach Neo4j (check NEO4J_URI): {SECRET}")

    def token_by_hash(self, hash: str) -> Any:
        raise StoreUnavailable(f"cannot reach Neo4j (check NEO4J_URI): {SECRET}")


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
def test_an_unreachable_store_is_a_503_with_retry_after_never_a_500(client_for: MakeClient, log_lines: io.StringIO,
                                                                     accept: str) -> None:
    c = client_for(DownStore(), Settings(cache_entries=0))
    unavailable = {"message": "The store is unavailable; try again shortly.",
                   "extensions": {"code": "STORE_UNAVAILABLE", "retryable": True}}
    # An operation that produced nothing because of the store, anonymous or with a token
    r = c.post("/graphql", json={"query": NODE_QUERY}, headers={"accept": accept})
    assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
    assert r.headers["cache-control"] == "no-store" and r.headers["content-type"].startswith(accept)
    [error] = r.json()["errors"]
    assert r.json()["data"] == {"node": None} and error["extensions"] == unavailable["extensions"]
    r = c.post("/graphql", json={"query": NODE_QUERY}, headers={"accept": accept, "authorization": "Bearer hg_x"})
    assert r.status_code == 503 and r.headers["retry-after"] == "5" and r.json() == {"errors": [unavailable]}
    # other routes that look a token up
    r = c.get("/export/lineage/jesus-urbano-rojas.csv", headers={"authorization": "Bearer hg_x",
                                                                 "x-request-id": "exp-1"})
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json()["errors"][0]["extensions"] == {**unavailable["extensions"], "requestId": "exp-1"}
    for path in ("/export/lineage/jesus-urbano-rojas.csv", "/ld/jesus-urbano-rojas"):  # anonymous: reading fails
        r = c.get(path)
        assert r.status_code == 503 and r.headers["retry-after"] == "5" and SECRET not in r.text, (path, r.text)
    # an operation that answered part of its fields keeps 200
    r = c.post("/graphql", json={"query": '{ __typename node(id: "x") { id } }'}, headers={"accept": accept})
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query", "node": None}
    assert SECRET not in c.get("/metrics").text
    lines = parsed(log_lines)
    assert not any("exception" in e for e in lines), "an unreachable store is expected: no traceback"
    assert {e["status"] for e in lines if e["logger"] == "heritage_graph.access"} == {503, 200}


def test_store_calls_know_when_their_request_stops_waiting(client_for: MakeClient) -> None:
    """The deadline a Neo4j transaction takes its timeout from (store/base.py): the request's time budget,
    in the worker threads of its store calls, for queries and mutations; unset outside requests."""
    seen: list[float | None] = []

    class Recording(MemoryStore):
        def get_nodes(self, ids: Any) -> list[Any]:
            deadline = DEADLINE.get()
            seen.append(None if deadline is None else deadline - time.monotonic())
            return super().get_nodes(ids)

    store = Recording()
    secret, _ = create_token(store, "curator", name="deadline")
    c = client_for(store, Settings(cache_entries=0, time_budget_anonymous=7, time_budget=20))
    c.post("/graphql", json={"query": NODE_QUERY})
    c.post("/graphql", json={"query": NODE_QUERY}, headers={"authorization": f"Bearer {secret}"})
    c.post("/graphql", headers={"authorization": f"Bearer {secret}"}, json={
        "query": 'mutation { updateNode(id: "x", expectedVersion: 1, patch: {name: "y"}) { __typename } }'})
    c.get("/export/lineage/x.csv")
    store.get_nodes(["x"])
    assert seen[:3] and 6 < seen[0] <= 7 and all(15 < s <= 20 for s in seen[1:-2]), seen  # type: ignore[operator]
    assert 6 < seen[-2] <= 7 and seen[-1] is None, seen  # type: ignore[operator]


def test_probe_successes_are_logged_at_debug_only(app_client: Client, log_lines: io.StringIO) -> None:
    app_client.get("/healthz")
    app_client.get("/metrics")
    assert parsed(log_lines) == []


def test_text_logs_carry_the_request_id(app_client: Client) -> None:
    with captured_log("text") as stream:
        app_client.get("/nowhere%0A2026-01-01 INFO forged", headers={"x-request-id": "txt-1"})
    [line] = [line for line in stream.getvalue().splitlines() if " httpx " not in line]
    assert re.search(r"INFO +heritage_graph\.access \[txt-1\] GET /nowhere\\n2026-01-01 INFO forged 404 .*status=404",
                     line), line


# --- settings ------------------------------------------------------------------------------------------


def test_operations_settings_read_the_environment() -> None:
    s = Settings.from_env({"HERITAGE_LOG_FORMAT": "TEXT", "HERITAGE_LOG_LEVEL": "debug",
                           "HERITAGE_CORS_ORIGINS": "https://app.example.org, http://localhost:5173",
                           "HERITAGE_SHUTDOWN_TIMEOUT": "12.5"})
    assert (s.log_format, s.log_level, s.cors_origins, s.shutdown_timeout) == (
        "text", "DEBUG", ("https://app.example.org", "http://localhost:5173"), 12.5)
    d = Settings.from_env({})
    assert (d.log_format, d.log_level, d.cors_origins, d.shutdown_timeout) == (None, "INFO", (), 30.0)


def test_neo4j_driver_settings_read_the_environment() -> None:
    s = Settings.from_env({"NEO4J_CONNECTION_TIMEOUT": "2.5", "NEO4J_MAX_RETRY_TIME": "15"})
    assert (s.neo4j_connection_timeout, s.neo4j_max_retry_time) == (2.5, 15.0)
    d = Settings.from_env({})
    assert (d.neo4j_connection_timeout, d.neo4j_max_retry_time) == (5.0, 2.0)


@pytest.mark.parametrize(("key", "text", "message"), [
    ("NEO4J_CONNECTION_TIMEOUT", "0", "NEO4J_CONNECTION_TIMEOUT must be a number of seconds above 0"),
    ("NEO4J_MAX_RETRY_TIME", "-1", "NEO4J_MAX_RETRY_TIME must be a number of seconds above 0"),
    ("HERITAGE_LOG_FORMAT", "xml", "HERITAGE_LOG_FORMAT must be one of json, text"),
    ("HERITAGE_LOG_LEVEL", "loud", "HERITAGE_LOG_LEVEL must be one of"),
    ("HERITAGE_SHUTDOWN_TIMEOUT", "0", "above 0"),
    ("HERITAGE_SHUTDOWN_TIMEOUT", "soon", "above 0"),
    ("HERITAGE_SHUTDOWN_TIMEOUT", "nan", "above 0"),
    ("HERITAGE_CORS_ORIGINS", "https://app.example.org/", "is not an origin"),
    ("HERITAGE_CORS_ORIGINS", "app.example.org", "is not an origin"),
    ("HERITAGE_CORS_ORIGINS", "*, https://app.example.org", "give either *"),
])
def test_bad_operations_settings_are_refused_by_name(key: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env({key: text})


# --- CORS ----------------------------------------------------------------------------------------------

PREFLIGHT = {"origin": "https://app.example.org", "access-control-request-method": "POST",
             "access-control-request-headers": "authorization, content-type, x-request-id"}


def test_cors_is_off_by_default(app_client: Client) -> None:
    r = app_client.request("OPTIONS", "/graphql", headers=PREFLIGHT)
    assert r.status_code == 405 and "access-control-allow-origin" not in r.headers
    r = app_client.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://app.example.org"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_cors_allows_the_configured_origins(client_for: MakeClient) -> None:
    settings = Settings(cors_origins=parse_origins("https://app.example.org"))
    c = client_for(MemoryStore(), settings)
    r = c.request("OPTIONS", "/graphql", headers=PREFLIGHT)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.org"
    assert set(r.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    assert {"authorization", "content-type", "x-request-id"} <= set(
        r.headers["access-control-allow-headers"].lower().split(", "))
    assert "access-control-allow-credentials" not in r.headers
    r = c.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://app.example.org"})
    assert r.headers["access-control-allow-origin"] == "https://app.example.org"
    assert set(r.headers["access-control-expose-headers"].split(", ")) == {"ETag", "X-Request-ID"}
    refused = c.request("OPTIONS", "/graphql", headers={**PREFLIGHT, "origin": "https://evil.example"})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    # A persisted query over GET (an app's cacheable read) carries the header as well.
    query = "{ __typename }"
    ext = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}})
    c.post("/graphql", json={"query": query, "extensions": json.loads(ext)})
    r = c.get("/graphql", params={"extensions": ext}, headers={"origin": "https://app.example.org"})
    assert r.status_code == 200 and r.json() == {"data": {"__typename": "Query"}}
    assert r.headers["access-control-allow-origin"] == "https://app.example.org"
    other = c.get("/graphql", params={"extensions": ext}, headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


# --- a real server: graceful shutdown ------------------------------------------------------------------


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_sigterm_lets_the_request_in_flight_finish_then_closes_the_store(tmp_path: Path) -> None:
    db = tmp_path / "db"
    body = json.dumps({"query": NODE_QUERY}).encode()
    with running_service(db) as server:
        ready = httpx.get(f"{server.base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        exposed = httpx.get(f"{server.base}/metrics", timeout=10).text
        assert re.search(r"^heritage_import_records_total [1-9]", exposed, re.M), "the seed import is counted"
        assert re.search(r"^heritage_import_progress_ratio 1\.0$", exposed, re.M)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HERITAGE_"))}
        second = subprocess.run([sys.executable, "-m", "heritage_graph.cli", "--db", str(db), "serve", "--port",
                                 str(free_port())], capture_output=True, text=True, timeout=60, env=env)
        assert second.returncode == 3, second.stderr
        assert second.stderr.startswith(f"error: the embedded store at {db} is open in another process (process "), \
            second.stderr
        port = int(server.base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                         b"X-Request-ID: in-flight-1\r\nExpect: 100-continue\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body))
            # uvicorn answers 100 Continue when the app asks for the body: the request is in the app now.
            assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")
            server.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 30
            while True:  # the server stops accepting connections once it has begun shutting down
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                except ConnectionRefusedError:
                    break
                assert time.monotonic() < deadline, "the server kept accepting connections after SIGTERM"
                time.sleep(0.05)
            sock.sendall(body)  # the store must still be open to answer this
            response = _read_response(sock)
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), response
        assert b"x-request-id: in-flight-1" in head.lower()
        assert json.loads(payload) == {"data": {"node": {"id": "jesus-urbano-rojas"}}}
        assert server.proc.wait(timeout=60) == 0
    logs = [json.loads(line) for line in server.text.splitlines() if line.startswith("{")]
    messages = [(e["logger"], e["message"], e.get("request_id")) for e in logs]
    answered = messages.index(("heritage_graph.access", "POST /graphql 200", "in-flight-1"))
    closed = messages.index(("heritage_graph.app", "store closed", None))
    assert answered < closed, messages
    store = LadybugStore(db).open()  # no lock left behind, nothing to repair
    try:
        store.init()
        assert store.count_nodes() > 0
    finally:
        store.close()


@pytest.mark.parametrize(("key", "value"), [("HERITAGE_PORT", "70000"), ("HERITAGE_PORT", "0"),
                                            ("HERITAGE_MAX_DEPTH", "0"), ("HERITAGE_MAX_PAGE_SIZE", "-5")])
def test_out_of_range_numbers_are_refused_naming_the_range(key: str, value: str) -> None:
    from heritage_graph.errors import ConfigError
    from heritage_graph.settings import Settings

    with pytest.raises(ConfigError, match=f"{key} must be between .* got '{value}'"):
        Settings.from_env({key: value})


def test_request_lines_are_written_together_in_order_and_none_is_lost() -> None:
    """With a flush interval, request lines wait and are written together; a record logged the ordinary way
    writes the lines before it first (the log keeps its order), and ``flush`` (at exit) writes the rest."""
    from heritage_graph.ops.logs import emit_line

    access = logging.getLogger("heritage_graph.access")
    with captured_log(flush_ms=60_000) as stream:  # the flusher thread never runs in the test
        for n in range(3):
            emit_line(access, logging.INFO, "request %d", (n,), {"n": n})
        assert stream.getvalue() == ""
        logging.getLogger("heritage_graph.test").warning("after three requests")
        emit_line(access, logging.INFO, "request %d", (3,), {"n": 3})
        logging.getLogger().handlers[0].flush()
        messages = [json.loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert messages == ["request 0", "request 1", "request 2", "after three requests", "request 3"]


def test_request_lines_reach_the_stream_within_the_interval() -> None:
    from heritage_graph.ops.logs import LineHandler

    stream = io.StringIO()
    handler = LineHandler(stream, flush_ms=10)
    handler.add_line("one\n")
    deadline = time.monotonic() + 10
    while stream.getvalue() != "one\n" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue() == "one\n"
