// Full-text search on Neo4j. The embedded store searches with SQLite FTS5
// instead, so these queries exist in this dialect only.

// name: search_page
// One page of matches; $query is Lucene syntax built by the adapter from the
// parsed query. Filters: $kinds ([] = any), $region ("" = anywhere), $domains
// ([] = any), $unesco ("" = either, "yes", "no"), and what {{VISIBLE}} lets through.
// Regions follow the public view, as the embedded index does: only places anyone
// may see place a record in a region ({{PUBLIC_PLACE}}).
CALL db.index.fulltext.queryNodes("heritage_search", $query) YIELD node AS n, score
WHERE (size($kinds) = 0 OR n.kind IN $kinds)
  AND (size($domains) = 0 OR any(d IN $domains WHERE d IN coalesce(n.domains, [])))
  AND ($unesco = "" OR (n.unesco IS NOT NULL) = ($unesco = "yes"))
  AND ($region = "" OR EXISTS {
        MATCH way = (n)-[:LOCATED_IN|COVER_PLACE*0..10]->(:Node {id: $region})
        WHERE all(x IN nodes(way)[1..] WHERE {{PUBLIC_PLACE}}) })
  {{VISIBLE}}
WITH n, score * coalesce($weights[n.kind], 1.0) AS weighted
RETURN n.id AS id, weighted AS score
ORDER BY score DESC, id
SKIP $offset LIMIT $limit

// name: search_facets
// The total and the facet counts over every match of the same search.
CALL db.index.fulltext.queryNodes("heritage_search", $query) YIELD node AS n
WHERE (size($kinds) = 0 OR n.kind IN $kinds)
  AND (size($domains) = 0 OR any(d IN $domains WHERE d IN coalesce(n.domains, [])))
  AND ($unesco = "" OR (n.unesco IS NOT NULL) = ($unesco = "yes"))
  AND ($region = "" OR EXISTS {
        MATCH way = (n)-[:LOCATED_IN|COVER_PLACE*0..10]->(:Node {id: $region})
        WHERE all(x IN nodes(way)[1..] WHERE {{PUBLIC_PLACE}}) })
  {{VISIBLE}}
OPTIONAL MATCH way = (n)-[:LOCATED_IN|COVER_PLACE*0..10]->(d:Node {kind: "Place", level: "department"})
WHERE all(x IN nodes(way)[1..] WHERE {{PUBLIC_PLACE}})
WITH n, collect(DISTINCT d.id) AS departments
RETURN count(n) AS total, collect(n.kind) AS kinds, collect(departments) AS departments,
       collect(coalesce(n.domains, [])) AS domains
