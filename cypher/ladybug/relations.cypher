// name: relations_out
// Relations of the given types leaving the given nodes.
UNWIND $ids AS i
MATCH (a:Node {id: i})-[e]->(b:Node)
WHERE label(e) IN $types
RETURN a.id AS from_id, label(e) AS rel, b.id AS to_id, e AS props

// name: relations_in
// Relations of the given types reaching the given nodes.
UNWIND $ids AS i
MATCH (a:Node)-[e]->(b:Node {id: i})
WHERE label(e) IN $types
RETURN a.id AS from_id, label(e) AS rel, b.id AS to_id, e AS props

// name: all_relations
// Every relation of one type, in export order.
MATCH (a:Node)-[e:{{REL}}]->(b:Node)
RETURN a.id AS from_id, b.id AS to_id, e AS props
ORDER BY from_id, to_id

// name: upsert_relations
// Create or overwrite relations of one type between existing nodes; the count
// lets the adapter refuse a batch that names a missing node. Two MATCH clauses,
// not one with a comma: Ladybug plans the comma form as a cross product of scans.
UNWIND $rows AS r
MATCH (a:Node {id: r.from})
MATCH (b:Node {id: r.to})
MERGE (a)-[e:{{REL}}]->(b)
SET {{REL_SET e r}}
RETURN count(e) AS written

// name: lock_relations
// As lock_nodes, for relations of one type.
UNWIND $rows AS r
MATCH (a:Node {id: r.from})-[e:{{REL}}]->(b:Node {id: r.to})
SET e.version = e.version
RETURN a.id AS from_id, b.id AS to_id, e.version AS version

// name: delete_relations
// Remove relations of one type (their history stays in the revisions).
UNWIND $rows AS r
MATCH (a:Node {id: r.from})-[e:{{REL}}]->(b:Node {id: r.to})
DELETE e
RETURN count(*) AS deleted

// name: shortest_paths
// Every shortest connection between $from and $to of at most {{DEPTH}}
// relations of the types {{TYPES}}, in either direction, at most $cap of them,
// blind to visibility (the service keeps those through visible nodes only, and
// asks shortest_visible_paths when none is). `iids` and the relations'
// _SRC/_DST tell which way each relation points.
MATCH p = (a:Node {id: $from})-[:{{TYPES}}* ALL SHORTEST 1..{{DEPTH}}]-(b:Node {id: $to})
RETURN list_transform(nodes(p), x -> x.id) AS ids, list_transform(nodes(p), x -> id(x)) AS iids, rels(p) AS rels
LIMIT $cap

// name: shortest_visible_paths
// As shortest_paths, through nodes the reader may see only: {{VISIBLE}} is the
// recursive pattern's node predicate.
MATCH p = (a:Node {id: $from})-[:{{TYPES}}* ALL SHORTEST 1..{{DEPTH}} (r, n | WHERE true {{VISIBLE}})]-(b:Node {id: $to})
RETURN list_transform(nodes(p), x -> x.id) AS ids, list_transform(nodes(p), x -> id(x)) AS iids, rels(p) AS rels
LIMIT $cap
