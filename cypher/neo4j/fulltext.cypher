// Full-text search on Neo4j. The embedded store searches with SQLite FTS5
// instead, so these queries exist in this dialect only.

// name: search_page
// One page of matches; $query is Lucene syntax built by the adapter from the
// parsed query. Filters: $kinds ([] = any), $region ("" = anywhere), $domains
// ([] = any), $unesco ("" = either, "yes", "no"), and what {{VISIBLE}} lets through.
// Regions follow the public view, as the embedded index does: only places anyone
// may see place a record in a region ({{PUBLIC_PLACE}}).
CALL db.index.fulltext.queryNodes("heritage_search", $query) YIELD node AS n, score
WHERE (size($kinds) = 0 OR n.kind IN $kinds)
  AND (size($domains) = 0 OR any(d IN $domains WHERE d IN coalesce(n.domains, [])))
  AND ($unesco = "" OR (n.unesco IS NOT NULL) = ($unesco = "yes"))
  AND ($region = "" OR EXISTS {
        MATCH way = (n)-[:LOCATED_IN|COVER_PLACE*0..10]->(:Node {id: $region})
        WHERE all(x IN nodes(way)[1..] WHERE {{PUBLIC_PLACE}}) })
  {{VISIBLE}}
// Lucene's own score is not used: it gives every prefix match one constant score. The score is
// FTS5's bm25() instead, computed as SQLite does (fts5_aux.c), so that both stores rank alike:
// per phrase, its weighted count in the row's fields ($field_weights, in the order of the index's
// fields), with the idf the adapter computed ($phrases[k].idf), the row's length in tokens
// (n.search_length) against the average ($avgdl). Operations run in SQLite's order, so the
// doubles come out the same and ties fall to the id alike.
// A phrase is sought in its own fields (p.fields: the words as written, or the spelling keys).
WITH n, [t IN [n.search_name, n.search_alt, n.search_summary, n.search_extra, n.search_joined, n.search_key] |
         CASE WHEN t IS NULL OR t = "" THEN [] ELSE split(t, " ") END] AS fields
WITH n, [p IN $phrases |
         reduce(f = 0.0, c IN p.fields |
           f + $field_weights[c] * size([i IN range(0, size(fields[c]) - size(p.words)) WHERE
             all(j IN range(0, size(p.words) - 1) WHERE
               CASE WHEN p.prefix AND j = size(p.words) - 1 THEN fields[c][i + j] STARTS WITH p.words[j]
                    ELSE fields[c][i + j] = p.words[j] END)]))] AS freqs
// A joined-word variant's phrases count only in a row holding every word of it (a word by any of its
// phrases, p.group: as written, by key, by a near key), as in FTS5, where a part of the expression
// that does not match the row reports no occurrences.
WITH n, freqs, [g IN range(0, $groups - 1)
                WHERE any(k IN range(0, size(freqs) - 1) WHERE $phrases[k].group = g AND freqs[k] > 0)] AS present
WITH n, freqs, [v IN range(0, $variants - 1)
                WHERE all(k IN range(0, size(freqs) - 1) WHERE $phrases[k].variant <> v
                                                               OR $phrases[k].group IN present)] AS held
WITH n, [k IN range(0, size(freqs) - 1) |
         CASE WHEN $phrases[k].variant < 0 OR $phrases[k].variant IN held THEN freqs[k] ELSE 0.0 END] AS freqs
WITH n, reduce(s = 0.0, k IN range(0, size(freqs) - 1) |
       s + $phrases[k].idf * ((freqs[k] * ($k1 + 1.0)) /
           (freqs[k] + $k1 * (1 - $b + $b * coalesce(n.search_length, 0) / $avgdl)))) AS bm25
WITH n, bm25 * coalesce($weights[n.kind], 1.0) AS weighted
RETURN n.id AS id, weighted AS score
ORDER BY score DESC, id
SKIP $offset LIMIT $limit

// name: search_stats
// What bm25 needs besides the row itself: the rows of the index (every node), their tokens in all
// (a store value the writes keep, apply; null on a store written before it existed), and how many
// nodes hold each phrase ($expressions, Lucene syntax), hidden ones included, since FTS5's idf
// counts every row of its index too.
MATCH (n:Node)
WITH count(n) AS rows
OPTIONAL MATCH (m:HeritageMeta {key: "search_tokens"})
WITH rows, m.value AS tokens
UNWIND range(0, size($expressions) - 1) AS k
CALL (k) {
  CALL db.index.fulltext.queryNodes("heritage_search", $expressions[k]) YIELD node
  RETURN count(node) AS hits
}
WITH rows, tokens, k, hits ORDER BY k
RETURN rows, tokens, collect(hits) AS hits

// name: search_near_keys
// For each misspelt query word (Lucene's fuzzy syntax, $wanted[i].lucene: its key within so many
// edits), the spelling keys of the nodes it finds, of a length within $wanted[i].reach of it. Lucene
// counts an edit as heritage_graph/search/text.py does or more loosely (a superset); the adapter keeps
// exactly the keys within reach (near_keys), as the embedded store does from its whole vocabulary.
UNWIND $wanted AS w
CALL (w) {
  CALL db.index.fulltext.queryNodes("heritage_search", w.lucene) YIELD node
  UNWIND split(coalesce(node.search_key, ""), " ") AS t
  WITH DISTINCT t WHERE t <> "" AND abs(size(t) - size(w.key)) <= w.reach
  RETURN collect(t) AS terms
}
RETURN w.key AS key, terms

// name: search_keys_scan
// Every spelling key of the store: when a fuzzy query may have stopped at Lucene's limit of terms.
MATCH (n:Node)
UNWIND split(coalesce(n.search_key, ""), " ") AS t
WITH DISTINCT t WHERE t <> ""
RETURN collect(t) AS terms

// name: search_ids_after
// Node ids in order, a page at a time (rewriting the search fields of a store written before).
MATCH (n:Node) WHERE n.id > $after
RETURN n.id AS id ORDER BY id LIMIT $limit

// name: set_search_props
UNWIND $rows AS r
MATCH (n:Node {id: r.id})
SET n += r.props

// name: drop_search_index
DROP INDEX heritage_search IF EXISTS

// name: forget_search_tokens
MATCH (m:HeritageMeta {key: "search_tokens"}) DELETE m

// name: search_tokens_scan
// The tokens of every node, counted: when the store value is missing.
MATCH (n:Node)
RETURN count(n) AS rows, sum(coalesce(n.search_length, 0)) AS tokens

// name: search_facets
// The total and the facet counts over every match of the same search.
CALL db.index.fulltext.queryNodes("heritage_search", $query) YIELD node AS n
WHERE (size($kinds) = 0 OR n.kind IN $kinds)
  AND (size($domains) = 0 OR any(d IN $domains WHERE d IN coalesce(n.domains, [])))
  AND ($unesco = "" OR (n.unesco IS NOT NULL) = ($unesco = "yes"))
  AND ($region = "" OR EXISTS {
        MATCH way = (n)-[:LOCATED_IN|COVER_PLACE*0..10]->(:Node {id: $region})
        WHERE all(x IN nodes(way)[1..] WHERE {{PUBLIC_PLACE}}) })
  {{VISIBLE}}
OPTIONAL MATCH way = (n)-[:LOCATED_IN|COVER_PLACE*0..10]->(d:Node {kind: "Place", level: "department"})
WHERE all(x IN nodes(way)[1..] WHERE {{PUBLIC_PLACE}})
WITH n, collect(DISTINCT d.id) AS departments
RETURN count(n) AS total, collect(n.kind) AS kinds, collect(departments) AS departments,
       collect(coalesce(n.domains, [])) AS domains

// name: search_lengths
// Inside a write transaction, before nodes are overwritten: their tokens until now.
UNWIND $ids AS i
MATCH (n:Node {id: i})
RETURN sum(coalesce(n.search_length, 0)) AS tokens

// name: add_search_tokens
// The store's token total, moved by what a write transaction added and removed (search_stats).
MERGE (m:HeritageMeta {key: "search_tokens"})
SET m.value = coalesce(m.value, 0) + $delta

// name: reset_search_tokens
MERGE (m:HeritageMeta {key: "search_tokens"})
SET m.value = 0
