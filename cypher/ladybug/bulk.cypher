// Bulk loading for the embedded store: large batches of new records are
// copied from an Arrow table handed in as $rows (Ladybug's own COPY FROM),
// inside the write transaction, instead of one UNWIND row at a time.
// The table's columns are the target table's columns, in table order
// (heritage_graph/store/ladybug_bulk.py builds it from the `*_table_columns` answers).

// name: node_table_columns
// A table's columns in storage order, which COPY FROM follows (table_info
// takes no parameter; the names here are fixed or from the schema).
CALL table_info('Node') RETURN name, type

// name: relation_table_columns
CALL table_info('{{REL}}') RETURN name, type

// name: revision_table_columns
CALL table_info('Revision') RETURN name, type

// name: copy_nodes
COPY Node FROM $rows

// name: copy_relations
// New relations of one type; a row naming a missing node fails the whole copy.
COPY {{REL}} FROM $rows

// name: copy_revisions
COPY Revision FROM $rows

// name: copy_revision_links
COPY CHANGED FROM $rows

// name: copy_nodes_files
// A large import's spooled parts (store/ladybug_swap.py), one table in one copy:
// LadybugDB's fast path writes an empty table's node groups directly, while
// copies into a table that holds rows go through its transaction's memory.
COPY Node FROM {{FILES}}

// name: copy_relations_files
COPY {{REL}} FROM {{FILES}}

// name: copy_revisions_files
COPY Revision FROM {{FILES}}

// name: copy_revision_links_files
COPY CHANGED FROM {{FILES}}

// name: scan_nodes
// The nodes whose place in the table (the offset of their internal id) lies
// in [$lo, $hi), column by column (a whole-node value costs far more to hand
// over), for rebuilding the search index: the table is read a range at a time
// because Ladybug materialises a whole result before handing any of it over
// (a million nodes at once held some 2.5 GiB).
MATCH (n:Node)
WHERE offset(id(n)) >= $lo AND offset(id(n)) < $hi
RETURN {{NODE_RETURN n}}

// name: node_offsets
// One past the highest place in the node table (deleted nodes leave gaps).
MATCH (n:Node)
RETURN coalesce(max(offset(id(n))) + 1, 0) AS top

// name: scan_relation_ends
// The ends of every relation of one type, for the same rebuild.
MATCH (a:Node)-[:{{REL}}]->(b:Node)
RETURN a.id AS from_id, b.id AS to_id

// name: scan_places
// Every place, for the same rebuild: the place tree is held whole, the other nodes are streamed.
MATCH (n:Node)
WHERE n.kind = "Place"
RETURN {{NODE_RETURN n}}
