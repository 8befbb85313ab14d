"""The native floor of issue 15: the best single query each store can run for a figure's answer.

These are bench code, not the service's: one dict of queries per store (LADYBUG, NEO4J), run on a
bare database holding the same rows — on LadybugDB the `COPY FROM` store (bench/bulkload.py) with
the SQLite FTS5 search index built on it (the embedded store's search is that index,
heritage_graph/search/sqlite.py), on Neo4j the rows the suite loaded. Every query applies the
visibility rule the service applies to an anonymous reader (cypher/*/fragments.cypher VISIBLE with
visibility.PUBLIC: status published, sensitivity public, consent not pending, refused or withdrawn),
so that the floor answers the same question as the GraphQL request it is the floor of:

- `node`: the node by id with its relations (every type but DOCUMENTED_BY, both directions) and
  their visible far ends, one MATCH with OPTIONAL MATCH and collect: per direction, or one undirected
  match with the direction read from each relation's start node (`pick`: the faster that agrees);
- `lineage`: the LEARNED_FROM ancestors to depth 12, one recursive query with the visibility rule on
  every node of the walk; two forms per store (a shortest walk and a plain variable-length one): the
  faster of the two that return the same set is the floor (`pick_lineage`);
- `path` (connected, and unconnected within maxDepth): the store's shortest-path operator over the
  relation types the API follows by default (all but DOCUMENTED_BY, FEATURES, COVER_PLACE), both
  directions, maxDepth 8, the visibility rule on every node;
- `search`: one full-text query with the facet counts (kinds, departments, domains) and the first
  page: on LadybugDB one SQLite statement on the FTS5 index, on Neo4j one query on its full-text
  index. The words are expanded as the store does (the spelling tolerance: near keys), before the
  clock starts; the query text is then what the store itself sends.

`answer_size` gives what the suite compares with the service's answers: relations listed, lineage
nodes, path length (None: no path), search total.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from heritage_graph import schema

LINEAGE_DEPTH = 12
PATH_DEPTH = 8
SEARCH_FIRST = 10
NODE_TYPES = [r for r in schema.RELATIONS if r not in schema.DERIVED_RELATIONS]
PATH_TYPES = [r for r in schema.RELATIONS if r not in ("DOCUMENTED_BY", "FEATURES", "COVER_PLACE")]
HIDDEN_CONSENT = ["pending", "refused", "withdrawn"]


def visible(x: str) -> str:
    """VISIBLE of cypher/*/fragments.cypher for visibility.PUBLIC, written out (no community scope)."""
    return (f'coalesce({x}.status, "published") = "published" AND coalesce({x}.sensitivity, "public") = "public" '
            f'AND NOT coalesce({x}.consent_status, "") IN ["pending", "refused", "withdrawn"]')


def _types(types: Sequence[str]) -> str:
    return "|".join(types)


# -- LadybugDB (Kuzu-like Cypher, and SQLite FTS5 for search) -------------------------------------------

LADYBUG: dict[str, str] = {
    "node": (
        f"MATCH (n:Node {{id: $id}}) WHERE {visible('n')} "
        f"OPTIONAL MATCH (n)-[r:{_types(NODE_TYPES)}]->(m:Node) WHERE {visible('m')} "
        "WITH n, collect({type: label(r), to: m.id, kind: m.kind, name: m.name}) AS outs "
        f"OPTIONAL MATCH (n)<-[s:{_types(NODE_TYPES)}]-(k:Node) WHERE {visible('k')} "
        "RETURN n.id, n.kind, n.name, n.summary, outs, "
        "collect({type: label(s), from: k.id, kind: k.kind, name: k.name}) AS ins"),
    # One undirected match: each relation once with its far end, its direction from its start node.
    "node_undirected": (
        f"MATCH (n:Node {{id: $id}}) WHERE {visible('n')} "
        f"OPTIONAL MATCH (n)-[r:{_types(NODE_TYPES)}]-(m:Node) WHERE {visible('m')} "
        "RETURN n.id, n.kind, n.name, n.summary, "
        "collect({type: label(r), out: id(start_node(r)) = id(n), far: m.id, kind: m.kind, name: m.name})"),
    "lineage_shortest": (
        f"MATCH (a:Node {{id: $id}})-[:LEARNED_FROM* SHORTEST 1..{LINEAGE_DEPTH} (r, n | WHERE {visible('n')})]->"
        f"(b:Node) WHERE {visible('a')} AND {visible('b')} AND b.id <> a.id RETURN b.id, b.name"),
    "lineage_walk": (
        f"MATCH (a:Node {{id: $id}})-[:LEARNED_FROM*1..{LINEAGE_DEPTH} (r, n | WHERE {visible('n')})]->(b:Node) "
        f"WHERE {visible('a')} AND {visible('b')} AND b.id <> a.id RETURN DISTINCT b.id, b.name"),
    "path": (
        f"MATCH p = (a:Node {{id: $from}})-[:RELTYPES* SHORTEST 1..{PATH_DEPTH} "
        f"(r, n | WHERE {visible('n')})]-(b:Node {{id: $to}}) WHERE {visible('a')} AND {visible('b')} "
        "RETURN length(p), properties(nodes(p), 'id')"),
    # One statement: the matches once (MATERIALIZED), the first page, the total and the three facets.
    "search": (
        "WITH m AS MATERIALIZED (SELECT d.rowid AS rowid, d.id AS id, d.kind AS kind, "
        "-bm25(fts, {weights}) * ({boost}) AS score FROM fts JOIN docs d ON d.rowid = fts.rowid "
        "WHERE fts MATCH ? AND d.status = 'published' AND d.sensitivity = 'public' "
        "AND (d.consent_status IS NULL OR d.consent_status NOT IN ('pending', 'refused', 'withdrawn'))) "
        f"SELECT * FROM (SELECT 'hit', id, score FROM m ORDER BY score DESC, id LIMIT {SEARCH_FIRST}) "
        "UNION ALL SELECT 'total', NULL, count(*) FROM m "
        "UNION ALL SELECT 'kind', kind, count(*) FROM m GROUP BY kind "
        "UNION ALL SELECT * FROM (SELECT 'region', p.place, count(DISTINCT p.rowid) FROM m CROSS JOIN doc_places p "
        "ON p.rowid = m.rowid WHERE p.department = 1 GROUP BY p.place) "
        "UNION ALL SELECT * FROM (SELECT 'domain', x.domain, count(DISTINCT x.rowid) FROM m CROSS JOIN doc_domains x "
        "ON x.rowid = m.rowid GROUP BY x.domain)"),
}

# -- Neo4j 5 -----------------------------------------------------------------------------------------

_PUBLIC_PLACE = visible("x")
NEO4J: dict[str, str] = {
    "node": (
        f"MATCH (n:Node {{id: $id}}) WHERE {visible('n')} "
        f"OPTIONAL MATCH (n)-[r:{_types(NODE_TYPES)}]->(m:Node) WHERE {visible('m')} "
        "WITH n, collect({type: type(r), to: m.id, kind: m.kind, name: m.name}) AS outs "
        f"OPTIONAL MATCH (n)<-[s:{_types(NODE_TYPES)}]-(k:Node) WHERE {visible('k')} "
        "RETURN n.id, n.kind, n.name, n.summary, outs, "
        "collect({type: type(s), from: k.id, kind: k.kind, name: k.name}) AS ins"),
    "node_undirected": (
        f"MATCH (n:Node {{id: $id}}) WHERE {visible('n')} "
        f"OPTIONAL MATCH (n)-[r:{_types(NODE_TYPES)}]-(m:Node) WHERE {visible('m')} "
        "RETURN n.id, n.kind, n.name, n.summary, "
        "collect({type: type(r), out: startNode(r) = n, far: m.id, kind: m.kind, name: m.name})"),
    "lineage_walk": (
        f"MATCH (a:Node {{id: $id}}) WHERE {visible('a')} "
        f"MATCH p = (a)-[:LEARNED_FROM*1..{LINEAGE_DEPTH}]->(b:Node) WHERE all(x IN nodes(p)[1..] WHERE "
        f"{visible('x')}) AND b.id <> a.id RETURN DISTINCT b.id, b.name"),
    "lineage_qpp": (
        f"MATCH (a:Node {{id: $id}}) WHERE {visible('a')} "
        f"MATCH (a) ((:Node)-[:LEARNED_FROM]->(x:Node WHERE {visible('x')})){{1,{LINEAGE_DEPTH}}} (b:Node) "
        "WHERE b.id <> a.id RETURN DISTINCT b.id, b.name"),
    "path": (
        f"MATCH (a:Node {{id: $from}}), (b:Node {{id: $to}}) WHERE {visible('a')} AND {visible('b')} "
        f"MATCH p = SHORTEST 1 (a)-[:RELTYPES]-{{1,{PATH_DEPTH}}}(b) "
        f"WHERE all(x IN nodes(p) WHERE {visible('x')}) RETURN length(p), [x IN nodes(p) | x.id]"),
    "path_classic": (
        f"MATCH (a:Node {{id: $from}}), (b:Node {{id: $to}}) WHERE {visible('a')} AND {visible('b')} "
        f"MATCH p = shortestPath((a)-[:RELTYPES*1..{PATH_DEPTH}]-(b)) "
        f"WHERE all(x IN nodes(p) WHERE {visible('x')}) RETURN length(p), [x IN nodes(p) | x.id]"),
    "search": (
        'CALL db.index.fulltext.queryNodes("heritage_search", $query) YIELD node AS n, score '
        f"WHERE {visible('n')} "
        "OPTIONAL MATCH way = (n)-[:LOCATED_IN|COVER_PLACE*0..10]->(d:Node {kind: \"Place\", level: \"department\"}) "
        f"WHERE all(x IN nodes(way)[1..] WHERE {_PUBLIC_PLACE}) "
        "WITH n, score, collect(DISTINCT d.id) AS departments ORDER BY score DESC, n.id "
        "WITH collect({id: n.id, kind: n.kind, domains: coalesce(n.domains, []), departments: departments}) AS found "
        f"RETURN size(found) AS total, [h IN found[0..{SEARCH_FIRST}] | h.id] AS hits, [h IN found | h.kind] AS kinds, "
        "[h IN found | h.departments] AS departments, [h IN found | h.domains] AS domains"),
}

# The forms tried for a figure; the fastest of those whose answers agree with the first form's wins.
NODE_FORMS = {"ladybug": ("node", "node_undirected"), "neo4j": ("node", "node_undirected")}
LINEAGE_FORMS = {"ladybug": ("lineage_shortest", "lineage_walk"), "neo4j": ("lineage_walk", "lineage_qpp")}
PATH_FORMS = {"ladybug": ("path",), "neo4j": ("path", "path_classic")}


# -- running them ----------------------------------------------------------------------------------------


class Native:
    """A bare database and the queries of its store; ``run(figure, probe)`` answers one probe."""

    kind = ""

    def __init__(self) -> None:
        self.forms = {"node": NODE_FORMS[self.kind][0], "lineage": LINEAGE_FORMS[self.kind][0],
                      "path": PATH_FORMS[self.kind][0]}
        # The relation types each path figure follows (RELTYPES in the queries): the API's default,
        # unless the suite chose others for the unconnected pairs (suite.choose_unconnected).
        self.path_types: dict[str, list[str]] = {"path": PATH_TYPES, "path_unconnected": PATH_TYPES}
        self._search_prepared: dict[str, Any] = {}

    @staticmethod
    def text(queries: dict[str, str], name: str, types: Sequence[str] | None = None) -> str:
        return queries[name].replace("RELTYPES", _types(types or PATH_TYPES))

    def close(self) -> None:  # pragma: no cover - each store's own
        raise NotImplementedError

    def query(self, name: str, params: dict[str, Any], types: Sequence[str] | None = None
              ) -> list[list[Any]]:  # pragma: no cover
        raise NotImplementedError

    def prepare_search(self, text: str) -> Any:  # pragma: no cover
        raise NotImplementedError

    def search(self, prepared: Any) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def call(self, figure: str, probe: Any) -> Any:
        """The native answer to one probe of a figure (the suite's figure names)."""
        if figure == "node":
            rows = self.query(self.forms["node"], {"id": probe})
            return rows[0] if rows else None
        if figure == "lineage":
            return self.query(self.forms["lineage"], {"id": probe["id"]})
        if figure.startswith("path"):
            rows = self.query(self.forms["path"], {"from": probe[0], "to": probe[1]}, self.path_types[figure])
            return rows[0] if rows else None
        if figure == "search":
            return self.search(self._search_prepared[probe])
        raise ValueError(figure)

    def prepare(self, figure: str, probes: Sequence[Any]) -> None:
        """What a store does before it sends a search (the near keys of misspelt words), untimed."""
        if figure == "search":
            for p in probes:
                if p not in self._search_prepared:
                    self._search_prepared[p] = self.prepare_search(p)

    def pick(self, figure: str, forms: Sequence[str], probes: Sequence[Any], params: Callable[[Any], dict[str, Any]],
             key: Callable[[list[list[Any]]], Any], tries: int = 3) -> dict[str, Any]:
        """The fastest of ``forms`` among those answering every probe as the first form does (``key``
        of the rows); every form's median, and which disagreed."""
        answers: dict[str, list[Any]] = {}
        medians: dict[str, float] = {}
        for form in forms:
            times: list[float] = []
            got: list[Any] = []
            for p in probes:
                best = float("inf")
                for _ in range(tries):
                    t = time.perf_counter()
                    rows = self.query(form, params(p))
                    best = min(best, (time.perf_counter() - t) * 1000)
                got.append(key(rows))
                times.append(best)
            answers[form] = got
            medians[form] = round(sorted(times)[len(times) // 2], 3) if times else 0.0
        reference = answers[forms[0]]
        agree = [f for f in forms if answers[f] == reference]
        chosen = min(agree, key=lambda f: medians[f])
        self.forms[figure] = chosen
        return {"chosen": chosen, "median_ms": medians, "disagree": [f for f in forms if f not in agree]}


class LadybugNative(Native):
    """The `COPY FROM` store's graph file opened by `ladybug` itself, and its search index by sqlite3."""

    kind = "ladybug"

    def __init__(self, db: Path, buffer_pool_mb: int = 1024) -> None:
        import ladybug

        from heritage_graph.search.sqlite import SqliteIndex
        from heritage_graph.search.text import KIND_WEIGHTS, SearchText
        from heritage_graph.store.ladybug import GRAPH_FILE, SEARCH_FILE

        super().__init__()
        self._db = ladybug.Database(str(db / GRAPH_FILE), buffer_pool_size=buffer_pool_mb << 20)
        self._conn = ladybug.Connection(self._db)
        self._index = SqliteIndex(db / SEARCH_FILE)  # for the near keys only (prepare_search)
        self._sql = sqlite3.connect(db / SEARCH_FILE, check_same_thread=False)
        boost = "CASE d.kind " + " ".join(f"WHEN '{k}' THEN {w}" for k, w in KIND_WEIGHTS.items()) + " ELSE 1 END"
        self._search_sql = LADYBUG["search"].format(weights=", ".join(str(w) for w in SearchText.WEIGHTS),
                                                    boost=boost)

    def close(self) -> None:
        self._sql.close()
        self._index.close()
        self._conn.close()
        self._db.close()

    def query(self, name: str, params: dict[str, Any], types: Sequence[str] | None = None) -> list[list[Any]]:
        result = self._conn.execute(self.text(LADYBUG, name, types), params)
        rows = []
        while result.has_next():
            rows.append(result.get_next())
        return rows

    def prepare_search(self, text: str) -> str:
        from heritage_graph.search.sqlite import fts_expression
        from heritage_graph.search.text import parse_query

        return fts_expression(parse_query(text).expanded(self._index.key_candidates))

    def search(self, prepared: str) -> dict[str, Any]:
        out: dict[str, Any] = {"hits": [], "total": 0, "kind": Counter(), "region": Counter(), "domain": Counter()}
        for what, key, value in self._sql.execute(self._search_sql, (prepared,)):
            if what == "hit":
                out["hits"].append(key)
            elif what == "total":
                out["total"] = value
            else:
                out[what][key] = value
        return out


class Neo4jNative(Native):
    """The Neo4j the suite loaded, through the official driver: one auto-commit query per probe."""

    kind = "neo4j"

    def __init__(self, env: dict[str, str]) -> None:
        import neo4j

        super().__init__()
        self._driver = neo4j.GraphDatabase.driver(env["NEO4J_URI"], auth=(env.get("NEO4J_USER", "neo4j"),
                                                                          env.get("NEO4J_PASSWORD", "")),
                                                    notifications_min_severity="OFF")  # unknown types: warnings
        self._database = env.get("NEO4J_DATABASE") or "neo4j"
        self._session = self._driver.session(database=self._database)
        self._env = env
        self._store: Any = None

    def close(self) -> None:
        self._session.close()
        self._driver.close()
        if self._store is not None:
            self._store.close()

    def query(self, name: str, params: dict[str, Any], types: Sequence[str] | None = None) -> list[list[Any]]:
        return [list(r.values()) for r in self._session.run(self.text(NEO4J, name, types), params)]

    def prepare_search(self, text: str) -> str:
        from heritage_graph.search.text import parse_query
        from heritage_graph.store.neo4j import Neo4jStore, lucene_expression

        if self._store is None:
            e = self._env
            self._store = Neo4jStore(e["NEO4J_URI"], e.get("NEO4J_USER", "neo4j"), e.get("NEO4J_PASSWORD"),
                                     self._database).open()
        return lucene_expression(parse_query(text).expanded(self._store._near_candidates))

    def search(self, prepared: str) -> dict[str, Any]:
        [row] = self._session.run(NEO4J["search"], {"query": prepared}).values()
        total, hits, kinds, departments, domains = row
        return {"hits": hits, "total": total, "kind": Counter(kinds),
                "region": Counter(d for ds in departments for d in ds),
                "domain": Counter(d for ds in domains for d in ds)}


def node_size(row: list[Any]) -> int:
    """The relations a `node` row lists (an OPTIONAL MATCH that found none collects one of nulls)."""
    return sum(1 for rels in row[4:] for x in rels if any(x.get(k) is not None for k in ("to", "from", "far")))


def answer_size(figure: str, answer: Any) -> float | None:
    """Relations listed, lineage nodes, path length, search total; None for no answer (no path)."""
    if answer is None:
        return None
    if figure == "node":
        return node_size(answer)
    if figure == "lineage":
        return len(answer)
    if figure.startswith("path"):
        return answer[0]
    return answer["total"]


def unconnected(native: Native, candidates: Sequence[Sequence[str]], want: int, *,
                seconds: float = 120.0, figure: str = "path_unconnected") -> list[list[str]]:
    """The candidate pairs the native shortest-path query finds no path for within PATH_DEPTH, in the
    candidates' order, at most ``want`` (and no longer than ``seconds`` of looking)."""
    kept: list[list[str]] = []
    started = time.perf_counter()
    for a, b in candidates:
        if len(kept) >= want or time.perf_counter() - started > seconds:
            break
        if a != b and native.call(figure, [a, b]) is None:
            kept.append([a, b])
    return kept
