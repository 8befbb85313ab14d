"""Spreadsheets in and out: workbooks (xlsx) and CSV folders read through the same validation as JSON
Lines, with problems told at file:sheet:row:column; exports that round-trip on every store; the
template made from the schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from heritage_graph import schema
from heritage_graph.cli import main, seed_files
from heritage_graph.errors import ImportRejected
from heritage_graph.services.exporter import export_lines
from heritage_graph.services.importer import run_import
from heritage_graph.sheets import layout
from heritage_graph.sheets.write import export_sheets, write_template
from heritage_graph.store.base import Store
from heritage_graph.store.memory import MemoryStore

from .conftest import PERSISTENT, fresh_store

FORMS = ("xlsx", "csv")


def snapshot(store: Store) -> str:
    return "".join(export_lines(store))


def target(tmp_path: Path, form: str, name: str = "book") -> Path:
    return tmp_path / (f"{name}.xlsx" if form == "xlsx" else name)


# -- round trips ----------------------------------------------------------------------------------------
@pytest.fixture(params=PERSISTENT)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_store(request, tmp_path) as store:
        yield store


@pytest.mark.parametrize("form", FORMS)
def test_round_trip_changes_nothing(empty: Store, form: str, tmp_path: Path) -> None:
    """seeds → export → import into an empty store → export: the JSON Lines export of the store before and
    after is byte-identical; importing the same spreadsheet again changes nothing and says so; and the
    spreadsheet exported again is the same."""
    run_import(empty, seed_files())
    first = snapshot(empty)
    book = target(tmp_path, form)
    assert export_sheets(empty, book, form) == first.count("\n")
    empty.delete_all()
    assert empty.count_nodes() == 0
    report = run_import(empty, [book], fmt=form)
    assert report.nodes.created and report.relations.created
    assert snapshot(empty) == first
    again = run_import(empty, [book], fmt=form)
    assert not again.changed and "nothing to change" in again.summary()
    export_sheets(empty, target(tmp_path, form, "again"), form)
    assert _sheets_of(target(tmp_path, form, "again"), form) == _sheets_of(book, form)


def _sheets_of(path: Path, form: str) -> dict[str, list[list[Any]]]:
    if form == "csv":
        return {p.name: p.read_text(encoding="utf-8-sig").splitlines() for p in sorted(path.iterdir())}
    book = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


# -- building test workbooks ----------------------------------------------------------------------------
SOURCE = ["id", "name", "type"], ["src-1", "S", "web"]


def make(tmp_path: Path, form: str, sheets: dict[str, list[list[Any]]], *, leave_out: tuple[str, ...] = (),
         name: str = "book") -> Path:
    """A workbook (or CSV folder) with every sheet; those in ``sheets`` hold those rows (header first)."""
    rows = {s.name: [[c.name for c in s.columns if c.lang != "*"]] for s in layout.sheets()}
    rows.update(sheets)
    path = target(tmp_path, form, name)
    if form == "xlsx":
        book = openpyxl.Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for sheet, lines in rows.items():
            if sheet in leave_out:
                continue
            ws = book.create_sheet(sheet)
            for line in lines:
                ws.append(line)
        book.save(path)
    else:
        import csv

        path.mkdir()
        for sheet, lines in rows.items():
            if sheet in leave_out:
                continue
            with (path / f"{sheet}.csv").open("w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows([["" if v is None else v for v in line] for line in lines])
    return path


def rejected(store: Store, path: Path, form: str) -> list[str]:
    with pytest.raises(ImportRejected) as err:
        run_import(store, [path], fmt=form, names=[path.name])
    assert store.count_nodes() == 0, "a rejected import writes nothing"
    return [str(p) for p in err.value.problems]


@pytest.mark.parametrize("form", FORMS)
def test_a_filled_workbook_imports_with_excel_quirks(tmp_path: Path, form: str) -> None:
    """Numbers as floats, dates as date cells, spaces around values, empty rows, lists with ';', objects
    flattened, media as JSON, languages as name@xx."""
    media = [{"url": "https://example.org/a.jpg", "kind": "image", "alt": {"es": "Un tapiz"}}]
    book = make(tmp_path, form, {
        "Source": [["id", "name", "type", "date"], ["src-1", "  S  ", "web",
                                                    datetime(2020, 5, 1) if form == "xlsx" else "2020-05-01"]],
        "Practitioner": [["id", "name", "name@es", "name@qu", "birth_year", "roles", "consent.status",
                          "consent.scope", "sources"],
                         [None, None, None, None, None, None, None, None, None],
                         ["ana", "Ana", "Ana", "Ana Qu", 1961.0 if form == "xlsx" else "1961.0",
                          "weaver; dyer ;", "granted", "publication;research", "src-1"]],
        "Craft": [["id", "name", "media", "domains"],
                  ["tapiz", "Tapiz", json.dumps(media), "traditional-craftsmanship"]],
        "PRACTITIONER_OF": [["from", "to", "role"], ["ana", "tapiz", "master"]],
    })
    store = MemoryStore()
    report = run_import(store, [book], fmt=form)
    assert (report.nodes.created, report.relations.created) == (3, 1)
    ana = store.get_nodes(["ana"])[0]
    assert ana.names == {"es": "Ana", "qu": "Ana Qu"}
    assert ana.properties["birth_year"] == 1961 and isinstance(ana.properties["birth_year"], int)
    assert ana.properties["roles"] == ["weaver", "dyer"]
    assert ana.properties["consent"] == {"status": "granted", "scope": ["publication", "research"]}
    assert store.get_nodes(["src-1"])[0].name == "S"
    assert store.get_nodes(["src-1"])[0].properties["date"] == "2020-05-01"
    assert store.get_nodes(["tapiz"])[0].properties["media"][0]["url"] == media[0]["url"]
    assert not run_import(store, [book], fmt=form).changed


def _where(form: str, sheet: str, row: int, column: str) -> str:
    return f"book.xlsx:{sheet}:{row}:{column}: " if form == "xlsx" else f"book/{sheet}.csv:{row}:{column}: "


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("sheet", "rows", "column", "message"), [
    ("Practitioner", [["id", "name", "birth_year"], ["ana", "Ana", "nineteen"]], "birth_year",
     'expected a whole number, got string "nineteen"'),
    ("Practitioner", [["id", "name", "birth_year"], ["ana", "Ana", 1961.5]], "birth_year", "expected a whole number"),
    ("Place", [["id", "name", "level"], ["pe", "Perú", "planet"]], "level",
     "is not allowed; allowed values: country, department, province, district, locality"),
    ("Place", [["id", "name", "colour"], ["pe", "Perú", "red"]], "colour", "unknown column; allowed: id, name, "
     "name@<language>, summary@<language>, alt_names, level, lat, lon, sources"),
    ("Place", [["id", "name", "name@Spanish"], ["pe", "Perú", "Perú"]], "name@Spanish", "not a language code"),
    ("Place", [["name"], ["Perú"]], "id", "missing column"),
    ("Practitioner", [["id", "name", "consent.status"], ["ana", "Ana", "maybe"]], "consent.status",
     "allowed values: granted, pending, refused, withdrawn, not-required"),
    ("Practitioner", [["id", "name", "consent.scope"], ["ana", "Ana", "publication; gossip"]], "consent.scope",
     "not allowed; allowed values: publication, research"),
    ("Craft", [["id", "name", "media"], ["c", "C", "[{'url': 1}]"]], "media", "not JSON"),
    ("Craft", [["id", "name", "media"], ["c", "C", '[{"url": "https://example.org/a.jpg", "kind": "image"}]']],
     "media", "media[0].alt: required for an image"),
    ("LOCATED_IN", [["from", "to"], ["ghost", "pe"]], "from", "'ghost' does not exist"),
    ("KIN_OF", [["from", "to", "kinship"], ["a", "b", "cousin"]], "kinship", "allowed values: parent, child"),
    ("Place", [["id", "name", "sources"], ["pe", "Perú", "src-none"]], "sources", "'src-none' does not exist"),
    ("Place", [["id", "name"], ["Bad Id", "Perú"]], "id", "not a valid id"),
    ("Place", [["id", "name", "lat"], ["pe", "Perú", "north"]], "lat", "expected a number"),
])
def test_bad_cells_are_told_at_file_sheet_row_column(tmp_path: Path, form: str, sheet: str, rows: list[list[Any]],
                                                     column: str, message: str) -> None:
    problems = rejected(MemoryStore(), make(tmp_path, form, {sheet: rows}), form)
    row = 1 if message.startswith(("unknown column", "not a language code", "missing column")) else 2  # header
    assert any(p.startswith(_where(form, sheet, row, column)) and message in p for p in problems), problems


@pytest.mark.parametrize("form", FORMS)
def test_missing_and_unknown_sheets(tmp_path: Path, form: str) -> None:
    book = make(tmp_path, form, {"Practitioners": [["id", "name"], ["ana", "Ana"]]}, leave_out=("Practitioner",))
    problems = rejected(MemoryStore(), book, form)
    name = "book.xlsx" if form == "xlsx" else "book"
    assert any(p.startswith(f"{name}:0: unknown sheet 'Practitioners'") for p in problems), problems
    missing = "missing sheet 'Practitioner'" if form == "xlsx" else "missing file Practitioner.csv"
    assert any(p.startswith(f"{name}:0: {missing}") for p in problems), problems


def test_a_corrupt_or_foreign_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "book.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not an xlsx workbook, or a damaged one" in rejected(MemoryStore(), bad, "xlsx")[0]
    text = tmp_path / "notes.xlsx"
    text.write_text("id,name\n", encoding="utf-8")
    assert "not an xlsx workbook" in rejected(MemoryStore(), text, "xlsx")[0]
    assert "does not exist" in rejected(MemoryStore(), tmp_path / "nowhere", "csv")[0]


def test_formulas_read_their_saved_value_and_are_refused_without_one(tmp_path: Path) -> None:
    book = make(tmp_path, "xlsx", {"Practitioner": [["id", "name", "birth_year"], ["ana", "Ana", "=1900+61"]]})
    problems = rejected(MemoryStore(), book, "xlsx")
    assert any(p.startswith("book.xlsx:Practitioner:2:birth_year: a formula (=1900+61) saved without its value")
               for p in problems), problems
    # A workbook saved by a spreadsheet application keeps each formula's value beside it.
    _add_cached_value(book, "Practitioner", "C2", "1961")
    store = MemoryStore()
    run_import(store, [book], fmt="xlsx")
    assert store.get_nodes(["ana"])[0].properties["birth_year"] == 1961


def _add_cached_value(book: Path, sheet: str, ref: str, value: str) -> None:
    """Write ``value`` as the saved result of the formula at ``ref`` (openpyxl itself saves formulas without)."""
    import re
    import zipfile

    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    names = openpyxl.load_workbook(book).sheetnames
    part = f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"
    xml = parts[part].decode()
    xml = re.sub(rf'(<c r="{ref}"[^>]*>)<f>([^<]*)</f><v\s*/>', rf"\1<f>\2</f><v>{value}</v>", xml)
    xml = re.sub(rf'(<c r="{ref}"[^>]*>)<f>([^<]*)</f>(?!<v>)', rf"\1<f>\2</f><v>{value}</v>", xml)
    parts[part] = xml.encode()
    with zipfile.ZipFile(book, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_csv_encodings(tmp_path: Path) -> None:
    folder = make(tmp_path, "csv", {"Place": [["id", "name"], ["pe", "Perú"]]})
    place = folder / "Place.csv"
    place.write_bytes(b"\xef\xbb\xbf" + place.read_bytes())  # UTF-8 with a byte order mark, as Excel saves it
    store = MemoryStore()
    run_import(store, [folder], fmt="csv")
    assert store.get_nodes(["pe"])[0].name == "Perú"
    place.write_bytes("id,name\npe,Perú\n".encode("latin-1"))
    assert any("book/Place.csv:2: not UTF-8 text" in p for p in rejected(MemoryStore(), folder, "csv"))
    place.write_bytes("id,name\npe,Perú\n".encode("utf-16"))
    assert any("book/Place.csv:0: the file is UTF-16 text; save it as CSV UTF-8" in p
               for p in rejected(MemoryStore(), folder, "csv"))
    place.write_text("id;name\npe;Perú\n", encoding="utf-8")  # as Excel saves it in Spanish
    store = MemoryStore()
    run_import(store, [folder], fmt="csv")
    assert store.get_nodes(["pe"])[0].name == "Perú"


@pytest.mark.parametrize("form", FORMS)
def test_cells_that_would_run_as_formulas_are_escaped_and_read_back(tmp_path: Path, form: str) -> None:
    store = MemoryStore()
    risky = ["=HYPERLINK(\"http://evil\")", "+1", "-2", "@SUM(A1)", "'quoted"]
    lines = [json.dumps({"kind": "Practitioner", "id": f"p{i}", "name": text, "properties": {"roles": [text]}})
             for i, text in enumerate(risky)]
    jsonl = tmp_path / "risky.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_import(store, [jsonl])
    book = target(tmp_path, form)
    export_sheets(store, book, form)
    if form == "csv":
        import csv

        with (book / "Practitioner.csv").open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    else:
        rows = _sheets_of(book, form)["Practitioner"]
    cells = [str(c) for r in rows[1:] for c in r]
    assert "'=HYPERLINK(\"http://evil\")" in cells and "''quoted" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), cells
    if form == "xlsx":
        loaded = openpyxl.load_workbook(book)["Practitioner"]
        assert all(c.data_type != "f" for r in loaded.iter_rows() for c in r)
    other = MemoryStore()
    run_import(other, [book], fmt=form)
    assert snapshot(other) == snapshot(store)


def test_the_template_is_made_from_the_schema(tmp_path: Path) -> None:
    write_template(tmp_path / "t.xlsx", "xlsx")
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    expected = [s.name for s in layout.sheets()]
    assert book.sheetnames == [*expected, layout.COLUMNS_SHEET, layout.LISTS_SHEET]
    assert book[layout.LISTS_SHEET].sheet_state == "hidden"
    header = [c.value for c in book["Practitioner"][1]]
    for p in schema.KINDS["Practitioner"].props:
        assert any(h == p.name or h.startswith(p.name + ".") for h in header), p.name
    assert "name@es" in header and "consent.status" in header
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in book["Place"].data_validations.dataValidation}
    level = header_letter(book["Place"], "level")
    lists = book[layout.LISTS_SHEET]
    col = dropdowns[f"{level}2"].split("!")[1].split(":")[0].strip("$").rstrip("$1")
    assert [c.value for c in lists[col] if c.value] == list(schema.PLACE_LEVELS)
    explained = {(r[0], r[1]) for r in book[layout.COLUMNS_SHEET].iter_rows(values_only=True)}
    assert ("Practitioner", "consent.status") in explained and ("KIN_OF", "kinship") in explained
    # An empty template imports as nothing.
    assert not run_import(MemoryStore(), [tmp_path / "t.xlsx"]).changed
    write_template(tmp_path / "t", "csv")
    assert {p.stem for p in (tmp_path / "t").iterdir()} == {*expected, layout.COLUMNS_SHEET}
    assert not run_import(MemoryStore(), [tmp_path / "t"]).changed


def header_letter(ws: Any, name: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter([c.value for c in ws[1]].index(name) + 1)


def test_every_property_of_the_schema_has_a_column() -> None:
    """A property added to schema.py appears as a column with no change here."""
    for s in layout.sheets():
        owner = schema.KINDS.get(s.name) or schema.RELATIONS[s.name]
        paths = {c.at for c in s.columns}
        for p in owner.props:
            assert any(path == f"properties.{p.name}" or path.startswith(f"properties.{p.name}.")
                       for path in paths), (s.name, p.name)


def test_lists_keep_separators_inside_items() -> None:
    items = ["a; b", "c\\d", "e"]
    assert layout.split_list(layout.join_list(items)) == items


# -- the command line ---------------------------------------------------------------------------------
def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_spreadsheets(tmp_path: Path) -> None:
    db, other = str(tmp_path / "db"), str(tmp_path / "other")
    assert cli("--db", db, "seed")[0] == 0
    code, _, err = cli("--db", db, "export", "--format", "xlsx", str(tmp_path / "book.xlsx"))
    assert code == 0 and "exported" in err
    assert cli("--db", db, "export", "--format", "csv", str(tmp_path / "sheets"))[0] == 0
    code, out, _ = cli("--db", other, "import", str(tmp_path / "book.xlsx"))
    assert code == 0 and "created" in out
    code, out, _ = cli("--db", other, "import", "--format", "csv", str(tmp_path / "sheets"))
    assert code == 0 and "nothing to change" in out
    bad = make(tmp_path, "xlsx", {"Place": [["id", "name", "level"], ["pe", "Perú", "moon"]]}, name="bad")
    code, _, err = cli("--db", other, "import", str(bad))
    assert code == 1 and "bad.xlsx:Place:2:level: " in err and "the store is unchanged" in err
    code, _, err = cli("--db", db, "export", "--format", "xlsx")
    assert code == 2 and "name it" in err
    code, _, err = cli("template", str(tmp_path / "t.xlsx"))
    assert code == 0 and (tmp_path / "t.xlsx").exists()
    code, _, err = cli("template", "--format", "csv", str(tmp_path / "t"))
    assert code == 0 and (tmp_path / "t" / "Place.csv").exists()
