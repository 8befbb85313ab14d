"""Neo4j's schema: several service processes starting at once on an empty database all come up."""

from __future__ import annotations

import threading

import pytest

from heritage_graph.store.cypher import QueryBook
from heritage_graph.store.neo4j import Neo4jStore

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
