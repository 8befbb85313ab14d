"""The suite's Neo4j: one started for the run through tools/neo4j/launch.py, or the one NEO4J_URI names.

A started one gets a heap and a page cache sized for the inventory (`sizing`), a store folder in the
suite's temporary folder, and its JVM's resident set is read from /proc like the service's. An
existing one (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE in the suite's environment) must
hold no nodes, or be emptied first and after with --neo4j-wipe; its JVM is not ours to measure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import procs

sys.path.insert(0, str(procs.ROOT))  # tools.neo4j.launch, beside bench/

MIB = 1024 * 1024
ENV = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")

# What the machine gives the suite's Neo4j (a 2-core, 24 GiB machine): the import is one transaction,
# whose state Neo4j keeps on the JVM heap (the launcher lets all transactions together use 70 % of it),
# so the heap grows with the inventory: at the small size (120,000 nodes and relations) a 1 GiB heap
# (717 MiB for transactions) failed with MemoryPoolOutOfMemoryError and a 4 GiB one worked, so
# 24 KiB per node or relation (2.7 GiB there; at 200,000 nodes and 1,000,000 relations the 12 GiB cap).
# The page cache holds the store files (166 MiB for the small inventory, revisions and indexes
# included: 1.4 KiB each), 2 KiB each so that the queries read no disk once warm. Both are capped
# (12 GiB, 4 GiB) so that the import process itself (about 5 KiB a row in Python: 5.8 GiB at
# 200,000 nodes) fits beside them; the default size does not fit this machine through
# `heritage-graph import` on either store (BENCHMARKS.md).
HEAP_PER_ROW = 24 * 1024
PAGE_CACHE_PER_ROW = 2 * 1024
HEAP_BOUNDS = (1024, 12 * 1024)  # MiB
PAGE_CACHE_BOUNDS = (512, 4 * 1024)


def sizing(rows: int) -> tuple[str, str]:
    """(heap, page cache) for an inventory of ``rows`` nodes and relations, as the JVM's -Xmx takes them."""
    heap = min(max(rows * HEAP_PER_ROW // MIB, HEAP_BOUNDS[0]), HEAP_BOUNDS[1])
    cache = min(max(rows * PAGE_CACHE_PER_ROW // MIB, PAGE_CACHE_BOUNDS[0]), PAGE_CACHE_BOUNDS[1])
    return f"{heap}m", f"{cache}m"


def mib(size: str) -> float:
    """MiB in a JVM size such as 512m or 4g."""
    units = {"k": 1 / 1024, "m": 1, "g": 1024}
    return float(size[:-1]) * units[size[-1].lower()] if size[-1].lower() in units else float(size) / MIB


@dataclass
class Neo4j:
    env: dict[str, str]
    external: bool
    heap: str | None = None
    page_cache: str | None = None
    pid: int | None = None
    data: Path | None = None
    version: str = "unknown"
    samples: dict[str, dict[str, float]] = field(default_factory=dict)

    def memory(self) -> dict[str, float] | None:
        """The JVM's resident set now and at its peak so far (MiB); None for a server not started here."""
        return procs.memory(self.pid) if self.pid else None

    def sample(self, when: str) -> None:
        m = self.memory()
        if m is not None:
            self.samples[when] = m

    def store_mib(self) -> float | None:
        return round(procs.dir_bytes(self.data) / MIB, 1) if self.data else None

    def describe(self) -> dict[str, Any]:
        how = ("an existing server (NEO4J_URI); its JVM not measured" if self.external else
               f"started by the suite (tools/neo4j/launch.py): heap {self.heap}, page cache {self.page_cache}")
        return {"kind": "neo4j", "version": self.version, "external": self.external, "heap": self.heap,
                "page_cache": self.page_cache, "how": how}


def _store(env: dict[str, str]) -> Any:
    from heritage_graph.store.neo4j import Neo4jStore

    return Neo4jStore(env["NEO4J_URI"], env.get("NEO4J_USER", "neo4j"), env.get("NEO4J_PASSWORD"),
                      env.get("NEO4J_DATABASE") or "neo4j").open()


def _version(store: Any) -> str:
    rows = store._read_or_write("CALL dbms.components() YIELD name, versions, edition "
                                "RETURN name, versions[0] AS version, edition", {})
    return " ".join(f"{r['version']} {r['edition']}" for r in rows[:1]) or "unknown"


def _empty(env: dict[str, str], wipe: bool, log: Callable[[str], None]) -> str:
    """Check (or, with ``wipe``, make) the server's store empty; its version."""
    store = _store(env)
    try:
        store.init()  # what the import does first; a count before it warns of an unknown label
        count = store.count_nodes()
        if count and not wipe:
            raise RuntimeError(f"the Neo4j at {env['NEO4J_URI']} holds {count:,} nodes: the suite imports into "
                               "an empty store (--neo4j-wipe empties it first, and again at the end)")
        if count:
            log(f"emptying the Neo4j at {env['NEO4J_URI']} ({count:,} nodes)")
            store.delete_all()
        return _version(store)
    finally:
        store.close()


@contextmanager
def server(work: Path, rows: int, *, heap: str | None, page_cache: str | None, wipe: bool,
           log: Callable[[str], None]) -> Iterator[Neo4j]:
    """The Neo4j of a run: the one NEO4J_URI names, else one started in ``work`` and stopped at the end."""
    if os.environ.get("NEO4J_URI"):
        env = {k: os.environ[k] for k in ENV if os.environ.get(k)}
        log(f"Neo4j: the existing server at {env['NEO4J_URI']}")
        neo = Neo4j(env=env, external=True, version=_empty(env, wipe, log))
        try:
            yield neo
        finally:
            if wipe:
                _empty(env, True, log)
        return
    from tools.neo4j.launch import Server

    auto_heap, auto_cache = sizing(rows)
    launched = Server(data=work / "neo4j-store", heap=heap or auto_heap, page_cache=page_cache or auto_cache)
    log(f"starting Neo4j (tools/neo4j/launch.py): heap {launched.heap}, page cache {launched.page_cache}")
    launched.start()
    try:
        assert launched.proc is not None
        neo = Neo4j(env=launched.env(), external=False, heap=launched.heap, page_cache=launched.page_cache,
                    pid=launched.proc.pid, data=launched.data)
        neo.version = _empty(neo.env, False, log)
        neo.sample("after_start")
        yield neo
    finally:
        launched.stop()
