"""The embedded store's search index: SQLite FTS5 in ``search.sqlite`` beside the graph.

It is derived data. It records the graph write generation it reflects and its
own format version; when either disagrees with the graph (a crash between the
graph commit and the index commit, a deleted file, an index from an older
version), the store rebuilds it from the graph before serving.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import StoreUnavailable
from ..visibility import Visibility
from .documents import SearchDoc
from .model import Facets, SearchQuery
from .text import KEY_MARK, KIND_WEIGHTS, ParsedQuery, Phrase, SearchText, match_expression

FORMAT_VERSION = "4"  # 4: the spelling-key column
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, unesco INTEGER NOT NULL,
    sensitivity TEXT NOT NULL, status TEXT NOT NULL, consent_status TEXT);
CREATE TABLE IF NOT EXISTS doc_communities (rowid INTEGER NOT NULL, community TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS doc_communities_rowid ON doc_communities (rowid);
CREATE TABLE IF NOT EXISTS doc_places (rowid INTEGER NOT NULL, place TEXT NOT NULL, department INTEGER NOT NULL,
    public INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS doc_places_place ON doc_places (place);
CREATE INDEX IF NOT EXISTS doc_places_rowid ON doc_places (rowid);
CREATE TABLE IF NOT EXISTS doc_domains (rowid INTEGER NOT NULL, domain TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS doc_domains_rowid ON doc_domains (rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5({", ".join(SearchText.FIELDS)},
    tokenize = "unicode61 remove_diacritics 2 tokenchars '{KEY_MARK}'");
"""


TABLES = ("docs", "doc_places", "doc_domains", "doc_communities", "fts")
_INSERT_FTS = (f"INSERT INTO fts (rowid, {', '.join(SearchText.FIELDS)}) "
               f"VALUES (?, {', '.join('?' * len(SearchText.FIELDS))})")
REBUILD_BATCH = 10_000  # documents per executemany of a rebuild


def fts_expression(q: ParsedQuery) -> str:
    """The FTS5 MATCH text."""
    return match_expression(q, Phrase.fts)


class SqliteIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._keys: dict[int, list[str]] | None = None  # the spelling keys indexed, by length
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError:
            # Derived data: an unreadable index is thrown away and rebuilt from the graph.
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            try:
                self._db = self._connect()
            except sqlite3.DatabaseError as exc:
                raise StoreUnavailable(f"cannot open the search index {path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            db.executescript(_SCHEMA)
            # FTS5's own list of the terms it holds, by column: the vocabulary typos are matched in.
            db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, fts, 'col')")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- state ---------------------------------------------------------------
    def state(self) -> tuple[str | None, str | None]:
        """(format version, graph generation) this index was built for."""
        with self._lock:
            rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        return rows.get("format"), rows.get("generation")

    def is_current(self, generation: str) -> bool:
        return self.state() == (FORMAT_VERSION, generation)

    # -- writes --------------------------------------------------------------
    def rebuild(self, docs: Iterable[SearchDoc], generation: str) -> int:
        with self._lock:
            self._keys = None
            # Tables are made anew, so an index of an older format gets this format's columns; the
            # secondary indexes come after the rows, which is several times faster than before.
            tables = "\n".join(line for line in _SCHEMA.splitlines() if not line.startswith("CREATE INDEX"))
            self._db.executescript("".join(f"DROP TABLE IF EXISTS {t};" for t in TABLES) + tables)
            with self._transaction():
                count = 0
                batch: list[SearchDoc] = []
                for d in docs:
                    batch.append(d)
                    if len(batch) == REBUILD_BATCH:
                        count = self._insert_batch(batch, count + 1)
                        batch = []
                count = self._insert_batch(batch, count + 1)
                for line in _SCHEMA.splitlines():
                    if line.startswith("CREATE INDEX"):  # one statement a line; executescript would commit
                        self._db.execute(line)
                self._set_state(generation)
        return count

    def _insert_batch(self, docs: Sequence[SearchDoc], first: int) -> int:
        """Insert ``docs`` into emptied tables as rowids ``first``, ``first + 1``, ...; the last rowid."""
        rows = list(enumerate(docs, first))
        self._db.executemany(
            "INSERT INTO docs (rowid, id, kind, unesco, sensitivity, status, consent_status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r, d.id, d.kind, int(d.unesco), d.sensitivity, d.status, d.consent_status) for r, d in rows])
        self._db.executemany(_INSERT_FTS, [(r, *d.text.values()) for r, d in rows])
        self._db.executemany(
            "INSERT INTO doc_places (rowid, place, department, public) VALUES (?, ?, ?, ?)",
            [(r, p, int(p in d.departments), 1) for r, d in rows for p in d.places]
            + [(r, p, 0, 0) for r, d in rows for p in d.hidden_places])
        self._db.executemany("INSERT INTO doc_domains (rowid, domain) VALUES (?, ?)",
                             [(r, x) for r, d in rows for x in d.domains])
        self._db.executemany("INSERT INTO doc_communities (rowid, community) VALUES (?, ?)",
                             [(r, c) for r, d in rows for c in d.communities])
        return first + len(rows) - 1

    def update(self, docs: Sequence[SearchDoc], generation: str) -> None:
        with self._lock, self._transaction():
            self._keys = None
            self._delete([d.id for d in docs])
            self._insert(docs)
            self._set_state(generation)

    def ids_in_places(self, places: Sequence[str]) -> list[str]:
        """Documents located in any of these places (to refresh when a place moves)."""
        if not places:
            return []
        marks = ",".join("?" * len(places))
        with self._lock:
            rows = self._db.execute(
                f"SELECT DISTINCT d.id FROM doc_places p JOIN docs d ON d.rowid = p.rowid WHERE p.place IN ({marks})",
                list(places)).fetchall()
        return [r[0] for r in rows]

    def _transaction(self) -> _Tx:
        return _Tx(self._db)

    def _set_state(self, generation: str) -> None:
        self._db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                             [("format", FORMAT_VERSION), ("generation", generation)])

    def _delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rowids = [r[0] for r in self._db.execute(f"SELECT rowid FROM docs WHERE id IN ({marks})", chunk)]
            if not rowids:
                continue
            rmarks = ",".join("?" * len(rowids))
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table} WHERE rowid IN ({rmarks})", rowids)

    def _insert(self, docs: Iterable[SearchDoc]) -> int:
        count = 0
        for d in docs:
            cur = self._db.execute(
                "INSERT INTO docs (id, kind, unesco, sensitivity, status, consent_status) VALUES (?, ?, ?, ?, ?, ?)",
                (d.id, d.kind, int(d.unesco), d.sensitivity, d.status, d.consent_status))
            rowid = cur.lastrowid
            self._db.execute(_INSERT_FTS, (rowid, *d.text.values()))
            depts = set(d.departments)
            self._db.executemany(
                "INSERT INTO doc_places (rowid, place, department, public) VALUES (?, ?, ?, ?)",
                [(rowid, p, int(p in depts), 1) for p in d.places] + [(rowid, p, 0, 0) for p in d.hidden_places])
            self._db.executemany("INSERT INTO doc_domains (rowid, domain) VALUES (?, ?)",
                                 [(rowid, x) for x in d.domains])
            self._db.executemany("INSERT INTO doc_communities (rowid, community) VALUES (?, ?)",
                                 [(rowid, c) for c in d.communities])
            count += 1
        return count

    # -- reads ---------------------------------------------------------------
    def key_candidates(self, wanted: Sequence[tuple[str, int]]) -> dict[str, list[str]]:
        """For each (key, edits), the indexed spelling keys of a length within reach. The vocabulary is
        read from FTS5 once after each write (one scan of its term list) and kept by length."""
        with self._lock:
            if self._keys is None:
                keys: dict[int, list[str]] = {}
                for (term,) in self._db.execute("SELECT term FROM temp.fts_terms WHERE col = 'key'"):
                    key = term.removeprefix(KEY_MARK)
                    keys.setdefault(len(key), []).append(key)
                self._keys = keys
            by_length = self._keys
        return {key: [t for n in range(len(key) - edits, len(key) + edits + 1) for t in by_length.get(n, ())]
                for key, edits in wanted}

    def query(self, q: SearchQuery) -> tuple[list[tuple[str, float]], int, Facets]:
        where = ["fts MATCH ?"]
        args: list[object] = [fts_expression(q.text)]
        if q.kinds:
            where.append(f"d.kind IN ({','.join('?' * len(q.kinds))})")
            args += q.kinds
        if q.region:
            where.append("d.rowid IN (SELECT rowid FROM doc_places WHERE place = ? AND public = 1)")
            args.append(q.region)
        if q.domains:
            marks = ",".join("?" * len(q.domains))
            where.append(f"d.rowid IN (SELECT rowid FROM doc_domains WHERE domain IN ({marks}))")
            args += q.domains
        if q.unesco is not None:
            where.append("d.unesco = ?")
            args.append(int(q.unesco))
        clause, more = _visible(q.visibility)
        where.append(clause)
        args += more
        weights = ", ".join(str(w) for w in SearchText.WEIGHTS)
        boost = "CASE d.kind " + " ".join(f"WHEN '{k}' THEN {w}" for k, w in KIND_WEIGHTS.items()) + " ELSE 1 END"
        matched = (f"SELECT d.rowid AS rowid, d.id AS id, d.kind AS kind, -bm25(fts, {weights}) * {boost} AS score "
                   f"FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE {' AND '.join(where)}")
        with self._lock:
            self._db.execute("DROP TABLE IF EXISTS temp.matched")
            self._db.execute(f"CREATE TEMP TABLE matched AS {matched}", args)
            hits = self._db.execute("SELECT id, score FROM matched ORDER BY score DESC, id LIMIT ? OFFSET ?",
                                    (q.limit, q.offset)).fetchall()
            total = self._db.execute("SELECT count(*) FROM matched").fetchone()[0]
            facets = Facets()
            facets.kinds.update(dict(self._db.execute("SELECT kind, count(*) FROM matched GROUP BY kind")))
            # CROSS JOIN fixes the order: from the few matches into the rowid indexes. Left to choose,
            # SQLite scans all of doc_places (0.5 s at 200,000 documents) and probes the matches.
            facets.regions.update(dict(self._db.execute(
                "SELECT p.place, count(DISTINCT p.rowid) FROM matched m CROSS JOIN doc_places p "
                "ON p.rowid = m.rowid WHERE p.department = 1 GROUP BY p.place")))
            facets.domains.update(dict(self._db.execute(
                "SELECT x.domain, count(DISTINCT x.rowid) FROM matched m CROSS JOIN doc_domains x "
                "ON x.rowid = m.rowid GROUP BY x.domain")))
            self._db.execute("DROP TABLE temp.matched")
        return [(i, float(s)) for i, s in hits], int(total), facets


def _marks(values: Sequence[str]) -> str:
    return ",".join("?" * len(values))


def _visible(v: Visibility) -> tuple[str, list[object]]:
    """heritage_graph/visibility.py's rule as SQL over the document columns."""
    parts: list[str] = []
    args: list[object] = []
    if v.statuses:
        parts.append(f"d.status IN ({_marks(v.statuses)})")
        args += v.statuses
    if v.hidden_consent:
        parts.append(f"(d.consent_status IS NULL OR d.consent_status NOT IN ({_marks(v.hidden_consent)}))")
        args += v.hidden_consent
    sensitivity = f"d.sensitivity IN ({_marks(v.sensitivities)})"
    args += v.sensitivities
    if v.scope:
        sensitivity = (f"({sensitivity} OR (d.sensitivity = 'community' AND d.rowid IN "
                       f"(SELECT rowid FROM doc_communities WHERE community IN ({_marks(v.scope)}))))")
        args += v.scope
    parts.append(sensitivity)
    return " AND ".join(parts), args


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
