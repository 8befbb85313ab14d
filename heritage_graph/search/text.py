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
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape

from ..errors import InvalidInput
from ..model import Node

APOSTROPHES = "'’‘`´ʼʻʹ′＇"
_APOS = re.compile(f"(?<=\\w)[{APOSTROPHES}]+(?=\\w)")
_WORD = re.compile(r"[0-9a-z]+")
_REPEAT = re.compile(r"([a-z])\1+")
MAX_TERMS = 12
MAX_QUERY_CHARS = 500


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _APOS.sub("", stripped.lower())


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return [_REPEAT.sub(r"\1", w) for w in _WORD.findall(fold(text))]


def joins(tokens: list[str]) -> list[str]:
    return [_REPEAT.sub(r"\1", a + b) for a, b in itertools.pairwise(tokens)]


@dataclass(frozen=True)
class SearchText:
    """A node's searchable text, by field, already normalised."""

    name: str
    alt: str
    summary: str
    extra: str
    joined: str

    FIELDS = ("name", "alt", "summary", "extra", "joined")
    # bm25 weights, in FIELDS order: names matter most.
    WEIGHTS = (10.0, 6.0, 1.0, 2.0, 5.0)

    def values(self) -> tuple[str, ...]:
        return (self.name, self.alt, self.summary, self.extra, self.joined)

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


def search_text(node: Node) -> SearchText:
    name_words = words(node.name)
    alt_words: list[str] = []
    for n in node.names.values():
        alt_words += words(n)
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
    for n in node.names.values():
        joined += joins(words(n))
    return SearchText(
        name=" ".join(name_words),
        alt=" ".join(alt_words),
        summary=" ".join(summary),
        extra=" ".join(extra),
        joined=" ".join(dict.fromkeys(joined)),
    )


@dataclass(frozen=True)
class ParsedQuery:
    """Words (each matched as a prefix) and quoted phrases (matched in order)."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = field(default=())

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
    terms = tuple(dict.fromkeys(words(rest)))
    if not terms and not phrases:
        raise InvalidInput("query: give at least one word to search for", field="query")
    if len(terms) + sum(len(p) for p in phrases) > MAX_TERMS:
        raise InvalidInput(f"query: at most {MAX_TERMS} words", field="query")
    return ParsedQuery(terms, tuple(phrases))


def matches(text: SearchText, query: ParsedQuery) -> bool:
    """The reference semantics (the in-memory store uses it; FTS5 and Neo4j agree)."""
    tokens = text.all_tokens()
    seq_fields = [f.split() for f in text.values()]

    def has_prefix(term: str) -> bool:
        return any(t.startswith(term) for t in tokens)

    def has_phrase(phrase: tuple[str, ...]) -> bool:
        n = len(phrase)
        return any(f[i:i + n] == list(phrase) for f in seq_fields for i in range(len(f) - n + 1))

    if not all(has_phrase(p) for p in query.phrases):
        return False
    return any(all(has_prefix(t) for t in variant) for variant in query.term_variants())


def snippet(node: Node, query: ParsedQuery, lang: str | None, width: int = 14) -> str:
    """A short excerpt of the node's text around the first match, matches marked <mark>…</mark>.

    The snippet is HTML: everything but the marks is escaped, since stored text may hold markup
    (``<script>`` in a summary, or a ``<mark>`` of its own) that a client shows as given."""
    wanted = query.highlight
    texts = [node.name, *_ordered(node.names, lang), *_ordered(node.summary, lang)]
    for prop in EXTRA_PROPS:
        texts += list(_texts(node.properties.get(prop)))
    for text in texts:
        raw = text.split()
        hits = [i for i, w in enumerate(raw) if any(n.startswith(q) for n in words(w) for q in wanted)
                or any(q.startswith(n) and len(n) > 2 for n in words(w) for q in wanted if len(q) > len(n))]
        if not hits:
            continue
        start = max(0, hits[0] - width // 3)
        part = raw[start:start + width]
        marked = [f"<mark>{escape(w)}</mark>" if start + i in hits else escape(w) for i, w in enumerate(part)]
        return ("… " if start else "") + " ".join(marked) + (" …" if start + width < len(raw) else "")
    return escape(node.name)


def _ordered(texts: dict[str, str], lang: str | None) -> list[str]:
    order = [lang, "es", "en"] if lang else ["es", "en"]
    keys = [k for k in order if k and k in texts] + sorted(k for k in texts if k not in order)
    return [texts[k] for k in keys]


def match_expression(q: ParsedQuery, term: Callable[[str], str]) -> str:
    """The query for an FTS5 or Lucene index: phrases in order, each word a prefix (``term``
    writes one), and the variants with adjacent words joined as alternatives."""
    parts = ['"' + " ".join(p) + '"' for p in q.phrases]
    if q.terms:
        variants = [" AND ".join(term(t) for t in v) for v in q.term_variants()]
        parts.append("(" + " OR ".join(f"({v})" for v in variants) + ")")
    return " AND ".join(parts)


# FTS5's bm25() constants (fixed in SQLite's fts5_aux.c); the Neo4j adapter scores with the same.
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class Phrase:
    """One phrase of a match expression: its words in order, the last one a prefix or not, and the
    joined-word variant it belongs to (-1: a quoted phrase, which every match holds)."""

    words: tuple[str, ...]
    prefix: bool
    variant: int = -1

    def lucene(self) -> str:
        return f"{self.words[0]}*" if self.prefix else '"' + " ".join(self.words) + '"'


def expression_phrases(q: ParsedQuery) -> list[Phrase]:
    """The phrases of ``match_expression(q, …)`` in the order FTS5 numbers them, repeats included (a
    word present in several joined-word variants is a phrase of each).

    FTS5's bm25() sums one term per phrase, and a phrase's occurrences count only where the part of
    the expression holding it matched the row: a variant's words count in a row that holds every word
    of that variant, and nothing otherwise (fts5_expr.c gives a node that does not match no
    positions). A score computed elsewhere must walk exactly this list with that rule."""
    out = [Phrase(p, prefix=False) for p in q.phrases]
    for i, variant in enumerate(q.term_variants() if q.terms else ()):
        out += [Phrase((t,), prefix=True, variant=i) for t in variant]
    return out


def bm25_idf(rows: int, hits: int) -> float:
    """FTS5's inverse document frequency of a phrase found in ``hits`` of ``rows`` rows; never below
    1e-6, as FTS5 floors it, so that a phrase in most rows still counts a little."""
    idf = math.log((rows - hits + 0.5) / (hits + 0.5))
    return idf if idf > 0.0 else 1e-6
