// Constraints and indexes for Neo4j 5, derived from heritage_graph/schema.py.
// `init` runs these in order; each is safe to run again.

// name: ddl_node_id
// Every node carries the Node label, so ids are unique across kinds.
CREATE CONSTRAINT heritage_node_id IF NOT EXISTS FOR (n:Node) REQUIRE n.id IS UNIQUE

// name: ddl_node_kind
CREATE INDEX heritage_node_kind IF NOT EXISTS FOR (n:Node) ON (n.kind)

// name: ddl_meta_key
CREATE CONSTRAINT heritage_meta_key IF NOT EXISTS FOR (m:HeritageMeta) REQUIRE m.key IS UNIQUE

// name: ddl_fulltext
// Full-text index over the normalised search fields the adapter writes on each
// node (see heritage_graph/search/text.py); the text is already folded, so the
// whitespace analyzer keeps the words exactly as the query sends them.
// A store written by an older version gets the index anew (Neo4jStore.init, search format).
CREATE FULLTEXT INDEX heritage_search IF NOT EXISTS
FOR (n:Node) ON EACH [n.search_name, n.search_alt, n.search_summary, n.search_extra, n.search_joined,
                      n.search_key]
OPTIONS {indexConfig: {`fulltext.analyzer`: "whitespace"}}

// name: ddl_search_tokens
// A store written before nodes carried search_length gets it, and the token total bm25 needs
// (cypher/neo4j/fulltext.cypher, search_stats), once: nothing runs when the total exists.
OPTIONAL MATCH (m:HeritageMeta {key: "search_tokens"})
WITH m WHERE m IS NULL
CALL () {
  MATCH (n:Node) WHERE n.search_length IS NULL
  SET n.search_length = reduce(t = 0, f IN [n.search_name, n.search_alt, n.search_summary, n.search_extra,
                                            n.search_joined, n.search_key] |
                               t + size([w IN split(coalesce(f, ""), " ") WHERE w <> ""]))
}
CALL () {
  MATCH (n:Node)
  RETURN sum(n.search_length) AS tokens
}
MERGE (s:HeritageMeta {key: "search_tokens"})
SET s.value = tokens

// name: ddl_revision_id
CREATE CONSTRAINT heritage_revision_id IF NOT EXISTS FOR (v:HeritageRevision) REQUIRE v.id IS UNIQUE

// name: ddl_token_id
// API tokens: a hash of each secret, never the secret (heritage_graph/store/tokens.py).
CREATE CONSTRAINT heritage_token_id IF NOT EXISTS FOR (t:HeritageToken) REQUIRE t.id IS UNIQUE

// name: ddl_token_hash
// Also the index token_by_hash looks tokens up with.
CREATE CONSTRAINT heritage_token_hash IF NOT EXISTS FOR (t:HeritageToken) REQUIRE t.hash IS UNIQUE

// name: ddl_user_name
// Web workspace users: an Argon2id hash of each password, never the password (store/accounts.py).
CREATE CONSTRAINT heritage_user_name IF NOT EXISTS FOR (u:HeritageUser) REQUIRE u.username IS UNIQUE

// name: ddl_session_id
// Sign-in sessions, keyed by the SHA-256 hash of the cookie's secret.
CREATE CONSTRAINT heritage_session_id IF NOT EXISTS FOR (s:HeritageSession) REQUIRE s.id IS UNIQUE

// name: ddl_await_indexes
// Last: a replica that starts while another one creates the indexes waits until they are online,
// since a search against a populating full-text index would silently miss records.
CALL db.awaitIndexes(300)

// name: ddl_data_version
// The store's data version (Neo4jStore.data_version): a counter every write transaction moves by one,
// last (bump_data_version). Created at 0 when missing; an existing counter is left as it is.
MERGE (m:HeritageMeta {key: "data_version"})
ON CREATE SET m.value = 0
