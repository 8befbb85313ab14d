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

// name: ddl_revision_table
// Every write's revision: who, when, which operation, the record before and after.
CREATE NODE TABLE IF NOT EXISTS Revision(id STRING, target STRING, op STRING, actor STRING, at STRING,
  reason STRING, version INT64, before STRING, after STRING, PRIMARY KEY (id))

// name: ddl_changed_table
// Links a revision to the node it changed (and to both ends of a relation it changed).
CREATE REL TABLE IF NOT EXISTS CHANGED(FROM Revision TO Node)

// name: ddl_token_table
// API tokens: a hash of each secret, never the secret (heritage_graph/store/tokens.py).
CREATE NODE TABLE IF NOT EXISTS Token(id STRING, hash STRING, name STRING, role STRING, community STRING,
  created_at STRING, revoked_at STRING, last_used_at STRING, PRIMARY KEY (id))

// name: ddl_user_table
// Web workspace users: an Argon2id hash of each password, never the password (store/accounts.py).
CREATE NODE TABLE IF NOT EXISTS User(username STRING, password_hash STRING, role STRING, community STRING,
  created_at STRING, disabled_at STRING, password_changed_at STRING, PRIMARY KEY (username))

// name: ddl_session_table
// Sign-in sessions, keyed by the SHA-256 hash of the cookie's secret.
CREATE NODE TABLE IF NOT EXISTS Session(id STRING, username STRING, created_at STRING, seen_at STRING,
  PRIMARY KEY (id))
