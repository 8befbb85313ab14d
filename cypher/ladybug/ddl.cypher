// Tables for the embedded store, derived from heritage_graph/schema.py.
// `init` runs these in order; each is safe to run again.

// name: ddl_node_table
// One table holds every kind, so the primary key makes ids unique across kinds.
CREATE NODE TABLE IF NOT EXISTS Node({{NODE_COLUMNS}}, PRIMARY KEY (id))

// name: ddl_relation_tables
// One relation table per relation type; endpoint kinds are checked on import.
CREATE REL TABLE IF NOT EXISTS {{REL}}(FROM Node TO Node, {{REL_COLUMNS}})
