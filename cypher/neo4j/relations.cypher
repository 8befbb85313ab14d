// name: relations_out
// Relations of the given types leaving the given nodes.
UNWIND $ids AS i
MATCH (a:Node {id: i})-[e]->(b:Node)
WHERE type(e) IN $types
RETURN a.id AS from_id, type(e) AS rel, b.id AS to_id, properties(e) AS props

// name: relations_in
// Relations of the given types reaching the given nodes.
UNWIND $ids AS i
MATCH (a:Node)-[e]->(b:Node {id: i})
WHERE type(e) IN $types
RETURN a.id AS from_id, type(e) AS rel, b.id AS to_id, properties(e) AS props

// name: all_relations
// Every relation of one type, in export order.
MATCH (a:Node)-[e:{{REL}}]->(b:Node)
RETURN a.id AS from_id, b.id AS to_id, properties(e) AS props
ORDER BY from_id, to_id

// name: upsert_relations
// Create or overwrite relations of one type between existing nodes; the count
// lets the adapter refuse a batch that names a missing node.
UNWIND $rows AS r
MATCH (a:Node {id: r.from})
MATCH (b:Node {id: r.to})
MERGE (a)-[e:{{REL}}]->(b)
SET e = r.props
RETURN count(e) AS written

// name: lock_relations
// As lock_nodes, for relations of one type: the lock first, then the version. Both
// ends are found by id first, so that the relation is looked for between them
// (Expand(Into), from the end with fewer relations), not among every relation of a
// place or source that many records name.
UNWIND $rows AS r
MATCH (a:Node {id: r.from})
MATCH (b:Node {id: r.to})
MATCH (a)-[e:{{REL}}]->(b)
SET e._lock = true
REMOVE e._lock
WITH a, b, e
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
// asks shortest_visible_paths when none is).
MATCH (a:Node {id: $from})
MATCH (b:Node {id: $to})
MATCH p = ALL SHORTEST (a)-[:{{TYPES}}]-{1,{{DEPTH}}}(b)
WITH p LIMIT $cap
RETURN [x IN nodes(p) | x.id] AS ids,
  [x IN relationships(p) | {rel: type(x), from_id: startNode(x).id, to_id: endNode(x).id, props: properties(x)}] AS rels

// name: shortest_visible_paths
// As shortest_paths, through nodes the reader may see only: {{VISIBLE}} is the
// quantified path's predicate, so the search never crosses a hidden node.
MATCH (a:Node {id: $from})
MATCH (b:Node {id: $to})
MATCH p = ALL SHORTEST (a) ((:Node)-[:{{TYPES}}]-(n:Node) WHERE true {{VISIBLE}}){1,{{DEPTH}}} (b)
WITH p LIMIT $cap
RETURN [x IN nodes(p) | x.id] AS ids,
  [x IN relationships(p) | {rel: type(x), from_id: startNode(x).id, to_id: endNode(x).id, props: properties(x)}] AS rels
