// name: count_relations
// How many relations of one type the store holds (the embedded store's backups record the counts;
// the same names here keep both dialects alike).
MATCH ()-[r:{{REL}}]->() RETURN count(r) AS total

// name: count_revisions
MATCH (v:HeritageRevision) RETURN count(v) AS total

// name: count_tokens
MATCH (t:HeritageToken) RETURN count(t) AS total
