"""The interchange format: validation with file:line errors, atomic and
idempotent imports, deterministic export, and the CLI around them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from heritage_graph.cli import main, seed_files
from heritage_graph.errors import ConfigError, ImportRejected
from heritage_graph.services.exporter import export_lines
from heritage_graph.services.importer import run_import
from heritage_graph.store.base import Store
from heritage_graph.store.memory import MemoryStore

GOOD = [
    {"kind": "Source", "id": "src-1", "name": "S", "properties": {"type": "web", "url": "https://example.org"}},
    {"kind": "Place", "id": "pe", "name": "Perú", "properties": {"level": "country"}, "sources": ["src-1"]},
    {"kind": "Practitioner", "id": "ana", "name": "Ana", "names": {"es": "Ana", "qu": "Ana"},
     "properties": {"birth_year": 1930, "roles": ["weaver"]}, "sources": ["src-1"], "confidence": "high"},
    {"kind": "Practitioner", "id": "beto", "name": "Beto", "sources": ["src-1"]},
    {"rel": "LEARNED_FROM", "from": "beto", "to": "ana", "properties": {"period": "1960s"}, "sources": ["src-1"],
     "confidence": "medium", "note": "apprenticeship"},
    {"rel": "LOCATED_IN", "from": "ana", "to": "pe", "sources": ["src-1"]},
]


def write(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n"
                            for x in lines), encoding="utf-8")
    return path


def snapshot(store: Store) -> str:
    return "".join(export_lines(store))


def test_valid_import_counts_and_is_idempotent(store: Store, tmp_path: Path) -> None:
    f = write(tmp_path / "good.jsonl", GOOD)
    first = run_import(store, [f])
    assert (first.nodes.created, first.relations.created) == (4, 2)
    again = run_import(store, [f])
    assert (again.nodes.unchanged, again.relations.unchanged, again.changed) == (4, 2, False)
    assert "nothing to change" in again.summary()


def test_changed_records_count_as_updated(store: Store, tmp_path: Path) -> None:
    run_import(store, [write(tmp_path / "a.jsonl", GOOD)])
    changed = [dict(x) for x in GOOD]
    changed[3] = {**changed[3], "name": "Alberto"}
    changed[4] = {**changed[4], "note": "a longer apprenticeship"}
    report = run_import(store, [write(tmp_path / "b.jsonl", changed)])
    assert (report.nodes.updated, report.nodes.unchanged) == (1, 3)
    assert (report.relations.updated, report.relations.unchanged) == (1, 1)
    assert store.get_nodes(["beto"])[0].name == "Alberto"


BAD_CASES = [
    ("not json", "invalid JSON"),
    ('{"kind": "Dragon", "id": "x", "name": "X"}', "allowed values: Community, Tradition"),
    ('{"kind": "Place", "id": "Bad Id", "name": "X"}', "not a valid id"),
    ('{"kind": "Place", "id": "x"}', "name: required"),
    ('{"kind": "Place", "id": "x", "name": "X", "colour": "red"}', "colour: unknown field"),
    ('{"kind": "Place", "id": "x", "name": "X", "properties": {"level": "planet"}}',
     "allowed values: country, department"),
    ('{"kind": "Place", "id": "x", "name": "X", "properties": {"lat": "12"}}', "expected a number"),
    ('{"kind": "Place", "id": "x", "name": "X", "properties": {"lat": 123}}', "out of range"),
    ('{"kind": "Place", "id": "x", "name": "X", "properties": {"roles": ["a"]}}', "unknown property for Place"),
    ('{"kind": "Tradition", "id": "x", "name": "X", "properties": {"unesco": {"list": "best"}}}',
     "allowed values: representative, urgent-safeguarding, good-practices"),
    ('{"kind": "Tradition", "id": "x", "name": "X", "properties": {"domains": ["cooking"]}}',
     "allowed values: oral-traditions"),
    ('{"kind": "Practitioner", "id": "x", "name": "X", "properties": {"birth_year": 1930.5}}',
     "expected a whole number"),
    ('{"kind": "Place", "id": "x", "name": "X", "confidence": "sure"}', "allowed values: high, medium, low"),
    ('{"kind": "Place", "id": "x", "name": "X", "names": {"Spanish": "X"}}', "not a language code"),
    ('{"rel": "LIKES", "from": "ana", "to": "beto"}', "not a relation type"),
    ('{"rel": "DOCUMENTED_BY", "from": "ana", "to": "src-1", "note": "x"}', 'takes only rel, from and to'),
    ('{"rel": "DOCUMENTED_BY", "from": "ana", "to": "pe"}', "'pe' is a Place, not a Source"),
    ('{"rel": "DOCUMENTED_BY", "from": "src-1", "to": "src-1"}', "a Source cites no sources"),
    ('{"rel": "DOCUMENTED_BY", "from": "ghost", "to": "src-1"}', "'ghost' does not exist"),
    ('{"rel": "LEARNED_FROM", "from": "ana", "to": "ghost"}', "'ghost' does not exist"),
    ('{"rel": "LEARNED_FROM", "from": "ana", "to": "pe"}', "cannot go from Practitioner (ana) to Place (pe)"),
    ('{"rel": "KIN_OF", "from": "ana", "to": "beto", "properties": {"kinship": "cousin"}}',
     "allowed values: parent, child"),
    ('{"rel": "LOCATED_IN", "from": "beto", "to": "pe", "sources": ["ana"]}', "'ana' is a Practitioner, not a Source"),
    ('{"kind": "Place", "id": "y", "name": "Y", "sources": ["src-missing"]}', "'src-missing' does not exist"),
    ('{"kind": "Source", "id": "src-2", "name": "S", "sources": ["src-1"]}', "a Source cannot cite sources"),
    ('{"kind": "Place", "id": "ana", "name": "Ana"}', "already defined at"),
    ('{"rel": "LOCATED_IN", "from": "ana", "to": "pe"}', "already defined at"),
    ('[1, 2]', "expected a JSON object"),
    ('{"kind": "Place", "rel": "LOCATED_IN"}', 'either "kind"'),
]


@pytest.mark.parametrize(("line", "message"), BAD_CASES)
def test_bad_input_names_file_line_and_problem(store: Store, tmp_path: Path, line: str, message: str) -> None:
    f = write(tmp_path / "bad.jsonl", [*GOOD, line])
    with pytest.raises(ImportRejected) as err:
        run_import(store, [f])
    located = [str(p) for p in err.value.problems]
    assert any(p.startswith(f"{f.name}:{len(GOOD) + 1}:") and message in p for p in located) or any(
        message in p for p in located), located
    assert store.count_nodes() == 0, "a rejected import writes nothing"


def test_every_problem_is_listed_and_the_store_is_unchanged(store: Store, tmp_path: Path) -> None:
    run_import(store, [write(tmp_path / "good.jsonl", GOOD)])
    before = snapshot(store)
    f = write(tmp_path / "bad.jsonl", [
        {"kind": "Practitioner", "id": "carla", "name": "Carla"},
        "{broken",
        {"rel": "LEARNED_FROM", "from": "carla", "to": "nobody"},
        b"\xff\xfe".decode("latin-1"),
    ])
    f.write_bytes(f.read_bytes().replace("ÿþ".encode(), b"\xff\xfe"))
    with pytest.raises(ImportRejected) as err:
        run_import(store, [f])
    lines = sorted({p.line for p in err.value.problems})
    assert lines == [2, 3, 4]
    assert "not valid UTF-8" in str(err.value)
    assert snapshot(store) == before


SECOND_SOURCE = {"kind": "Source", "id": "src-2", "name": "S2"}


def test_documented_by_lines_join_the_nodes_sources(store: Store, tmp_path: Path) -> None:
    """A DOCUMENTED_BY line adds its Source to the node's sources: a node of the same import, or a stored one."""
    first = write(tmp_path / "a.jsonl", [*GOOD, SECOND_SOURCE,
                                         {"rel": "DOCUMENTED_BY", "from": "beto", "to": "src-2"}])
    assert run_import(store, [first]).nodes.created == 5
    assert store.get_nodes(["beto"])[0].sources == ("src-1", "src-2")
    later = write(tmp_path / "b.jsonl", [{"rel": "DOCUMENTED_BY", "from": "ana", "to": "src-2"}])
    report = run_import(store, [later])
    assert (report.nodes.updated, report.relations.created) == (1, 0)
    assert store.get_nodes(["ana"])[0].sources == ("src-1", "src-2")
    assert not run_import(store, [later]).changed, "importing it again changes nothing"
    assert '"rel": "DOCUMENTED_BY"' not in snapshot(store), "export keeps them in the node's sources"


def test_id_reused_with_another_kind_in_the_store(store: Store, tmp_path: Path) -> None:
    run_import(store, [write(tmp_path / "good.jsonl", GOOD)])
    f = write(tmp_path / "again.jsonl", [{"kind": "Craft", "id": "ana", "name": "Ana the craft"}])
    with pytest.raises(ImportRejected, match="'ana' is a Practitioner in the store; it cannot be imported as a Craft"):
        run_import(store, [f])


def test_relations_may_name_nodes_already_stored(store: Store, tmp_path: Path) -> None:
    run_import(store, [write(tmp_path / "good.jsonl", GOOD)])
    f = write(tmp_path / "more.jsonl", [{"rel": "KIN_OF", "from": "ana", "to": "beto",
                                         "properties": {"kinship": "parent"}, "sources": ["src-1"]}])
    assert run_import(store, [f]).relations.created == 1


def test_dry_run_writes_nothing(store: Store, tmp_path: Path) -> None:
    report = run_import(store, [write(tmp_path / "good.jsonl", GOOD)], dry_run=True)
    assert report.nodes.created == 4 and not report.written
    assert store.count_nodes() == 0


def test_seed_export_import_export_is_byte_identical(tmp_path: Path) -> None:
    a = MemoryStore()
    run_import(a, seed_files())
    first = snapshot(a)
    f = tmp_path / "export.jsonl"
    f.write_text(first, encoding="utf-8")
    b = MemoryStore()
    run_import(b, [f])
    assert snapshot(b) == first


def test_seed_round_trip_through_ladybug(seeded_store: Store, tmp_path: Path) -> None:
    from heritage_graph.store.ladybug import LadybugStore

    first = snapshot(seeded_store)
    f = tmp_path / "export.jsonl"
    f.write_text(first, encoding="utf-8")
    other = LadybugStore(tmp_path / "db").open()
    other.init()
    try:
        run_import(other, [f])
        assert snapshot(other) == first
    finally:
        other.close()


# -- the command line ---------------------------------------------------------------
def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_import_export_and_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "db")
    good = write(tmp_path / "good.jsonl", GOOD)
    code, out, _ = cli("--db", db, "import", str(good))
    assert code == 0 and "nodes: 4 created" in out
    code, out, _ = cli("--db", db, "import", str(good))
    assert code == 0 and "nothing to change" in out
    bad = write(tmp_path / "bad.jsonl", ['{"kind": "Place", "id": "x", "name": "X", "properties": {"level": "moon"}}'])
    code, _, err = cli("--db", db, "import", str(bad))
    assert code == 1 and "bad.jsonl:1: properties.level" in err and "the store is unchanged" in err
    code, _, err = cli("--db", db, "import", str(tmp_path / "missing.jsonl"))
    assert code == 1 and "cannot read the file" in err
    out_file = tmp_path / "out.jsonl"
    code, _, err = cli("--db", db, "export", str(out_file))
    assert code == 0 and "exported 6 records" in err
    code, out, _ = cli("--db", db, "export", "-")
    assert out == out_file.read_text(encoding="utf-8")


def test_cli_seed_and_init(tmp_path: Path) -> None:
    db = str(tmp_path / "db")
    assert cli("--db", db, "init")[0] == 0
    code, out, _ = cli("--db", db, "seed")
    assert code == 0 and "created" in out
    code, out, _ = cli("--db", db, "seed")
    assert code == 0 and "nothing to change" in out


def test_cli_refuses_a_file_as_the_store_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli("--db", str(blocker), "init")
    assert code == 2 and "is a file" in err


def test_cli_store_held_by_another_process_exits_3(tmp_path: Path) -> None:
    db = tmp_path / "db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(db)], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        code, _, err = cli("--db", str(db), "init")
        assert code == 3 and "open in another process" in err
    finally:
        holder.communicate("done\n", timeout=60)


HOLD_STORE = """
import sys
from heritage_graph.store.ladybug import LadybugStore
s = LadybugStore(sys.argv[1]).open()
print("open", flush=True)
sys.stdin.readline()
s.close()
"""


@pytest.mark.parametrize("command", ["init", "import", "export", "seed", "serve"])
def test_every_command_has_help(command: str) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0 and "Usage:" in out


def test_an_export_reimports_into_the_same_store(tmp_path: Path) -> None:
    code, _, _ = cli("--db", str(tmp_path / "db"), "import", str(write(tmp_path / "good.jsonl", GOOD)))
    assert code == 0
    out = tmp_path / "export.jsonl"
    assert cli("--db", str(tmp_path / "db"), "export", str(out))[0] == 0
    code, stdout, stderr = cli("--db", str(tmp_path / "db"), "import", str(out))
    assert code == 0 and "nothing to change" in stdout, stderr


@pytest.mark.parametrize(("line", "message"), [
    ('{"kind": "Place", "id": "fiesta\\n", "name": "X"}', "not a valid id"),
    ('{"kind": "Place", "id": "x", "name": "X", "names": {"es\\n": "X"}}', "not a language code"),
    ('{"kind": "Place", "id": "x", "name": "X", "properties": {"lat": NaN}}', "not a finite number"),
    ('{"kind": "Source", "id": "x", "name": "X", "properties": {"date": "May 2020"}}', "is not of the form"),
    ('{"kind": "Source", "id": "x", "name": "X", "properties": {"date": "2020-13"}}', "is not of the form"),
])
def test_subtle_bad_values(store: Store, tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ImportRejected, match=message):
        run_import(store, [write(tmp_path / "bad.jsonl", [line])])


@pytest.mark.parametrize(("record", "message"), [
    ({"kind": "Practitioner", "id": "big", "name": "N" * 501}, "name: 501 characters, more than the limit of 500"),
    ({"kind": "Practitioner", "id": "big", "name": "n", "names": {"qu": "N" * 600}},
     "names.qu: 600 characters, more than the limit of 500"),
    ({"kind": "Practitioner", "id": "big", "name": "n", "summary": {"es": "s" * 50_001}},
     "summary.es: 50,001 characters, more than the limit of 50,000"),
    ({"kind": "Practitioner", "id": "big", "name": "n", "properties": {"roles": ["weaver", "w" * 2001]}},
     "properties.roles[1]: 2,001 characters, more than the limit of 2,000"),
    ({"rel": "LEARNED_FROM", "from": "beto", "to": "ana", "note": "x" * 2001},
     "note: 2,001 characters, more than the limit of 2,000"),
])
def test_fields_over_their_size_limit_are_refused(store: Store, tmp_path: Path, record: dict, message: str) -> None:
    f = write(tmp_path / "big.jsonl", [*GOOD, record])
    with pytest.raises(ImportRejected) as err:
        run_import(store, [f])
    assert [str(p).replace(f"{tmp_path}/", "") for p in err.value.problems] == [f"big.jsonl:{len(GOOD) + 1}: {message}"]
    assert store.count_nodes() == 0


def test_a_line_over_the_limit_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    f = write(tmp_path / "huge.jsonl", [*GOOD[:2], {"kind": "Place", "id": "x", "name": "x" * 300_000}, *GOOD[2:]])
    store = MemoryStore()
    with pytest.raises(ImportRejected) as err:
        run_import(store, [f], max_line=4096)
    assert [str(p).replace(f"{tmp_path}/", "") for p in err.value.problems] == [
        "huge.jsonl:3: the line is longer than 4,096 bytes, the limit (HERITAGE_MAX_LINE_BYTES, or import "
        "--max-line-bytes)"]  # and the lines after it are read as lines, from their own start
    reads: list[int] = []

    class Counting:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def readline(self, size: int = -1) -> bytes:
            line = self.inner.readline(size)  # type: ignore[attr-defined]
            reads.append(len(line))
            return line

    from heritage_graph.interchange import read_lines

    with f.open("rb") as raw:
        problems = [p for _, _, p in read_lines(Counting(raw), "huge.jsonl", 4096) if p]  # type: ignore[arg-type]
    # the line is skipped in pieces of at most 64 KiB: never read whole
    assert len(problems) == 1 and max(reads) <= 1 << 16 < 300_000
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "db"), "import", "--max-line-bytes", "4096", str(f)],
                                env={"NEO4J_URI": None, "HERITAGE_DB": None})
    assert result.exit_code == 1 and "huge.jsonl:3: the line is longer than 4,096 bytes" in result.output


def test_mutations_keep_the_same_field_limits() -> None:
    from heritage_graph.auth import Principal
    from heritage_graph.services.curation import Curation, Rejected

    store = MemoryStore()
    run_import(store, [write_tmp_source()])
    with pytest.raises(Rejected) as err:
        Curation(store, Principal(role="curator", name="c")).create_node(
            {"kind": "Tradition", "id": "x-big", "name": "N" * 501, "sources": ["src-1"]}, None)
    assert [(p.field, p.message) for p in err.value.problems] == [
        ("name", "501 characters, more than the limit of 500")]


def write_tmp_source() -> Path:
    import tempfile

    return write(Path(tempfile.mkdtemp()) / "source.jsonl", [GOOD[0]])


def test_field_limits_are_configurable_and_stored_records_still_read(tmp_path: Path) -> None:
    from heritage_graph.auth import Principal
    from heritage_graph.history import history_of
    from heritage_graph.services.curation import Curation, Rejected
    from heritage_graph.settings import Settings
    from heritage_graph.visibility import Gate, Visibility

    settings = Settings.from_env({"HERITAGE_MAX_NAME_CHARS": "12", "HERITAGE_MAX_LIST_ITEMS": "2"})
    store = MemoryStore()
    run_import(store, [write(tmp_path / "ok.jsonl", [{"kind": "Practitioner", "id": "long", "name": "A longer name"}])])
    tight = write(tmp_path / "tight.jsonl", [{"kind": "Practitioner", "id": "p2", "name": "Thirteen char",
                                              "properties": {"roles": ["a", "b", "c"]}}])
    with pytest.raises(ImportRejected) as err:
        run_import(store, [tight], limits=settings.field_limits)
    assert [str(p).replace(f"{tmp_path}/", "") for p in err.value.problems] == [
        "tight.jsonl:1: name: 13 characters, more than the limit of 12",
        "tight.jsonl:1: properties.roles: 3 items, more than the limit of 2"]
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "db"), "import", str(tight)],
                                env={"NEO4J_URI": None, "HERITAGE_DB": None, "HERITAGE_MAX_NAME_CHARS": "12"})
    assert result.exit_code == 1 and "tight.jsonl:1: name: 13 characters, more than the limit of 12" in result.output
    curator = Curation(store, Principal(role="reviewer", name="r"), settings.field_limits)
    with pytest.raises(Rejected, match="13 characters, more than the limit of 12"):
        curator.update_node("long", 1, {"name": "Thirteen char"})
    # what was stored under the old limits still reads, and its history shows it
    assert store.get_nodes(["long"])[0].name == "A longer name"
    states = history_of(store, Gate(store, Visibility.of(Principal(role="admin", name="a"))), "long")
    assert states and states[-1].after and states[-1].after["name"] == "A longer name"
    with pytest.raises(ConfigError, match="HERITAGE_MAX_TEXT_CHARS must be between 1 and"):
        Settings.from_env({"HERITAGE_MAX_TEXT_CHARS": "0"})
