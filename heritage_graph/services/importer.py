"""Import interchange files: validate everything, then write once.

Nothing is written unless every line of every file is valid, every relation's
endpoints exist (in the import or the store) with kinds the schema allows, and
no id changes kind. A valid import is one store transaction that writes only
what differs from the store, so importing the same files again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import schema
from ..clock import utc_now
from ..errors import ImportRejected, Problem
from ..history import revision_for
from ..interchange import MAX_LINE_BYTES, Located, display_path, parse_record, read_lines
from ..model import Changes, Node, Relation, node_key, relation_key
from ..schema import DEFAULT_LIMITS, SYSTEM_FIELDS, FieldLimits
from ..store.base import Store, chunks
from . import import_stream
from .cycles import closed_cycles

Progress = Callable[[int], None]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    nodes: Counts = field(default_factory=Counts)
    relations: Counts = field(default_factory=Counts)
    files: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.nodes.created or self.nodes.updated or self.relations.created or self.relations.updated)

    def summary(self) -> str:
        n, r = self.nodes, self.relations
        text = (
            f"nodes: {n.created} created, {n.updated} updated, {n.unchanged} unchanged; "
            f"relations: {r.created} created, {r.updated} updated, {r.unchanged} unchanged"
        )
        if not self.changed:
            return text + " — nothing to change, the store already holds these records"
        return text


@dataclass
class Parsed:
    nodes: list[Located] = field(default_factory=list)
    relations: list[Located] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


FORMATS = ("jsonl", "xlsx", "csv")


def format_of(path: Path) -> str:
    """The format a path is in when none is named: a workbook by its ending, a folder of CSV files, else JSON Lines."""
    if path.suffix.lower() == ".xlsx":
        return "xlsx"
    return "csv" if path.is_dir() else "jsonl"


def parse_files(paths: Sequence[Path], progress: Progress | None = None,
                max_line: int = MAX_LINE_BYTES, limits: FieldLimits = DEFAULT_LIMITS, *,
                fmt: str | None = None, names: Sequence[str] | None = None) -> Parsed:
    """Every record of ``paths``, each read as ``fmt`` says (or ``format_of`` it), problems told at the
    place ``names`` gives (by default, the path)."""
    parsed = Parsed()
    for i, path in enumerate(paths):
        name = names[i] if names is not None else display_path(path)
        form = fmt or format_of(path)
        if form == "jsonl":
            _parse_lines(path, name, parsed, progress, max_line, limits)
        else:
            from ..sheets.read import read_sheets  # openpyxl loads only for a spreadsheet

            read_sheets(path, name, form, parsed, progress, limits)
    return parsed


def _parse_lines(path: Path, name: str, parsed: Parsed, progress: Progress | None, max_line: int,
                 limits: FieldLimits) -> None:
    try:
        stream = path.open("rb")
    except OSError as exc:
        parsed.problems.append(Problem(name, 0, f"cannot read the file: {exc.strerror}"))
        return
    with stream:
        for lineno, obj, problem in read_lines(stream, name, max_line):
            if progress is not None:
                progress(1)
            if problem is not None:
                parsed.problems.append(Problem(name, lineno, problem))
                continue
            record, errors = parse_record(obj, limits)
            if record is None:
                parsed.problems.extend(Problem(name, lineno, e) for e in errors)
            elif isinstance(record, Node):
                parsed.nodes.append(Located(record, name, lineno))
            else:
                parsed.relations.append(Located(record, name, lineno))


# Ids per existence check: large, because a store may answer a long list with one scan (the
# embedded store does) at the cost of a handful of point lookups.
FETCH_CHUNK = 100_000


def _fetch_nodes(store: Store, ids: Iterable[str]) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for chunk in chunks(sorted(set(ids)), FETCH_CHUNK):
        for n in store.get_nodes(chunk):
            found[n.id] = n
    return found


def _fetch_relations(store: Store, rels: list[Relation]) -> dict[tuple[str, str, str], Relation]:
    by_type: dict[str, set[str]] = {}
    for r in rels:
        by_type.setdefault(r.rel, set()).add(r.from_id)
    found: dict[tuple[str, str, str], Relation] = {}
    for rel, froms in by_type.items():
        for chunk in chunks(sorted(froms), FETCH_CHUNK):
            for r in store.relations(chunk, "out", [rel]):
                found[r.key] = r
    return found


def check(store: Store, parsed: Parsed) -> tuple[list[Problem], dict[str, Node], dict[tuple[str, str, str], Relation]]:
    """Cross-record checks against each other and the store."""
    problems = list(parsed.problems)
    first: dict[str, Located] = {}
    for loc in parsed.nodes:
        node = loc.record
        assert isinstance(node, Node)
        seen = first.get(node.id)
        if seen is not None:
            problems.append(loc.problem(f"id {node.id!r} is already defined at {seen.where}"))
        else:
            first[node.id] = loc
    imported: dict[str, Node] = {i: loc.record for i, loc in first.items()}  # type: ignore[misc]

    wanted = set(imported)
    for loc in parsed.nodes:
        wanted.update(loc.record.sources)
    for loc in parsed.relations:
        r = loc.record
        assert isinstance(r, Relation)
        wanted.update((r.from_id, r.to_id, *r.sources))
    stored = _fetch_nodes(store, wanted)

    def kind_of(node_id: str) -> str | None:
        n = imported.get(node_id) or stored.get(node_id)
        return n.kind if n else None

    for loc in parsed.nodes:
        node = loc.record
        assert isinstance(node, Node)
        old = stored.get(node.id)
        if old is not None and old.kind != node.kind:
            problems.append(loc.problem(f"id {node.id!r} is a {old.kind} in the store; "
                                        f"it cannot be imported as a {node.kind}"))
        _check_sources(node.sources, kind_of, loc, problems)

    rel_first: dict[tuple[str, str, str], Located] = {}
    for loc in parsed.relations:
        r = loc.record
        assert isinstance(r, Relation)
        seen = rel_first.get(r.key)
        if seen is not None:
            problems.append(loc.problem(f"{r.rel} from {r.from_id!r} to {r.to_id!r} is already defined at "
                                        f"{seen.where}"))
            continue
        rel_first[r.key] = loc
        rtype = schema.RELATIONS[r.rel]
        kinds = {}
        for side, node_id in (("from", r.from_id), ("to", r.to_id)):
            kinds[side] = kind_of(node_id)
            if kinds[side] is None:
                problems.append(loc.problem(f"{side}: node {node_id!r} does not exist in this import or the store"))
        if kinds["from"] and kinds["to"] and not rtype.allows(kinds["from"], kinds["to"]):
            problems.append(loc.problem(
                f"{r.rel} cannot go from {kinds['from']} ({r.from_id}) to {kinds['to']} ({r.to_id}); "
                f"allowed: {schema.endpoint_summary(rtype)}"))
        _check_sources(r.sources, kind_of, loc, problems)

    _check_cycles(store, rel_first, problems)
    existing_rels = _fetch_relations(store, [loc.record for loc in rel_first.values()])  # type: ignore[misc]
    return problems, stored, existing_rels


def _check_cycles(store: Store, relations: dict[tuple[str, str, str], Located], problems: list[Problem]) -> None:
    by_type: dict[str, list[Located]] = {}
    for key, loc in relations.items():
        if schema.RELATIONS[key[0]].acyclic:
            by_type.setdefault(key[0], []).append(loc)
    for rel, locs in by_type.items():
        edges = [(loc.record.from_id, loc.record.to_id) for loc in locs]  # type: ignore[union-attr]
        for i, cycle in sorted(closed_cycles(store, rel, edges).items()):
            problems.append(locs[i].problem(f"{rel} from {edges[i][0]!r} to {edges[i][1]!r} "
                                            f"would close a cycle ({' → '.join(cycle)}); {rel} is a hierarchy"))


def _check_sources(sources: Iterable[str], kind_of: Callable[[str], str | None], loc: Located,
                   problems: list[Problem]) -> None:
    for s in sources:
        k = kind_of(s)
        if k is None:
            problems.append(loc.problem(f"sources: Source {s!r} does not exist in this import or the store"))
        elif k != "Source":
            problems.append(loc.problem(f"sources: {s!r} is a {k}, not a Source"))


def run_import(store: Store, paths: Sequence[Path], *, actor: str = "import", dry_run: bool = False,
               progress: Progress | None = None, on_write: Callable[[int], Progress] | None = None,
               max_line: int = MAX_LINE_BYTES, limits: FieldLimits = DEFAULT_LIMITS, fmt: str | None = None,
               names: Sequence[str] | None = None, as_drafts: bool = False, batch_size: int | None = None,
               chunk_size: int | None = None) -> ImportReport:
    """Validate ``paths`` (lines up to ``max_line`` bytes, fields within ``limits``) as one import and
    write it in one transaction.

    Each path is read as ``fmt`` (``FORMATS``), or as its name says (``format_of``); problems name it as
    ``names`` says (an upload's own name rather than the temporary file's). ``as_drafts``: every node
    is imported as a draft recorded by ``actor``, and a record the store holds as anything but a
    draft is refused (the workspace's upload: records to review, never a change to published ones).
    Raises ``ImportRejected`` listing every problem; the store is then unchanged.
    ``progress`` is told of each line read; ``on_write(total)`` returns the
    callback told of each batch written.

    JSON Lines files (all but an upload of drafts) are imported in bounded memory (import_stream):
    validated in a first pass, written in a second, in chunks of ``chunk_size`` records, in one
    transaction; or, with ``batch_size`` (by default on Neo4j past ``NEO4J_BATCH_MIN`` records), in
    transactions of that many records each, committed one after the other: a failure while writing
    then leaves the batches before it, and running the same import again finishes the job.
    """
    report = ImportReport(files=list(names) if names is not None else [display_path(p) for p in paths])
    if not as_drafts and all((fmt or format_of(p)) == "jsonl" for p in paths):
        _stream(store, paths, report, actor, dry_run, progress, on_write, max_line, limits, batch_size, chunk_size)
        return report
    read = _Read(paths, progress, max_line, limits, fmt, names)
    changes = _plan(store, read, actor, report, as_drafts)
    if not dry_run and (changes.nodes or changes.relations):
        total = len(changes.nodes) + len(changes.relations)
        store.apply(changes, on_write(total) if on_write else None)
        report.written = True
    return report


def _stream(store: Store, paths: Sequence[Path], report: ImportReport, actor: str, dry_run: bool,
            progress: Progress | None, on_write: Callable[[int], Progress] | None, max_line: int,
            limits: FieldLimits, batch_size: int | None, chunk_size: int | None) -> None:
    # Read before the checks: the store may then skip re-reading their versions when it writes.
    based_on = store.data_version()
    index, extra = import_stream.validate(store, paths, report.files, max_line, limits, progress)
    plan = import_stream.Plan(store, paths, index, extra, max_line, limits, based_on)
    total = plan.records
    if batch_size is None and store.dialect == "neo4j" and total > import_stream.NEO4J_BATCH_MIN:
        batch_size = import_stream.NEO4J_BATCH
    plan.chunk = batch_size or chunk_size or import_stream.CHUNK
    stream = import_stream.changes_stream(plan, actor, f"import {', '.join(report.files)}",
                                          (report.nodes, report.relations), _changed, _Stamp)
    if dry_run:
        for _ in stream:
            pass
        return
    written = [False]

    def changed_only() -> Iterator[Changes]:
        for changes in stream:
            if changes.nodes or changes.relations:
                written[0] = True
                yield changes

    told = on_write(total) if on_write else None
    committed = [0]

    def progress_of(n: int) -> None:
        committed[0] += n
        if told is not None:
            told(n)

    try:
        store.apply_stream(changed_only(), progress_of, batched=batch_size is not None,
                           creates_only=index.creates_only and total >= import_stream.BULK_MIN)
    except Exception as exc:
        if batch_size is None and "buffer pool is full" in str(exc):
            # LadybugDB holds a transaction's new rows in its page cache until the commit, and spills
            # none of them: an import larger than the cache cannot be one transaction.
            exc.add_note("the import is larger than the embedded store's page cache can hold in one transaction "
                         "(nothing was written): give it more (HERITAGE_BUFFER_POOL_MB), or import in batches "
                         "(--batch-size, see docs/interchange.md, \"Large imports\").")
        if batch_size is not None and committed[0]:
            exc.add_note(f"the import was writing in batches of {batch_size:,} records, each committed on its own: "
                         f"the batches written before this failure (up to {committed[0]:,} records) stay in the "
                         "store. Run the same import again to finish it: it writes only what is still missing.")
        raise
    report.written = written[0]


@dataclass(frozen=True)
class _Read:
    paths: Sequence[Path]
    progress: Progress | None
    max_line: int
    limits: FieldLimits
    fmt: str | None
    names: Sequence[str] | None

    def __call__(self) -> Parsed:
        return parse_files(self.paths, self.progress, self.max_line, self.limits, fmt=self.fmt, names=self.names)


def _plan(store: Store, read: Callable[[], Parsed], actor: str, report: ImportReport, as_drafts: bool) -> Changes:
    """What the import changes; the parsed lines and the store's records read for the checks are
    let go when this returns (at a national scale they take as much memory as the changes)."""
    parsed = read()
    # Read before the checks: the store may then skip re-reading their versions when it writes.
    based_on = store.data_version()
    _merge_sources(store, parsed)
    if as_drafts:
        _as_drafts(parsed)
    problems, stored, existing_rels = check(store, parsed)
    if as_drafts:
        problems += [loc.problem(f"id {loc.record.id!r} is {old.status} in the store: an upload adds and changes "
                                 "drafts only; change a published record from its page")
                     for loc in parsed.nodes if (old := stored.get(loc.record.id)) and old.status != "draft"]
    if problems:
        raise ImportRejected(problems)
    changes = Changes(based_on=based_on)
    ctx = _Stamp(actor, utc_now(), f"import {', '.join(report.files)}", changes)
    nodes: list[Any] = [loc.record for loc in parsed.nodes]
    relations: list[Any] = [loc.record for loc in parsed.relations]
    del parsed  # the lines' places are only needed to report problems
    changes.nodes = _changed(nodes, lambda n: stored.get(n.id), report.nodes, ctx)
    changes.relations = _changed(relations, lambda r: existing_rels.get(r.key), report.relations, ctx)
    return changes


def _merge_sources(store: Store, parsed: Parsed) -> None:
    """DOCUMENTED_BY lines become what they mean: their Source added to the node's ``sources``, the node of
    this import or, when the import has none, the stored one (which the import then updates)."""
    derived = [loc for loc in parsed.relations if loc.record.rel in schema.DERIVED_RELATIONS]  # type: ignore[union-attr]
    if not derived:
        return
    parsed.relations = [loc for loc in parsed.relations if loc.record.rel not in schema.DERIVED_RELATIONS]  # type: ignore[union-attr]
    at: dict[str, int] = {}
    for i, loc in enumerate(parsed.nodes):
        at.setdefault(loc.record.id, i)  # type: ignore[union-attr]
    stored = _fetch_nodes(store, {e for loc in derived for e in (loc.record.from_id, loc.record.to_id)  # type: ignore[union-attr]
                                  if e not in at})
    for loc in derived:
        rel = loc.record
        assert isinstance(rel, Relation)
        kinds = {}
        for side, node_id in (("from", rel.from_id), ("to", rel.to_id)):
            node = parsed.nodes[at[node_id]].record if node_id in at else stored.get(node_id)
            kinds[side] = node.kind if node is not None else None  # type: ignore[union-attr]
            if node is None:
                parsed.problems.append(loc.problem(f"{side}: node {node_id!r} does not exist in this import or "
                                                   "the store"))
        if kinds["to"] not in (None, "Source"):
            parsed.problems.append(loc.problem(f"to: {rel.to_id!r} is a {kinds['to']}, not a Source"))
        if kinds["from"] == "Source":
            parsed.problems.append(loc.problem(f"from: {rel.from_id!r} is a Source, and a Source cites no sources"))
        if None in kinds.values() or kinds["to"] != "Source" or kinds["from"] == "Source":
            continue
        if rel.from_id not in at:
            at[rel.from_id] = len(parsed.nodes)
            parsed.nodes.append(replace(loc, record=stored[rel.from_id]))
        into = parsed.nodes[at[rel.from_id]]
        parsed.nodes[at[rel.from_id]] = replace(into, record=replace(
            into.record, sources=tuple(sorted({*into.record.sources, rel.to_id}))))  # type: ignore[union-attr]


def _as_drafts(parsed: Parsed) -> None:
    """Every node a draft, recorded (when new) by the importer: what the uploaded file says of who
    recorded its records, and when, is not kept."""
    unset = dict.fromkeys(SYSTEM_FIELDS)
    parsed.nodes = [replace(loc, record=replace(loc.record, status="draft", **unset)) for loc in parsed.nodes]
    parsed.relations = [replace(loc, record=replace(loc.record, **unset)) for loc in parsed.relations]


@dataclass
class _Stamp:
    actor: str
    now: str
    reason: str
    changes: Changes


def _changed(records: list[Any], old_of: Callable[[Any], Any], counts: Counts, stamp: _Stamp) -> list[Any]:
    """The records that differ from what the store holds, counted as created, updated or unchanged
    (``records`` is emptied as it goes).

    Who recorded a record and when is kept from the store (or from the line, when
    it carries them, as an export does); a change stamps ``updated_at``, raises the
    version, expects the version read (so a concurrent edit makes the import fail
    rather than be overwritten) and records a revision.
    """
    out = []
    for i, rec in enumerate(records):
        records[i] = None  # each record is replaced by its stamped copy: never hold both lists whole
        old = old_of(rec)
        given = {f: getattr(rec, f) for f in SYSTEM_FIELDS if getattr(rec, f)}
        if old is None:
            counts.created += 1
            rec = replace(rec, **{"recorded_by": stamp.actor, "recorded_at": stamp.now, "updated_at": stamp.now,
                                  **given}, version=1)
        else:
            rec = replace(rec, **{**{f: getattr(old, f) for f in SYSTEM_FIELDS}, **given}, version=old.version)
            if rec == old:
                counts.unchanged += 1
                continue
            counts.updated += 1
            rec = replace(rec, version=old.version + 1, **({} if "updated_at" in given else {"updated_at": stamp.now}))
        key = node_key(rec.id) if isinstance(rec, Node) else relation_key(rec)
        stamp.changes.expected[key] = old.version if old is not None else 0
        stamp.changes.revisions.append(revision_for(rec, old, "import", stamp.actor, stamp.now, stamp.reason,
                                                    lazy=True))
        out.append(rec)
    return out


def count_lines(paths: Sequence[Path]) -> int:
    total = 0
    for p in paths:
        try:
            with p.open("rb") as f:  # in pieces: a line may be far longer than the import allows
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        except OSError:
            pass
    return total
