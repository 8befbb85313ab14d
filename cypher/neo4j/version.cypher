// The store's data version (Neo4jStore.data_version): a counter on one HeritageMeta node, created by
// `init` (ddl_data_version), moved by one in every write transaction that changes the inventory, and
// read by each replica at most once per HERITAGE_CACHE_CHECK_MS. Neo4j only: the embedded store has
// one writing process, which knows its own generation (cypher/ladybug/meta.cypher).

// name: bump_data_version
// The data version moved by one inside a write transaction, as its last statement: every writer locks
// this one node, so each holds it only from here to its commit, and waits for no other lock meanwhile.
// No row on a store whose `init` has not created the counter yet (nothing is cached on it then).
MATCH (m:HeritageMeta {key: "data_version"})
SET m.value = m.value + 1
RETURN m.value AS version

// name: get_data_version
// The data version, as the replicas' writes left it.
MATCH (m:HeritageMeta {key: "data_version"}) RETURN m.value AS version
