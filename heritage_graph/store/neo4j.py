"""The production store: Neo4j 5 through the official ``neo4j`` driver.

Every node carries the ``Node`` label (unique ``id``) and its kind as a second
label, so Neo4j Browser users see ``(:Node:Tradition)``; relation types are the
schema's own.

Every query runs in one of the driver's managed transactions, marked for what it
does, so that a routing URI (``neo4j://``, ``neo4j+s://``) sends reads to the
cluster's secondaries and writes to its leader: a one-statement read through
``execute_query`` routed ``READ``, a read of several statements that must agree
(``search``) in one ``execute_read``, and every write (``apply``, tokens, the
schema) as ``WRITE`` (``execute_write``, or ``execute_query`` routed ``WRITE``).
All of them share the driver's bookmark manager, so a process reads its own
writes even from a secondary. Only the readiness probe's ``RETURN 1`` runs as an
auto-commit query (``ping``).

The driver retries a managed transaction that failed on a lost connection or a
transient error, for ``max_retry_time`` seconds (``NEO4J_MAX_RETRY_TIME``; the
driver's own 30 s would hold every request that long while Neo4j is down), and
gives up on a connection after ``connection_timeout`` seconds
(``NEO4J_CONNECTION_TIMEOUT``). Then the request fails with ``StoreUnavailable``,
which the API answers 503; the driver reconnects by itself once Neo4j answers.
A transaction made for a request carries what remains of the request's time
budget as its timeout (``base.DEADLINE``): Neo4j ends it then — a query nobody
waits for any more, or one that waits for a database still starting (Neo4j
accepts connections before its database is available, and holds their queries
until it is) — and nothing of it is written.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from ..errors import Conflict, StoreError, StoreQueryError, StoreTimeout, StoreUnavailable
from ..model import Changes, Node, Revision, relation_key
from ..search.model import Facets, SearchPage, SearchQuery
from ..search.text import (
    BM25_B,
    BM25_K1,
    KEY_MARK,
    KIND_WEIGHTS,
    ParsedQuery,
    Phrase,
    SearchText,
    bm25_idf,
    edit_distance,
    expression_phrases,
    match_expression,
    search_text,
)
from . import codec
from .accounts import CypherAccounts
from .base import DEADLINE, Progress, WriteByApply, check_versions, check_written, chunks, merged
from .base import by_type as _by_type
from .cypher import QueryBook
from .cypher_reads import CypherReads
from .tokens import CypherTokens

T = TypeVar("T")
log = logging.getLogger("heritage_graph.store.neo4j")
CACHE_CHECK_MS = 500  # HERITAGE_CACHE_CHECK_MS: how stale another replica's write may be seen, at most
VERSION_READ_TIMEOUT = 2.0  # seconds: the background read of the data version
CONNECTION_TIMEOUT = 5.0  # seconds to open a connection (TCP, TLS, Bolt handshake); the driver's: 30
MAX_RETRY_TIME = 2.0  # seconds a failed managed transaction is retried; the driver's: 30
# The first retry after 0.25 s (the driver's: 1 s), then twice as long each time: within 2 s of retries a
# lost connection is retried four times, and a request fails within about 4 s when Neo4j is down.
INITIAL_RETRY_DELAY = 0.25
MIN_TRANSACTION_TIMEOUT = 0.5  # seconds: a transaction started at its request's deadline still gets this
PING_TIMEOUT = 2.0  # seconds: the readiness read (ops/health.py waits as long)
TIMED_OUT = ("Neo.ClientError.Transaction.TransactionTimedOut",
             "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration")


SCHEMA_ALREADY_THERE = frozenset({
    "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
    "Neo.ClientError.Schema.IndexAlreadyExists",
    "Neo.ClientError.Schema.ConstraintAlreadyExists",
})


def _translate(exc: Exception) -> StoreError:
    from neo4j import exceptions as ne

    if isinstance(exc, ne.AuthError):
        return StoreUnavailable(f"Neo4j refused the credentials (check NEO4J_USER / NEO4J_PASSWORD): {exc}")
    if isinstance(exc, ne.IncompleteCommit):
        return StoreUnavailable(f"the connection to Neo4j was lost while a write was committing: it may or may "
                                f"not have been saved (read the record before trying again): {exc}")
    if isinstance(exc, ne.ServiceUnavailable | ne.SessionExpired):
        return StoreUnavailable(f"cannot reach Neo4j (check NEO4J_URI): {exc}")
    if isinstance(exc, ne.DatabaseUnavailable):
        return StoreUnavailable(f"the Neo4j database is not available (starting, stopping or failing over): {exc}")
    if getattr(exc, "code", None) == "Neo.ClientError.Database.DatabaseNotFound":
        return StoreUnavailable(f"Neo4j has no such database (check NEO4J_DATABASE): {exc}")
    if getattr(exc, "code", None) in TIMED_OUT:
        timeout = StoreTimeout(f"Neo4j ended the transaction at the request's time budget (the database starting, "
                               f"failing over or overloaded); nothing of it was written: {exc}")
        timeout.retryable = True
        return timeout
    if isinstance(exc, ne.TransientError):
        err = StoreError(f"Neo4j transient error, try again: {exc}")
        err.retryable = True
        return err
    return StoreQueryError(str(exc))


def _search_props(node: Node) -> dict[str, str | int]:
    """The node's normalised text by field, and its length in tokens (bm25's document length)."""
    text = search_text(node)
    props: dict[str, str | int] = {f"search_{name}": value
                                   for name, value in zip(SearchText.FIELDS, text.values(), strict=True)}
    props["search_length"] = len(text.all_tokens())
    return props


def lucene_expression(q: ParsedQuery) -> str:
    """Lucene syntax for the full-text index: the same semantics as the FTS5 expression."""
    return match_expression(q, Phrase.lucene)


# The search fields' format: a store whose nodes carry another gets them rewritten by `init`.
SEARCH_FORMAT = "2"  # 2: the spelling keys (search_key)
# Lucene stops a fuzzy query at this many terms (FuzzyQuery's default maxExpansions); past it, the
# near keys are read from every node instead.
LUCENE_FUZZY_TERMS = 50
REWRITE_BATCH = 1000


def _non_null(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v is not None}


class Neo4jStore(CypherReads, CypherTokens, CypherAccounts, WriteByApply):
    dialect = "neo4j"
    inline_reads = False

    def __init__(self, uri: str, user: str, password: str | None, database: str = "neo4j", *,
                 connection_timeout: float = CONNECTION_TIMEOUT, max_retry_time: float = MAX_RETRY_TIME,
                 cache_check_ms: int = CACHE_CHECK_MS) -> None:
        self.uri = uri
        self._auth = (user, password or "")
        self.database = database
        self.connection_timeout = connection_timeout
        self.max_retry_time = max_retry_time
        self._queries = QueryBook("neo4j")
        self._driver: Any = None
        self._tx = threading.local()  # .current: the read transaction of `_consistent` running in this thread
        self.calls = 0
        # The data version (data_version): the counter last seen, or committed by this process, and when
        # (time.monotonic()) a read of the store that knew of it at least was sent.
        self.check_seconds = max(0, cache_check_ms) / 1000
        self._version: int | None = None
        self._version_text: str | None = None
        self._seen_at = float("-inf")
        self._local_at = float("-inf")  # when this process's last write transaction began
        self._next_check = 0.0
        self._version_lock = threading.Lock()
        self._checking = threading.Lock()  # held while a background read of the version runs

    def driver_config(self) -> dict[str, Any]:
        """The driver's settings: bounded connection and retry times, so that a request fails within a few
        seconds while Neo4j is down instead of holding a worker thread for the driver's 30 to 60 s."""
        return {
            "connection_timeout": self.connection_timeout,
            # Acquiring may open a connection: longer than that, and a short wait for a busy pool.
            "connection_acquisition_timeout": 2 * self.connection_timeout,
            "max_transaction_retry_time": self.max_retry_time,
            "initial_retry_delay": INITIAL_RETRY_DELAY,
            # The server's notifications (a property key no node has yet, a deprecation) are for people
            # writing queries, which the Cypher lint in the tests checks; at run time the driver would log
            # one warning per statement of a command such as `export`.
            "notifications_min_severity": "OFF",
        }

    def open(self) -> Neo4jStore:
        import neo4j
        from neo4j import exceptions as ne

        try:
            self._driver = neo4j.GraphDatabase.driver(self.uri, auth=self._auth, **self.driver_config())
            self._driver.verify_connectivity()
        except (ne.Neo4jError, ne.DriverError, ValueError) as exc:
            if self._driver is not None:
                self._driver.close()
                self._driver = None
            if isinstance(exc, ValueError):
                raise StoreUnavailable(f"bad NEO4J_URI {self.uri!r}: {exc}") from exc
            raise _translate(exc) from exc
        return self

    def close(self) -> None:
        driver, self._driver = self._driver, None
        if driver is None:
            return
        # A background read of the data version may be using the driver: closing it underneath breaks
        # the driver's connection (a BufferError in its goodbye, sockets left open), so wait for it.
        waited = self._checking.acquire(timeout=VERSION_READ_TIMEOUT + 5)
        try:
            driver.close()
        finally:
            if waited:
                self._checking.release()

    def init(self) -> None:
        format_was = self._write_q("get_meta", {"key": "search_format"})  # init writes: all on the leader
        if not format_was or format_was[0]["value"] != SEARCH_FORMAT:
            self._rewrite_search_fields()
        for q in self._queries.ddl():
            for rel, kind in self._queries.instances(q.name):
                text = self._queries.render(q.name, rel=rel, kind=kind)
                try:
                    self._read_or_write(text, {}, write=True)
                except StoreQueryError as exc:
                    # `IF NOT EXISTS` is no guard against another replica creating the same index at
                    # the same moment: Neo4j refuses the second as already existing. It exists, then,
                    # which is what was asked; once more to be sure (a no-op now).
                    if getattr(exc.__cause__, "code", None) not in SCHEMA_ALREADY_THERE:
                        raise
                    self._read_or_write(text, {}, write=True)
        self._write_q("set_meta", {"key": "search_format", "value": SEARCH_FORMAT})

    def _rewrite_search_fields(self) -> None:
        """A store written before this search format: every node's search fields computed anew, the
        full-text index dropped (the DDL that follows creates it over this format's fields) and the
        token total forgotten (the DDL counts it again)."""
        after = ""
        while True:
            ids = [r["id"] for r in self._write_q("search_ids_after", {"after": after, "limit": REWRITE_BATCH})]
            if not ids:
                break
            rows = [{"id": n.id, "props": _search_props(n)} for n in self.get_nodes(ids)]
            self._write_q("set_search_props", {"rows": rows})
            after = ids[-1]
        self._write_q("drop_search_index")
        self._write_q("forget_search_tokens")
        self._write_q("bump_data_version")  # searches answer anew (none if the counter is not there yet)

    # -- plumbing ------------------------------------------------------------
    def _open_driver(self) -> Any:
        if self._driver is None:
            raise StoreUnavailable("the Neo4j store is not open")
        return self._driver

    def _read_or_write(self, text: str, params: dict[str, Any], *, write: bool = False) -> list[dict[str, Any]]:
        """One statement in its own managed transaction (a read routed READ), or, inside
        ``_consistent``, in that read transaction."""
        import neo4j
        from neo4j import exceptions as ne

        tx = getattr(self._tx, "current", None)
        if tx is not None and not write:
            return [r.data() for r in tx.run(text, params)]
        driver = self._open_driver()
        self.calls += 1
        timeout = _transaction_timeout()
        try:
            records, _, _ = driver.execute_query(
                text if timeout is None else neo4j.Query(text, timeout=timeout),  # type: ignore[arg-type]
                params,
                database_=self.database,
                routing_=neo4j.RoutingControl.WRITE if write else neo4j.RoutingControl.READ,
            )
        except (ne.Neo4jError, ne.DriverError) as exc:
            raise _translate(exc) from exc
        return [r.data() for r in records]

    def _session(self, driver: Any, *, write: bool) -> Any:
        import neo4j

        return driver.session(database=self.database, default_access_mode=neo4j.WRITE_ACCESS if write else
                              neo4j.READ_ACCESS, bookmark_manager=driver.execute_query_bookmark_manager)

    def _consistent(self, read: Callable[[], T]) -> T:
        """``read``, whose queries (through ``_q``) share one managed read transaction: one snapshot,
        one cluster member. The driver may run it again after a lost connection, so it only reads."""
        if getattr(self._tx, "current", None) is not None:
            return read()

        def work(tx: Any) -> T:
            self._tx.current = tx
            try:
                return read()
            finally:
                self._tx.current = None

        return self._managed(work, write=False)

    def _managed(self, work: Callable[[Any], T], *, write: bool) -> T:
        """``work(tx)`` in one managed transaction, read or write, with the request's timeout if any; the
        driver runs it again after a lost connection or a transient error (within ``max_retry_time``)."""
        from neo4j import exceptions as ne

        driver = self._open_driver()
        self.calls += 1
        try:
            with self._session(driver, write=write) as session:
                run = session.execute_write if write else session.execute_read
                return run(_bounded(work))  # type: ignore[no-any-return]
        except (ne.Neo4jError, ne.DriverError) as exc:
            raise _translate(exc) from exc

    def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers a trivial read (readiness): the server
        reachable, the credentials good and the database (NEO4J_DATABASE) online. No retries: a probe
        wants the state now."""
        import neo4j
        from neo4j import exceptions as ne

        driver = self._open_driver()
        try:
            with self._session(driver, write=False) as session:
                session.run(neo4j.Query("RETURN 1", timeout=PING_TIMEOUT)).consume()
        except (ne.Neo4jError, ne.DriverError) as exc:
            raise _translate(exc) from exc

    def _q(self, name: str, params: dict[str, Any] | None = None, **binding: Any) -> list[dict[str, Any]]:
        return self._read_or_write(self._queries.render(name, **binding), params or {})

    def _write_q(self, name: str, params: dict[str, Any] | None = None, **binding: Any) -> list[dict[str, Any]]:
        """A small write in its own transaction (tokens, store values)."""
        return self._read_or_write(self._queries.render(name, **binding), params or {}, write=True)

    # -- search --------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchPage:
        """The page, its facets and its nodes, read in one transaction, so that they agree."""
        return self._consistent(lambda: self._search(query))

    def _near_candidates(self, wanted: list[tuple[str, int]]) -> dict[str, list[str]]:
        """For each (key, edits), the spelling keys Lucene's fuzzy query finds near it (a superset of
        those within reach); every key of the store where Lucene may have stopped short."""
        rows = self._q("search_near_keys", {"wanted": [
            {"key": KEY_MARK + k, "lucene": f"search_key:{KEY_MARK}{k}~{e}", "reach": 2 * e} for k, e in wanted]})
        found = {r["key"].removeprefix(KEY_MARK): [t.removeprefix(KEY_MARK) for t in r["terms"]] for r in rows}
        # Lucene's edits are never stricter than twice ours (a swap is one edit or two), so fewer keys
        # than its limit within twice the reach means it kept every one.
        if any(sum(1 for t in found.get(k, ()) if edit_distance(k, t, 2 * e) <= 2 * e) >= LUCENE_FUZZY_TERMS
               for k, e in wanted):
            every = [t.removeprefix(KEY_MARK) for t in self._q("search_keys_scan")[0]["terms"]]
            return {k: every for k, _ in wanted}
        return found

    def _search(self, query: SearchQuery) -> SearchPage:
        query = dataclasses.replace(query, text=query.text.expanded(self._near_candidates))
        phrases = expression_phrases(query.text)
        expressions = list(dict.fromkeys(p.lucene() for p in phrases))  # a word of several variants: once
        stats = self._q("search_stats", {"expressions": expressions})[0]
        hits = dict(zip(expressions, stats["hits"], strict=True))
        rows_in_all, tokens = int(stats["rows"]), stats["tokens"]
        if tokens is None:  # a store from before the total was kept (until `init` adds it)
            tokens = self._q("search_tokens_scan")[0]["tokens"]
        params: dict[str, Any] = {
            "query": lucene_expression(query.text),
            "kinds": list(query.kinds),
            "domains": list(query.domains),
            "region": query.region or "",
            "unesco": "" if query.unesco is None else ("yes" if query.unesco else "no"),
            **query.visibility.params(),
        }
        scored = [{"words": list(p.words), "prefix": p.prefix, "variant": p.variant, "group": p.group,
                   "fields": list(p.fields), "idf": bm25_idf(rows_in_all, int(hits[p.lucene()]))}
                  for p in phrases]
        rows = self._q("search_page", {
            **params, "offset": query.offset, "limit": query.limit, "weights": KIND_WEIGHTS,
            "phrases": scored, "variants": 1 + max(p.variant for p in phrases),
            "groups": 1 + max(p.group for p in phrases),
            "field_weights": list(SearchText.WEIGHTS), "k1": BM25_K1, "b": BM25_B,
            # Computed as FTS5 does (total tokens / rows), in Python: the same double.
            "avgdl": int(tokens) / rows_in_all if rows_in_all else 1.0,
        })
        summary = self._q("search_facets", params)[0]
        facets = Facets()
        facets.kinds.update(summary["kinds"])
        for depts in summary["departments"]:
            facets.regions.update(depts)
        for domains in summary["domains"]:
            facets.domains.update(domains)
        found = {n.id: n for n in self.get_nodes([r["id"] for r in rows])}
        hits = [(found[r["id"]], float(r["score"])) for r in rows if r["id"] in found]
        return SearchPage(hits, int(summary["total"]), facets, query.text)

    # -- writes --------------------------------------------------------------
    def delete_all(self) -> None:
        """Remove every node, relation and revision (tests and re-imports from scratch), in one write
        transaction."""
        q = self._queries

        def work(tx: Any) -> None:
            tx.run(q.render("delete_revisions")).consume()
            tx.run(q.render("delete_all")).consume()
            tx.run(q.render("reset_search_tokens")).consume()
            return _bumped(tx, q)

        self._committed(lambda: self._managed(work, write=True))

    def apply(self, changes: Changes, progress: Progress | None = None) -> None:
        from neo4j import exceptions as ne

        self._open_driver()
        nodes = changes.nodes
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for n in nodes:
            row = codec.node_row(n) | _search_props(n)
            by_kind[n.kind].append({"id": n.id, "props": _non_null(row)})
        tokens = sum(row["props"]["search_length"] for rows in by_kind.values() for row in rows)
        links = [{"from": n.id, "to": s} for n in nodes for s in n.sources]
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in changes.relations:
            row = codec.relation_row(r)
            by_type[r.rel].append({"from": r.from_id, "to": r.to_id,
                                   "props": _non_null({k: v for k, v in row.items() if k not in ("from", "to")})})
        removed = _by_type([relation_key(r) for r in changes.removed])
        revisions = [_non_null(codec.revision_row(v)) for v in changes.revisions]
        revision_links = [{"revision": v.id, "node": n} for v in changes.revisions for n in v.nodes]
        q = self._queries
        report = progress or (lambda n: None)
        fresh = {k[1] for k, v in changes.expected.items() if k[0] == "node" and v == 0}

        def work(tx: Any) -> int | None:
            found: dict[tuple[str, ...], int] = {}
            ids = [k[1] for k in changes.expected if k[0] == "node"]
            for chunk in chunks(ids):
                for r in tx.run(q.render("lock_nodes"), ids=chunk):
                    found[("node", r["id"])] = codec.stored_version(r["version"])
            for rel, rows in _by_type([k for k in changes.expected if k[0] == "rel"]).items():
                for chunk in chunks(rows):
                    for r in tx.run(q.render("lock_relations", rel=rel), rows=chunk):
                        found[("rel", rel, r["from_id"], r["to_id"])] = codec.stored_version(r["version"])
            check_versions(found, changes.expected)
            # bm25 needs the token total of the whole store (search_stats), moved in this transaction
            # by the lengths the written nodes had (read here, under their locks) and will have.
            before = 0
            for chunk in chunks([n.id for n in nodes if n.id not in fresh]):
                before += int(tx.run(q.render("search_lengths"), ids=chunk).single()["tokens"] or 0)
            for kind, rows in by_kind.items():
                # Checked absent just above: created without MERGE's lookup; the others overwritten.
                for name, part in (("create_nodes", [r for r in rows if r["id"] in fresh]),
                                   ("upsert_nodes", [r for r in rows if r["id"] not in fresh])):
                    for chunk in chunks(part):
                        tx.run(q.render(name, kind=kind), rows=chunk).consume()
                        report(len(chunk))
            # A new node has no links to clear.
            for chunk in chunks([n.id for n in nodes if n.id not in fresh]):
                tx.run(q.render("clear_sources"), ids=chunk).consume()
            for chunk in chunks(links):
                check_written(_written(tx.run(q.render("add_sources"), rows=chunk).single()), len(chunk))
            for rel, rows in removed.items():
                for chunk in chunks(rows):
                    tx.run(q.render("delete_relations", rel=rel), rows=chunk).consume()
            for rel, rows in by_type.items():
                for chunk in chunks(rows):
                    check_written(
                        _written(tx.run(q.render("upsert_relations", rel=rel), rows=chunk).single()), len(chunk)
                    )
                    report(len(chunk))
            for chunk in chunks(revisions):
                tx.run(q.render("add_revisions"), rows=chunk).consume()
            for chunk in chunks(revision_links):
                tx.run(q.render("link_revisions"), rows=chunk).consume()
            if nodes:
                # Last: every writer locks this one value, so each holds it only from here to its commit,
                # and never waits for another lock while holding it (no deadlock between writers).
                tx.run(q.render("add_search_tokens"), delta=tokens - before).consume()
            # After the token total, in every transaction: the two hot nodes are always locked in the same
            # order and last, so a writer holding the version's lock waits for nothing until it commits.
            return _bumped(tx, q)

        try:
            self._committed(lambda: self._managed(work, write=True))
        except StoreQueryError as exc:
            if not isinstance(exc.__cause__, ne.ConstraintError):
                raise
            # Another writer created a node this one found absent and created (create_nodes): the
            # unique constraint on Node.id refused the second, as a version check would have.
            taken = re.search(r"property `id` = '((?:[^'\\]|\\.)*)'", str(exc.__cause__))
            node_id = taken.group(1) if taken else "?"
            raise Conflict(f"{node_id} already exists (another writer created it meanwhile)",
                           key=("node", node_id), current=None) from exc

    def apply_stream(self, changes: Iterable[Changes], progress: Progress | None = None, *,
                     creates_only: bool = False, batched: bool = False) -> None:
        """Batched: each part in its own transaction, committed before the next is made (it then reads
        what the earlier ones wrote). Otherwise the parts are written as one ``apply``: one transaction,
        held in memory whole, in the driver and in the server's transaction memory pool, which is why an
        import past a few hundred thousand records is batched (services/import_stream.py)."""
        if batched:
            for part in changes:
                self.apply(part, progress)
        else:
            self.apply(merged(changes), progress)

    def revisions(self, ids: Sequence[str]) -> list[Revision]:
        if not ids:
            return []
        return [codec.row_revision(r) for r in self._q("revisions_of", {"ids": list(dict.fromkeys(ids))})]

    def revisions_by_op(self, ops: Sequence[str]) -> list[Revision]:
        return [codec.row_revision(r) for r in self._q("revisions_by_op", {"ops": list(ops)})]

    # -- the data version (heritage_graph/api/response_cache.py) -------------
    def data_version(self) -> str | None:
        """The store's write counter (cypher/neo4j/version.cypher), as this process last knew it, with no
        I/O: it is called on the event loop for every anonymous request.

        Several replicas write to one Neo4j, so the value is read again in a background thread at most
        every ``check_seconds / 4`` (``HERITAGE_CACHE_CHECK_MS``), started by the calls that find it
        due; a write committed by this process moves it at once (read your own writes). It is handed
        out only while a read sent less than ``check_seconds`` ago confirms it: another replica's
        write is seen within that bound, and after an idle spell (or while Neo4j cannot be reached)
        the first calls answer None (nothing cached) until a read confirms the value. None as well
        with ``HERITAGE_CACHE_CHECK_MS=0`` (no in-process caching on Neo4j) and on a store whose
        ``init`` has not created the counter."""
        if not self.check_seconds:
            return None
        now = time.monotonic()
        if now >= self._next_check and self._driver is not None and self._checking.acquire(blocking=False):
            # A quarter of the interval: a read slowed down by a busy process still lands within it.
            self._next_check = now + self.check_seconds / 4
            try:
                threading.Thread(target=self._check_version, name="heritage-data-version", daemon=True).start()
            except BaseException:
                self._checking.release()
                raise
        if now - self._seen_at > self.check_seconds:
            return None
        return self._version_text

    def _check_version(self) -> None:
        """The background read of the counter (a read routed READ, with the driver's bookmarks, so that it
        never goes back behind this process's own writes). Not counted in ``calls``: no request makes it."""
        import neo4j

        try:
            sent = time.monotonic()
            driver = self._driver
            if driver is None:
                return
            records, _, _ = driver.execute_query(
                neo4j.Query(self._queries.render("get_data_version"), timeout=VERSION_READ_TIMEOUT),  # type: ignore[arg-type]
                database_=self.database, routing_=neo4j.RoutingControl.READ)
            self._observe_version(int(records[0]["version"]) if records else None, sent)
        except Exception as exc:  # Neo4j down: the value ages out and nothing is cached until it answers
            log.debug("reading the data version failed: %s", exc)
        finally:
            self._checking.release()

    def _observe_version(self, version: int | None, at: float, *, committed: bool = False) -> None:
        """A counter value known to hold at time ``at`` or later: read (sent at ``at``), or ``committed``
        by this process (in a transaction begun at ``at``). A read lower than this process's own commit
        made after the read was sent predates it and is ignored; any other read is taken as it is, lower
        too (a store restored from a backup counts from where the backup was)."""
        with self._version_lock:
            if version is None:  # no counter (a store from before it, until `init`): nothing to vouch for
                self._version = self._version_text = None
                return
            # Lower than held: a commit of this process that another one of its commits has passed, or a
            # read sent before this process's last commit began.
            stale = self._version is not None and version < self._version and (committed or at < self._local_at)
            if committed:
                self._local_at = max(self._local_at, at)
            if not stale and version != self._version:
                self._version, self._version_text = version, str(version)
            self._seen_at = max(self._seen_at, at)

    def _committed(self, write: Callable[[], int | None]) -> None:
        """Run a write transaction that returns the data version it committed, and take that version at
        once. Every commit before the transaction began holds a lower count (each writer holds the
        counter's lock until it commits), so the value stands for everything committed until then."""
        began = time.monotonic()
        version = write()
        if version is not None:
            self._observe_version(version, began, committed=True)


def _transaction_timeout() -> float | None:
    """What remains of the current request's time budget, for its transaction's timeout; None outside
    requests (commands and imports run without one)."""
    deadline = DEADLINE.get()
    return None if deadline is None else max(MIN_TRANSACTION_TIMEOUT, deadline - time.monotonic())


def _bounded(work: Callable[[Any], T]) -> Callable[[Any], T]:
    """``work`` as a unit of work with the current request's transaction timeout, if any."""
    import neo4j

    timeout = _transaction_timeout()
    return work if timeout is None else neo4j.unit_of_work(timeout=timeout)(work)


def _bumped(tx: Any, q: QueryBook) -> int | None:
    """Move the data version by one in transaction ``tx``: its new value, None without a counter."""
    record = tx.run(q.render("bump_data_version")).single()
    return None if record is None else int(record["version"])


def _written(record: Any) -> int:
    return int(record["written"]) if record is not None else 0
