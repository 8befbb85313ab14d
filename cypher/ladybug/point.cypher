// Point queries for the embedded store: one id per call, as a scalar
// $parameter. Ladybug (0.22) plans `UNWIND $ids AS i MATCH (a {id: i})-[e]->(b)`
// as a hash join over a scan of the whole relation table (about 0.3 s at
// 200,000 nodes, whatever the list's length), while the same pattern with a
// scalar id is a primary-key lookup (about 0.1 ms). The adapter runs these once
// per id for short lists and the UNWIND forms only for long ones
// (heritage_graph/store/ladybug.py, POINT_MAX; timings in BENCHMARKS.md).

// name: get_node
MATCH (n:Node {id: $id}) RETURN n

// name: node_sources
MATCH (n:Node {id: $id})-[:DOCUMENTED_BY]->(s:Node) RETURN s.id AS id

// name: relations_out_one
MATCH (a:Node {id: $id})-[e]->(b:Node)
WHERE label(e) IN $types
RETURN a.id AS from_id, label(e) AS rel, b.id AS to_id, e AS props

// name: relations_in_one
MATCH (a:Node)-[e]->(b:Node {id: $id})
WHERE label(e) IN $types
RETURN a.id AS from_id, label(e) AS rel, b.id AS to_id, e AS props

// name: child_places_one
MATCH (c:Node)-[:LOCATED_IN]->(p:Node {id: $id})
WHERE c.kind = "Place"
RETURN c.id AS id

// name: ids_within_kinds_one
// The ids of several kinds located directly in the place $id (or with it as cover
// place): a region's count over every kind it counts in one call per place.
MATCH (n:Node)-[:LOCATED_IN|COVER_PLACE]->(p:Node {id: $id})
WHERE list_contains($kinds, n.kind)
  {{VISIBLE}}
RETURN n.id AS id

// name: ids_within_one
// The ids of one kind located directly in the place $id (or with it as cover
// place), as list_nodes_within filters them; the adapter unites, pages and counts.
MATCH (n:Node)-[:LOCATED_IN|COVER_PLACE]->(p:Node {id: $id})
WHERE n.kind = $kind
  AND ($domain = "" OR list_contains(n.domains, $domain))
  {{VISIBLE}}
RETURN n.id AS id

// name: revisions_of_one
MATCH (v:Revision)-[:CHANGED]->(n:Node {id: $id})
RETURN v.id AS id, v.target AS target, v.op AS op, v.actor AS actor, v.at AS at, v.reason AS reason,
  v.version AS version, v.before AS before, v.after AS after

// name: lock_node
// Inside a write transaction: the node's version, locked until the transaction ends.
MATCH (n:Node {id: $id})
SET n.version = n.version
RETURN n.id AS id, n.version AS version

// name: lock_relation
MATCH (a:Node {id: $from})-[e:{{REL}}]->(b:Node {id: $to})
SET e.version = e.version
RETURN a.id AS from_id, b.id AS to_id, e.version AS version

// name: clear_node_sources
MATCH (n:Node {id: $id})-[e:DOCUMENTED_BY]->(:Node)
DELETE e

// name: delete_relation
MATCH (a:Node {id: $from})-[e:{{REL}}]->(b:Node {id: $to})
DELETE e
RETURN count(*) AS deleted

// name: update_nodes
// Overwrite nodes that exist. MATCH, not MERGE: Ladybug looks an UNWIND row's id
// up by primary key in a MATCH, but plans MERGE as a scan of the table.
UNWIND $rows AS r
MATCH (n:Node {id: r.id})
SET {{NODE_SET n r}}
RETURN count(n) AS written

// name: create_nodes
UNWIND $rows AS r
CREATE (n:Node {id: r.id})
SET {{NODE_SET n r}}
RETURN count(n) AS written
