// name: count_all
// How many nodes the store holds (serve seeds an empty store).
MATCH (n:Node) RETURN count(n) AS total

// name: get_nodes
// Nodes by id, each with the ids of its sources.
UNWIND $ids AS i
MATCH (n:Node {id: i})
OPTIONAL MATCH (n)-[:DOCUMENTED_BY]->(s:Node)
RETURN properties(n) AS n, collect(s.id) AS sources

// name: list_nodes
// A page of one kind, ordered by id, between $after and $before (excluded; "" for
// no bound); $domain "" means any domain (null parameters have no type
// in Ladybug, so "" stands for "no filter"); only what {{VISIBLE}} lets through.
MATCH (n:Node)
WHERE n.kind = $kind
  {{IN_WINDOW}}
  {{VISIBLE}}
WITH n ORDER BY n.id LIMIT $limit
OPTIONAL MATCH (n)-[:DOCUMENTED_BY]->(s:Node)
WITH n, collect(s.id) AS sources
RETURN properties(n) AS n, sources ORDER BY n.id

// name: list_nodes_from_end
// As list_nodes, the last $limit of the window (read from its end; the adapter puts
// them back in id order).
MATCH (n:Node)
WHERE n.kind = $kind
  {{IN_WINDOW}}
  {{VISIBLE}}
WITH n ORDER BY n.id DESC LIMIT $limit
OPTIONAL MATCH (n)-[:DOCUMENTED_BY]->(s:Node)
WITH n, collect(s.id) AS sources
RETURN properties(n) AS n, sources ORDER BY n.id

// name: list_nodes_within
// As list_nodes, for nodes located directly in one of the places $within (a
// story is where its cover place is).
UNWIND $within AS w
MATCH (n:Node)-[:LOCATED_IN|COVER_PLACE]->(p:Node {id: w})
WHERE n.kind = $kind
  {{IN_WINDOW}}
  {{VISIBLE}}
WITH DISTINCT n
WITH n ORDER BY n.id LIMIT $limit
OPTIONAL MATCH (n)-[:DOCUMENTED_BY]->(s:Node)
WITH n, collect(s.id) AS sources
RETURN properties(n) AS n, sources ORDER BY n.id

// name: list_nodes_within_from_end
// As list_nodes_within, the last $limit of the window (read from its end; the adapter puts
// them back in id order).
UNWIND $within AS w
MATCH (n:Node)-[:LOCATED_IN|COVER_PLACE]->(p:Node {id: w})
WHERE n.kind = $kind
  {{IN_WINDOW}}
  {{VISIBLE}}
WITH DISTINCT n
WITH n ORDER BY n.id DESC LIMIT $limit
OPTIONAL MATCH (n)-[:DOCUMENTED_BY]->(s:Node)
WITH n, collect(s.id) AS sources
RETURN properties(n) AS n, sources ORDER BY n.id

// name: count_kind
MATCH (n:Node)
WHERE n.kind = $kind AND ($domain = "" OR $domain IN n.domains)
  {{VISIBLE}}
RETURN count(n) AS total

// name: count_kind_within
UNWIND $within AS w
MATCH (n:Node)-[:LOCATED_IN|COVER_PLACE]->(p:Node {id: w})
WHERE n.kind = $kind AND ($domain = "" OR $domain IN n.domains)
  {{VISIBLE}}
RETURN count(DISTINCT n) AS total

// name: upsert_nodes
// Create or overwrite nodes of one kind: `SET n = ...` drops absent properties.
UNWIND $rows AS r
MERGE (n:Node {id: r.id})
SET n = r.props, n:{{KIND}}

// name: clear_sources
// Drop the DOCUMENTED_BY links of these nodes before they are written again.
UNWIND $ids AS i
MATCH (n:Node {id: i})-[e:DOCUMENTED_BY]->(:Node)
DELETE e

// name: add_sources
UNWIND $rows AS r
MATCH (n:Node {id: r.from})
MATCH (s:Node {id: r.to})
CREATE (n)-[e:DOCUMENTED_BY]->(s)
RETURN count(e) AS written

// name: child_places
// Places located directly in the given places (a region filter walks these down).
UNWIND $ids AS i
MATCH (c:Node)-[:LOCATED_IN]->(p:Node {id: i})
WHERE c.kind = "Place"
RETURN DISTINCT c.id AS id

// name: delete_all
// Empty the store: used by the test suite on stores it created, never by the API.
MATCH (n:Node) DETACH DELETE n

// name: lock_nodes
// Inside a write transaction: the current versions, with the nodes locked
// against other writers until the transaction ends. The lock is taken first
// (a write that reads nothing) and the version read after it: with
// `SET n.version = n.version` Neo4j read the version before waiting for the
// lock and wrote that stale value back, so two writers based on the same
// version both passed the check, and one update was lost.
UNWIND $ids AS i
MATCH (n:Node {id: i})
SET n._lock = true
REMOVE n._lock
WITH n
RETURN n.id AS id, n.version AS version
