"""Named Cypher queries, loaded once from ``cypher/<dialect>/*.cypher`` (``resource("cypher")``).

Each query is a block headed by ``// name: <name>``; the comment lines that
follow are its description. Values always travel as ``$parameters``. Where
Cypher cannot take a parameter (a relationship type, a label, the list of
columns of a table) the text holds a placeholder that only the schema fills:

- ``{{REL}}`` and ``{{KIND}}``: a relation type or node kind, checked against
  the schema whitelist;
- ``{{TYPES}}``: relation types as a pattern's alternatives (``A|B``), each checked against the
  schema whitelist (all of them when none are given);
- ``{{DEPTH}}``: the upper bound of a variable-length pattern (neither store takes a
  parameter there), an int checked to lie between 1 and ``MAX_DEPTH``;
- ``{{FILES}}``: the files a ``COPY FROM`` reads (the embedded store's own spool files,
  never a client's), as a list of string literals; each must be an absolute path with
  no quote, backslash or line break;
- ``{{NAME args}}``: an expansion the adapter supplies (e.g. the node columns
  derived from the schema).

So no text that arrives from a client can ever become Cypher.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import schema
from ..errors import StoreQueryError
from ..resources import resource

NAME_LINE = re.compile(r"^//\s*name:\s*([a-z_][a-z0-9_]*)\s*$")
FRAGMENT_LINE = re.compile(r"^//\s*fragment:\s*([A-Z_]+)\s*$")
PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Z_]+)((?:\s+[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
# Files whose queries are dialect-specific by nature and so exempt from the
# parity check: the DDL each store needs differs, only Neo4j searches in
# Cypher (the embedded store searches with SQLite FTS5), and only the embedded
# store bulk-loads with COPY FROM inside a transaction and needs point forms of
# its list queries (cypher/ladybug/point.cypher says why), and only it reads a lineage's reach in one
# recursive query (cypher/ladybug/reach.cypher says why); only Neo4j keeps its data version in the store
# for other replicas to read (cypher/neo4j/version.cypher).
DDL_FILE = "ddl.cypher"
DIALECT_ONLY_FILES = (DDL_FILE, "fulltext.cypher", "bulk.cypher", "point.cypher", "reach.cypher", "version.cypher")

Expansion = Callable[..., str]
# The deepest variable-length pattern a query may be rendered with ({{DEPTH}}); also what a query is
# rendered with when no depth is given (the parser checks, tests/test_cypher.py).
MAX_DEPTH = 30
_SAFE_FILE = re.compile(r"^/[^'\"\\\n\r]*$")


@dataclass(frozen=True)
class Query:
    name: str
    doc: str
    text: str
    file: str
    line: int

    @property
    def params(self) -> frozenset[str]:
        return frozenset(PARAM.findall(_strip_comments(self.text)))

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(m.group(1) for m in PLACEHOLDER.finditer(self.text))


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def parse_file(path: Path) -> list[Query]:
    """The blocks of a file: named queries, and fragments (their names in capitals)."""
    queries: list[Query] = []
    current: tuple[str, int] | None = None
    body: list[str] = []

    def flush() -> None:
        if current is None:
            return
        name, line = current
        doc = [ln.lstrip()[2:].strip() for ln in body if ln.lstrip().startswith("//")]
        code = _strip_comments("\n".join(body)).strip()
        if not code:
            raise StoreQueryError(f"{path}:{line}: query {name!r} has no text")
        queries.append(Query(name, " ".join(d for d in doc if d), code, path.name, line))

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = NAME_LINE.match(raw.strip()) or FRAGMENT_LINE.match(raw.strip())
        if m:
            flush()
            current, body = (m.group(1), lineno), []
        elif current is None:
            if raw.strip() and not raw.lstrip().startswith("//"):
                raise StoreQueryError(f"{path}:{lineno}: text before the first '// name:' line")
        else:
            body.append(raw)
    flush()
    return queries


class QueryBook:
    """The named queries of one dialect, rendered on demand and cached."""

    def __init__(self, dialect: str, expansions: Mapping[str, Expansion] | None = None,
                 root: Path | None = None) -> None:
        self.dialect = dialect
        self._expansions = dict(expansions or {})
        self._queries: dict[str, Query] = {}
        folder = (root or resource("cypher")) / dialect
        if not folder.is_dir():
            raise StoreQueryError(f"no Cypher folder for dialect {dialect!r}: {folder}")
        self._fragments: dict[str, Query] = {}
        for path in sorted(folder.glob("*.cypher")):
            for q in parse_file(path):
                if q.name.isupper():
                    self._fragments[q.name] = q
                    continue
                if q.name in self._queries:
                    other = self._queries[q.name]
                    raise StoreQueryError(
                        f"{path.name}:{q.line}: query {q.name!r} already defined at {other.file}:{other.line}"
                    )
                self._queries[q.name] = q
        self._rendered: dict[tuple[str, str | None, str | None, int | None, tuple[str, ...] | None], str] = {}

    def names(self) -> list[str]:
        return sorted(self._queries)

    def params(self, name: str) -> frozenset[str]:
        """The query's $parameters, including those of the fragments it includes."""
        q = self.query(name)
        found = set(q.params)
        for word in q.placeholders:
            if word in self._fragments:
                found |= self._fragments[word].params
        return frozenset(found)

    def query(self, name: str) -> Query:
        try:
            return self._queries[name]
        except KeyError:
            raise StoreQueryError(f"no query named {name!r} in cypher/{self.dialect}/") from None

    def ddl(self) -> list[Query]:
        return [q for q in self._queries.values() if q.file == DDL_FILE]

    def render(self, name: str, *, rel: str | None = None, kind: str | None = None,
               depth: int | None = None, types: tuple[str, ...] | None = None,
               files: tuple[str, ...] | None = None) -> str:
        if files is not None:  # unique spool paths: not worth caching
            return self._render(self.query(name), rel, kind, depth, types, files)
        key = (name, rel, kind, depth, types)
        text = self._rendered.get(key)
        if text is None:
            text = self._render(self.query(name), rel, kind, depth, types)
            self._rendered[key] = text
        return text

    def _render(self, q: Query, rel: str | None, kind: str | None, depth: int | None = None,
                types: tuple[str, ...] | None = None, files: tuple[str, ...] | None = None) -> str:
        bad = next((t for t in types or () if t not in schema.RELATIONS), None)
        if bad is not None or types == ():
            raise StoreQueryError(f"{bad!r} is not a relation type of the schema")
        if depth is not None and (type(depth) is not int or not 1 <= depth <= MAX_DEPTH):
            raise StoreQueryError(f"{depth!r} is not a depth between 1 and {MAX_DEPTH}")
        if rel is not None and rel not in schema.RELATIONS:
            raise StoreQueryError(f"{rel!r} is not a relation type of the schema")
        if kind is not None and kind not in schema.KINDS:
            raise StoreQueryError(f"{kind!r} is not a node kind of the schema")
        bad = next((f for f in files or () if not _SAFE_FILE.fullmatch(f)), None)
        if bad is not None or files == ():
            raise StoreQueryError(f"{bad!r} cannot be named to COPY FROM: a file must be an absolute path "
                                  "without quotes, backslashes or line breaks")

        def fill(m: re.Match[str]) -> str:
            word, args = m.group(1), m.group(2).split()
            if word == "REL":
                if rel is None:
                    raise StoreQueryError(f"query {q.name!r} needs a relation type")
                return rel
            if word == "TYPES":
                return "|".join(types or schema.RELATIONS)
            if word == "FILES":
                if files is None:
                    raise StoreQueryError(f"query {q.name!r} needs the files it reads")
                return "[" + ", ".join(f"'{f}'" for f in files) + "]"
            if word == "DEPTH":
                return str(MAX_DEPTH if depth is None else depth)
            if word == "KIND":
                if kind is None:
                    raise StoreQueryError(f"query {q.name!r} needs a node kind")
                return kind
            fragment = self._fragments.get(word)
            if fragment is not None:
                return fragment.text
            expand = self._expansions.get(word)
            if expand is None:
                raise StoreQueryError(f"query {q.name!r}: unknown placeholder {{{{{word}}}}}")
            return expand(*args, rel=rel, kind=kind)

        return PLACEHOLDER.sub(fill, q.text)

    def instances(self, name: str) -> list[tuple[str | None, str | None]]:
        """Every (rel, kind) binding the query can be rendered with."""
        q = self.query(name)
        # An expansion that needs a relation type says so with `binds = "REL"`.
        per_rel = "REL" in q.placeholders or any(
            getattr(self._expansions.get(p), "binds", None) == "REL" for p in q.placeholders)
        rels: list[str | None] = list(schema.RELATIONS) if per_rel else [None]
        kinds: list[str | None] = list(schema.KINDS) if "KIND" in q.placeholders else [None]
        return [(r, k) for r in rels for k in kinds]


@cache
def dialects(root: Path | None = None) -> tuple[str, ...]:
    return tuple(sorted(p.name for p in (root or resource("cypher")).iterdir() if p.is_dir()))
