"""The embedded store: LadybugDB in process, on disk, in the folder ``db_path``."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import schema
from ..errors import StoreError, StoreLocked, StoreQueryError, StoreUnavailable
from ..model import Changes, Node, Relation, Revision, relation_key
from ..schema import T
from ..search.documents import WHERE, build_documents, iter_documents
from ..search.model import SearchPage, SearchQuery
from ..search.sqlite import SqliteIndex
from . import codec
from .base import Progress, WriteByApply, check_versions, check_written, chunks
from .base import by_type as _by_type
from .cypher import QueryBook
from .cypher_reads import CypherReads
from .tokens import CypherTokens

GRAPH_FILE = "graph.lbdb"
SEARCH_FILE = "search.sqlite"
log = logging.getLogger(__name__)
_TYPES = {
    T.STRING: "STRING",
    T.INT: "INT64",
    T.FLOAT: "DOUBLE",
    T.STRING_LIST: "STRING[]",
    T.TEXT_MAP: "STRING",
    T.STRUCT: "STRING",
}


def _node_columns(*_: str, **__: Any) -> str:
    return ", ".join(f"{p.name} {_TYPES[p.type]}" for p in schema.node_columns())


def _rel_columns(*_: str, rel: str | None = None, **__: Any) -> str:
    assert rel is not None
    return ", ".join(f"{p.name} {_TYPES[p.type]}" for p in schema.relation_columns(schema.RELATIONS[rel]))


def _node_set(var: str, row: str, **_: Any) -> str:
    # Explicit casts: a batch whose values are all null has no type to infer.
    return ", ".join(
        f"{var}.{p.name} = CAST({row}.{p.name} AS {_TYPES[p.type]})"
        for p in schema.node_columns()
        if p.name != "id"
    )


def _rel_set(var: str, row: str, *, rel: str | None = None, **_: Any) -> str:
    assert rel is not None
    return ", ".join(
        f"{var}.{p.name} = CAST({row}.{p.name} AS {_TYPES[p.type]})"
        for p in schema.relation_columns(schema.RELATIONS[rel])
    )


def _add_node_columns(*_: str, **__: Any) -> str:
    return ";\n".join(f"ALTER TABLE Node ADD IF NOT EXISTS {p.name} {_TYPES[p.type]}"
                      for p in schema.node_columns() if p.name != "id")


def _add_rel_columns(*_: str, rel: str | None = None, **__: Any) -> str:
    assert rel is not None
    return ";\n".join(f"ALTER TABLE {rel} ADD IF NOT EXISTS {p.name} {_TYPES[p.type]}"
                      for p in schema.relation_columns(schema.RELATIONS[rel]))


for _fn in (_rel_columns, _rel_set, _add_rel_columns):
    _fn.binds = "REL"  # type: ignore[attr-defined]

EXPANSIONS = {
    "ADD_NODE_COLUMNS": _add_node_columns,
    "ADD_REL_COLUMNS": _add_rel_columns,
    "NODE_COLUMNS": _node_columns,
    "REL_COLUMNS": _rel_columns,
    "NODE_SET": _node_set,
    "REL_SET": _rel_set,
}


def _translate(exc: Exception) -> StoreError:
    text = str(exc)
    if "Could not set lock" in text or ("lock" in text.lower() and "IO exception" in text):
        return StoreLocked(
            "the embedded store is open in another process (stop `heritage-graph serve` "
            f"or the other command first): {text.splitlines()[0]}"
        )
    if text.startswith("IO exception"):
        return StoreUnavailable(f"cannot open the embedded store: {text.splitlines()[0]}")
    return StoreQueryError(text)


class LadybugStore(CypherReads, CypherTokens, WriteByApply):
    dialect = "ladybug"

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self._read_only = read_only
        self._queries = QueryBook("ladybug", EXPANSIONS)
        self._db: Any = None
        self._conn: Any = None
        self._search: SqliteIndex | None = None
        # One connection serves every thread; Ladybug allows one writer, and a
        # lock keeps transactions from interleaving on the shared connection.
        self._lock = threading.RLock()
        self.calls = 0

    # -- lifecycle -----------------------------------------------------------
    def open(self) -> LadybugStore:
        import ladybug  # imported here so that importing the package connects nothing

        if self.path.exists() and not self.path.is_dir():
            raise StoreUnavailable(f"{self.path} is a file; the embedded store needs a folder")
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            self._db = ladybug.Database(str(self.path / GRAPH_FILE), read_only=self._read_only)
            self._conn = ladybug.Connection(self._db)
        except RuntimeError as exc:
            raise _translate(exc) from exc
        self._search = SqliteIndex(self.path / SEARCH_FILE)
        return self

    def close(self) -> None:
        with self._lock:
            if self._search is not None:
                self._search.close()
                self._search = None
            if self._conn is not None:
                self._conn.close()
            if self._db is not None:
                self._db.close()
            self._conn = self._db = None

    def init(self) -> None:
        with self._lock:
            for q in self._queries.ddl():
                for rel, kind in self._queries.instances(q.name):
                    self._run(self._queries.render(q.name, rel=rel, kind=kind))
            if not self._index.is_current(self._generation()):
                self.rebuild_search()

    def _write_q(self, name: str, params: dict[str, Any] | None = None, **binding: str) -> list[dict[str, Any]]:
        """A small write in its own transaction (tokens, store values)."""
        return self._q(name, params, **binding)

    # -- search --------------------------------------------------------------
    @property
    def _index(self) -> SqliteIndex:
        if self._search is None:
            raise StoreUnavailable("the embedded store is not open")
        return self._search

    def _generation(self) -> str:
        rows = self._q("get_meta", {"key": "generation"})
        return str(rows[0]["value"]) if rows else "0"

    def rebuild_search(self) -> int:
        """Rebuild the search index from the graph (also done by init when stale)."""
        with self._lock:
            generation = self._generation()
            log.info("rebuilding the search index from the graph (generation %s)", generation)
            return self._index.rebuild(iter_documents(self), generation)

    def search(self, query: SearchQuery) -> SearchPage:
        # Under the store lock, so the index cannot lag behind the graph read with it.
        with self._lock:
            hits, total, facets = self._index.query(query)
            found = {n.id: n for n in self.get_nodes([i for i, _ in hits])}
            return SearchPage([(found[i], score) for i, score in hits if i in found], total, facets)

    def _reindex(self, nodes: Sequence[Node], relations: Sequence[Relation], generation: str) -> None:
        moved = [r.from_id for r in relations if r.rel == "LOCATED_IN"] + [n.id for n in nodes if n.kind == "Place"]
        ids = {n.id for n in nodes} | {r.from_id for r in relations if r.rel in WHERE}
        # A record's communities (for the visibility of `community` records) follow these links.
        ids |= {r.to_id for r in relations if r.rel == "PRACTICES"}
        ids |= {r.from_id for r in relations if r.rel == "MEMBER_OF"}
        ids.update(self._index.ids_in_places(moved))
        docs = build_documents(self, self.get_nodes(sorted(ids)))
        self._index.update(docs, generation)

    # -- plumbing ------------------------------------------------------------
    def _run(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if self._conn is None:
            raise StoreUnavailable("the embedded store is not open")
        self.calls += 1
        try:
            result = self._conn.execute(text, params or {})
            if isinstance(result, list):  # several statements: the last one answers
                result = result[-1]
            names = result.get_column_names()
            rows = []
            while result.has_next():
                rows.append(dict(zip(names, result.get_next(), strict=True)))
            return rows
        except RuntimeError as exc:
            raise _translate(exc) from exc

    def _q(self, name: str, params: dict[str, Any] | None = None, **binding: str) -> list[dict[str, Any]]:
        with self._lock:
            return self._run(self._queries.render(name, **binding), params)

    # -- writes --------------------------------------------------------------
    def delete_all(self) -> None:
        """Remove every node, relation and revision (tests and re-imports from scratch)."""
        with self._lock:
            self._q("delete_revisions")
            self._q("delete_all")
            self._q("set_meta", {"key": "generation", "value": str(int(self._generation()) + 1)})
            self.rebuild_search()

    def apply(self, changes: Changes, progress: Progress | None = None) -> None:
        if self._read_only:
            raise StoreUnavailable("the embedded store is open read-only")
        with self._lock:
            generation = str(int(self._generation()) + 1)
            self._run("BEGIN TRANSACTION")
            try:
                check_versions(self._locked_versions(changes.expected), changes.expected)
                self._write(changes, progress or (lambda n: None))
                self._q("set_meta", {"key": "generation", "value": generation})
            except BaseException:
                with contextlib.suppress(StoreError):
                    self._run("ROLLBACK")
                raise
            self._run("COMMIT")
            try:
                self._reindex(changes.nodes, [*changes.relations, *changes.removed], generation)
            except Exception:
                # The graph is committed; the index lags and says so by its generation.
                log.exception("search index update failed; rebuilding it from the graph")
                self.rebuild_search()

    def _locked_versions(self, expected: dict[tuple[str, ...], int]) -> dict[tuple[str, ...], int]:
        found: dict[tuple[str, ...], int] = {}
        ids = [k[1] for k in expected if k[0] == "node"]
        for chunk in chunks(ids):
            for r in self._q("lock_nodes", {"ids": chunk}):
                found[("node", r["id"])] = codec.stored_version(r["version"])
        for rel, rows in _by_type([k for k in expected if k[0] == "rel"]).items():
            for chunk in chunks(rows):
                for r in self._q("lock_relations", {"rows": chunk}, rel=rel):
                    found[("rel", rel, r["from_id"], r["to_id"])] = codec.stored_version(r["version"])
        return found

    def _write(self, changes: Changes, progress: Progress) -> None:
        nodes = changes.nodes
        for chunk in chunks([codec.node_row(n) for n in nodes]):
            self._run(self._queries.render("upsert_nodes"), {"rows": chunk})
            progress(len(chunk))
        ids = [n.id for n in nodes]
        for chunk in chunks(ids):
            self._run(self._queries.render("clear_sources"), {"ids": chunk})
        links = [{"from": n.id, "to": s} for n in nodes for s in n.sources]
        for chunk in chunks(links):
            check_written(_written(self._run(self._queries.render("add_sources"), {"rows": chunk})), len(chunk))
        for rel, rows in _by_type([relation_key(r) for r in changes.removed]).items():
            for chunk in chunks(rows):
                self._q("delete_relations", {"rows": chunk}, rel=rel)
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in changes.relations:
            by_type[r.rel].append(codec.relation_row(r))
        for rel, rows in by_type.items():
            text = self._queries.render("upsert_relations", rel=rel)
            for chunk in chunks(rows):
                check_written(_written(self._run(text, {"rows": chunk})), len(chunk))
                progress(len(chunk))
        for chunk in chunks([codec.revision_row(v) for v in changes.revisions]):
            self._q("add_revisions", {"rows": chunk})
        for chunk in chunks([{"revision": v.id, "node": n} for v in changes.revisions for n in v.nodes]):
            self._q("link_revisions", {"rows": chunk})

    def revisions(self, ids: Sequence[str]) -> list[Revision]:
        if not ids:
            return []
        return [codec.row_revision(r) for r in self._q("revisions_of", {"ids": list(dict.fromkeys(ids))})]


def _written(rows: list[dict[str, Any]]) -> int:
    return int(rows[0]["written"]) if rows else 0
