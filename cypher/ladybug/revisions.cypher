// name: add_revisions
// Revisions are written in the same transaction as the change they record.
UNWIND $rows AS r
CREATE (v:Revision {id: r.id, target: r.target, op: r.op, actor: r.actor, at: r.at,
  reason: CAST(r.reason AS STRING), version: r.version, before: CAST(r.before AS STRING),
  after: CAST(r.after AS STRING)})

// name: link_revisions
UNWIND $rows AS r
MATCH (v:Revision {id: r.revision})
MATCH (n:Node {id: r.node})
CREATE (v)-[:CHANGED]->(n)

// name: revisions_of
// The revisions of these nodes and of their relations, oldest first.
UNWIND $ids AS i
MATCH (v:Revision)-[:CHANGED]->(n:Node {id: i})
RETURN DISTINCT v.id AS id, v.target AS target, v.op AS op, v.actor AS actor, v.at AS at, v.reason AS reason,
  v.version AS version, v.before AS before, v.after AS after
ORDER BY at, id

// name: revisions_by_op
// Every revision recorded by one of the operations $ops (open change proposals are
// found this way), oldest first.
MATCH (v:Revision)
WHERE v.op IN $ops
RETURN v.id AS id, v.target AS target, v.op AS op, v.actor AS actor, v.at AS at, v.reason AS reason,
  v.version AS version, v.before AS before, v.after AS after
ORDER BY at, id

// name: delete_revisions
// Empty the history: used by the test suite on stores it created, never by the API.
MATCH (v:Revision) DETACH DELETE v
