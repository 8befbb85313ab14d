// name: get_meta
// A store-wide value, or no row.
MATCH (m:HeritageMeta {key: $key}) RETURN m.value AS value

// name: set_meta
MERGE (m:HeritageMeta {key: $key}) SET m.value = $value
