"""Neo4j's schema: several service processes starting at once on an empty database all come up."""

from __future__ import annotations

import threading

import pytest

from heritage_graph.model import Changes, Node
from heritage_graph.store.cypher import QueryBook
from heritage_graph.store.neo4j import Neo4jStore

from .conftest import _neo4j_store, wipe_neo4j

pytestmark = pytest.mark.neo4j


def _names(store: Neo4jStore, what: str) -> dict[str, str]:
    records, _, _ = store._driver.execute_query(f"SHOW {what} YIELD name, state RETURN name, state"
                                                if what == "INDEXES" else f"SHOW {what} YIELD name RETURN name")
    return {r["name"]: r.get("state", "") for r in records}


def test_replicas_creating_the_schema_at_once_all_start(neo4j_env: dict[str, str]) -> None:
    env = neo4j_env
    admin = Neo4jStore(env["NEO4J_URI"], env.get("NEO4J_USER", "neo4j"), env.get("NEO4J_PASSWORD")).open()
    try:
        for name in _names(admin, "CONSTRAINTS"):
            admin._driver.execute_query(f"DROP CONSTRAINT {name}")
        for name in _names(admin, "INDEXES"):
            if name.startswith("heritage_"):
                admin._driver.execute_query(f"DROP INDEX {name}")
        assert not [n for n in _names(admin, "INDEXES") if n.startswith("heritage_")]

        failures: list[BaseException] = []
        start = threading.Barrier(4)

        def replica() -> None:
            store = Neo4jStore(env["NEO4J_URI"], env.get("NEO4J_USER", "neo4j"), env.get("NEO4J_PASSWORD"))
            try:
                store.open()
                start.wait()
                store.init()
            except BaseException as exc:
                failures.append(exc)
            finally:
                store.close()

        threads = [threading.Thread(target=replica) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert failures == []
        indexes = _names(admin, "INDEXES")
        ddl = "\n".join(q.text for q in QueryBook("neo4j").ddl())
        wanted = {name for name in indexes if name.startswith("heritage_")}
        assert {name for name in wanted if name in ddl} == wanted and len(wanted) >= 6
        assert all(indexes[name] == "ONLINE" for name in wanted), "init returns once its indexes are online"
    finally:
        admin.init()
        admin.close()


def _token_total(store: Neo4jStore) -> tuple[int | None, int]:
    """The store value bm25 reads (None when absent), and the tokens of every node counted afresh."""
    kept = store._q("get_meta", {"key": "search_tokens"})
    return (kept[0]["value"] if kept else None), store._q("search_tokens_scan")[0]["tokens"]


def test_the_search_token_total_follows_every_write_and_is_rebuilt_by_init(neo4j_env: dict[str, str]) -> None:
    """bm25's average document length comes from a total the writes keep in their own transactions
    (cypher/neo4j/fulltext.cypher): it must equal a fresh count after creates, updates that change a
    node's length, and delete_all; and `init` rebuilds it on a store written before it existed."""
    store = _neo4j_store(neo4j_env)
    try:
        a = Node("Tradition", "tok-a", "Danza de tijeras", version=1,
                 summary={"es": "danza ritual de Ayacucho y Huancavelica"})
        b = Node("Craft", "tok-b", "Retablo", version=1, names={"qu": "Sanmarkos"})
        store.apply(Changes(nodes=[a, b], expected={("node", "tok-a"): 0, ("node", "tok-b"): 0}))
        kept, scanned = _token_total(store)
        assert kept == scanned and scanned > 0

        longer = Node("Tradition", "tok-a", "Danza de tijeras", version=2,
                      summary={"es": "danza ritual", "en": "a ritual dance of the southern Andes"})
        store.apply(Changes(nodes=[longer], expected={("node", "tok-a"): 1}))
        kept2, scanned2 = _token_total(store)
        assert kept2 == scanned2 and scanned2 != scanned

        # A store from before the total: no value, no per-node lengths. Search still ranks (a scan),
        # and init puts both back.
        store._driver.execute_query('MATCH (m:HeritageMeta {key: "search_tokens"}) DELETE m')
        store._driver.execute_query("MATCH (n:Node) REMOVE n.search_length")
        assert store._q("search_tokens_scan")[0]["tokens"] == 0
        store.init()
        kept3, scanned3 = _token_total(store)
        assert kept3 == scanned3 == scanned2

        store.delete_all()
        assert _token_total(store) == (0, 0)
    finally:
        wipe_neo4j(store)
