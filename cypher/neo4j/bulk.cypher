// Writes only the Neo4j adapter makes (heritage_graph/store/neo4j.py, apply).

// name: create_nodes
// Nodes of one kind that the transaction found absent (lock_nodes returned none of
// them, as the writer expected): CREATE needs no lookup of each id as MERGE does, and
// the unique constraint on Node.id refuses one that another writer created meanwhile.
UNWIND $rows AS r
CREATE (n:Node:{{KIND}})
SET n = r.props
