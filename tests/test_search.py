"""Full-text search: the matching rules on every store, facets, the derived
index's consistency with the graph, and the GraphQL field."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from heritage_graph.errors import InvalidInput
from heritage_graph.model import Node, Relation
from heritage_graph.search.model import SearchQuery
from heritage_graph.search.sqlite import fts_expression
from heritage_graph.search.text import (
    BM25_B,
    BM25_K1,
    KEY_MARK,
    ParsedQuery,
    Phrase,
    SearchText,
    bm25_idf,
    edit_distance,
    expression_phrases,
    fold,
    matched_name,
    near_keys,
    parse_query,
    raw_words,
    search_text,
    spelling_key,
    words,
)
from heritage_graph.services.discovery import search
from heritage_graph.services.paging import window
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import SEARCH_FILE, LadybugStore

from .conftest import Client, GraphQLClient

SRC = Node("Source", "src", "Fuente", properties={"title": "Informe", "type": "web"})
PE = Node("Place", "pe", "Perú", properties={"level": "country"}, sources=("src",))
CUS = Node("Place", "pe-cusco", "Cusco", properties={"level": "department"}, sources=("src",))
QUI = Node("Place", "pe-cusco-quispicanchi", "Quispicanchi", properties={"level": "province"}, sources=("src",))
AYA = Node("Place", "pe-ayacucho", "Ayacucho", properties={"level": "department"}, sources=("src",))
QOY = Node("Tradition", "qoy", "Señor de Qoyllur Rit'i", names={"es": "Peregrinación al Señor de Qoyllur Rit’i",
                                                                  "qu": "Quyllur Rit'i"},
           summary={"en": "A pilgrimage to a glacier sanctuary."},
           properties={"domains": ["social-practices", "performing-arts"],
                       "unesco": {"list": "representative", "year": 2011}}, sources=("src",))
TIJ = Node("Tradition", "tijeras", "Danza de Tijeras", summary={"es": "Danza ritual de Ayacucho."},
           properties={"domains": ["performing-arts"]}, sources=("src",))
PUCA = Node("Recipe", "puca", "Puca picante", properties={"ingredients": ["potato", "peanut", "ají panca"]},
            sources=("src",))
NODES = [SRC, PE, CUS, QUI, AYA, QOY, TIJ, PUCA]
RELS = [Relation("LOCATED_IN", "pe-cusco", "pe"), Relation("LOCATED_IN", "pe-ayacucho", "pe"),
        Relation("LOCATED_IN", "pe-cusco-quispicanchi", "pe-cusco"),
        Relation("LOCATED_IN", "qoy", "pe-cusco-quispicanchi"), Relation("LOCATED_IN", "tijeras", "pe-ayacucho"),
        Relation("LOCATED_IN", "puca", "pe-ayacucho")]


def ids(store: Store, text: str, **kw: object) -> list[str]:
    return [n.id for n, _ in store.search(SearchQuery(parse_query(text), **kw)).hits]  # type: ignore[arg-type]


@pytest.fixture
def filled(store: Store) -> Store:
    store.write(NODES, RELS)
    return store


def test_folding() -> None:
    assert fold("Señor de Qoyllur Rit’i") == "senor de qoyllur riti"
    assert words("QOYLLURIT'I") == ["qoyluriti"] == words("Qoylluriti")
    assert words("Ayacucho, Perú") == ["ayacucho", "peru"]


@pytest.mark.parametrize("text", ["qoyllurit'i", "Qoyllur Rit’i", "qoylluriti", "QOYLLUR RITI", "quyllur", "senor",
                                  "rit'i señor", "peregrinacion"])
def test_the_ways_people_type_a_name(filled: Store, text: str) -> None:
    assert "qoy" in ids(filled, text)


def test_accents_prefixes_and_all_words(filled: Store) -> None:
    assert ids(filled, "tijeras") == ["tijeras"]
    assert "pe-ayacucho" in ids(filled, "ayacuch")
    assert ids(filled, "danza ayacucho") == ["tijeras"]  # both words, in any order, across fields
    assert ids(filled, "danza cusco") == []


def test_phrases(filled: Store) -> None:
    assert ids(filled, '"danza de tijeras"') == ["tijeras"]
    assert ids(filled, '"tijeras de danza"') == []


def test_ingredients_are_searched(filled: Store) -> None:
    assert ids(filled, "aji panca") == ["puca"]


def test_filters(filled: Store) -> None:
    assert ids(filled, "danza", kinds=("Recipe",)) == []
    assert ids(filled, "qoyllur", region="pe-cusco") == ["qoy"]
    assert ids(filled, "qoyllur", region="pe-ayacucho") == []
    assert ids(filled, "danza", domains=("social-practices",)) == []
    assert ids(filled, "pilgrimage", unesco=True) == ["qoy"]
    assert ids(filled, "danza", unesco=True) == []


def test_facets_count_every_match(filled: Store) -> None:
    page = filled.search(SearchQuery(parse_query("a"), limit=1))
    assert page.total > 1 and len(page.hits) == 1
    assert sum(page.facets.kinds.values()) == page.total
    page = filled.search(SearchQuery(parse_query("danza"), limit=0))
    assert page.total == 1 and page.hits == []
    assert dict(page.facets.regions) == {"pe-ayacucho": 1}
    assert dict(page.facets.domains) == {"performing-arts": 1}


def test_paging_is_stable(filled: Store) -> None:
    everything = ids(filled, "a", limit=50)
    pages = [n for off in range(0, len(everything), 2) for n in ids(filled, "a", offset=off, limit=2)]
    assert pages == everything


def test_the_index_follows_writes(filled: Store) -> None:
    filled.write([Node("Tradition", "tijeras", "Atipanakuy", sources=("src",))], [])
    assert ids(filled, "tijeras") == []
    assert ids(filled, "atipanakuy") == ["tijeras"]
    # moving a place moves what is in it
    filled.write([], [Relation("LOCATED_IN", "pe-cusco-quispicanchi", "pe-ayacucho")])
    assert ids(filled, "qoyllur", region="pe-ayacucho") == ["qoy"]


@pytest.mark.parametrize("bad", ["", "   ", "''", '""', "x" * 501, " ".join(f"w{i}" for i in range(13))])
def test_bad_queries_say_why(bad: str) -> None:
    with pytest.raises(InvalidInput, match="query:"):
        parse_query(bad)


def test_service_checks_arguments(filled: Store) -> None:
    with pytest.raises(InvalidInput, match="first must be between 0 and 200"):
        window(first=201, cap=200)
    with pytest.raises(InvalidInput, match="not a node kind"):
        search(filled, "danza", kinds=["Dragon"])
    hit = search(filled, "tijeras").hits[0]
    assert hit.snippet == "Danza de <mark>Tijeras</mark>"


# -- the embedded index is derived and self-healing --------------------------------
def _ladybug(path: Path) -> LadybugStore:
    s = LadybugStore(path).open()
    s.init()
    return s


def _spoil(db: Path) -> None:
    """As if the process died after the graph commit and before the index commit."""
    index = sqlite3.connect(db / SEARCH_FILE)
    index.execute("DELETE FROM fts WHERE rowid IN (SELECT rowid FROM docs WHERE id = 'tijeras')")
    index.execute("UPDATE meta SET value = '0' WHERE key = 'generation'")
    index.commit()
    index.close()


def _outdate(db: Path) -> None:
    """As if the index was written by an older version."""
    index = sqlite3.connect(db / SEARCH_FILE)
    index.execute("UPDATE meta SET value = 'old' WHERE key = 'format'")
    index.execute("DELETE FROM fts")
    index.commit()
    index.close()


def _format_one(db: Path) -> None:
    """An index as version 1 wrote it: no consent column, no communities table."""
    (db / SEARCH_FILE).unlink()
    index = sqlite3.connect(db / SEARCH_FILE)
    index.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('format', '1'), ('generation', '1');
        CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
                           unesco INTEGER NOT NULL, sensitivity TEXT NOT NULL, status TEXT NOT NULL);""")
    index.close()


def _garble(db: Path) -> None:
    (db / SEARCH_FILE).write_bytes(b"not a database" * 100)


@pytest.mark.parametrize("damage", [lambda db: (db / SEARCH_FILE).unlink(), _spoil, _outdate, _format_one, _garble],
                         ids=["deleted", "behind-the-graph", "older-format", "format-1-tables", "garbled"])
def test_a_stale_index_is_rebuilt_when_the_store_opens(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    s = _ladybug(tmp_path / "db")
    s.write(NODES, RELS)
    s.close()
    damage(tmp_path / "db")
    s = _ladybug(tmp_path / "db")
    try:
        assert ids(s, "tijeras") == ["tijeras"]
    finally:
        s.close()


# -- over GraphQL ---------------------------------------------------------------------
SEARCH = """query($q: String!, $first: Int, $after: String, $region: ID, $kinds: [Kind!], $unesco: Boolean) {
  search(query: $q, first: $first, after: $after, region: $region, kinds: $kinds, unesco: $unesco) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { score snippet node { id kind name } }
    facets { kinds { kind count } regions { id count place { name } } domains { domain count } }
  }
}"""


@pytest.mark.parametrize("spelling", ["qoyllurit'i", "Qoyllur Rit’i", "qoylluriti"])
def test_a_researcher_finds_the_pilgrimage_however_spelled(gql: GraphQLClient, spelling: str) -> None:
    data = gql(SEARCH, q=spelling, first=5)["search"]
    assert data["edges"][0]["node"]["id"] == "qoylluriti-pilgrimage"
    assert "<mark>" in data["edges"][0]["snippet"]
    assert data["facets"]["regions"][0] == {"id": "pe-cusco", "count": data["facets"]["regions"][0]["count"],
                                            "place": {"name": "Cusco"}}


def test_facets_are_over_all_matches(gql: GraphQLClient) -> None:
    data = gql(SEARCH, q="ayacucho", first=2)["search"]
    assert len(data["edges"]) == 2 and data["pageInfo"]["hasNextPage"]
    assert sum(k["count"] for k in data["facets"]["kinds"]) == data["totalCount"]
    regions = {r["id"]: r["count"] for r in data["facets"]["regions"]}
    assert regions["pe-ayacucho"] > 2


def test_search_pages_through_all_matches(gql: GraphQLClient) -> None:
    seen, after = [], None
    while True:
        data = gql(SEARCH, q="danza", first=3, after=after)["search"]
        seen += [e["node"]["id"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == data["totalCount"]


def test_search_filters_over_graphql(gql: GraphQLClient) -> None:
    data = gql(SEARCH, q="danza", region="pe-puno", kinds=["TRADITION"])["search"]
    assert data["totalCount"] > 0
    assert all(e["node"]["kind"] == "TRADITION" for e in data["edges"])
    unesco = gql(SEARCH, q="danza", unesco=True)["search"]
    assert 0 < unesco["totalCount"] < gql(SEARCH, q="danza")["search"]["totalCount"]


def test_empty_query_is_a_clear_error(gql: GraphQLClient) -> None:
    errors = gql.errors(SEARCH, q="  ")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at least one word" in errors[0]["message"]


def test_query_expressions_for_both_engines() -> None:
    from heritage_graph.search.sqlite import fts_expression
    from heritage_graph.store.neo4j import lucene_expression

    q = parse_query('Qoyllur Rit’i "danza de tijeras"')
    assert fts_expression(q) == ('"danza de tijeras" AND ((("qoylur"* OR "_kuyur"*) AND ("riti"* OR "_riti"*)) OR '
                                 '(("qoyluriti"* OR "_kuyuriti"*)))')
    assert lucene_expression(q) == ('"danza de tijeras" AND (((qoylur* OR _kuyur*) AND (riti* OR _riti*)) OR '
                                    '((qoyluriti* OR _kuyuriti*)))')
    near = replace(q, near=(("qoylur", ("kuyuri",)),))
    assert '("qoylur"* OR "_kuyur"* OR "_kuyuri")' in fts_expression(near)
    assert "(qoylur* OR _kuyur* OR _kuyuri)" in lucene_expression(near)


HOSTILE = ('Qoyllur <script>alert("x")</script> de <img src=x onerror=alert(1)> &amp; '
           "<mark>marca</mark> falsa & 'comillas'")


def test_snippets_escape_stored_markup_and_keep_only_their_own_marks(filled: Store) -> None:
    filled.write([Node("Tradition", "hostile", "Fiesta hostil", summary={"es": HOSTILE}, sources=("src",))], [])
    hit = next(h for h in search(filled, "qoyllur marca", lang="es").hits if h.node.id == "hostile")
    text = hit.snippet
    assert "<script" not in text and "<img" not in text and "&lt;script&gt;" in text and "&lt;img" in text
    assert text.count("<mark>") == text.count("</mark>") == 2  # qoyllur and marca; the stored <mark> is text
    assert "<mark>&lt;mark&gt;marca&lt;/mark&gt;</mark>" in text and "&amp;amp;" in text and "&#x27;" in text
    stripped = text.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def _bm25_reference(rows: dict[int, list[list[str]]], q: ParsedQuery) -> dict[int, float]:
    """bm25() as the Neo4j adapter computes it (cypher/neo4j/fulltext.cypher, search_page), in Python:
    the phrases of expression_phrases, a variant's words counted only where the row holds them all."""
    phrases = expression_phrases(q)
    weights = SearchText.WEIGHTS

    def count(p: Phrase, field: list[str]) -> int:
        n = len(p.words)
        return sum(all(field[i + j].startswith(w) if p.prefix and j == n - 1 else field[i + j] == w
                       for j, w in enumerate(p.words)) for i in range(len(field) - n + 1))

    total = sum(len(f) for fields in rows.values() for f in fields)
    avgdl = total / len(rows)
    idf = [bm25_idf(len(rows), sum(any(count(p, fields[c]) for c in p.fields) for fields in rows.values()))
           for p in phrases]
    scores = {}
    for rowid, fields in rows.items():
        freqs = [sum(weights[c] * count(p, fields[c]) for c in p.fields) for p in phrases]
        present = {p.group for p, f in zip(phrases, freqs, strict=True) if f}
        held = {p.variant for p in phrases} - {p.variant for p in phrases if p.group not in present}
        quoted = all(f for p, f in zip(phrases, freqs, strict=True) if p.variant < 0)
        if not quoted or (q.terms and not held - {-1}):
            continue
        length = sum(len(f) for f in fields)
        score = 0.0
        for k, p in enumerate(phrases):
            f = freqs[k] if p.variant < 0 or p.variant in held else 0.0
            score += idf[k] * ((f * (BM25_K1 + 1.0)) / (f + BM25_K1 * (1 - BM25_B + BM25_B * length / avgdl)))
        scores[rowid] = score
    return scores


@pytest.mark.parametrize("seed", range(6))
def test_fts5_bm25_is_the_formula_the_neo4j_adapter_computes(seed: int) -> None:
    """The Neo4j adapter ranks with FTS5's bm25() computed in Cypher, so that both stores order hits
    alike (tests/test_parity.py compares them whole). This pins the rule it implements against SQLite
    itself, on random rows and queries with joined-word variants, repeated words, quoted phrases,
    spelling keys and near keys: the same doubles, not merely close ones."""
    rng = random.Random(seed)
    vocab = ["ab", "abc", "b", "bc", "c", "ca", "d", "abcd", "qoy", "qoyluriti", "riti"]
    keys = ["ab", "abk", "kui", "kuyuriti", "riti", "kab", "d"]  # as the key field writes them, marked
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE fts USING fts5({', '.join(SearchText.FIELDS)}, "
               f"tokenize = \"unicode61 remove_diacritics 2 tokenchars '{KEY_MARK}'\")")
    rows = {}
    for rowid in range(1, 81):
        fields = [[KEY_MARK + rng.choice(keys) if c in SearchText.KEY_FIELDS else rng.choice(vocab)
                   for _ in range(rng.randint(0, 4))] for c in range(len(SearchText.FIELDS))]
        rows[rowid] = fields
        db.execute(f"INSERT INTO fts (rowid, {', '.join(SearchText.FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (rowid, *(" ".join(f) for f in fields)))
    weights = ", ".join(str(w) for w in SearchText.WEIGHTS)
    for _ in range(25):
        text = " ".join(rng.choice(vocab[:6]) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            text += ' "' + " ".join(rng.choice(vocab[:4]) for _ in range(2)) + '"'
        q = parse_query(text)
        if rng.random() < 0.5:
            q = replace(q, near=tuple((t, tuple(rng.sample(keys, rng.randint(1, 2)))) for t, _ in q.keys))
        got = dict(db.execute(f"SELECT rowid, -bm25(fts, {weights}) FROM fts WHERE fts MATCH ?",
                              (fts_expression(q),)).fetchall())
        assert got == _bm25_reference(rows, q), text


# -- spellings, typos, alternate names (docs/search.md) ---------------------------------
@pytest.mark.parametrize(("one", "other"), [
    ("Qosqo", "Cusco"), ("Qusqu", "Cuzco"), ("Huachipaeri", "Huachipaire"), ("Witite", "Wititi"),
    ("Sápara", "Zápara"), ("Q'eswachaka", "Keshwachaca"), ("Quyllur", "Qoyllur"), ("Chayru", "Chairo"),
    ("Chawlla", "Chaulla"), ("Jilaqata", "Hilacata"), ("Wayllaq'epa", "Huayllaquepa"), ("Ccollana", "Qollana"),
    ("Cebiche", "seviche"), ("Guaman", "Waman"), ("Uari", "Huari"), ("thimpu", "timpo"), ("Kero", "Quero"),
])
def test_spellings_of_one_name_share_a_key(one: str, other: str) -> None:
    assert spelling_key(raw_words(one)[0]) == spelling_key(raw_words(other)[0])


@pytest.mark.parametrize(("one", "other"), [("Lima", "Puno"), ("pata", "bata"), ("Cusco", "Cuzcar")])
def test_different_names_keep_different_keys(one: str, other: str) -> None:
    assert spelling_key(raw_words(one)[0]) != spelling_key(raw_words(other)[0])


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance, the whole table (the reference for the bounded one)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_the_bounded_edit_distance_agrees_with_the_whole_table() -> None:
    rng = random.Random(1)
    for _ in range(3000):
        a, b = ("".join(rng.choice("abc") for _ in range(rng.randint(0, 7))) for _ in range(2))
        for limit in (0, 1, 2, 4):
            assert edit_distance(a, b, limit) == min(_osa(a, b), limit + 1), (a, b, limit)


def test_edit_distance_counts_swaps_as_one_edit() -> None:
    assert edit_distance("ayacucho", "ayacuhco", 2) == 1
    assert edit_distance("kusku", "kusku", 1) == 0
    assert edit_distance("kusku", "kaskaa", 1) == 2  # beyond the limit: limit + 1
    assert near_keys("wacipiri", 2, ["wacipairi", "wacipiri", "wacipirima", "kusku"]) == ("wacipairi",)


SPELT = [Node("Tradition", "witite", "Danza del wititi", sources=("src",)),
         Node("Tradition", "witite-fold", "Witite de Cabanaconde", sources=("src",)),
         Node("Community", "wachi", "Pueblo huachipaire", names={"qu": "Harakbut Wachipaeri"}, sources=("src",)),
         Node("Place", "qosqo", "Cusco", properties={"level": "city"}, sources=("src",)),
         Node("Recipe", "chiriuchu", "Chiriuchu", summary={"es": "Plato frío del Corpus Christi."}, sources=("src",)),
         Node("Recipe", "chairo", "Chairo puneño", sources=("src",))]


@pytest.fixture
def spelt(store: Store) -> Store:
    store.write([SRC, *SPELT], [])
    return store


@pytest.mark.parametrize(("text", "found"), [
    ("qosqo", "qosqo"), ("kusku", "qosqo"), ("cuzco", "qosqo"), ("chayru punenyo", "chairo"), ("chayru", "chairo"),
    ("chayru lima", None),
    ("wachiperi", "wachi"), ("harakbut huachipaeri", "wachi"), ("witite cabanaconde", "witite-fold"),
])
def test_spellings_and_alternate_names_find_the_record(spelt: Store, text: str, found: str | None) -> None:
    hits = ids(spelt, text)
    assert (found in hits) if found else hits == []


def test_an_exact_spelling_ranks_above_a_folded_one(spelt: Store) -> None:
    assert ids(spelt, "wititi")[:2] == ["witite", "witite-fold"]
    assert ids(spelt, "witite")[:2] == ["witite-fold", "witite"]


@pytest.mark.parametrize(("text", "found"), [
    ("chiriucho", True),   # one edit in 9 letters (and o/u fold)
    ("chirixxhu", True),   # two edits in 9 letters
    ("chrixxhu", False),   # three edits
    ("chairp", True),      # one edit in 6 letters
    ("chaxrp", False),     # two edits in 6 letters
    ("chirk", False),      # 5 letters: one edit from no indexed key
    ("cuzcu", True),       # a spelling, not a typo
    ("cusc", True),        # a prefix
    ("cuzxo", True),       # one edit in 5 letters
    ("cxs", False),        # under 5 letters: no typos
])
def test_typos_are_forgiven_by_word_length(spelt: Store, text: str, found: bool) -> None:
    assert bool(ids(spelt, text)) is found


def test_a_typo_ranks_below_an_exact_match(store: Store) -> None:
    store.write([SRC, Node("Recipe", "exact", "Chairo", sources=("src",)),
                 Node("Recipe", "typo", "Chairu", sources=("src",)),
                 Node("Recipe", "typo2", "Chaira", sources=("src",))], [])
    # (A spelling and a typo both rank below the word as written; between them bm25 decides: the rarer
    # key first.)
    found = ids(store, "chairo")
    assert found[0] == "exact" and set(found) == {"exact", "typo", "typo2"}


def test_the_hit_says_which_name_matched(spelt: Store) -> None:
    by_id = {h.node.id: h for h in search(spelt, "wachipaeri").hits}
    assert by_id["wachi"].matched_name == "Harakbut Wachipaeri"
    assert "<mark>Wachipaeri</mark>" in by_id["wachi"].snippet
    assert search(spelt, "qosqo").hits[0].matched_name == "Cusco"
    assert search(spelt, "corpus").hits[0].matched_name is None  # found in the summary


def test_alternate_names_are_indexed_when_a_record_has_them() -> None:
    """`alt_names` (a list of {name, lang, orthography or kind}), read defensively: entries that are not
    such objects are skipped, or taken as a name when they are text."""
    node = Node("Community", "wachi", "Pueblo huachipaire", properties={"alt_names": [
        {"name": "Harakbut Wachipaeri", "lang": "qu", "orthography": "alfabeto oficial"}, "Huachipaeri",
        {"lang": "es"}, {"name": 7}, None]}, sources=("src",))
    text = search_text(node)
    assert text.alt == "harakbut wachipaeri huachipaeri"
    assert f"{KEY_MARK}arakbutwacipairi" in text.key.split()
    assert search_text(replace(node, properties={"alt_names": "not a list"})).alt == ""
    q = parse_query("harakbut")
    assert matched_name(node, q, "es") == "Harakbut Wachipaeri"


def test_matched_name_over_graphql_and_on_the_web_page(gql: GraphQLClient, client: Client) -> None:
    query = "query($q: String!) { search(query: $q, first: 3) { edges { matchedName node { id name } } } }"
    edges = gql(query, q="Keshwachaca")["search"]["edges"]
    assert edges[0]["node"]["id"] == "qeswachaka-bridge"
    assert edges[0]["matchedName"] == edges[0]["node"]["name"]
    page = client.get("/search", params={"q": "chayru"}).text
    assert "Chayru" in page.split('class="matched"')[1].split("</p>")[0]


@pytest.mark.neo4j
def test_neo4j_init_rewrites_the_search_fields_of_an_older_store(neo4j_env: dict[str, str]) -> None:
    """A store written before spelling keys: its nodes get them, and the full-text index their field."""
    from .conftest import _neo4j_store, wipe_neo4j

    store = _neo4j_store(neo4j_env)
    try:
        store.write(NODES, RELS)
        for statement in ("MATCH (n:Node) REMOVE n.search_key",
                          "MATCH (m:HeritageMeta {key: 'search_format'}) DELETE m",
                          "DROP INDEX heritage_search",
                          "CREATE FULLTEXT INDEX heritage_search FOR (n:Node) ON EACH [n.search_name, n.search_alt, "
                          "n.search_summary, n.search_extra, n.search_joined] "
                          "OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}",
                          "CALL db.awaitIndexes(60)"):
            store._read_or_write(statement, {}, write=True)  # type: ignore[attr-defined]
        assert ids(store, "qosqo") == []
        store.init()
        assert ids(store, "qosqo") == ["pe-cusco"]
        assert ids(store, "tijeras") == ["tijeras"]
    finally:
        wipe_neo4j(store)
