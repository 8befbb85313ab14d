"""The Neo4j adapter without a server: every query it sends gets exactly the
parameters its Cypher text declares, and rows come back as records.

The contract suite (tests/test_store_contract.py) runs the adapter against a real
Neo4j when NEO4J_URI is set; this test runs everywhere, on a recording fake of
the driver, so that a query and the Python that feeds it cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import neo4j
import pytest

from heritage_graph.model import Changes, Node, Relation, Revision
from heritage_graph.search.model import SearchQuery
from heritage_graph.search.text import parse_query
from heritage_graph.store.base import deadline_in
from heritage_graph.store.cypher import PARAM, _strip_comments
from heritage_graph.store.neo4j import Neo4jStore
from heritage_graph.store.tokens import TokenRecord
from heritage_graph.visibility import PUBLIC


class FakeResult(list):
    def consume(self) -> None:
        return None

    def single(self) -> dict[str, Any] | None:
        return self[0] if self else None


class FakeRecord(dict):
    def data(self) -> dict[str, Any]:
        return dict(self)


@dataclass
class Transaction:
    """One transaction the adapter asked for: how (``execute_query``, ``execute_read``, ``execute_write`` or
    ``auto-commit``), its routing (READ or WRITE) and the statements run in it."""

    how: str
    routing: str
    statements: list[str] = field(default_factory=list)
    timeout: float | None = None  # seconds, the transaction's (neo4j.Query or neo4j.unit_of_work)


class FakeDriver:
    """Records (query text, parameters) and every transaction; answers with what `answers` holds for a
    query's first words."""

    execute_query_bookmark_manager = object()  # the driver's; sessions must share it

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.transactions: list[Transaction] = []
        self.sessions: list[dict[str, Any]] = []

    def _answer(self, text: str, params: dict[str, Any]) -> list[FakeRecord]:
        self.sent.append((text, params))
        if self.transactions:
            self.transactions[-1].statements.append(text)
        if "RETURN count(e) AS written" in text:
            return [FakeRecord(written=len(params["rows"]))]
        if "n.version AS version" in text and "_lock" in text:  # lock_nodes: every node exists, at version 1
            return [FakeRecord(id=i, version=1) for i in params["ids"]]
        if "AS total" in text and "collect(n.kind)" in text:
            return [FakeRecord(total=0, kinds=[], departments=[], domains=[])]
        if "AS total" in text:
            return [FakeRecord(total=0)]
        if "AS rows" in text:  # search_stats: one node of three tokens, holding every phrase
            return [FakeRecord(rows=1, tokens=3, hits=[1] * len(params["expressions"]))]
        if "AS tokens" in text:  # search_lengths
            return [FakeRecord(tokens=0)]
        if "AS key, terms" in text:  # search_near_keys: no key near a misspelt word
            return [FakeRecord(key=w["key"], terms=[]) for w in params["wanted"]]
        if "db.index.fulltext.queryNodes" in text:  # search_page: one hit
            return [FakeRecord(id="a", score=1.0)]
        return []

    def execute_query(self, query: str | neo4j.Query, params: dict[str, Any], *, routing_: Any,
                      **_: Any) -> tuple[list[FakeRecord], None, None]:
        text, timeout = (query.text, query.timeout) if isinstance(query, neo4j.Query) else (query, None)
        self.transactions.append(Transaction("execute_query",
                                             "READ" if routing_ == neo4j.RoutingControl.READ else "WRITE",
                                             timeout=timeout))
        return self._answer(str(text), params), None, None

    def session(self, **config: Any) -> FakeSession:
        self.sessions.append(config)
        return FakeSession(self, config)

    def close(self) -> None:
        return None


class FakeSession:
    def __init__(self, driver: FakeDriver, config: dict[str, Any]) -> None:
        self.driver = driver
        self.routing = "READ" if config.get("default_access_mode") == neo4j.READ_ACCESS else "WRITE"

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *_: Any) -> None:
        return None

    def execute_read(self, work: Any) -> Any:
        self.driver.transactions.append(Transaction("execute_read", "READ", timeout=getattr(work, "timeout", None)))
        return work(self)

    def execute_write(self, work: Any) -> Any:
        self.driver.transactions.append(Transaction("execute_write", "WRITE", timeout=getattr(work, "timeout", None)))
        return work(self)

    def run(self, text: str, params: dict[str, Any] | None = None, **kw: Any) -> FakeResult:
        """A managed transaction's ``tx.run`` (the work gets the session as its transaction)."""
        return FakeResult(self.driver._answer(text, {**(params or {}), **kw}))


@pytest.fixture
def store() -> tuple[Neo4jStore, FakeDriver]:
    s = Neo4jStore("bolt://fake:7687", "neo4j", "x")
    driver = FakeDriver()
    s._driver = driver
    return s, driver


def _check(driver: FakeDriver) -> None:
    assert driver.sent
    for text, params in driver.sent:
        declared = set(PARAM.findall(_strip_comments(text)))
        assert declared == set(params), f"{text[:80]!r}: declares {sorted(declared)}, sent {sorted(params)}"


def _reads(s: Neo4jStore) -> None:
    s.count_nodes()
    s.get_nodes(["a"])
    s.list_nodes("Tradition", domain="performing-arts", after="a", limit=3, visibility=PUBLIC)
    s.list_nodes("Tradition", within=["pe"], from_end=True, limit=2)
    s.count_kind("Tradition", within=["pe"], visibility=PUBLIC)
    s.count_kind("Place")
    s.child_places(["pe"])
    s.relations(["a"], "out", ["LEARNED_FROM"])
    s.relations(["a"], "in", ["LEARNED_FROM"])
    list(s.iter_relations("LOCATED_IN"))
    s.revisions(["a"])
    s.revisions_by_op(["import"])
    s.list_tokens()
    s.token_by_hash("0" * 64)


def test_every_read_sends_the_declared_parameters(store: tuple[Neo4jStore, FakeDriver]) -> None:
    s, driver = store
    s.init()
    _reads(s)
    s.search(SearchQuery(parse_query('danza "de tijeras"'), kinds=("Tradition",), region="pe",
                         domains=("performing-arts",), unesco=True, visibility=PUBLIC))
    _check(driver)


def test_a_write_sends_the_declared_parameters(store: tuple[Neo4jStore, FakeDriver]) -> None:
    s, driver = store
    node = Node("Tradition", "t", "T", properties={"consent": {"status": "granted"}}, sources=("s",), version=2)
    rel = Relation("LOCATED_IN", "t", "pe", sources=("s",), version=1)
    revision = Revision("rev-1", "t", ("t",), "update", "ana", "2026-01-01T00:00:00.000000Z", 2, None, None, {})
    s.apply(Changes(nodes=[node], relations=[rel], removed=[Relation("PART_OF", "t", "u")], revisions=[revision],
                    expected={("node", "t"): 1, ("rel", "LOCATED_IN", "t", "pe"): 0}))
    _check(driver)
    upsert = next(p for text, p in driver.sent if "MERGE (n:Node" in text)
    props = upsert["rows"][0]["props"]
    assert props["consent_status"] == "granted" and props["version"] == 2 and props["search_name"] == "t"
    assert None not in props.values(), "SET n = props: absent properties are left out, not null"


def test_reads_run_in_read_transactions_and_writes_in_write_transactions(
        store: tuple[Neo4jStore, FakeDriver]) -> None:
    """What lets a routing URI (neo4j://) send reads to a cluster's secondaries and writes to its leader:
    every statement runs in a managed transaction routed for what it does, none as auto-commit."""
    s, driver = store
    _reads(s)
    assert driver.transactions and all(t.routing == "READ" for t in driver.transactions), driver.transactions
    assert {t.how for t in driver.transactions} == {"execute_query"}
    assert all(len(t.statements) == 1 for t in driver.transactions)

    driver.transactions.clear()
    s.init()
    s.add_token(TokenRecord("tok_1", "0" * 64, "curator", "2026-01-01T00:00:00Z"))
    s.revoke_token("tok_1", "2026-01-02T00:00:00Z")
    s.apply(Changes(nodes=[Node("Tradition", "t", "T")], expected={("node", "t"): 1}))
    s.delete_all()
    assert driver.transactions and all(t.routing == "WRITE" for t in driver.transactions), driver.transactions
    assert [t.how for t in driver.transactions][-2:] == ["execute_write", "execute_write"]
    # One write is one transaction: the version check, the upsert and the revisions together.
    apply, delete = driver.transactions[-2:]
    assert any("n.version AS version" in q for q in apply.statements) and any("MERGE" in q for q in apply.statements)
    # revisions, nodes, the token total bm25 reads, and last the data version caches compare against
    assert len(delete.statements) == 4
    assert "data_version" in delete.statements[-1] and "m.value + 1" in delete.statements[-1]
    assert all(c["bookmark_manager"] is FakeDriver.execute_query_bookmark_manager for c in driver.sessions), \
        "sessions share the bookmarks of execute_query: a process reads its own writes, even from a secondary"


def test_a_search_reads_its_page_facets_and_nodes_in_one_read_transaction(
        store: tuple[Neo4jStore, FakeDriver]) -> None:
    s, driver = store
    s.search(SearchQuery(parse_query("danza"), visibility=PUBLIC))
    [tx] = driver.transactions
    assert (tx.how, tx.routing) == ("execute_read", "READ")
    # the keys near a word that may be misspelt, bm25's statistics, the page, its facets and its nodes:
    # one snapshot, one cluster member
    assert len(tx.statements) == 5
    assert driver.sessions[0]["default_access_mode"] == neo4j.READ_ACCESS
    driver.transactions.clear()
    s.count_nodes()  # after it, reads go back to their own transactions
    assert [t.how for t in driver.transactions] == ["execute_query"]


def test_a_requests_transactions_end_with_its_time_budget(store: tuple[Neo4jStore, FakeDriver]) -> None:
    """Within a request (deadline_in, set by the API from its time budget) every transaction carries what
    remains of the budget as its timeout, so Neo4j ends work nobody waits for, and a request never waits
    longer for a database still starting; outside requests (commands, imports) none has one."""
    s, driver = store
    with deadline_in(8):
        s.count_nodes()
        s.search(SearchQuery(parse_query("danza"), visibility=PUBLIC))
        s.apply(Changes(nodes=[Node("Tradition", "t", "T")]))
    s.count_nodes()
    s.apply(Changes(nodes=[Node("Tradition", "t", "T")]))
    timeouts = [t.timeout for t in driver.transactions]
    assert all(t is not None and 7 < t <= 8 for t in timeouts[:3]), timeouts
    assert timeouts[3:] == [None, None]


def test_the_driver_gives_up_within_seconds() -> None:
    """Connection and retry times bounded (NEO4J_CONNECTION_TIMEOUT, NEO4J_MAX_RETRY_TIME): the driver's own
    defaults (30 s to connect, 60 s to acquire, 30 s of retries) would hold each request that long while
    Neo4j is down."""
    config = Neo4jStore("bolt://fake:7687", "neo4j", "x", connection_timeout=3, max_retry_time=1.5).driver_config()
    assert config["connection_timeout"] == 3 and config["max_transaction_retry_time"] == 1.5
    assert config["connection_acquisition_timeout"] > config["connection_timeout"]
    defaults = Neo4jStore("bolt://fake:7687", "neo4j", "x").driver_config()
    assert defaults["connection_timeout"] <= 5 and defaults["max_transaction_retry_time"] <= 5
    driver = neo4j.GraphDatabase.driver("bolt://127.0.0.1:9", auth=("neo4j", "x"), **defaults)  # no connection yet
    driver.close()


@pytest.mark.parametrize(("error", "code", "retryable"), [
    (lambda ne: ne.ServiceUnavailable("Couldn't connect to 127.0.0.1:7687"), "STORE_UNAVAILABLE", True),
    (lambda ne: ne.SessionExpired("the connection went away"), "STORE_UNAVAILABLE", True),
    (lambda ne: ne.IncompleteCommit("lost while committing"), "STORE_UNAVAILABLE", True),
    (lambda ne: ne.AuthError("bad credentials"), "STORE_UNAVAILABLE", True),
    (lambda ne: ne.Neo4jError._hydrate_neo4j(code="Neo.TransientError.General.DatabaseUnavailable",
                                              message="database starting"), "STORE_UNAVAILABLE", True),
    (lambda ne: ne.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Database.DatabaseNotFound",
                                              message="no such database"), "STORE_UNAVAILABLE", True),
    (lambda ne: ne.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
                                              message="timed out"), "TIME_BUDGET_EXCEEDED", True),
    (lambda ne: ne.Neo4jError._hydrate_neo4j(code="Neo.TransientError.Transaction.DeadlockDetected",
                                              message="deadlock"), "STORE_ERROR", True),
    (lambda ne: ne.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Statement.SyntaxError",
                                              message="bad"), "STORE_QUERY_ERROR", False),
])
def test_driver_errors_become_store_errors(error: Any, code: str, retryable: bool) -> None:
    from neo4j import exceptions as ne

    from heritage_graph.store.neo4j import _translate

    translated = _translate(error(ne))
    assert (translated.code, translated.retryable) == (code, retryable), translated
