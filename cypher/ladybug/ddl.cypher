// Tables for the embedded store, derived from heritage_graph/schema.py.
// `init` runs these in order; each is safe to run again.

// name: ddl_node_table
// One table holds every kind, so the primary key makes ids unique across kinds.
CREATE NODE TABLE IF NOT EXISTS Node({{NODE_COLUMNS}}, PRIMARY KEY (id))

// name: ddl_relation_tables
// One relation table per relation type; endpoint kinds are checked on import.
CREATE REL TABLE IF NOT EXISTS {{REL}}(FROM Node TO Node, {{REL_COLUMNS}})

// name: ddl_node_columns
// Adds the columns a newer schema defines to a store created by an older one.
{{ADD_NODE_COLUMNS}}

// name: ddl_relation_columns
{{ADD_REL_COLUMNS}}

// name: ddl_meta_table
// Store-wide values, e.g. the write generation the search index is checked against.
CREATE NODE TABLE IF NOT EXISTS Meta(key STRING, value STRING, PRIMARY KEY (key))
