"""The embedded store: LadybugDB in process, on disk, in the folder ``db_path``."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from .. import schema
from ..errors import StoreError, StoreLocked, StoreQueryError, StoreTimeout, StoreUnavailable
from ..model import Changes, Node, Relation, Revision, relation_key
from ..schema import T
from ..search.documents import SNAPSHOT_RELATIONS, WHERE, build_documents, snapshot_documents
from ..search.model import SearchPage, SearchQuery
from ..search.sqlite import SqliteIndex
from ..visibility import EVERYTHING, Visibility
from . import codec
from .accounts import CypherAccounts
from .base import (
    Direction,
    Progress,
    Reached,
    ShortestPath,
    WriteByApply,
    check_versions,
    check_written,
    chunks,
    window,
)
from .base import by_type as _by_type
from .cypher import QueryBook
from .cypher_reads import CypherReads, _props
from .folder_lock import FolderLock, sweep_siblings
from .ladybug_bulk import BULK_MIN, COPY_CHUNK, arrow_table
from .ladybug_swap import COPY_POOL_MB, SWAP_MIN, Spool, fsync_file, fsync_folder, spool_folder
from .tokens import CypherTokens

GRAPH_FILE = "graph.lbdb"
# Ladybug keeps the pages a write changed in memory until a checkpoint, by default once its
# write-ahead log reaches 16 MiB: some 4,000 curator edits, with memory growing by about 1 MiB each
# and reads slowing on the way (bench/load.py found it). A 1 MiB log keeps a serving process flat.
CHECKPOINT_BYTES = 1 << 20
# Id lists up to this long are read with point queries, one id per call; longer ones with one
# UNWIND query, whose cost is a scan of the table whatever the list's length.
POINT_MAX = 2000
# A write touching more search documents than this rebuilds the index from scans instead.
REINDEX_MAX = 20_000
SEARCH_FILE = "search.sqlite"
# Places of the node table per read of a search-index rebuild: bounds what one read holds.
SCAN_RANGE = 100_000
log = logging.getLogger(__name__)
_TYPES = {
    T.STRING: "STRING",
    T.INT: "INT64",
    T.FLOAT: "DOUBLE",
    T.STRING_LIST: "STRING[]",
    T.TEXT_MAP: "STRING",
    T.STRUCT: "STRING",
    T.STRUCT_LIST: "STRING",
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


def _node_return(var: str, **_: Any) -> str:
    return ", ".join(f"{var}.{p.name} AS {p.name}" for p in schema.node_columns())


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
    "NODE_RETURN": _node_return,
    "REL_SET": _rel_set,
}


def _torn_log(exc: Exception) -> bool:
    """Whether opening failed on a write-ahead log cut short (LadybugDB issue #714)."""
    text = str(exc)
    return "Reading past the end of the file" in text or ("WAL" in text and "Checksum verification failed" in text)


def _translate(exc: Exception) -> StoreError:
    text = str(exc)
    if "Could not set lock" in text or ("lock" in text.lower() and "IO exception" in text):
        return StoreLocked(
            "the embedded store is open in another process (stop `heritage-graph serve` "
            f"or the other command first): {text.splitlines()[0]}"
        )
    if text.strip() == "Interrupted.":
        return StoreTimeout("a store query ran past the query timeout of the serving process and was stopped")
    if text.startswith("IO exception"):
        return StoreUnavailable(f"cannot open the embedded store: {text.splitlines()[0]}")
    return StoreQueryError(text)


class LadybugStore(CypherReads, CypherTokens, CypherAccounts, WriteByApply):
    dialect = "ladybug"

    @property
    def inline_reads(self) -> bool:
        # Not while a large write or an index rebuild holds the lock: a read on the event loop would
        # stall every request until it ends.
        return not self._busy

    def __init__(self, path: Path | str, *, read_only: bool = False, buffer_pool_mb: int = 0,
                 locked: bool = True, query_timeout_ms: int = 0) -> None:
        self.path = Path(path)
        # Serving: no single store query may outlive the longest time budget (api/budget.py); 0: none.
        self.query_timeout_ms = query_timeout_ms
        self._read_only = read_only
        # ``locked=False``: the caller holds the folder's lock already (a restore checking its target).
        self._folder_lock = FolderLock(self.path, shared=read_only) if locked else None
        self._buffer_pool_mb = buffer_pool_mb  # 0: Ladybug's own default (a share of the machine's memory)
        self._queries = QueryBook("ladybug", EXPANSIONS)
        self._ladybug: Any = None
        self._db: Any = None
        self._conn: Any = None
        self._search: SqliteIndex | None = None
        # One connection serves every thread; Ladybug allows one writer, and a
        # lock keeps transactions from interleaving on the shared connection.
        self._lock = threading.RLock()
        self._column_cache: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        self._busy = False
        self.calls = 0

    # -- lifecycle -----------------------------------------------------------
    def open(self) -> LadybugStore:
        import ladybug  # imported here so that importing the package connects nothing

        if self.path.exists() and not self.path.is_dir():
            raise StoreUnavailable(f"{self.path} is a file; the embedded store needs a folder")
        self.path.mkdir(parents=True, exist_ok=True)
        self._ladybug = ladybug
        if self._folder_lock is not None:
            self._folder_lock.acquire()
            if not self._read_only:
                for path in sweep_siblings(self.path):
                    log.warning("removed %s, left beside the store by a process that was stopped", path.name)
        try:
            self._open_database(ladybug)
        except BaseException:
            if self._folder_lock is not None:
                self._folder_lock.release()
            raise
        return self

    def _open_database(self, ladybug: Any) -> None:
        try:
            try:
                self._db = self._database(ladybug, strict_log=True)
            except RuntimeError as exc:
                if not _torn_log(exc) or self._read_only:
                    raise
                # A process killed while writing a commit to the log leaves its tail torn. Ladybug can
                # replay the whole commits before it and drop the torn one (which was never
                # acknowledged); the log is kept aside for inspection first.
                wal = self.path / (GRAPH_FILE + ".wal")
                kept = wal.with_name(f"{wal.name}.torn-{int(time.time())}")
                shutil.copy2(wal, kept)
                log.warning("the store's write-ahead log ends in a torn commit (%s); replaying the commits "
                            "before it and dropping that one (the log is kept in %s)", exc, kept.name)
                self._db = self._database(ladybug, strict_log=False)
            self._conn = ladybug.Connection(self._db)
            if self.query_timeout_ms:
                self._conn.set_query_timeout(self.query_timeout_ms)
        except RuntimeError as exc:
            raise _translate(exc) from exc
        self._search = SqliteIndex(self.path / SEARCH_FILE)

    def _database(self, ladybug: Any, *, strict_log: bool) -> Any:
        return ladybug.Database(str(self.path / GRAPH_FILE), read_only=self._read_only,
                                buffer_pool_size=self._buffer_pool_mb << 20, checkpoint_threshold=CHECKPOINT_BYTES,
                                throw_on_wal_replay_failure=strict_log)

    def close(self) -> None:
        with self._lock:
            self._close_database()
            if self._folder_lock is not None:
                self._folder_lock.release()

    def init(self) -> None:
        with self._lock:
            self._column_cache.clear()
            for q in self._queries.ddl():
                for rel, kind in self._queries.instances(q.name):
                    self._run(self._queries.render(q.name, rel=rel, kind=kind))
            if not self._index.is_current(self._generation()):
                self.rebuild_search()

    def _write_q(self, name: str, params: dict[str, Any] | None = None, **binding: Any) -> list[dict[str, Any]]:
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

    @contextlib.contextmanager
    def _busy_if(self, busy: bool) -> Iterator[None]:
        was, self._busy = self._busy, self._busy or busy
        try:
            yield
        finally:
            self._busy = was

    def rebuild_search(self) -> int:
        """Rebuild the search index from the graph (also done by init when stale), from a few
        whole-table scans rather than queries per node."""
        with self._lock, self._busy_if(True):
            generation = self._generation()
            log.info("rebuilding the search index from the graph (generation %s)", generation)
            places = [codec.row_node(r) for r in self._arrow_rows(self._queries.render("scan_places"))]
            ends = {rel: [(r["from_id"], r["to_id"])
                          for r in self._arrow_rows(self._queries.render("scan_relation_ends", rel=rel))]
                    for rel in SNAPSHOT_RELATIONS}
            return self._index.rebuild(snapshot_documents(places, self._scan_nodes(), ends), generation)

    def _scan_nodes(self) -> Iterator[Node]:
        """Every node, read ``SCAN_RANGE`` places of the table at a time (see ``scan_nodes``)."""
        top = int(self._q("node_offsets")[0]["top"])
        text = self._queries.render("scan_nodes")
        for lo in range(0, top, SCAN_RANGE):
            for batch in self._arrow_batches(text, {"lo": lo, "hi": lo + SCAN_RANGE}):
                yield from (codec.row_node(r) for r in batch)

    def search(self, query: SearchQuery) -> SearchPage:
        # Under the store lock, so the index cannot lag behind the graph read with it.
        with self._lock:
            query = dataclasses.replace(query, text=query.text.expanded(self._index.key_candidates))
            hits, total, facets = self._index.query(query)
            found = {n.id: n for n in self.get_nodes([i for i, _ in hits])}
            return SearchPage([(found[i], score) for i, score in hits if i in found], total, facets, query.text)

    def _reindex(self, nodes: Sequence[Node], relations: Sequence[Relation], generation: str) -> None:
        moved = [r.from_id for r in relations if r.rel == "LOCATED_IN"] + [n.id for n in nodes if n.kind == "Place"]
        ids = {n.id for n in nodes} | {r.from_id for r in relations if r.rel in WHERE}
        # A record's communities (for the visibility of `community` records) follow these links.
        ids |= {r.to_id for r in relations if r.rel == "PRACTICES"}
        ids |= {r.from_id for r in relations if r.rel == "MEMBER_OF"}
        ids.update(self._index.ids_in_places(moved))
        if len(ids) > REINDEX_MAX:
            # Past this many documents a rebuild's few scans cost less than queries per node.
            self.rebuild_search()
            return
        written = {n.id: n for n in nodes}
        docs = build_documents(self, [*(written[i] for i in sorted(ids) if i in written),
                                      *self.get_nodes(sorted(ids - written.keys()))])
        self._index.update(docs, generation)

    # -- plumbing ------------------------------------------------------------
    def _run(self, text: str, params: dict[str, Any] | None = None, *, count: bool = True) -> list[dict[str, Any]]:
        if self._conn is None:
            raise StoreUnavailable("the embedded store is not open")
        # `calls` counts batches asked of the store (tests hold it to the depth of a query), so the
        # point queries that answer one batch count once.
        self.calls += count
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

    def _arrow_batches(self, text: str, params: dict[str, Any] | None = None,
                       size: int = 50_000) -> Iterator[list[dict[str, Any]]]:
        """A large result's rows, handed over column by column (Arrow) rather than row by row, a batch
        of ``size`` at a time: only the columnar form of the whole result is held, not a dict per row."""
        if self._conn is None:
            raise StoreUnavailable("the embedded store is not open")
        self.calls += 1
        try:
            table = self._conn.execute(text, params or {}).get_as_arrow(size)
        except RuntimeError as exc:
            raise _translate(exc) from exc
        for batch in table.to_batches(size):
            yield batch.to_pylist()

    def _arrow_rows(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [row for batch in self._arrow_batches(text, params) for row in batch]

    def _q(self, name: str, params: dict[str, Any] | None = None, **binding: Any) -> list[dict[str, Any]]:
        with self._lock:
            return self._run(self._queries.render(name, **binding), params)

    # -- point reads (cypher/ladybug/point.cypher says why) ------------------
    def _each(self, name: str, params: Iterable[dict[str, Any]], **binding: Any) -> list[dict[str, Any]]:
        """The rows of query ``name`` run once per parameter set, under one hold of the lock."""
        text = self._queries.render(name, **binding)
        with self._lock:
            self.calls += 1
            return [row for p in params for row in self._run(text, p, count=False)]

    def get_nodes(self, ids: Sequence[str]) -> list[Node]:
        ids = list(dict.fromkeys(ids))
        if len(ids) > POINT_MAX:
            return super().get_nodes(ids)
        node_text, sources_text = self._queries.render("get_node"), self._queries.render("node_sources")
        found = []
        with self._lock:
            self.calls += 1
            for i in ids:
                rows = self._run(node_text, {"id": i}, count=False)
                if rows:
                    sources = [r["id"] for r in self._run(sources_text, {"id": i}, count=False)]
                    found.append(codec.row_node(rows[0]["n"], sources))
        return found

    def relations(self, ids: Sequence[str], direction: Direction, types: Sequence[str]) -> list[Relation]:
        ids = list(dict.fromkeys(ids))
        if len(ids) > POINT_MAX or not types:
            return super().relations(ids, direction, types)
        name = "relations_out_one" if direction == "out" else "relations_in_one"
        rows = self._each(name, ({"id": i, "types": list(types)} for i in ids))
        return [codec.row_relation(r["rel"], r["from_id"], r["to_id"], _props(r["props"])) for r in rows]

    def lineage_reach(self, node_id: str, relation: str, *, ancestors: bool, max_depth: int) -> list[Reached]:
        name = "lineage_ancestors" if ancestors else "lineage_descendants"
        out = []
        for r in self._q(name, {"id": node_id}, rel=relation, depth=max_depth):
            node = codec.row_node(r["n"], r["sources"])
            near = [(x, _props(e)) for x, e in zip(r["nears"], r["rels"], strict=True) if x is not None]
            edges = [codec.row_relation(relation, x, node.id, e) if ancestors
                     else codec.row_relation(relation, node.id, x, e) for x, e in near]
            out.append(Reached(node, int(r["depth"]), edges))
        return out

    def _path_row(self, row: dict[str, Any]) -> ShortestPath:
        # Ladybug's relation values name their ends by internal id (_SRC, _DST), as `iids` does the path's nodes.
        ids = {(i["table"], i["offset"]): node_id for i, node_id in zip(row["iids"], row["ids"], strict=True)}

        def end(ref: dict[str, int]) -> str:
            return ids[(ref["table"], ref["offset"])]

        edges = [codec.row_relation(e["_LABEL"], end(e["_SRC"]), end(e["_DST"]), _props(e)) for e in row["rels"]]
        return ShortestPath(list(row["ids"]), edges)

    def child_places(self, ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(ids))
        if len(ids) > POINT_MAX:
            return super().child_places(ids)
        return list(dict.fromkeys(r["id"] for r in self._each("child_places_one", ({"id": i} for i in ids))))

    def _ids_within(self, kind: str, within: Sequence[str], domain: str | None,
                    visibility: Visibility | None) -> set[str]:
        params = {"kind": kind, "domain": domain or "", **(visibility or EVERYTHING).params()}
        return {r["id"] for r in self._each("ids_within_one", ({**params, "id": w} for w in dict.fromkeys(within)))}

    def count_kinds(self, kinds: Sequence[str], *, within: Sequence[str],
                    visibility: Visibility | None = None) -> int:
        if len(within) > POINT_MAX:
            return super().count_kinds(kinds, within=within, visibility=visibility)
        params = {"kinds": list(kinds), **(visibility or EVERYTHING).params()}
        return len({r["id"] for r in self._each("ids_within_kinds_one",
                                                 ({**params, "id": w} for w in dict.fromkeys(within)))})

    def list_nodes(self, kind: str, *, within: Sequence[str] | None = None, domain: str | None = None,
                   after: str | None = None, before: str | None = None, limit: int | None = None,
                   visibility: Visibility | None = None, from_end: bool = False) -> list[Node]:
        if within is None or len(within) > POINT_MAX:
            return super().list_nodes(kind, within=within, domain=domain, after=after, before=before, limit=limit,
                                      visibility=visibility, from_end=from_end)
        page = window(sorted(self._ids_within(kind, within, domain, visibility)), after, before, limit, from_end)
        found = {n.id: n for n in self.get_nodes(page)}
        return [found[i] for i in page if i in found]

    def count_kind(self, kind: str, *, within: Sequence[str] | None = None, domain: str | None = None,
                   visibility: Visibility | None = None) -> int:
        if within is None or len(within) > POINT_MAX:
            return super().count_kind(kind, within=within, domain=domain, visibility=visibility)
        return len(self._ids_within(kind, within, domain, visibility))

    # -- writes --------------------------------------------------------------
    def delete_all(self) -> None:
        """Remove every node, relation and revision (tests and re-imports from scratch)."""
        with self._lock:
            self._q("delete_revisions")
            self._q("delete_all")
            self._q("set_meta", {"key": "generation", "value": str(int(self._generation()) + 1)})
            self._data_version = self._generation()
            self.rebuild_search()

    def apply(self, changes: Changes, progress: Progress | None = None) -> None:
        self._transaction([changes], progress, bulk=_copied(changes),
                          busy=len(changes.nodes) + len(changes.relations) > POINT_MAX)

    def apply_stream(self, changes: Iterable[Changes], progress: Progress | None = None, *,
                     creates_only: bool = False, batched: bool = False) -> None:
        """One transaction for the whole stream (unless ``batched``: one per part, as ``apply``).

        ``creates_only``: every part goes by COPY FROM, and must only create (see ``_copied``: a
        transaction is copied whole or written row by row whole, never both). Past ``SWAP_MIN``
        records such a stream is loaded into a copy of the graph file that then replaces it
        (store/ladybug_swap.py): one transaction would hold every row in the page cache."""
        if batched:
            wrote = False
            try:
                for part in changes:
                    wrote = self._transaction([part], progress, bulk=_copied(part), busy=True, reindex=False) or wrote
            finally:
                # Once at the end rather than per batch (a rebuild scans the whole graph); if this
                # process dies first, the index's generation lags and the next open rebuilds it.
                if wrote:
                    self.rebuild_search()
            return
        if not creates_only:
            self._transaction(changes, progress, bulk=False, busy=True)
            return
        parts = iter(changes)
        held: list[Changes] = []
        records = 0
        for part in parts:
            held.append(part)
            records += len(part.nodes) + len(part.relations)
            if records >= SWAP_MIN:
                self._load_by_swap(chain(held, parts), progress)
                return
        self._transaction(held, progress, bulk=True, busy=True)

    def _load_by_swap(self, parts: Iterable[Changes], progress: Progress | None) -> None:
        """Spool ``parts`` to Parquet, copy them into a copy of the graph file, and rename the copy
        into place (store/ladybug_swap.py says why and what a failure leaves)."""
        if self._read_only:
            raise StoreUnavailable("the embedded store is open read-only")
        report = progress or (lambda n: None)
        with self._lock, self._busy_if(True), spool_folder(self.path) as folder:
            generation = str(int(self._generation()) + 1)
            spool = Spool(folder)
            try:
                for changes in parts:
                    if not (changes.nodes or changes.relations or changes.revisions):
                        continue
                    if changes.based_on is None or changes.based_on != self.data_version():
                        check_versions(self._locked_versions(changes.expected.keys()), changes.expected)
                    if changes.removed or not _creates_only(changes):
                        raise StoreQueryError("a part of a stream said to only create records updates some; "
                                              "nothing was written")
                    for (name, rel), table in self._copy_tables(changes, report):
                        spool.write((name, rel), table)
                files = spool.parts()
            finally:
                spool.close()
            if not files:
                return
            copy = folder / GRAPH_FILE
            self._run("CHECKPOINT")
            self._close_database()
            try:
                shutil.copyfile(self.path / GRAPH_FILE, copy)
                self._copy_into(copy, files, generation)
                fsync_file(copy)
                wal = self.path / (GRAPH_FILE + ".wal")
                if wal.exists() and wal.stat().st_size:
                    raise StoreQueryError(f"{wal} still holds writes after a checkpoint; the import was not "
                                          "swapped in, and nothing was written")
                os.replace(copy, self.path / GRAPH_FILE)
                fsync_folder(self.path)
            finally:
                self._open_database(self._ladybug)
            self._data_version = generation
            self.rebuild_search()

    def _copy_into(self, copy: Path, files: Sequence[tuple[tuple[str, str | None], list[Path]]],
                   generation: str) -> None:
        """Copy the spooled parts into the graph file ``copy``: one committed COPY FROM per table, of
        all its parts (into an empty table that is LadybugDB's fast path, which writes the table's
        pages directly), with a bounded page cache (COPY_POOL_MB)."""
        pool = min(self._buffer_pool_mb, COPY_POOL_MB) if self._buffer_pool_mb else COPY_POOL_MB
        db = conn = None
        try:
            db = self._ladybug.Database(str(copy), buffer_pool_size=pool << 20, checkpoint_threshold=CHECKPOINT_BYTES)
            conn = self._ladybug.Connection(db)
            for (name, rel), paths in files:
                conn.execute(self._queries.render(f"{name}_files", files=tuple(str(p.resolve()) for p in paths),
                                                  **({"rel": rel} if rel else {})))
            conn.execute(self._queries.render("set_meta"), {"key": "generation", "value": generation})
            conn.execute("CHECKPOINT")
        except RuntimeError as exc:
            raise _translate(exc) from exc
        finally:
            if conn is not None:
                conn.close()
            if db is not None:
                db.close()

    def _close_database(self) -> None:
        """Close the graph (and the search index) but keep the folder's lock."""
        if self._search is not None:
            self._search.close()
            self._search = None
        if self._conn is not None:
            self._conn.close()
        if self._db is not None:
            self._db.close()
        self._conn = self._db = None

    def _transaction(self, parts: Iterable[Changes], progress: Progress | None, *, bulk: bool, busy: bool,
                     reindex: bool = True) -> bool:
        """Write ``parts`` in one transaction; whether anything was written."""
        if self._read_only:
            raise StoreUnavailable("the embedded store is open read-only")
        report = progress or (lambda n: None)
        # What the search index must take in after the commit; past REINDEX_MAX records it is
        # rebuilt from the graph instead, so a stream's records are not kept for it.
        touched: tuple[list[Node], list[Relation]] | None = ([], [])
        with self._lock, self._busy_if(busy):
            generation = str(int(self._generation()) + 1)
            wrote = False
            self._run("BEGIN TRANSACTION")
            try:
                for changes in parts:
                    if not (changes.nodes or changes.relations or changes.removed or changes.revisions):
                        continue
                    wrote = True
                    # Nothing committed since the writer read its versions (this process is the only
                    # writer and holds the lock): they still hold, and a large import skips re-reading them.
                    if changes.based_on is None or changes.based_on != self.data_version():
                        check_versions(self._locked_versions(changes.expected.keys()), changes.expected)
                    if bulk:
                        if not _creates_only(changes):
                            raise StoreQueryError("a part of a stream said to only create records updates some; "
                                                  "nothing was written")
                        self._copy_all(changes, report)
                    else:
                        self._write(changes, report)
                    if touched is not None:
                        touched[0].extend(changes.nodes)
                        touched[1].extend([*changes.relations, *changes.removed])
                        if len(touched[0]) + len(touched[1]) > REINDEX_MAX:
                            touched = None
                if wrote:
                    self._q("set_meta", {"key": "generation", "value": generation})
            except BaseException:
                with contextlib.suppress(StoreError):
                    self._run("ROLLBACK")
                raise
            self._run("COMMIT")
            if not wrote:
                return False
            if bulk:
                # Copied rows are durable only once checkpointed (see _copied): before the write is
                # acknowledged, and before the search index says it holds them.
                self._run("CHECKPOINT")
            self._data_version = generation
            if not reindex:
                return True
            try:
                if touched is None:
                    self.rebuild_search()
                else:
                    self._reindex(*touched, generation)
            except Exception:
                # The graph is committed; the index lags and says so by its generation.
                log.exception("search index update failed; rebuilding it from the graph")
                self.rebuild_search()
            return True

    def _locked_versions(self, expected: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
        found: dict[tuple[str, ...], int] = {}
        keys = list(expected)
        ids = [k[1] for k in keys if k[0] == "node"]
        if len(ids) > POINT_MAX:
            rows = [r for chunk in chunks(ids, COPY_CHUNK) for r in self._q("lock_nodes", {"ids": chunk})]
        else:
            rows = self._each("lock_node", ({"id": i} for i in ids))
        for r in rows:
            found[("node", r["id"])] = codec.stored_version(r["version"])
        for rel, pairs in _by_type([k for k in keys if k[0] == "rel"]).items():
            if len(pairs) > POINT_MAX:
                rows = [r for chunk in chunks(pairs, COPY_CHUNK) for r in self._q("lock_relations", {"rows": chunk},
                                                                                  rel=rel)]
            else:
                rows = self._each("lock_relation", pairs, rel=rel)
            for r in rows:
                found[("rel", rel, r["from_id"], r["to_id"])] = codec.stored_version(r["version"])
        return found

    def _write(self, changes: Changes, progress: Progress) -> None:
        """A write row by row (UNWIND batches), every statement in the transaction's log."""
        fresh = {k for k, v in changes.expected.items() if v == 0}
        new_nodes = [n for n in changes.nodes if ("node", n.id) in fresh]
        old_nodes = [n for n in changes.nodes if ("node", n.id) not in fresh]
        self._node_rows("create_nodes", new_nodes, progress)
        # A node written without an expected version may or may not exist yet.
        unknown = [n for n in old_nodes if ("node", n.id) not in changes.expected]
        if len(unknown) > POINT_MAX:
            for chunk in chunks([codec.node_row(n) for n in old_nodes]):
                self._run(self._queries.render("upsert_nodes"), {"rows": chunk})
                progress(len(chunk))
        else:
            exists = {k[1] for k in self._locked_versions(("node", n.id) for n in unknown)}
            missing = {n.id for n in unknown} - exists
            self._node_rows("update_nodes", [n for n in old_nodes if n.id not in missing], progress)
            self._node_rows("create_nodes", [n for n in unknown if n.id in missing], progress)
        if len(old_nodes) > POINT_MAX:
            for chunk in chunks([n.id for n in old_nodes]):
                self._run(self._queries.render("clear_sources"), {"ids": chunk})
        else:
            self._each("clear_node_sources", ({"id": n.id} for n in old_nodes))
        links = [{"from": n.id, "to": s} for n in changes.nodes for s in n.sources]
        for chunk in chunks(links):
            check_written(_written(self._run(self._queries.render("add_sources"), {"rows": chunk})), len(chunk))
        for rel, rows in _by_type([relation_key(r) for r in changes.removed]).items():
            if len(rows) > POINT_MAX:
                for chunk in chunks(rows):
                    self._q("delete_relations", {"rows": chunk}, rel=rel)
            else:
                self._each("delete_relation", rows, rel=rel)
        for rel, rels in _grouped(changes.relations).items():
            text = self._queries.render("upsert_relations", rel=rel)
            for chunk in chunks([codec.relation_row(r) for r in rels]):
                check_written(_written(self._run(text, {"rows": chunk})), len(chunk))
                progress(len(chunk))
        for chunk in chunks([codec.revision_row(v) for v in changes.revisions]):
            self._q("add_revisions", {"rows": chunk})
        for chunk in chunks([{"revision": v.id, "node": n} for v in changes.revisions for n in v.nodes]):
            self._q("link_revisions", {"rows": chunk})

    def _copy_all(self, changes: Changes, progress: Progress) -> None:
        """A write that only creates, copied table by table (see _copied)."""
        for (name, rel), table in self._copy_tables(changes, progress):
            self._copy(name, table, **({"rel": rel} if rel else {}))

    def _copy_tables(self, changes: Changes, progress: Progress) -> Iterator[tuple[tuple[str, str | None], Any]]:
        """What a write that only creates copies: (copy query, relation type) and an Arrow table,
        ``COPY_CHUNK`` rows at a time (a national import has millions of revisions)."""
        nodes = changes.nodes
        columns = self._columns("node_table_columns")
        for chunk in chunks(nodes, COPY_CHUNK):
            yield ("copy_nodes", None), arrow_table(columns, [codec.node_row(n) for n in chunk])
            progress(len(chunk))
        columns = self._columns("relation_table_columns", rel="DOCUMENTED_BY")
        for chunk in chunks(nodes, COPY_CHUNK):
            links = [{"from": n.id, "to": s} for n in chunk for s in n.sources]
            if links:
                yield ("copy_relations", "DOCUMENTED_BY"), arrow_table(columns, links, lead=("from", "to"))
        for rel, rels in _grouped(changes.relations).items():
            columns = self._columns("relation_table_columns", rel=rel)
            for chunk in chunks(rels, COPY_CHUNK):
                rows = [codec.relation_row(r) for r in chunk]
                yield ("copy_relations", rel), arrow_table(columns, rows, lead=("from", "to"))
                progress(len(chunk))
        columns = self._columns("revision_table_columns")
        for chunk in chunks(changes.revisions, COPY_CHUNK):
            yield ("copy_revisions", None), arrow_table(columns, [codec.revision_row(v) for v in chunk])
            links = [{"from": v.id, "to": n} for v in chunk for n in v.nodes]
            yield ("copy_revision_links", None), arrow_table([], links, lead=("from", "to"))

    def _node_rows(self, name: str, nodes: Sequence[Node], progress: Progress) -> None:
        if not nodes:
            return
        text = self._queries.render(name)
        for chunk in chunks([codec.node_row(n) for n in nodes]):
            written = _written(self._run(text, {"rows": chunk}))
            if written != len(chunk):
                raise StoreQueryError(f"{len(chunk) - written} of {len(chunk)} nodes to {name.split('_')[0]} "
                                      "were not found; nothing was written")
            progress(len(chunk))

    # -- bulk path (COPY FROM an Arrow table, inside the transaction) ---------
    def _columns(self, name: str, **binding: Any) -> list[tuple[str, str]]:
        key = (name, *binding.values())
        if key not in self._column_cache:
            self._column_cache[key] = [(r["name"], r["type"]) for r in self._q(name, **binding)]
        return self._column_cache[key]

    def _copy(self, name: str, table: Any, **binding: Any) -> None:
        try:
            self._run(self._queries.render(name, **binding), {"rows": table})
        except StoreError:
            # Ladybug ends the transaction itself when a copy fails, and a second failing copy on
            # the same connection crashes the process (ladybug 0.22): carry on with a fresh one.
            self._conn = self._ladybug.Connection(self._db)
            raise

    def revisions(self, ids: Sequence[str]) -> list[Revision]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        if len(ids) > POINT_MAX:
            return [codec.row_revision(r) for r in self._q("revisions_of", {"ids": ids})]
        rows = {r["id"]: r for r in self._each("revisions_of_one", ({"id": i} for i in ids))}
        return [codec.row_revision(r) for r in sorted(rows.values(), key=lambda r: (r["at"], r["id"]))]

    def revisions_by_op(self, ops: Sequence[str]) -> list[Revision]:
        return [codec.row_revision(r) for r in self._q("revisions_by_op", {"ops": list(ops)})]

    # -- backups (heritage_graph/services/backup.py) --------------------------
    @contextlib.contextmanager
    def frozen(self) -> Iterator[dict[str, int]]:
        """Hold off every other call on this store until the block ends, with each committed write
        checkpointed into the graph file: the folder then holds one consistent state, safe to copy.

        Yields what the store holds: its write generation and how many nodes, relations, revisions
        and tokens (cheap counts, taken under the same hold). Busy meanwhile, so that the service
        sends its reads to worker threads rather than stall its event loop on the hold."""
        with self._lock, self._busy_if(True):
            if not self._read_only:
                self._run("CHECKPOINT")
            yield {"generation": int(self._generation()), "nodes": self.count_nodes(),
                   "relations": sum(int(self._q("count_relations", rel=rel)[0]["total"]) for rel in schema.RELATIONS),
                   "revisions": int(self._q("count_revisions")[0]["total"]),
                   "tokens": int(self._q("count_tokens")[0]["total"])}

    # -- caches (heritage_graph/api/response_cache.py) -----------------------
    _data_version = "open"  # until this process's first write: then the generation it committed

    def data_version(self) -> str:
        """The write generation this process last committed: it is the only process with the
        folder open, so nothing changes it behind our back, and it costs no query."""
        return self._data_version


def _copied(changes: Changes) -> bool:
    """Whether a write goes by Ladybug's COPY FROM: a large one that only creates records.

    Ladybug 0.22 does not put a COPY inside a transaction in the write-ahead log: the copied rows
    become durable at the checkpoint after the commit, and a process killed in between loses them
    while the logged rest of the transaction replays (the crash harness, tests/test_crash.py, found
    it). So a copied write copies all it writes (records, source links, revisions; only the store's
    generation counter is logged, and an index that disagrees with it is rebuilt) and is
    checkpointed before it is acknowledged; anything that also updates or removes goes row by row.
    """
    if changes.removed or len(changes.nodes) + len(changes.relations) < BULK_MIN:
        return False
    return _creates_only(changes)


def _creates_only(changes: Changes) -> bool:
    return not changes.removed and all(changes.expected.get(("node", n.id)) == 0 for n in changes.nodes) and all(
        changes.expected.get(relation_key(r)) == 0 for r in changes.relations)


def _grouped(relations: Sequence[Relation]) -> dict[str, list[Relation]]:
    by_type: dict[str, list[Relation]] = defaultdict(list)
    for r in relations:
        by_type[r.rel].append(r)
    return by_type


def _written(rows: list[dict[str, Any]]) -> int:
    return int(rows[0]["written"]) if rows else 0
