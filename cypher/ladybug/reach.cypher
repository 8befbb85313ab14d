// The reach of a lineage in one recursive query: on the embedded store only.
// Neo4j (5.26) plans `SHORTEST 1 (a)-[:R]->{1,12}(b)` with an open end by
// enumerating paths: on a lineage of 12 levels of 30 teachers each, each of
// whom learned from every teacher of the level above, it ran past 120 s
// (tests/test_store_calls.py). There the service keeps its level-by-level
// search (services/graph.py), one store call per level.

// name: lineage_ancestors
// A lineage's reach in one recursive query: every node reached from $id along
// {{REL}} relations (out), each once at its shortest depth up to {{DEPTH}}, with
// the relations of that type reaching it (`nears`: their other ends) and its
// sources. Blind to
// visibility: Ladybug (0.22) evaluates a recursive pattern's node predicate by
// scanning the whole node table first (40 ms for one column at 200,000 nodes,
// 2 s with the VISIBLE fragment's EXISTS), while the reach of a lineage is a few
// dozen nodes; the service judges those and walks them again through the
// visible ones only (services/graph.py).
MATCH (a:Node {id: $id})-[p:{{REL}}* SHORTEST 1..{{DEPTH}}]->(b:Node)
WITH b, length(p) AS depth
OPTIONAL MATCH (x:Node)-[e:{{REL}}]->(b)
WITH b, depth, collect(x.id) AS nears, collect(e) AS rels
OPTIONAL MATCH (b)-[:DOCUMENTED_BY]->(s:Node)
RETURN b AS n, depth, nears, rels, collect(s.id) AS sources

// name: lineage_descendants
// As lineage_ancestors, along {{REL}} relations reaching $id (in).
MATCH (a:Node {id: $id})<-[p:{{REL}}* SHORTEST 1..{{DEPTH}}]-(b:Node)
WITH b, length(p) AS depth
OPTIONAL MATCH (b)-[e:{{REL}}]->(x:Node)
WITH b, depth, collect(x.id) AS nears, collect(e) AS rels
OPTIONAL MATCH (b)-[:DOCUMENTED_BY]->(s:Node)
RETURN b AS n, depth, nears, rels, collect(s.id) AS sources
