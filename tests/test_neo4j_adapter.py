"""The Neo4j adapter without a server: every query it sends gets exactly the
parameters its Cypher text declares, and rows come back as records.

The contract suite (tests/test_store_contract.py) runs the adapter against a real
Neo4j when NEO4J_URI is set; this test runs everywhere, on a recording fake of
the driver, so that a query and the Python that feeds it cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import pytest

from heritage_graph.model import Changes, Node, Relation, Revision
from heritage_graph.search.model import SearchQuery
from heritage_graph.search.text import parse_query
from heritage_graph.store.cypher import PARAM, _strip_comments
from heritage_graph.store.neo4j import Neo4jStore
from heritage_graph.visibility import PUBLIC


class FakeResult(list):
    def consume(self) -> None:
        return None

    def single(self) -> dict[str, Any] | None:
        return self[0] if self else None


class FakeRecord(dict):
    def data(self) -> dict[str, Any]:
        return dict(self)


class FakeDriver:
    """Records (query text, parameters); answers with what `answers` holds for a query's first words."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def _answer(self, text: str, params: dict[str, Any]) -> list[FakeRecord]:
        self.sent.append((text, params))
        if "RETURN count(e) AS written" in text:
            return [FakeRecord(written=len(params["rows"]))]
        if "n.version AS version" in text:  # lock_nodes: every node exists, at version 1
            return [FakeRecord(id=i, version=1) for i in params["ids"]]
        if "AS total" in text and "collect(n.kind)" in text:
            return [FakeRecord(total=0, kinds=[], departments=[], domains=[])]
        if "AS total" in text:
            return [FakeRecord(total=0)]
        return []

    def execute_query(self, text: str, params: dict[str, Any], **_: Any) -> tuple[list[FakeRecord], None, None]:
        return self._answer(text, params), None, None

    def session(self, **_: Any) -> FakeDriver:
        return self

    def __enter__(self) -> FakeDriver:
        return self

    def __exit__(self, *_: Any) -> None:
        return None

    def execute_write(self, work: Any) -> None:
        work(self)

    def run(self, text: str, **params: Any) -> FakeResult:
        return FakeResult(self._answer(text, params))

    def close(self) -> None:
        return None


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


def test_every_read_sends_the_declared_parameters(store: tuple[Neo4jStore, FakeDriver]) -> None:
    s, driver = store
    s.init()
    s.count_nodes()
    s.get_nodes(["a"])
    s.list_nodes("Tradition", domain="performing-arts", after="a", limit=3, visibility=PUBLIC)
    s.list_nodes("Tradition", within=["pe"])
    s.count_kind("Tradition", within=["pe"], visibility=PUBLIC)
    s.count_kind("Place")
    s.child_places(["pe"])
    s.relations(["a"], "out", ["LEARNED_FROM"])
    s.relations(["a"], "in", ["LEARNED_FROM"])
    list(s.iter_relations("LOCATED_IN"))
    s.revisions(["a"])
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
