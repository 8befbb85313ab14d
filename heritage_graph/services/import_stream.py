"""The import of JSON Lines files in bounded memory: validate in one pass, write in a second.

A national inventory (millions of lines) does not fit in memory as records, so the import never
holds them all. The first pass reads every line, checks it on its own (``parse_record``) and keeps
only what the checks across records need, compactly: every id as a number with its kind, each
relation's type and ends as numbers, each citation, and where each line is (file and line, for the
problems). The cross-record checks (duplicates, ends that exist with kinds the schema allows, ids
that keep their kind, sources that are Sources, hierarchies without cycles) run on that and on
batched store reads, with the same messages as ``importer.check``. Nothing is written unless all
pass.

The second pass reads the lines again, by the line numbers the first pass kept (only the lines of
each sweep are decoded), in chunks: each chunk is compared with the store, and only what differs is
handed to the store, with its revisions, as one ``Changes`` of a stream that the store writes in
one transaction (``Store.apply_stream``), or in committed batches where it must (Neo4j at a
national scale: ``batch_size``). Nodes go before relations, and Sources before the nodes that cite
them, so that every chunk finds the nodes it links already written.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Any

from .. import schema
from ..clock import utc_now
from ..errors import ImportRejected, Problem
from ..interchange import decode_line, may_hold_surrogates, parse_record, raw_lines
from ..model import Changes, Node, Relation
from ..schema import FieldLimits
from ..store.base import Store, chunks
from .cycles import closed_cycles

# Records per chunk of the second pass: large enough that a chunk's store reads and copies cost
# little per record, small enough that a chunk's records, rows and revisions stay some 100 MB.
CHUNK = 50_000
# Below this many records the store's bulk path (a copy per table) costs more than row writes save.
BULK_MIN = 500
# Neo4j cannot hold a national import in one transaction (its transaction memory pool runs out at a
# few hundred thousand records); past this many records an import commits in batches of NEO4J_BATCH.
NEO4J_BATCH_MIN = 100_000
NEO4J_BATCH = 20_000
# Ids per store read of the first pass (the embedded store answers a long list with one scan).
FETCH_CHUNK = 100_000

# What each line is, kept per line of each file, so the second pass decodes only the lines it wants.
_OTHER, _SOURCE, _NODE, _RELATION, _DERIVED = 0, 1, 2, 3, 4
_LINE_BITS = 40  # a place is file << 40 | line: files and lines both fit, as one int64
_KINDS = [k.name for k in schema.NODE_KINDS]
_KIND_CODE = {k: i for i, k in enumerate(_KINDS)}
_RELS = list(schema.RELATIONS)
_REL_CODE = {r: i for i, r in enumerate(_RELS)}
_ID_BITS = 26  # relation keys as one int64: type, from and to; enough for 67 million ids
_SOURCE_CODE = _KIND_CODE["Source"]


class Index:
    """What the first pass keeps of an import: ids, kinds, relation keys, citations and places, as
    numbers in arrays (a few dozen bytes per record), never the records."""

    def __init__(self, names: Sequence[str]) -> None:
        self.files = list(names)
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.kind = array("b")  # the kind the import gives an id (-1: none)
        self.stored = array("b")  # the kind the store holds it as (-1: none)
        self.at = array("q")  # where the import defines it (-1: nowhere)
        self.rel_type = array("B")
        self.rel_from = array("l")
        self.rel_to = array("l")
        self.rel_at = array("q")
        self.cited_at = array("q")  # a record's place and one source it cites, for the sources checks
        self.cited = array("l")
        self.derived: list[array] = [array("l"), array("l"), array("q")]  # DOCUMENTED_BY lines: from, to, place
        self.lines: list[bytearray] = []  # per file, what each line is (_SOURCE, _NODE, ...)
        self.problems: list[Problem] = []

    def code(self, node_id: str) -> int:
        n = self.ids.get(node_id)
        if n is None:
            n = self.ids[node_id] = len(self.names)
            self.names.append(node_id)
            self.kind.append(-1)
            self.stored.append(-1)
            self.at.append(-1)
        return n

    def place(self, at: int) -> tuple[str, int]:
        return self.files[at >> _LINE_BITS], at & ((1 << _LINE_BITS) - 1)

    def where(self, at: int) -> str:
        file, line = self.place(at)
        return f"{file}:{line}"

    def problem(self, at: int, message: str) -> None:
        self.problems.append(Problem(*self.place(at), message))

    def kind_of(self, n: int) -> str | None:
        k = self.kind[n] if self.kind[n] >= 0 else self.stored[n]
        return _KINDS[k] if k >= 0 else None

    def stored_id(self, node_id: str) -> bool:
        n = self.ids.get(node_id)
        return n is not None and self.stored[n] >= 0

    @property
    def creates_only(self) -> bool:
        """Whether every record of the import is new to the store: no imported id is stored (then no
        relation from or to one is either), and no DOCUMENTED_BY line adds a source to a stored node."""
        return (all(s < 0 for k, s in zip(self.kind, self.stored, strict=True) if k >= 0)
                and all(self.stored[f] < 0 for f in self.derived[0])
                and all(self.stored[a] < 0 or self.stored[b] < 0 for a, b in zip(self.rel_from, self.rel_to,
                                                                                   strict=True)))

    # -- the first pass --------------------------------------------------------------------------------
    def read(self, file: int, path: Path, max_line: int, limits: FieldLimits, progress: Callable[[int], None] | None
             ) -> None:
        kinds = bytearray(1)  # line numbers start at 1
        self.lines.append(kinds)
        base = file << _LINE_BITS
        try:
            stream = path.open("rb")
        except OSError as exc:
            self.problems.append(Problem(self.files[file], 0, f"cannot read the file: {exc.strerror}"))
            return
        with stream:
            for lineno, raw in raw_lines(stream, max_line):
                kinds.append(_OTHER)
                decoded = decode_line(raw, lineno, max_line)
                if decoded is None:
                    continue
                if progress is not None:
                    progress(1)
                obj, trouble = decoded
                if trouble is not None:
                    self.problems.append(Problem(self.files[file], lineno, trouble))
                    continue
                record, errors = parse_record(obj, limits, surrogates=may_hold_surrogates(raw))  # type: ignore[arg-type]
                if record is None:
                    self.problems.extend(Problem(self.files[file], lineno, e) for e in errors)
                    continue
                kinds[lineno] = self._keep(record, base | lineno)

    def _keep(self, record: Node | Relation, at: int) -> int:
        if isinstance(record, Node):
            n = self.code(record.id)
            if self.at[n] >= 0:
                self.problem(at, f"id {record.id!r} is already defined at {self.where(self.at[n])}")
            else:
                self.at[n] = at
                self.kind[n] = _KIND_CODE[record.kind]
            self._cite(record.sources, at)
            return _SOURCE if record.kind == "Source" else _NODE
        if record.rel in schema.DERIVED_RELATIONS:
            for column, value in zip(self.derived, (self.code(record.from_id), self.code(record.to_id), at),
                                     strict=True):
                column.append(value)
            return _DERIVED
        self.rel_type.append(_REL_CODE[record.rel])
        self.rel_from.append(self.code(record.from_id))
        self.rel_to.append(self.code(record.to_id))
        self.rel_at.append(at)
        self._cite(record.sources, at)
        return _RELATION

    def _cite(self, sources: Iterable[str], at: int) -> None:
        for s in sources:
            self.cited_at.append(at)
            self.cited.append(self.code(s))

    # -- the checks across records ---------------------------------------------------------------------
    def check(self, store: Store) -> dict[int, list[int]]:
        """The problems across records (added to ``problems``); returns the sources that DOCUMENTED_BY
        lines add to each node (by id number)."""
        for chunk in chunks(list(range(len(self.names))), FETCH_CHUNK):
            for node in store.get_nodes([self.names[n] for n in chunk]):
                self.stored[self.ids[node.id]] = _KIND_CODE[node.kind]
        for n, (k, s) in enumerate(zip(self.kind, self.stored, strict=True)):
            if k >= 0 and s >= 0 and k != s:
                self.problem(self.at[n], f"id {self.names[n]!r} is a {_KINDS[s]} in the store; "
                                         f"it cannot be imported as a {_KINDS[k]}")
        extra = self._derived()
        for at, s in zip(self.cited_at, self.cited, strict=True):
            k = self.kind_of(s)
            if k is None:
                self.problem(at, f"sources: Source {self.names[s]!r} does not exist in this import or the store")
            elif k != "Source":
                self.problem(at, f"sources: {self.names[s]!r} is a {k}, not a Source")
        repeated = self._relations()
        self._cycles(store, repeated)
        return extra

    def _derived(self) -> dict[int, list[int]]:
        extra: dict[int, list[int]] = {}
        for f, t, at in zip(*self.derived, strict=True):
            kinds = {}
            for side, n in (("from", f), ("to", t)):
                kinds[side] = self.kind_of(n)
                if kinds[side] is None:
                    self.problem(at, f"{side}: node {self.names[n]!r} does not exist in this import or the store")
            if kinds["to"] not in (None, "Source"):
                self.problem(at, f"to: {self.names[t]!r} is a {kinds['to']}, not a Source")
            if kinds["from"] == "Source":
                self.problem(at, f"from: {self.names[f]!r} is a Source, and a Source cites no sources")
            if None not in kinds.values() and kinds["to"] == "Source" and kinds["from"] != "Source":
                extra.setdefault(f, []).append(t)
        return extra

    def _relations(self) -> set[int]:
        """Relation checks; returns the positions of lines that repeat an earlier relation."""
        first: dict[int, int] = {}
        repeated: set[int] = set()
        allowed: dict[tuple[int, str, str], bool] = {}
        for i, (rel, f, t, at) in enumerate(zip(self.rel_type, self.rel_from, self.rel_to, self.rel_at,
                                                strict=True)):
            key = (rel << (2 * _ID_BITS)) | (f << _ID_BITS) | t
            seen = first.setdefault(key, at)
            name = _RELS[rel]
            if seen != at:
                repeated.add(i)
                self.problem(at, f"{name} from {self.names[f]!r} to {self.names[t]!r} is already defined at "
                                 f"{self.where(seen)}")
                continue
            kf, kt = self.kind_of(f), self.kind_of(t)
            for side, n, k in (("from", f, kf), ("to", t, kt)):
                if k is None:
                    self.problem(at, f"{side}: node {self.names[n]!r} does not exist in this import or the store")
            if kf and kt:
                ok = allowed.get((rel, kf, kt))
                if ok is None:
                    ok = allowed[(rel, kf, kt)] = schema.RELATIONS[name].allows(kf, kt)
                if not ok:
                    self.problem(at, f"{name} cannot go from {kf} ({self.names[f]}) to {kt} ({self.names[t]}); "
                                     f"allowed: {schema.endpoint_summary(schema.RELATIONS[name])}")
        return repeated

    def _cycles(self, store: Store, repeated: set[int]) -> None:
        for name, rtype in schema.RELATIONS.items():
            if not rtype.acyclic or name not in _REL_CODE:
                continue
            code = _REL_CODE[name]
            lines = [i for i, r in enumerate(self.rel_type) if r == code and i not in repeated]
            edges = [(self.names[self.rel_from[i]], self.names[self.rel_to[i]]) for i in lines]
            found = closed_cycles(_Checked(self, store), name, edges)  # type: ignore[arg-type]
            for i, cycle in sorted(found.items()):
                self.problem(self.rel_at[lines[i]], f"{name} from {edges[i][0]!r} to {edges[i][1]!r} "
                                                    f"would close a cycle ({' → '.join(cycle)}); {name} is a hierarchy")


class _Checked:
    """The store as the cycle check reads it: a node new in this import has no stored relations, so
    its are not asked for (ids the import does not name were reached through the store)."""

    def __init__(self, index: Index, store: Store) -> None:
        self._index = index
        self._store = store

    def relations(self, ids: Sequence[str], direction: Any, types: Sequence[str]) -> list[Relation]:
        index = self._index
        stored = [i for i in ids if (n := index.ids.get(i)) is None or index.stored[n] >= 0]
        return self._store.relations(stored, direction, types) if stored else []


def validate(store: Store, paths: Sequence[Path], names: Sequence[str], max_line: int, limits: FieldLimits,
             progress: Callable[[int], None] | None) -> tuple[Index, dict[int, list[int]]]:
    """The first pass: every line checked, then every check across records; raises ImportRejected
    listing every problem."""
    index = Index(names)
    for file, path in enumerate(paths):
        index.read(file, path, max_line, limits, progress)
    extra = index.check(store)
    if index.problems:
        raise ImportRejected(index.problems)
    return index, extra


# -- the second pass ---------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What the second pass needs: the files, the first pass's index, and how to stamp changes."""

    store: Store
    paths: Sequence[Path]
    index: Index
    extra: dict[int, list[int]]
    max_line: int
    limits: FieldLimits
    based_on: str | None
    chunk: int = CHUNK

    @property
    def records(self) -> int:
        """How many records the second pass hands over at most (for progress)."""
        stored = sum(1 for n in self.extra if self.index.kind[n] < 0)
        return sum(1 for k in self.index.kind if k >= 0) + len(self.index.rel_type) + stored

    def read(self, want: int) -> Iterator[Node | Relation]:
        """The records of the lines the first pass found to be ``want`` (_SOURCE, _NODE, _RELATION),
        in file order, nodes with the sources DOCUMENTED_BY lines add."""
        index = self.index
        for file, path in enumerate(self.paths):
            kinds = index.lines[file]
            if want not in kinds:
                continue
            with path.open("rb") as stream:
                for lineno, raw in raw_lines(stream, self.max_line):
                    if lineno >= len(kinds) or kinds[lineno] != want:
                        continue
                    record = self._again(file, lineno, raw)
                    if isinstance(record, Node) and (add := self.extra.get(index.ids[record.id])):
                        record = replace(record, sources=tuple(sorted({*record.sources,
                                                                       *(index.names[s] for s in add)})))
                    yield record

    def _again(self, file: int, lineno: int, raw: bytes | None) -> Node | Relation:
        decoded = decode_line(raw, lineno, self.max_line)
        problems = ["the line is blank now"] if decoded is None else [decoded[1]] if decoded[1] else []
        record = None
        if not problems:
            record, problems = parse_record(decoded[0], self.limits,  # type: ignore[index]
                                            surrogates=may_hold_surrogates(raw))  # type: ignore[arg-type]
        if record is None:
            # Valid in the first pass: the file was changed during the import. The store's
            # transaction (or, in batches, the batches still to write) is abandoned.
            raise ImportRejected([Problem(self.index.files[file], lineno, f"{p} (the file changed during the "
                                          "import; nothing of it was written, except batches already committed "
                                          "when writing in batches: see docs/interchange.md)") for p in problems])
        return record

    def stored_with_sources(self) -> Iterator[Node]:
        """Stored nodes that DOCUMENTED_BY lines add sources to and the import does not define."""
        index = self.index
        ids = [n for n in self.extra if index.kind[n] < 0]
        for chunk in chunks(ids, FETCH_CHUNK):
            for node in self.store.get_nodes([index.names[n] for n in chunk]):
                add = {index.names[s] for s in self.extra[index.ids[node.id]]}
                yield replace(node, sources=tuple(sorted({*node.sources, *add})))


def _batches(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for r in records:
        batch.append(r)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def changes_stream(plan: Plan, actor: str, reason: str, counts: tuple[Any, Any],
                   changed: Callable[..., list[Any]], stamp: Callable[..., Any]) -> Iterator[Changes]:
    """The second pass: one ``Changes`` per chunk, holding only what differs from the store."""
    index, store = plan.index, plan.store
    now = utc_now()
    nodes = chain(plan.read(_SOURCE), plan.read(_NODE), plan.stored_with_sources())
    for part in _batches(nodes, plan.chunk):
        maybe = [n.id for n in part if index.stored_id(n.id)]
        old = {n.id: n for n in store.get_nodes(maybe)} if maybe else {}
        changes = Changes(based_on=plan.based_on)
        changes.nodes = changed(part, lambda n, old=old: old.get(n.id), counts[0],  # type: ignore[misc]
                                stamp(actor, now, reason, changes))
        yield changes
    for part in _batches(plan.read(_RELATION), plan.chunk):
        froms: dict[str, set[str]] = {}
        for r in part:
            if index.stored_id(r.from_id) and index.stored_id(r.to_id):
                froms.setdefault(r.rel, set()).add(r.from_id)
        old_rels = {r.key: r for rel, ids in froms.items() for r in store.relations(sorted(ids), "out", [rel])}
        changes = Changes(based_on=plan.based_on)
        changes.relations = changed(part, lambda r, old=old_rels: old.get(r.key), counts[1],  # type: ignore[misc]
                                    stamp(actor, now, reason, changes))
        yield changes
