"""Read a workbook (xlsx) or a folder of CSV files into interchange records.

Each row becomes the record a JSON line would hold and goes through the same ``parse_record``; what
is wrong is told as ``file:sheet:row:column: message`` (a CSV file is its own sheet:
``folder/Kind.csv:row:column: message``). Rows are numbered as a spreadsheet shows them, the header
being row 1; empty rows are passed over.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..interchange import Located, parse_record
from ..model import Node
from ..schema import DEFAULT_LIMITS, FieldLimits
from . import layout
from .layout import Sheet

if TYPE_CHECKING:
    from ..services.importer import Parsed, Progress

# A CSV cell may hold a record's media as JSON, longer than the csv module's default limit (128 KiB); a
# cell cannot be longer than the file, which the caller has bounded.
csv.field_size_limit(1 << 30)
_OTHER_ENCODINGS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))

Row = tuple[int, list[Any], list[str | None]]  # row number, values, the formula of each cell read without one


def read_sheets(path: Path, name: str, form: str, parsed: Parsed, progress: Progress | None = None,
                limits: FieldLimits = DEFAULT_LIMITS) -> None:
    """Add the records of the workbook or CSV folder at ``path`` (``form`` xlsx or csv) to ``parsed``."""
    reader = _Reader(name, parsed, progress, limits)
    if form == "xlsx":
        reader.workbook(path)
    elif form == "csv":
        reader.folder(path)
    else:
        raise ValueError(form)


class _Reader:
    def __init__(self, name: str, parsed: Parsed, progress: Progress | None, limits: FieldLimits) -> None:
        self.name = name
        self.parsed = parsed
        self.progress = progress
        self.limits = limits
        self.sheets = {s.name: s for s in layout.sheets()}

    def problem(self, message: str, line: int = 0, sheet: str | None = None, column: str | None = None,
                file: str | None = None) -> None:
        self.parsed.problems.append(Problem(file or self.name, line, message, sheet, column))

    # -- a workbook ---------------------------------------------------------------------------------
    def workbook(self, path: Path) -> None:
        import openpyxl

        try:
            # Twice: the values a spreadsheet computed and saved, and which cells are formulas (a formula
            # saved without its value reads as empty, and must not pass as an empty cell).
            values = openpyxl.load_workbook(path, read_only=True, data_only=True)
            formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
        except OSError as exc:
            self.problem(f"cannot read the file: {exc.strerror}")
            return
        except Exception as exc:  # openpyxl raises what its zip and XML readers raise
            self.problem(f"not an xlsx workbook, or a damaged one ({_reason(exc)}); save it again as an Excel "
                         "workbook (.xlsx)")
            return
        try:
            present = list(values.sheetnames)
            self._sheet_names(present, ".xlsx")
            for sheet_name in present:
                sheet = self.sheets.get(sheet_name)
                if sheet is not None:
                    self._rows(sheet, _workbook_rows(values[sheet_name], formulas[sheet_name]), sheet_name)
        except Exception as exc:  # a damaged part of the file shows only when it is read
            self.problem(f"the workbook is damaged ({_reason(exc)}); save it again as an Excel workbook (.xlsx)")
        finally:
            values.close()
            formulas.close()

    def _sheet_names(self, present: Sequence[str], ending: str) -> None:
        names = [s.replace(ending, "") for s in present]
        for n in names:
            if n not in self.sheets and n not in layout.RESERVED:
                self.problem(f"unknown sheet {n!r}; the sheets are: {', '.join(self.sheets)} (and "
                             f"{' and '.join(layout.RESERVED)}, which an import passes over)")
        for n in self.sheets:
            if n not in names:
                self.problem(f"missing sheet {n!r}: a workbook has a sheet for every node kind and relation "
                             "type, empty or not (`heritage-graph template` makes one)" if ending == ".xlsx" else
                             f"missing file {n}.csv: the folder has a file for every node kind and relation "
                             "type, empty or not (`heritage-graph template --format csv` makes them)")

    # -- a folder of CSV files ----------------------------------------------------------------------
    def folder(self, path: Path) -> None:
        if not path.is_dir():
            self.problem("not a folder: a CSV import reads a folder holding one file per sheet (Place.csv, "
                         "LOCATED_IN.csv, …)" if path.exists() else "cannot read the folder: it does not exist")
            return
        files = sorted(p.name for p in path.iterdir() if p.suffix.lower() == ".csv")
        self._sheet_names(files, ".csv")
        for file_name in files:
            sheet = self.sheets.get(file_name[:-4])
            if sheet is None:
                continue
            shown = f"{self.name}/{file_name}"
            rows = self._csv_rows(path / file_name, shown)
            if rows is not None:
                self._rows(sheet, rows, None, shown)

    def _csv_rows(self, path: Path, shown: str) -> Iterator[Row] | None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.problem(f"cannot read the file: {exc.strerror}", file=shown)
            return None
        for bom, encoding in _OTHER_ENCODINGS:
            if data.startswith(bom):
                self.problem(f"the file is {encoding} text; save it as CSV UTF-8", file=shown)
                return None
        try:
            text = data.decode("utf-8-sig")  # with or without the byte order mark Excel writes
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            self.problem(f"not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8 (Excel: \"CSV UTF-8\"; "
                         "LibreOffice: character set Unicode (UTF-8))", line, file=shown)
            return None
        first = text.split("\n", 1)[0]
        # Spreadsheets in Spanish and other locales separate cells with ';' (a column's name holds neither).
        delimiter = ";" if first.count(";") > first.count(",") else ","
        return _csv_rows(text, delimiter)

    # -- rows ---------------------------------------------------------------------------------------
    def _rows(self, sheet: Sheet, rows: Iterator[Row], sheet_name: str | None, file: str | None = None) -> None:
        where = {"sheet": sheet_name, "file": file}
        try:
            first = next(rows, None)
            if first is None:
                return  # an empty sheet: no header, no records
            columns, problems = layout.header(sheet, first[1])
            for column, message in problems:
                self.problem(message, 1, column=column, **where)
            if problems:
                return  # the rows of a sheet whose columns are unclear would only repeat it
            for number, values, formulas in rows:
                if self.progress is not None:
                    self.progress(1)
                self._row(sheet, columns, number, values, formulas, where)
        except csv.Error as exc:
            self.problem(f"not a CSV file the import can read ({exc})", **where)

    def _row(self, sheet: Sheet, columns: list[layout.Column | None], number: int, values: list[Any],
             formulas: list[str | None], where: dict[str, Any]) -> None:
        if all(_blank(v) for v in values) and not any(formulas):
            return
        cells: list[tuple[layout.Column, Any]] = []
        bad = False
        for i, value in enumerate(values):
            col = columns[i] if i < len(columns) else None
            formula = formulas[i] if i < len(formulas) else None
            if formula is not None:
                self.problem(f"a formula ({formula}) saved without its value; type the value, or open and save the "
                             "workbook in a spreadsheet application, which computes it", number,
                             column=col.name if col else _letter(i), **where)
                bad = True
            elif col is None and not _blank(value):
                self.problem("a value in a column without a name in row 1", number, column=_letter(i), **where)
                bad = True
            elif col is not None:
                cells.append((col, value))
        record, problems = layout.to_record(sheet, cells)
        for column, message in problems:
            self.problem(message, number, column=column, **where)
        if bad or problems:
            return
        found, errors = parse_record(record, self.limits)
        if found is None:
            known = [c for c in columns if c is not None]
            for e in errors:
                column, message = layout.column_of(known, e)
                self.problem(message, number, column=column, **where)
            return
        located = Located(found, where["file"] or self.name, number, sheet=where["sheet"], tabular=True)
        (self.parsed.nodes if isinstance(found, Node) else self.parsed.relations).append(located)


def _workbook_rows(values: Any, formulas: Any) -> Iterator[Row]:
    for number, (row, cells) in enumerate(zip(values.iter_rows(values_only=True), formulas.iter_rows(), strict=False),
                                          start=1):
        formula = [c.value if getattr(c, "data_type", None) == "f" and v is None else None
                   for c, v in zip(cells, row, strict=False)]
        yield number, list(row), formula


def _csv_rows(text: str, delimiter: str) -> Iterator[Row]:
    for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        yield number, list(row), []


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
