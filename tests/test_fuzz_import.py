"""A hypothesis fuzz of the importer: every bad line is refused at its `file:line`, and nothing is written.

A small valid world is imported first; then each example imports a file of valid new lines (new
nodes, relations, an update) with one bad line put among them: broken JSON, wrong types, huge
strings, deep nesting, invalid UTF-8, lone surrogate escapes, numbers too long to read, duplicate
keys and ids, unknown kinds, relation types, fields and properties, bad ids, missing nodes,
endpoint kinds the schema does not allow, an id that changes kind. The property, on the memory and
the Ladybug store: `run_import` raises ImportRejected; a problem names the bad line's file and
number and says what is wrong (the field, where there is one); no problem lands on a valid line;
and the store is as it was (its export, node count and revisions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heritage_graph import schema
from heritage_graph.cli import main
from heritage_graph.errors import ImportRejected
from heritage_graph.interchange import display_path
from heritage_graph.services.exporter import export_lines
from heritage_graph.services.importer import run_import
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import LadybugStore

# Examples per store: the memory store is cheap; on Ladybug each import reads the store.
EXAMPLES = {"memory": 150, "ladybug": 100, "neo4j": 30}
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

BASE: list[dict[str, Any]] = [
    {"kind": "Source", "id": "src-a", "name": "A source", "properties": {"type": "book", "title": "A"}},
    {"kind": "Place", "id": "pe", "name": "Perú", "properties": {"level": "country"}, "sources": ["src-a"]},
    {"kind": "Place", "id": "pe-cusco", "name": "Cusco", "properties": {"level": "department"}},
    {"kind": "Practitioner", "id": "ana", "name": "Ana", "properties": {"birth_year": 1930}},
    {"kind": "Practitioner", "id": "beto", "name": "Beto"},
    {"kind": "Tradition", "id": "fiesta", "name": "Fiesta", "properties": {"category": "festival"}},
    {"kind": "Tradition", "id": "danza", "name": "Danza", "properties": {"category": "dance"}},
    {"kind": "Craft", "id": "tejido", "name": "Tejido"},
    {"kind": "Community", "id": "comunidad", "name": "Comunidad"},
    {"rel": "LOCATED_IN", "from": "pe-cusco", "to": "pe"},
    {"rel": "LEARNED_FROM", "from": "beto", "to": "ana", "sources": ["src-a"]},
    {"rel": "PRACTICES", "from": "comunidad", "to": "tejido"},
]
BASE_KINDS = {r["id"]: r["kind"] for r in BASE if "kind" in r}
# Valid new lines that go with every bad one: new records, relations to stored and new nodes, an update.
FRESH: list[dict[str, Any]] = [
    {"kind": "Source", "id": "src-b", "name": "B source", "properties": {"type": "interview"}},
    {"kind": "Practitioner", "id": "carla", "name": "Carla", "names": {"es": "Carla", "qu": "Karla"},
     "properties": {"birth_year": 1961, "roles": ["weaver"]}, "sources": ["src-b"], "confidence": "high"},
    {"kind": "Place", "id": "pe-puno", "name": "Puno", "properties": {"level": "department", "lat": -15.8}},
    {"kind": "Tradition", "id": "fiesta", "name": "Fiesta patronal", "properties": {"category": "festival"}},
    {"rel": "LOCATED_IN", "from": "pe-puno", "to": "pe"},
    {"rel": "LEARNED_FROM", "from": "carla", "to": "ana", "properties": {"period": "1970s"}, "note": "taller"},
    {"rel": "MEMBER_OF", "from": "carla", "to": "comunidad"},
]
FRESH_IDS = {r["id"] for r in FRESH if "kind" in r}
KNOWN_IDS = set(BASE_KINDS) | FRESH_IDS
# Stored nodes no valid line refers to: a bad line may give one of them another kind without
# making a valid line wrong.
RETYPABLE = ("pe-cusco", "tejido", "beto", "danza")
NON_SOURCES = tuple(i for i, k in BASE_KINDS.items() if k != "Source")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


@dataclass(frozen=True)
class Bad:
    """One bad line, what its problem must say (a regex), and the FRESH line it must follow, if any."""

    raw: bytes
    expect: str
    after: int | None = None


def bad_obj(obj: Any, expect: str, after: int | None = None) -> Bad:
    return Bad(dumps(obj).encode("utf-8"), expect, after)


# -- values -------------------------------------------------------------------------------
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
not_strings = json_values.filter(lambda v: v is not None and not isinstance(v, str))
# Long enough to be huge in a line, cheap to build: a short piece repeated.
huge_text = st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=4), st.integers(200, 60_000))
bad_ids = st.one_of(
    st.text(max_size=30).filter(lambda s: not schema.ID_PATTERN.fullmatch(s)),
    st.builds(lambda n: "a" * n, st.integers(129, 50_000)),  # one past the 128-character limit, and far past
    st.sampled_from(["Ana", "ana maría", "-ana", ".ana", "_ana", "ana\n", "ana/1", "аna", "ana`", "ana'"]),
    not_strings,
)
unknown = st.text(min_size=1, max_size=30)


def _wrong(field: str, template: dict[str, Any], values: st.SearchStrategy[Any], expect: str) -> st.SearchStrategy[Bad]:
    """The template with ``field`` (``a.b`` reaches into an object) set to a drawn value."""
    def build(value: Any) -> Bad:
        obj = json.loads(json.dumps(template))
        *outer, last = field.split(".")
        target = obj
        for key in outer:
            target = target.setdefault(key, {})
        target[last] = value
        return bad_obj(obj, expect)

    return values.map(build)


NODE = {"kind": "Practitioner", "id": "dora", "name": "Dora", "names": {"es": "Dora"},
        "properties": {"birth_year": 1950, "roles": ["weaver"]}, "sources": ["src-a"], "confidence": "high",
        "sensitivity": "public", "status": "published"}
SOURCE = {"kind": "Source", "id": "src-c", "name": "C", "properties": {"title": "C", "date": "1999"}}
RELATION = {"rel": "KIN_OF", "from": "ana", "to": "beto", "properties": {"kinship": "parent"}, "note": "n",
            "confidence": "low"}


def _not_in(allowed: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return st.one_of(not_strings, st.text(max_size=20), huge_text).filter(lambda v: v not in allowed)


wrong_types = st.one_of(
    _wrong("name", NODE, st.one_of(not_strings, st.just(""), st.text(" \t", min_size=1, max_size=5), st.none()),
           r"^name: required"),
    _wrong("names", NODE, not_strings.filter(lambda v: not isinstance(v, dict)), r"^names: expected an object"),
    _wrong("names", NODE, st.dictionaries(st.text(max_size=12).filter(lambda k: not schema.LANG_PATTERN.fullmatch(k)),
                                          st.just("x"), min_size=1, max_size=2), r"^names: .* is not a language code"),
    _wrong("names.es", NODE, st.one_of(not_strings, st.just(""), st.just("  ")),
           r"^names\.es: expected non-empty text"),
    _wrong("properties.birth_year", NODE, st.one_of(
        st.text(max_size=8), st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)),
        st.booleans(), st.integers().filter(lambda i: not -5000 <= i <= 2200),
        st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
        r"^properties\.birth_year: "),
    _wrong("properties.roles", NODE, st.one_of(
        not_strings.filter(lambda v: not isinstance(v, list)), st.text(max_size=5),
        st.lists(not_strings, min_size=1, max_size=3)), r"^properties\.roles: expected a list of strings"),
    _wrong("sources", NODE, st.one_of(not_strings.filter(lambda v: not isinstance(v, list)), st.text(max_size=5)),
           r"^sources: expected a list of Source ids"),
    _wrong("sources", NODE, bad_ids.map(lambda i: [i]), r"^sources\[0\]: .* is not a valid id"),
    *(_wrong(f, NODE, _not_in(allowed), rf"^{f}: .* is not allowed")
      for f, allowed in (("confidence", schema.CONFIDENCE), ("sensitivity", schema.SENSITIVITY),
                         ("status", schema.STATUSES))),
    _wrong("recorded_at", NODE, st.one_of(not_strings, st.text(max_size=12).filter(lambda t: t.strip()),
                                          st.just("2024-05-01T12:00:00")), r"^recorded_at: "),
    _wrong("properties.title", SOURCE, not_strings, r"^properties\.title: expected a string"),
    _wrong("properties.date", SOURCE, st.sampled_from(["1999-13", "99", "1999-02-30x", "May 1999", "1999/05"]),
           r"^properties\.date: .* is not of the form"),
    _wrong("properties.kinship", RELATION, _not_in(schema.KINSHIP), r"^properties\.kinship: "),
    _wrong("note", RELATION, not_strings, r"^note: expected a string"),
    _wrong("confidence", RELATION, _not_in(schema.CONFIDENCE), r"^confidence: .* is not allowed"),
)

unknowns = st.one_of(
    unknown.filter(lambda k: k not in schema.KINDS).map(
        lambda k: bad_obj({"kind": k, "id": "x", "name": "X"}, r"^kind: .* is not a node kind")),
    not_strings.map(lambda k: bad_obj({"kind": k, "id": "x", "name": "X"}, r"^kind: .* is not a node kind")),
    unknown.filter(lambda r: r not in schema.RELATIONS).map(
        lambda r: bad_obj({"rel": r, "from": "ana", "to": "beto"}, r"^rel: .* is not a relation type")),
    st.just(bad_obj({"rel": "DOCUMENTED_BY", "from": "ana", "to": "src-a", "confidence": "high"},
                    r"^confidence: a DOCUMENTED_BY line takes only rel, from and to")),
    unknown.filter(lambda k: k not in schema.COMMON_FIELDS).map(
        lambda k: bad_obj({**NODE, k: 1}, rf"^{re.escape(k)}: unknown field")),
    unknown.filter(lambda k: k not in schema.RELATION_FIELDS).map(
        lambda k: bad_obj({**RELATION, k: 1}, rf"^{re.escape(k)}: unknown field")),
    unknown.filter(lambda k: k not in {p.name for p in schema.KINDS["Practitioner"].props}).map(
        lambda k: bad_obj({**NODE, "properties": {k: "x"}},
                          rf"^properties\.{re.escape(k)}: unknown property for Practitioner")),
    st.just(bad_obj({"kind": "Place", "rel": "LOCATED_IN", "id": "x"}, r'either "kind" .* or "rel"')),
    st.just(bad_obj({"id": "x", "name": "X"}, r'either "kind" .* or "rel"')),
    not_strings.filter(lambda v: not isinstance(v, dict)).map(lambda v: bad_obj(v, r"^expected a JSON object")),
    st.just(bad_obj({"kind": "Source", "id": "src-d", "name": "D", "sources": ["src-a"]},
                    r"^sources: a Source cannot cite sources")),
)

ids = st.one_of(
    bad_ids.map(lambda i: bad_obj({**NODE, "id": i}, r"^id: .* is not a valid id")),
    bad_ids.map(lambda i: bad_obj({**RELATION, "from": i}, r"^from: .* is not a valid id")),
    bad_ids.map(lambda i: bad_obj({**RELATION, "to": i}, r"^to: .* is not a valid id")),
)


def _disallowed_endpoints() -> list[tuple[str, str, str]]:
    return [(r.name, a, b) for r in schema.RELATION_TYPES if r.name not in schema.DERIVED_RELATIONS
            for a, ka in BASE_KINDS.items() for b, kb in BASE_KINDS.items() if a != b and not r.allows(ka, kb)]


missing_ids = st.from_regex(schema.ID_PATTERN, fullmatch=True).filter(lambda i: i not in KNOWN_IDS)
references = st.one_of(
    st.sampled_from(_disallowed_endpoints()).map(
        lambda t: bad_obj({"rel": t[0], "from": t[1], "to": t[2]}, rf"^{t[0]} cannot go from")),
    st.tuples(st.sampled_from(["from", "to"]), missing_ids).map(
        lambda t: bad_obj({**RELATION, t[0]: t[1]}, rf"^{t[0]}: node .* does not exist in this import or the store")),
    missing_ids.map(lambda i: bad_obj({**NODE, "sources": [i]}, r"^sources: Source .* does not exist")),
    st.sampled_from(NON_SOURCES).map(
        lambda i: bad_obj({**NODE, "sources": [i]}, rf"^sources: '{i}' is a {BASE_KINDS[i]}, not a Source")),
    st.tuples(st.sampled_from(RETYPABLE), st.sampled_from(list(schema.KINDS))).filter(
        lambda t: BASE_KINDS[t[0]] != t[1]).map(
        lambda t: bad_obj({"kind": t[1], "id": t[0], "name": "X"},
                          rf"^id '{t[0]}' is a {BASE_KINDS[t[0]]} in the store; it cannot be imported as a {t[1]}")),
)


def _duplicate(index: int, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Bad:
    expect = r"^id .* is already defined at" if "kind" in FRESH[index] else r"already defined at"
    return bad_obj(change(dict(FRESH[index])), expect, after=index)


duplicates = st.one_of(
    st.tuples(st.sampled_from([i for i, r in enumerate(FRESH) if "kind" in r]), st.sampled_from(list(schema.KINDS)))
    .map(lambda t: _duplicate(t[0], lambda r: {"kind": t[1], "id": r["id"], "name": "Again"})),
    st.sampled_from([i for i, r in enumerate(FRESH) if "rel" in r]).map(
        lambda i: _duplicate(i, lambda r: {**r, "note": "again"})),
    st.tuples(st.sampled_from(list(NODE)), json_values).map(
        lambda t: Bad(dumps(NODE)[:-1].encode() + f", {dumps(t[0])}: {dumps(t[1])}}}".encode(),
                      rf"^invalid JSON: the key {re.escape(json.dumps(t[0]))} appears twice")),
)

# A line with an ASCII name to break: invalid bytes go between ASCII characters, so they stay invalid.
PLAIN = dumps({"kind": "Place", "id": "pe-tacna", "name": "Tacna del sur", "properties": {"level": "department"}})
encodings = st.one_of(
    st.tuples(st.integers(0, len(PLAIN)), st.sampled_from(
        [b"\xff", b"\xfe", b"\x80", b"\xc3", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
         b"\xf8\x88\x80\x80\x80", b"\xc0\xaf"])).map(
        lambda t: Bad(PLAIN[:t[0]].encode() + t[1] + PLAIN[t[0]:].encode(), r"^not valid UTF-8 \(byte \d+")),
    st.just(Bad(PLAIN.replace("Tacna", "Tácna").encode("latin-1"), r"^not valid UTF-8")),
    st.tuples(st.sampled_from(["name", "properties.title", "names.es"]), st.integers(0xD800, 0xDFFF)).map(
        lambda t: Bad(_with_escape(t[0], t[1]), rf"^{re.escape(t[0])}: not valid Unicode text")),
)


def _with_escape(field: str, code: int) -> bytes:
    """SOURCE with a lone surrogate escape in ``field``, written as JSON text (json.dumps would pair it)."""
    obj = json.loads(json.dumps({**SOURCE, "names": {"es": "C"}}))
    *outer, last = field.split(".")
    target = obj
    for key in outer:
        target = target[key]
    target[last] = "MARK"
    return dumps(obj).replace("MARK", f"pre\\u{code:04x}post").encode()


def _nested(depth: int, opener: str) -> str:
    return (opener * depth) + ("1" if opener == '{"a": ' else "") + ("}" if opener == '{"a": ' else "]") * depth


shapes = st.one_of(
    st.tuples(st.sampled_from([*FRESH, NODE, SOURCE, RELATION]), st.floats(0, 1)).map(
        lambda t: Bad(dumps(t[0])[: max(1, int(len(dumps(t[0])) * t[1]) - 1)].encode(), r"^invalid JSON")),
    st.text(max_size=40).filter(lambda t: t.strip() and "\n" not in t and not isinstance(_try_json(t), dict)).map(
        lambda t: Bad(t.encode("utf-8"), r"^(invalid JSON|expected a JSON object)")),
    st.tuples(st.integers(1, 200_000), st.sampled_from(["[", '{"a": '])).map(
        lambda t: Bad(dumps({**SOURCE, "properties": {"type": "book"}})[:-2].encode()
                      + f', "title": {_nested(*t)}}}}}'.encode(),
                      r"^(invalid JSON: nested too deeply|properties\.title: expected a string)")),
    st.integers(4301, 20_000).map(lambda n: Bad(
        dumps(NODE).replace("1950", "9" * n).encode(), r"^invalid JSON: a number has more than \d+ digits")),
    st.sampled_from(["1e400", "-1e400"]).map(lambda v: Bad(
        dumps({"kind": "Place", "id": "x", "name": "X", "properties": {"lat": 0}}).replace("0}", v + "}").encode(),
        r"^properties\.lat: -?inf is not a finite number")),
    st.sampled_from(["NaN", "Infinity", "-Infinity"]).map(lambda v: Bad(
        dumps({"kind": "Place", "id": "x", "name": "X", "properties": {"lat": 0}}).replace("0}", v + "}").encode(),
        r"^properties\.lat: .* is not a finite number")),
)


def _try_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


huge = st.one_of(
    huge_text.map(lambda t: bad_obj({"kind": t, "id": "x", "name": "X"}, r"^kind: .* is not a node kind")),
    huge_text.filter(lambda t: t not in schema.CONFIDENCE).map(
        lambda t: bad_obj({**NODE, "confidence": t}, r"^confidence: .* is not allowed")),
    huge_text.filter(lambda t: not schema.LANG_PATTERN.fullmatch(t)).map(
        lambda t: bad_obj({**NODE, "names": {t: "x"}}, r"^names: .* is not a language code")),
    huge_text.map(lambda t: bad_obj({**NODE, "name": t, "properties": {"birth_year": t}},
                                    r"^properties\.birth_year: expected a whole number")),
)

BAD_LINES = st.one_of(wrong_types, unknowns, ids, references, duplicates, encodings, shapes, huge)


# -- the property ---------------------------------------------------------------------------
def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def state(store: Store) -> tuple[str, int, list[str]]:
    """What must not change: the export, the node count, the revisions."""
    export = "".join(export_lines(store))
    ids = sorted({json.loads(line)["id"] for line in export.splitlines() if line.startswith('{"kind"')})
    return export, store.count_nodes(), sorted(v.id for v in store.revisions(ids))


def quick_state(store: Store) -> tuple[int, list[str]]:
    """Cheap enough for every example: a write of any valid line adds a node or a revision of a known id."""
    return store.count_nodes(), sorted(v.id for v in store.revisions(sorted(KNOWN_IDS)))


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Store:
    run_import(store, [write_lines(tmp_path / "base.jsonl", [dumps(r).encode() for r in BASE])])
    return store


def test_the_valid_lines_import(world: Store, tmp_path: Path) -> None:
    """Without the bad line the same file imports: every problem found below is the bad line's."""
    report = run_import(world, [write_lines(tmp_path / "fresh.jsonl", [dumps(r).encode() for r in FRESH])])
    assert (report.nodes.created, report.nodes.updated, report.relations.created) == (3, 1, 3)


def _check_rejected(store: Store, files: list[Path], bad_file: Path, bad_line: int, expect: str,
                    snapshot: Callable[[Store], Any] = state) -> None:
    before = snapshot(store)
    with pytest.raises(ImportRejected) as err:
        run_import(store, files)
    problems = err.value.problems
    name = display_path(bad_file)
    assert any(p.file == name and p.line == bad_line and re.search(expect, p.message) for p in problems), (
        f"expected {name}:{bad_line} matching {expect!r}; got:\n" + "\n".join(str(p)[:300] for p in problems))
    strays = [str(p)[:300] for p in problems if (p.file, p.line) != (name, bad_line)]
    assert not strays, f"problems on valid lines: {strays}"
    assert snapshot(store) == before, "a rejected import changed the store"


def test_a_bad_line_is_refused_at_its_line_and_nothing_is_written(world: Store, tmp_path: Path) -> None:
    before = state(world)

    @settings(max_examples=EXAMPLES[world.dialect], deadline=None,
              database=None, suppress_health_check=HEALTH)
    @given(bad=BAD_LINES, data=st.data())
    def fuzz(bad: Bad, data: st.DataObject) -> None:
        lines = [dumps(r).encode() for r in FRESH]
        at = data.draw(st.integers(0 if bad.after is None else bad.after + 1, len(lines)), label="position")
        lines.insert(at, bad.raw)
        # Sometimes in a second file, after a first one of valid lines.
        split = data.draw(st.sampled_from([0, 0, min(at, 3)]), label="split")
        first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
        if split:
            write_lines(first, lines[:split])
            write_lines(second, lines[split:])
            _check_rejected(world, [first, second], second, at - split + 1, bad.expect, quick_state)
        else:
            write_lines(first, lines)
            _check_rejected(world, [first], first, at + 1, bad.expect, quick_state)

    fuzz()
    assert state(world) == before, "the rejected imports changed the store"


def test_a_bad_line_alone_changes_nothing_either(world: Store, tmp_path: Path) -> None:
    """The same property at the edges: an empty file is no problem, a file of one bad line is."""
    assert not run_import(world, [write_lines(tmp_path / "empty.jsonl", [b"", b"  "])]).changed
    _check_rejected(world, [write_lines(tmp_path / "one.jsonl", [b"{"])], tmp_path / "one.jsonl", 1, "invalid JSON")


def test_the_command_line_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = LadybugStore(db).open()
    store.init()
    run_import(store, [write_lines(tmp_path / "base.jsonl", [dumps(r).encode() for r in BASE])])
    before = state(store)
    store.close()
    bad = [
        b'{"kind": "Place", "id": "x", "name": "X", "properties": {"level": "planet"}}',
        b'{"kind": "Place", "id": "y", "name": "\\ud800"}',
        b'{"kind": "Place", "id": "z", "name": "Z", "properties": {"lat": ' + b"9" * 5000 + b"}}",
        b'{"kind": "Place", "id": "w", "name": "W", "name": "V"}',
        b"\xff{}",
        b"[" * 100_000 + b"]" * 100_000,
    ]
    f = write_lines(tmp_path / "bad.jsonl", [dumps(FRESH[0]).encode(), *bad])
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(f)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    name = display_path(f)
    expected = ["properties.level", "name: not valid Unicode", "invalid JSON: a number has more than 4300 digits",
                'invalid JSON: the key "name" appears twice', "not valid UTF-8", "invalid JSON: nested too deeply"]
    for line, what in enumerate(expected, 2):
        assert f"{name}:{line}: {what}" in result.stderr, result.stderr
    assert "the store is unchanged" in result.stderr
    store = LadybugStore(db).open()
    try:
        assert state(store) == before
    finally:
        store.close()


# -- cycles -------------------------------------------------------------------------------
CYCLES = {
    "a place inside itself": [{"rel": "LOCATED_IN", "from": "pe", "to": "pe"}],
    "two places inside each other": [{"rel": "LOCATED_IN", "from": "pe", "to": "pe-cusco"}],
    "a teacher of herself": [{"rel": "LEARNED_FROM", "from": "ana", "to": "ana"}],
    "a tradition part of itself": [{"rel": "PART_OF", "from": "fiesta", "to": "fiesta"}],
    "traditions part of each other": [{"rel": "PART_OF", "from": "fiesta", "to": "danza"},
                                      {"rel": "PART_OF", "from": "danza", "to": "fiesta"}],
    "traditions derived from each other": [{"rel": "DERIVED_FROM", "from": "fiesta", "to": "danza"},
                                           {"rel": "DERIVED_FROM", "from": "danza", "to": "fiesta"}],
}


def test_cycles_in_hierarchies_are_refused(world: Store, tmp_path: Path) -> None:
    before = state(world)
    accepted = []
    for case, lines in CYCLES.items():
        f = write_lines(tmp_path / "cycle.jsonl", [dumps(r).encode() for r in lines])
        try:
            run_import(world, [f], dry_run=True)
        except ImportRejected as err:
            assert any("cycle" in p.message or "itself" in p.message for p in err.problems), err.problems
        else:
            accepted.append(case)
    assert not accepted, f"accepted: {accepted}"
    assert state(world) == before
