// Full-text search on Neo4j. The embedded store searches with SQLite FTS5
// instead, so these queries exist in this dialect only.

// name: search_page
// One page of matches; $query is Lucene syntax built by the adapter from the
// parsed query. Filters: $kinds ([] = any), $region ("" = anywhere), $domains
// ([] = any), $unesco ("" = either, "yes", "no").
CALL db.index.fulltext.queryNodes("heritage_search", $query) YIELD node, score
WHERE (size($kinds) = 0 OR node.kind IN $kinds)
  AND (size($domains) = 0 OR any(d IN $domains WHERE d IN coalesce(node.domains, [])))
  AND ($unesco = "" OR (node.unesco IS NOT NULL) = ($unesco = "yes"))
  AND ($region = "" OR EXISTS { MATCH (node)-[:LOCATED_IN|COVER_PLACE*0..10]->(:Node {id: $region}) })
WITH node, score * coalesce($weights[node.kind], 1.0) AS weighted
RETURN node.id AS id, weighted AS score
ORDER BY score DESC, id
SKIP $offset LIMIT $limit

// name: search_facets
// The total and the facet counts over every match of the same search.
CALL db.index.fulltext.queryNodes("heritage_search", $query) YIELD node
WHERE (size($kinds) = 0 OR node.kind IN $kinds)
  AND (size($domains) = 0 OR any(d IN $domains WHERE d IN coalesce(node.domains, [])))
  AND ($unesco = "" OR (node.unesco IS NOT NULL) = ($unesco = "yes"))
  AND ($region = "" OR EXISTS { MATCH (node)-[:LOCATED_IN|COVER_PLACE*0..10]->(:Node {id: $region}) })
OPTIONAL MATCH (node)-[:LOCATED_IN|COVER_PLACE*0..10]->(d:Node {kind: "Place", level: "department"})
WITH node, collect(DISTINCT d.id) AS departments
RETURN count(node) AS total, collect(node.kind) AS kinds, collect(departments) AS departments,
       collect(coalesce(node.domains, [])) AS domains
