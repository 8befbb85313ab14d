"""The production store: Neo4j 5 through the official ``neo4j`` driver.

Every node carries the ``Node`` label (unique ``id``) and its kind as a second
label, so Neo4j Browser users see ``(:Node:Tradition)``; relation types are the
schema's own. Reads run as auto-commit read queries; a ``write`` is one managed
write transaction, which the driver retries on transient errors.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ..errors import Conflict, StoreError, StoreQueryError, StoreUnavailable
from ..model import Changes, Node, Revision, relation_key
from ..search.model import Facets, SearchPage, SearchQuery
from ..search.text import KIND_WEIGHTS, ParsedQuery, SearchText, match_expression, search_text
from . import codec
from .base import Progress, WriteByApply, check_versions, check_written, chunks
from .base import by_type as _by_type
from .cypher import QueryBook
from .cypher_reads import CypherReads
from .tokens import CypherTokens


def _translate(exc: Exception) -> StoreError:
    from neo4j import exceptions as ne

    if isinstance(exc, ne.AuthError):
        return StoreUnavailable(f"Neo4j refused the credentials (check NEO4J_USER / NEO4J_PASSWORD): {exc}")
    if isinstance(exc, ne.ServiceUnavailable | ne.SessionExpired):
        return StoreUnavailable(f"cannot reach Neo4j (check NEO4J_URI): {exc}")
    if isinstance(exc, ne.TransientError):
        err = StoreError(f"Neo4j transient error, try again: {exc}")
        err.retryable = True
        return err
    return StoreQueryError(str(exc))


def _search_props(node: Node) -> dict[str, str]:
    text = search_text(node)
    return {f"search_{name}": value for name, value in zip(SearchText.FIELDS, text.values(), strict=True)}


def lucene_expression(q: ParsedQuery) -> str:
    """Lucene syntax for the full-text index: the same semantics as the FTS5 expression."""
    return match_expression(q, lambda t: f"{t}*")


def _non_null(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v is not None}


class Neo4jStore(CypherReads, CypherTokens, WriteByApply):
    dialect = "neo4j"
    inline_reads = False

    def __init__(self, uri: str, user: str, password: str | None, database: str = "neo4j") -> None:
        self.uri = uri
        self._auth = (user, password or "")
        self.database = database
        self._queries = QueryBook("neo4j")
        self._driver: Any = None
        self.calls = 0

    def open(self) -> Neo4jStore:
        import neo4j
        from neo4j import exceptions as ne

        try:
            self._driver = neo4j.GraphDatabase.driver(self.uri, auth=self._auth)
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
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def init(self) -> None:
        for q in self._queries.ddl():
            for rel, kind in self._queries.instances(q.name):
                self._read_or_write(self._queries.render(q.name, rel=rel, kind=kind), {}, write=True)

    # -- plumbing ------------------------------------------------------------
    def _read_or_write(self, text: str, params: dict[str, Any], *, write: bool = False) -> list[dict[str, Any]]:
        import neo4j
        from neo4j import exceptions as ne

        if self._driver is None:
            raise StoreUnavailable("the Neo4j store is not open")
        self.calls += 1
        try:
            records, _, _ = self._driver.execute_query(
                text,
                params,
                database_=self.database,
                routing_=neo4j.RoutingControl.WRITE if write else neo4j.RoutingControl.READ,
            )
        except (ne.Neo4jError, ne.DriverError) as exc:
            raise _translate(exc) from exc
        return [r.data() for r in records]

    def _q(self, name: str, params: dict[str, Any] | None = None, **binding: str) -> list[dict[str, Any]]:
        return self._read_or_write(self._queries.render(name, **binding), params or {})

    def _write_q(self, name: str, params: dict[str, Any] | None = None, **binding: str) -> list[dict[str, Any]]:
        """A small write in its own transaction (tokens, store values)."""
        return self._read_or_write(self._queries.render(name, **binding), params or {}, write=True)

    # -- search --------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchPage:
        params: dict[str, Any] = {
            "query": lucene_expression(query.text),
            "kinds": list(query.kinds),
            "domains": list(query.domains),
            "region": query.region or "",
            "unesco": "" if query.unesco is None else ("yes" if query.unesco else "no"),
            **query.visibility.params(),
        }
        rows = self._q("search_page", {**params, "offset": query.offset, "limit": query.limit,
                                       "weights": KIND_WEIGHTS})
        summary = self._q("search_facets", params)[0]
        facets = Facets()
        facets.kinds.update(summary["kinds"])
        for depts in summary["departments"]:
            facets.regions.update(depts)
        for domains in summary["domains"]:
            facets.domains.update(domains)
        found = {n.id: n for n in self.get_nodes([r["id"] for r in rows])}
        hits = [(found[r["id"]], float(r["score"])) for r in rows if r["id"] in found]
        return SearchPage(hits, int(summary["total"]), facets)

    # -- writes --------------------------------------------------------------
    def delete_all(self) -> None:
        """Remove every node, relation and revision (tests and re-imports from scratch)."""
        self._read_or_write(self._queries.render("delete_revisions"), {}, write=True)
        self._read_or_write(self._queries.render("delete_all"), {}, write=True)

    def apply(self, changes: Changes, progress: Progress | None = None) -> None:
        from neo4j import exceptions as ne

        if self._driver is None:
            raise StoreUnavailable("the Neo4j store is not open")
        nodes = changes.nodes
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for n in nodes:
            row = codec.node_row(n) | _search_props(n)
            by_kind[n.kind].append({"id": n.id, "props": _non_null(row)})
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

        def work(tx: Any) -> None:
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

        self.calls += 1
        try:
            with self._driver.session(database=self.database) as session:
                session.execute_write(work)
        except ne.ConstraintError as exc:
            # Another writer created a node this one expected to create (create_nodes).
            taken = re.search(r"property `id` = '((?:[^'\\]|\\.)*)'", str(exc))
            raise Conflict(f"a node written here was created meanwhile by another writer: {exc.message}",
                           key=("node", taken.group(1) if taken else "?"), current=None) from exc
        except (ne.Neo4jError, ne.DriverError) as exc:
            raise _translate(exc) from exc

    def revisions(self, ids: Sequence[str]) -> list[Revision]:
        if not ids:
            return []
        return [codec.row_revision(r) for r in self._q("revisions_of", {"ids": list(dict.fromkeys(ids))})]

    def revisions_by_op(self, ops: Sequence[str]) -> list[Revision]:
        return [codec.row_revision(r) for r in self._q("revisions_by_op", {"ops": list(ops)})]

    def data_version(self) -> None:
        """None: several service replicas write to one Neo4j, so no value held here knows of their
        writes, and asking the server on every request would cost what a cache hit saves. Responses
        are not cached in process on Neo4j; ETags and 304s work all the same (docs/graphql.md)."""
        return None


def _written(record: Any) -> int:
    return int(record["written"]) if record is not None else 0
