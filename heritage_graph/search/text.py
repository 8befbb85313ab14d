"""How text is matched: the same normalisation for what is indexed and what is asked.

Andean names are written many ways: with or without accents, with straight,
curly or no apostrophes (Qoyllur Rit'i, Qoyllur Rit’i, Qoylluriti), with one
letter or two (Qoyllur, Qoylur), joined or apart. So every word is folded:

1. Unicode compatibility decomposition, accents dropped, lower case;
2. apostrophes and their look-alikes removed *inside* a word (rit'i → riti);
3. any other non-alphanumeric character splits words;
4. a run of one repeated letter becomes one letter (qoyllurriti → qoyluriti).

Documents also index each pair of adjacent name words joined into one
(qoyllur + riti → qoyluriti), and a query also tries each pair of its own
adjacent words joined, so joined and separate spellings meet either way.

Names are also indexed by their *spelling key* (``spelling_key``, the rule set
in docs/search.md): Quechua and Aymara three-vowel spellings and Spanish
five-vowel ones, k/c/q, w/hu/gu, j/h, s/z, ll/y… fold to one key, so Qosqo meets
Cusco and Huachipaire meets Wachipaire. Query words are keyed by the same rules;
the keys sit in a field of their own, weighted below the words as written, so an
exact spelling ranks above a folded one. A query word of five letters or more
also matches the keys of the index within one edit of its own (two from eight
letters): ``near_keys`` picks them from the index's vocabulary of keys, which each
store reads (``ParsedQuery.expanded``).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from html import escape

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..errors import InvalidInput
from ..model import Node

APOSTROPHES = "'’‘`´ʼʻʹ′＇"
_APOS = re.compile(f"(?<=\\w)[{APOSTROPHES}]+(?=\\w)")
_WORD = re.compile(r"[0-9a-z]+")
_REPEAT = re.compile(r"([a-z])\1+")
MAX_TERMS = 12
MAX_QUERY_CHARS = 500


def fold(text: str) -> str:
    if text.isascii():  # NFKD leaves ASCII as it is and it has no combining marks: the common case, 10× cheaper
        return _APOS.sub("", text.lower())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _APOS.sub("", stripped.lower())


def raw_words(text: str) -> list[str]:
    """The folded words of a text, repeated letters kept (the spelling key reads ``ll``)."""
    return _WORD.findall(fold(text))


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return [_REPEAT.sub(r"\1", w) for w in raw_words(text)]


def joins(tokens: list[str]) -> list[str]:
    return [_REPEAT.sub(r"\1", a + b) for a, b in itertools.pairwise(tokens)]


# The spelling key: one key for the ways Andean names are written (docs/search.md, "Spellings").
# Each rule is (pattern, replacement), applied in order to a folded word; the order matters: ``ch``
# is set aside before ``c`` is read, ``hu`` + vowel becomes ``w`` before every other ``h`` goes,
# and vowels fold last, after the consonant rules have read them.
_VOWEL = "aeiou"
KEY_RULES: tuple[tuple[str, str], ...] = (
    ("ll", "y"),                      # yeísmo: Qoyllur / Qoyur, Chawlla / Chawya
    (r"([a-z])\1+", r"\1"),           # doubled letters: Ccollana / Collana, Paccha / Pacha
    ("sh", "s"),                      # Keshwachaca / Qeswachaka
    ("ch", "C"),                      # ch stands apart from c (restored below)
    (f"^u(?=[{_VOWEL}])", "w"),       # Uari / Wari
    (f"[hg]u(?=[{_VOWEL}])", "w"),    # Huachipaire / Wachipaire, Guaman / Waman (so gue/gui is next)
    ("gu(?=[ei])", "g"),              # Spanish gue, gui: the u is silent
    ("qu(?=[ei])", "k"),              # Spanish que, qui: Quero / Kero
    ("c(?=[ei])", "s"),               # Spanish ce, ci: Cebiche / Sebiche
    ("[cqk]", "k"),                   # Cusco / Qosqo / Kusku; q'/k' ejectives lost their mark already
    ("z", "s"),                       # Zápara / Sápara, Cuzco / Cusco
    ("v", "b"),                       # Ceviche / Cebiche
    ("j", "h"),                       # Jilaqata / Hilacata: then h goes with the rest
    ("h", ""),                        # silent h and aspiration marks: kh, ph, qh, th, chh
    ("C", "c"),
    # A glide before a consonant: Chayru / Chairo, Chawlla / Chaulla. Not at the end of a word: a query
    # word is also a prefix, and "qoyll" must key to a prefix of Qoyllur's key, not to that of Cuy.
    (f"y(?=[^{_VOWEL}])", "i"),
    (f"w(?=[^{_VOWEL}])", "u"),
    ("e", "i"),                       # three vowels against five: Witite / Wititi, Qero / Qiru
    ("o", "u"),                       # Qosqo / Qusqu
    (r"([a-z])\1+", r"\1"),           # what the rules made double: ii, kk
)
_KEY_RULES = tuple((re.compile(p), r) for p, r in KEY_RULES)


@functools.lru_cache(maxsize=1 << 16)
def spelling_key(raw: str) -> str:
    """The key of one folded word (``raw_words``): spellings of one name share it. Remembered: names share
    their words (places, kinds of craft, family names), and each key costs nineteen regular expressions,
    most of a document's indexing time when it was not (a national import indexes millions of names)."""
    for pattern, replacement in _KEY_RULES:
        raw = pattern.sub(replacement, raw)
    return raw


def key_words(raw: list[str]) -> list[str]:
    return [k for k in (spelling_key(w) for w in raw) if k]


def key_joins(raw: list[str]) -> list[str]:
    return [k for k in (spelling_key(a + b) for a, b in itertools.pairwise(raw)) if k]


# Spelling keys are indexed with this mark before them, so that no word as written is ever a key (the
# word "riti" and the key of Rit'i) and a phrase finds one or the other without naming a field: both
# indexes keep it in a token (FTS5's tokenchars, Lucene's whitespace analyzer), words never hold it.
# (FTS5 column filters would do the same, but FTS5 then reports a phrase's occurrences differently
# when the same word is in other fields, which the Neo4j adapter's bm25 could not follow.)
KEY_MARK = "_"

# Typos: edits allowed in a query word by its length (the word as normalised).
TYPO_LENGTHS = ((8, 2), (5, 1))
MAX_NEAR = 8  # keys a misspelt word may stand for, nearest first: each is one more phrase to score


def typo_edits(word: str) -> int:
    return next((edits for length, edits in TYPO_LENGTHS if len(word) >= length), 0)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Insertions, deletions, substitutions and swaps of two adjacent letters (optimal string
    alignment), each one edit; anything above ``limit`` is reported as ``limit + 1``."""
    return int(OSA.distance(a, b, score_cutoff=limit))


def near_keys(key: str, edits: int, vocabulary: Iterable[str]) -> tuple[str, ...]:
    """The keys of ``vocabulary`` nearest to ``key``, within ``edits``: only those at the least distance
    found (a key one edit away hides those two away: "qoyllurity" means Qoylluriti, not "authority"),
    alphabetically, at most MAX_NEAR. Keys that ``key`` begins already match it as a prefix and are
    left out. The distances are rapidfuzz's (compiled, with early exits): thousands of candidate keys
    a query word at a national size, each a dynamic programme, took 250 ms in Python."""
    found = sorted((int(d), v) for v, d, _ in process.extract_iter(key, set(vocabulary), scorer=OSA.distance,
                                                                    score_cutoff=edits)
                   if not v.startswith(key))
    return tuple(v for d, v in found[:MAX_NEAR] if d == found[0][0])


@dataclass(frozen=True)
class SearchText:
    """A node's searchable text, by field, already normalised."""

    name: str
    alt: str
    summary: str
    extra: str
    joined: str
    key: str  # the spelling keys of the name words, other names and joined names, each after KEY_MARK

    FIELDS = ("name", "alt", "summary", "extra", "joined", "key")
    # bm25 weights, in FIELDS order: names matter most; a name matched by its spelling key only
    # counts less than one matched as written (whole numbers: every store sums them exactly).
    WEIGHTS = (10.0, 6.0, 1.0, 2.0, 5.0, 3.0)
    WORD_FIELDS = (0, 1, 2, 3, 4)  # where the words as written are
    KEY_FIELDS = (5,)

    def values(self) -> tuple[str, ...]:
        return (self.name, self.alt, self.summary, self.extra, self.joined, self.key)

    def word_tokens(self) -> list[str]:
        return " ".join(self.values()[i] for i in self.WORD_FIELDS).split()

    def key_tokens(self) -> list[str]:
        return [t.removeprefix(KEY_MARK) for t in " ".join(self.values()[i] for i in self.KEY_FIELDS).split()]

    def all_tokens(self) -> list[str]:
        return " ".join(self.values()).split()


# People search for heritage first: the record of an element or a person ranks
# above a source or a place that merely mentions its name.
KIND_WEIGHTS = {"Tradition": 2.0, "Craft": 2.0, "Recipe": 2.0, "Practitioner": 1.5, "Story": 1.5,
                "Community": 1.2, "Place": 0.8, "Source": 0.5}

EXTRA_PROPS = ("ingredients", "served_with", "occasion", "materials", "techniques", "roles", "title",
               "publisher", "titles", "body", "category")


def _texts(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)


def alternate_names(node: Node) -> list[str]:
    """The node's names besides ``name``: by language (``names``), then the alternate names and
    variants of ``alt_names`` (a list of {name, lang, orthography or kind}; read defensively, as
    records written before it existed, or by hand, may hold anything there) unless the record withholds
    them. A former name worth finding the record by goes in ``alt_names`` (type ``former``) too: indexing
    ``unesco.former_names`` as well was measured to rank communities below the element whose old name
    mentions them (bench/search_quality.py)."""
    out = list(node.names.values())
    withheld = node.properties.get("restricted_fields") or ()
    listed = node.properties.get("alt_names") if "alt_names" not in withheld else None
    for entry in listed if isinstance(listed, list) else ():
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name.strip():
            out.append(name)
    return out


def search_text(node: Node) -> SearchText:
    name_raw = raw_words(node.name)
    name_words = words(node.name)
    others = alternate_names(node)
    keys = key_words(name_raw) + key_joins(name_raw)
    alt_words: list[str] = []
    for n in others:
        alt_words += words(n)
        keys += key_words(raw_words(n)) + key_joins(raw_words(n))
    extra: list[str] = []
    withheld = node.properties.get("restricted_fields") or ()
    for prop in EXTRA_PROPS:
        if prop in withheld:  # a search must not find a record by what it withholds
            continue
        for t in _texts(node.properties.get(prop)):
            extra += words(t)
    summary: list[str] = []
    for t in node.summary.values():
        summary += words(t)
    joined = joins(name_words)
    for n in others:
        joined += joins(words(n))
    return SearchText(
        name=" ".join(name_words),
        alt=" ".join(alt_words),
        summary=" ".join(summary),
        extra=" ".join(extra),
        joined=" ".join(dict.fromkeys(joined)),
        key=" ".join(KEY_MARK + k for k in dict.fromkeys(keys)),
    )


@dataclass(frozen=True)
class ParsedQuery:
    """Words (each matched as a prefix) and quoted phrases (matched in order).

    ``keys`` holds the spelling key of each word and of each pair of adjacent words joined; ``near``
    the index keys within a misspelt word's allowance of edits (``expanded``), None until a store
    expanded the query."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = field(default=())
    keys: tuple[tuple[str, str], ...] = ()
    near: tuple[tuple[str, tuple[str, ...]], ...] | None = None

    @property
    def highlight(self) -> tuple[str, ...]:
        return self.terms + tuple(w for p in self.phrases for w in p)

    def term_variants(self) -> list[tuple[str, ...]]:
        """The terms as asked, and with each adjacent pair joined into one word."""
        out = [self.terms]
        for i in range(len(self.terms) - 1):
            joined = _REPEAT.sub(r"\1", self.terms[i] + self.terms[i + 1])
            out.append((*self.terms[:i], joined, *self.terms[i + 2:]))
        return out

    def key(self, term: str) -> str:
        return dict(self.keys).get(term, "")

    def near_of(self, term: str) -> tuple[str, ...]:
        return dict(self.near or ()).get(term, ())

    def typos(self) -> list[tuple[str, str, int]]:
        """(term, its key, edits allowed) for every word of every variant long enough for typos."""
        seen = dict.fromkeys(t for v in (self.term_variants() if self.terms else ()) for t in v)
        return [(t, self.key(t), typo_edits(t)) for t in seen if typo_edits(t) and self.key(t)]

    def expanded(self, candidates: Callable[[list[tuple[str, int]]], Mapping[str, Iterable[str]]]) -> ParsedQuery:
        """The query with ``near`` filled in. ``candidates`` is the store's: for each (key, edits), index
        keys among which every one within that many edits is found (more do no harm: ``near_keys``
        keeps exactly those within reach, so every store expands a query alike)."""
        if self.near is not None:
            return self
        typos = self.typos()
        found = candidates(list(dict.fromkeys((k, e) for _, k, e in typos))) if typos else {}
        return replace(self, near=tuple((t, near_keys(k, e, found.get(k, ()))) for t, k, e in typos))

    def term_match(self, term: str, raw: str) -> int:
        """How one folded word of a text (``raw_words``) matches one query word: 2 as written (the query
        word begins it), 1 by spelling key (its key begins the word's, from three letters: shorter
        keys begin too many words to be worth marking) or near key, 0 not at all."""
        if _REPEAT.sub(r"\1", raw).startswith(term):
            return 2
        k, key = spelling_key(raw), self.key(term)
        return 1 if k and ((len(key) >= 3 and k.startswith(key)) or k in self.near_of(term)) else 0

    def word_match(self, raw: str) -> int:
        return max((self.term_match(t, raw) for t in (*self.highlight, *dict(self.keys))), default=0)


def parse_query(text: str) -> ParsedQuery:
    """Words and "quoted phrases"; every word must match, in any order."""
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query: at most {MAX_QUERY_CHARS} characters, got {len(text)}", field="query")
    text = re.sub("[“”„«»]", '"', text)
    phrases: list[tuple[str, ...]] = []
    for m in re.finditer(r'"([^"]*)"', text):
        ws = tuple(words(m.group(1)))
        if len(ws) == 1:
            text += " " + ws[0]
        elif ws:
            phrases.append(ws)
    rest = re.sub(r'"[^"]*"?', " ", text)
    raw: dict[str, str] = {}
    for w in raw_words(rest):
        raw.setdefault(_REPEAT.sub(r"\1", w), w)
    terms = tuple(raw)
    if not terms and not phrases:
        raise InvalidInput("query: give at least one word to search for", field="query")
    if len(terms) + sum(len(p) for p in phrases) > MAX_TERMS:
        raise InvalidInput(f"query: at most {MAX_TERMS} words", field="query")
    keys = {t: spelling_key(r) for t, r in raw.items()}
    for a, b in itertools.pairwise(terms):
        keys.setdefault(_REPEAT.sub(r"\1", a + b), spelling_key(raw[a] + raw[b]))
    return ParsedQuery(terms, tuple(phrases), tuple(keys.items()))


def matches(text: SearchText, query: ParsedQuery) -> bool:
    """The reference semantics (the in-memory store uses it; FTS5 and Neo4j agree)."""
    tokens = text.word_tokens()
    keys = text.key_tokens()
    seq_fields = [text.values()[i].split() for i in SearchText.WORD_FIELDS]

    def has_term(term: str) -> bool:
        k = query.key(term)
        return (any(t.startswith(term) for t in tokens) or (bool(k) and any(t.startswith(k) for t in keys))
                or any(n in keys for n in query.near_of(term)))

    def has_phrase(phrase: tuple[str, ...]) -> bool:
        n = len(phrase)
        return any(f[i:i + n] == list(phrase) for f in seq_fields for i in range(len(f) - n + 1))

    if not all(has_phrase(p) for p in query.phrases):
        return False
    return any(all(has_term(t) for t in variant) for variant in query.term_variants())



def snippet(node: Node, query: ParsedQuery, lang: str | None, width: int = 14) -> str:
    """A short excerpt of the node's text around the first match, matches marked <mark>…</mark>.

    The snippet is HTML: everything but the marks is escaped, since stored text may hold markup
    (``<script>`` in a summary, or a ``<mark>`` of its own) that a client shows as given."""
    wanted = query.highlight
    texts = [*_names(node, lang), *_ordered(node.summary, lang)]
    for prop in EXTRA_PROPS:
        texts += list(_texts(node.properties.get(prop)))
    # Text where a word matches as written first, then text matched by spelling or despite a typo.
    for least, text in [(2, t) for t in texts] + [(1, t) for t in texts]:
        raw = text.split()
        hits = [i for i, w in enumerate(raw) if any(query.word_match(n) >= least for n in raw_words(w))
                or any(q.startswith(n) and len(n) > 2 for n in words(w) for q in wanted if len(q) > len(n))]
        if not hits:
            continue
        start = max(0, hits[0] - width // 3)
        part = raw[start:start + width]
        marked = [f"<mark>{escape(w)}</mark>" if start + i in hits else escape(w) for i, w in enumerate(part)]
        return ("… " if start else "") + " ".join(marked) + (" …" if start + width < len(raw) else "")
    return escape(node.name)


def _names(node: Node, lang: str | None) -> list[str]:
    """The record's name, its names by language (``lang`` first) and its alternate names, once each."""
    return list(dict.fromkeys([node.name, *_ordered(node.names, lang), *alternate_names(node)]))


def matched_name(node: Node, query: ParsedQuery, lang: str | None) -> str | None:
    """The name or variant of the record that the query found, as the record writes it: of its names,
    the one holding the most query words (as written before by spelling, then in ``_names`` order);
    None when no name holds any (the words were found in other text)."""
    wanted = [*query.highlight, *(t for v in query.term_variants()[1:] for t in v if t not in query.terms)]
    best, best_score = None, (0, 0)
    for name in _names(node, lang):
        raw = raw_words(name)
        candidates = raw + [a + b for a, b in itertools.pairwise(raw)]
        found = [max((query.term_match(t, w) for w in candidates), default=0) for t in wanted]
        score = (sum(1 for f in found if f), sum(1 for f in found if f == 2))
        if score > best_score:
            best, best_score = name, score
    return best


def _ordered(texts: dict[str, str], lang: str | None) -> list[str]:
    order = [lang, "es", "en"] if lang else ["es", "en"]
    keys = [k for k in order if k and k in texts] + sorted(k for k in texts if k not in order)
    return [texts[k] for k in keys]


def match_expression(q: ParsedQuery, render: Callable[[Phrase], str]) -> str:
    """The query for an FTS5 or Lucene index (``render`` writes one phrase): quoted phrases in order,
    and the variants with adjacent words joined as alternatives, each word matched as written (a
    prefix), by its spelling key (a prefix) or by a near key."""
    quoted, variants = _expression(q)
    parts = [render(p) for p in quoted]
    if variants:
        alternatives = [" AND ".join("(" + " OR ".join(render(p) for p in group) + ")" for group in v)
                        for v in variants]
        parts.append("(" + " OR ".join(f"({v})" for v in alternatives) + ")")
    return " AND ".join(parts)


# FTS5's bm25() constants (fixed in SQLite's fts5_aux.c); the Neo4j adapter scores with the same.
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class Phrase:
    """One phrase of a match expression: its words in order, the last one a prefix or not, the
    joined-word variant it belongs to (-1: a quoted phrase, which every match holds), the query word
    it stands for in that variant (``group``: a word matches by any of its phrases), and whether it
    is sought among spelling keys or among the words as written."""

    words: tuple[str, ...]
    prefix: bool
    variant: int = -1
    group: int = -1
    keyed: bool = False

    @property
    def fields(self) -> tuple[int, ...]:
        """The fields that may hold it (the others never do: keys carry KEY_MARK)."""
        return SearchText.KEY_FIELDS if self.keyed else SearchText.WORD_FIELDS

    def fts(self) -> str:
        """FTS5 syntax (words are [a-z0-9_] only, so quoting cannot be escaped)."""
        return '"' + " ".join(self.words) + '"' + ("*" if self.prefix else "")

    def lucene(self) -> str:
        body = " ".join(self.words)
        return f"{body}*" if self.prefix else (body if len(self.words) == 1 else f'"{body}"')


def _expression(q: ParsedQuery) -> tuple[list[Phrase], list[list[list[Phrase]]]]:
    quoted = [Phrase(p, prefix=False) for p in q.phrases]
    variants: list[list[list[Phrase]]] = []
    group = 0
    for i, variant in enumerate(q.term_variants() if q.terms else ()):
        groups = []
        for t in variant:
            phrases = [Phrase((t,), prefix=True, variant=i, group=group)]
            if q.key(t):
                phrases.append(Phrase((KEY_MARK + q.key(t),), prefix=True, variant=i, group=group, keyed=True))
            phrases += [Phrase((KEY_MARK + n,), prefix=False, variant=i, group=group, keyed=True)
                        for n in q.near_of(t)]
            groups.append(phrases)
            group += 1
        variants.append(groups)
    return quoted, variants


def expression_phrases(q: ParsedQuery) -> list[Phrase]:
    """The phrases of ``match_expression(q, …)`` in the order FTS5 numbers them, repeats included (a
    word present in several joined-word variants is a phrase of each).

    FTS5's bm25() sums one term per phrase, and a phrase's occurrences count only where the part of
    the expression holding it matched the row: a variant's phrases count in a row that holds every
    word of that variant (by at least one of the word's phrases), and nothing otherwise (fts5_expr.c
    gives a node that does not match no positions). A score computed elsewhere must walk exactly this
    list with that rule."""
    quoted, variants = _expression(q)
    return quoted + [p for v in variants for group in v for p in group]



def bm25_idf(rows: int, hits: int) -> float:
    """FTS5's inverse document frequency of a phrase found in ``hits`` of ``rows`` rows; never below
    1e-6, as FTS5 floors it, so that a phrase in most rows still counts a little."""
    idf = math.log((rows - hits + 0.5) / (hits + 0.5))
    return idf if idf > 0.0 else 1e-6
