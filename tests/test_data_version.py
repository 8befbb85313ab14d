"""The response cache on every store: Neo4j's data version (a counter in the store, read by each replica at
most every HERITAGE_CACHE_CHECK_MS), and the front door that answers a repeated anonymous GET before the
middleware, with the headers, request id, metrics and log line of the whole way."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from heritage_graph.model import Changes, node_key
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.store.neo4j import Neo4jStore

from .conftest import _neo4j_store, wipe_neo4j
from .test_http_cache import FIESTA, NODES, Served, filled, serve

CHECK_MS = 200  # a short interval: the tests poll with a deadline, never sleep for it


def until(what: Callable[[], bool], seconds: float = 20.0) -> None:
    """Wait until ``what()`` holds, polling; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.01)


def rename(store: Store, node_id: str, name: str) -> None:
    (node,) = store.get_nodes([node_id])
    store.apply(Changes(nodes=[replace(node, name=name, version=node.version + 1)],
                        expected={node_key(node_id): node.version}))


# --- Neo4j: the data version ------------------------------------------------------------------------


@pytest.fixture
def replicas(neo4j_env: dict[str, str]) -> Iterator[tuple[Neo4jStore, Neo4jStore]]:
    """Two Store instances on one Neo4j, as two replicas hold them, each checking every CHECK_MS."""
    first = _neo4j_store(neo4j_env)
    assert isinstance(first, Neo4jStore)
    first.check_seconds = CHECK_MS / 1000
    first.write(NODES, [])
    second = Neo4jStore(neo4j_env["NEO4J_URI"], neo4j_env.get("NEO4J_USER", "neo4j"), neo4j_env.get("NEO4J_PASSWORD"),
                        neo4j_env.get("NEO4J_DATABASE", "neo4j"), cache_check_ms=CHECK_MS).open()
    try:
        yield first, second
    finally:
        second.close()
        wipe_neo4j(first)


def confirmed(store: Neo4jStore) -> str:
    """The store's data version, once a background read has confirmed one."""
    until(lambda: store.data_version() is not None)
    version = store.data_version()
    assert version is not None
    return version


@pytest.mark.neo4j
def test_a_write_through_one_replica_is_seen_by_another_within_the_interval(
        replicas: tuple[Neo4jStore, Neo4jStore]) -> None:
    a, b = replicas
    before = confirmed(a)
    assert confirmed(b) == before  # the same counter, whichever replica reads it
    rename(a, "fiesta", "Fiesta patronal")
    # A process reads its own write at once: never the version from before it again (None, when no read
    # has confirmed it within the interval, caches nothing).
    assert a.data_version() != before
    mine = confirmed(a)
    assert int(mine) > int(before)
    until(lambda: b.data_version() == mine)
    a.delete_all()  # delete_all moves it too
    assert a.data_version() != mine
    gone = confirmed(a)
    assert int(gone) > int(mine)
    until(lambda: b.data_version() == gone)


@pytest.mark.neo4j
def test_the_version_is_vouched_for_only_while_fresh(replicas: tuple[Neo4jStore, Neo4jStore]) -> None:
    a, _ = replicas
    confirmed(a)
    a._seen_at -= 1.0  # no read confirmed it for a second: another replica may have written since
    assert a.data_version() is None  # nothing is served from a cache meanwhile
    confirmed(a)  # the read that call started confirms it again
    off = Neo4jStore("bolt://localhost:1", "neo4j", None, cache_check_ms=0)
    assert off.data_version() is None  # HERITAGE_CACHE_CHECK_MS=0: no in-process caching on Neo4j


@pytest.mark.neo4j
def test_the_response_cache_serves_neo4j_answers_and_drops_them_on_a_write(
        replicas: tuple[Neo4jStore, Neo4jStore]) -> None:
    a, b = replicas
    served = serve(b)  # the replica that serves; the write comes through the other
    try:
        confirmed(b)
        first = served.get(variables=FIESTA)
        assert first.json()["data"]["node"]["name"] == "Fiesta"

        def hit() -> bool:  # the next request answered from the cache, without running the query
            runs, calls = served.runs, b.calls
            same = served.get(variables=FIESTA).content == first.content
            return same and served.runs == runs and b.calls == calls

        until(hit)  # once the version is confirmed (a read within the interval), hits make no store call
        runs = served.runs
        rename(a, "fiesta", "Fiesta de la Virgen")
        until(lambda: served.get(variables=FIESTA).json()["data"]["node"]["name"] == "Fiesta de la Virgen")
        assert served.runs > runs
    finally:
        served.client.close()


# --- the front door: a cached GET, before the middleware ----------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    s = serve(filled("ladybug", tmp_path))
    yield s
    s.client.close()
    s.store.close()


def _headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k != "x-request-id"}


def test_a_cached_get_carries_the_headers_of_the_whole_way(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    metrics = served.client._client._transport.app.state.metrics  # type: ignore[attr-defined]
    first = served.get(variables=FIESTA)  # run, and kept
    assert served.runs == 1
    with caplog.at_level(logging.INFO, logger="heritage_graph.access"):
        again = served.get(variables=FIESTA, **{"x-request-id": "front-door-1"})
    assert served.runs == 1 and served.cache.hits >= 1
    assert again.content == first.content and _headers(again) == _headers(first)
    assert set(again.headers) == set(first.headers)
    assert again.headers["x-request-id"] == "front-door-1"
    (line,) = [r for r in caplog.records if r.name == "heritage_graph.access"]
    assert (line.route, line.status, line.operation, line.outcome, line.role) == (  # type: ignore[attr-defined]
        "/graphql", 200, "anonymous", "ok", "anonymous")
    assert line.getMessage() == "GET /graphql 200"
    assert metrics.requests.labels("/graphql", "GET", "200")._value.get() == 2  # the miss and the hit
    not_modified = served.get(variables=FIESTA, **{"if-none-match": first.headers["etag"]})
    assert not_modified.status_code == 304 and served.runs == 1
    assert {k: not_modified.headers[k] for k in ("etag", "cache-control", "vary")} == {
        k: first.headers[k] for k in ("etag", "cache-control", "vary")}


def test_a_request_with_a_token_never_comes_through_the_front_door(served: Served) -> None:
    assert served.curator is not None
    served.get(variables=FIESTA)
    runs = served.runs
    for _ in range(2):
        r = served.get(variables=FIESTA, **served.curator)
        assert r.headers["cache-control"] == "private, no-store" and "etag" not in r.headers
    assert served.runs == runs + 2


def test_with_cors_on_a_request_from_another_origin_goes_the_whole_way(tmp_path: Path) -> None:
    s = serve(filled("ladybug", tmp_path), Settings(cors_origins=("https://app.example.org",)))
    try:
        s.get(variables=FIESTA)
        plain = s.get(variables=FIESTA)
        assert s.runs == 1 and "access-control-allow-origin" not in plain.headers
        crossed = s.get(variables=FIESTA, origin="https://app.example.org")
        assert crossed.headers["access-control-allow-origin"] == "https://app.example.org"
        assert crossed.content == plain.content and s.runs == 1  # from the cache, inside the CORS middleware
    finally:
        s.client.close()
        s.store.close()


def test_the_check_interval_reads_the_environment() -> None:
    assert Settings().cache_check_ms == 500
    assert Settings.from_env({"HERITAGE_CACHE_CHECK_MS": "0"}).cache_check_ms == 0
    with pytest.raises(Exception, match="HERITAGE_CACHE_CHECK_MS"):
        Settings.from_env({"HERITAGE_CACHE_CHECK_MS": "-1"})


# --- the explorer's pages ------------------------------------------------------------------------------


def test_a_repeated_page_and_its_304_come_from_the_page_cache(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    from heritage_graph.web import pages

    renders: list[str] = []
    real = pages.render

    def counting(request: object, template: str, *args: object, **kwargs: object) -> object:
        renders.append(template)
        return real(request, template, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "render", counting)
    get = served.client.get
    first = get("/records/fiesta")
    assert first.status_code == 200 and renders == ["record.html"] and "Fiesta" in first.text
    again = get("/records/fiesta")
    assert again.content == first.content and _headers(again) == _headers(first)
    not_modified = get("/records/fiesta", headers={"if-none-match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert {k: not_modified.headers[k] for k in ("etag", "cache-control", "vary", "content-language")} == {
        k: first.headers[k] for k in ("etag", "cache-control", "vary", "content-language")}
    assert renders == ["record.html"], "neither the page again nor its 304 was rendered"
    # The language is part of the key: the English page is another page, kept as well.
    english = get("/records/fiesta", headers={"accept-language": "en"})
    assert english.headers["content-language"] == "en" and english.headers["etag"] != first.headers["etag"]
    assert get("/records/fiesta", headers={"accept-language": "en"}).content == english.content
    assert len(renders) == 2
    # Never for anyone who is not anonymous, nor for a visitor choosing a language (the answer sets a cookie).
    assert served.curator is not None
    for _ in range(2):
        signed = get("/records/fiesta", headers=served.curator)
        assert signed.headers["cache-control"] == "private, no-store" and "etag" not in signed.headers
    get("/records/fiesta?lang=en")
    assert len(renders) == 5
    # A write is seen by the very next page.
    rename(served.store, "fiesta", "Fiesta patronal")
    after = get("/records/fiesta", headers={"if-none-match": first.headers["etag"]})
    assert after.status_code == 200 and "Fiesta patronal" in after.text and len(renders) == 6


def test_the_request_line_written_directly_is_the_json_formatters_own() -> None:
    import io
    import json

    from heritage_graph.ops.logs import CURRENT, JsonFormatter, RequestInfo, configure_logging, emit_line, record

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    token = CURRENT.set(RequestInfo("req-1"))
    fields = {"method": "GET", "path": "/graphql", "route": "/graphql", "status": 200, "duration_ms": 0.5,
              "operation": "Story", "outcome": "ok", "role": "anonymous", "client": "127.0.0.1"}
    access = logging.getLogger("heritage_graph.access")
    try:
        configure_logging("json", "INFO", stream)
        assert root.handlers and len(root.handlers) == 1  # only the JSON handler: the direct way
        emit_line(access, logging.INFO, "%s %s %s", ("GET", "/graphql", 200), fields)
        made = record(access.name, logging.INFO, "%s %s %s", ("GET", "/graphql", 200), fields)
        made.request_id = "req-1"  # type: ignore[attr-defined]
        expected = JsonFormatter().format(made)
    finally:
        CURRENT.reset(token)
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    (line,) = stream.getvalue().splitlines()
    direct, formatted = json.loads(line), json.loads(expected)
    assert list(direct) == list(formatted)  # the same fields, in the same order
    assert {k: v for k, v in direct.items() if k != "time"} == {k: v for k, v in formatted.items() if k != "time"}
    assert direct["request_id"] == "req-1" and direct["message"] == "GET /graphql 200"
