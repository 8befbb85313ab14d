// name: get_meta
// A store-wide value, or no row.
MATCH (m:Meta {key: $key}) RETURN m.value AS value

// name: set_meta
MERGE (m:Meta {key: $key}) SET m.value = $value
