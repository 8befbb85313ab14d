// name: count_relations
// How many relations of one type the store holds (a backup's manifest records the counts,
// and a restore checks them).
MATCH ()-[r:{{REL}}]->() RETURN count(r) AS total

// name: count_revisions
MATCH (v:Revision) RETURN count(v) AS total

// name: count_tokens
MATCH (t:Token) RETURN count(t) AS total
