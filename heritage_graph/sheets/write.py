"""Write the store, or an empty template, as a workbook (xlsx) or a folder of CSV files.

Both hold a sheet per node kind and per relation type (``layout.sheets()``) with the rows in the order
of the JSON Lines export, then a ``Columns`` sheet that explains every column. A workbook also offers
each column's allowed values as a dropdown (listed in a hidden ``Lists`` sheet, which spreadsheets
read a dropdown's values from). The languages of a text map are those its records have (for the
template, ``TEMPLATE_LANGUAGES``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..interchange import node_to_json, relation_to_json
from ..services.exporter import EXPORT_KINDS, PAGE
from ..store.base import Store
from . import layout
from .layout import Column

Records = dict[str, list[dict[str, Any]]]
MAX_ROWS = 1_048_575  # an xlsx sheet's rows, but the header
EXPLAINED = ("sheet", "column", "holds", "required", "allowed values", "description")


def store_records(store: Store) -> Records:
    """Every record of ``store`` in the interchange format, by sheet, in the order of the JSONL export."""
    out: Records = {s.name: [] for s in layout.sheets()}
    for kind in EXPORT_KINDS:
        after: str | None = None
        while True:
            page = store.list_nodes(kind, after=after, limit=PAGE)
            out[kind].extend(node_to_json(n) for n in page)
            if len(page) < PAGE:
                break
            after = page[-1].id
    for name in out:
        if name not in EXPORT_KINDS:
            out[name].extend(relation_to_json(r) for r in store.iter_relations(name))
    return out


def _columns(records: Records, template: bool) -> dict[str, tuple[Column, ...]]:
    out = {}
    for sheet in layout.sheets():
        if template:
            out[sheet.name] = sheet.expanded(lambda c: layout.TEMPLATE_LANGUAGES)
        else:
            found = layout.languages(records[sheet.name], sheet.columns)
            out[sheet.name] = sheet.expanded(lambda c, found=found: found[c.at])  # type: ignore[misc]
    return out


def export_sheets(store: Store, target: Path, form: str) -> int:
    """Write ``store`` to ``target`` (a .xlsx file, or a folder for csv); the count of records written."""
    records = store_records(store)
    write_sheets(records, target, form, template=False)
    return sum(len(rows) for rows in records.values())


def write_template(target: Path, form: str) -> None:
    write_sheets({s.name: [] for s in layout.sheets()}, target, form, template=True)


def write_sheets(records: Records, target: Path, form: str, template: bool) -> None:
    columns = _columns(records, template)
    if form == "xlsx":
        _workbook(records, columns, target)
    elif form == "csv":
        _folder(records, columns, target)
    else:
        raise ValueError(form)


def _rows(records: Records, columns: dict[str, tuple[Column, ...]], sheet: str) -> Iterable[list[Any]]:
    for rec in records[sheet]:
        yield [layout.cell(c, rec) for c in columns[sheet]]


def explanation(columns: dict[str, tuple[Column, ...]]) -> list[list[str]]:
    """The Columns sheet: a line per column of every sheet."""
    sheets = {s.name: s for s in layout.sheets()}
    rows = [list(EXPLAINED)]
    for name, cols in columns.items():
        shown: Sequence[Column] = cols
        # A text map without languages yet still gets its line, so that a reader learns of it.
        missing = [c for c in sheets[name].columns if c.lang == "*" and not any(x.at.startswith(c.at + ".")
                                                                               for x in cols)]
        for c in [*shown, *missing]:
            rows.append([name, c.shown, c.describe(), "yes" if c.required else "",
                         ", ".join(c.prop.allowed or ()) if (c.form == "text" and c.lang is None) or c.form == "list"
                         else "", c.prop.doc])
    return rows


# -- xlsx -----------------------------------------------------------------------------------------------
def _workbook(records: Records, columns: dict[str, tuple[Column, ...]], target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    lists = _Lists()
    bold = Font(bold=True)
    for sheet_name, cols in columns.items():
        if len(records[sheet_name]) > MAX_ROWS:
            raise InvalidInput(f"{sheet_name}: {len(records[sheet_name]):,} records, more than an xlsx sheet holds "
                               f"({MAX_ROWS:,}); export as csv or jsonl")
        ws = book.create_sheet(sheet_name)
        ws.append([c.name for c in cols])
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
        for row in _rows(records, columns, sheet_name):
            ws.append([_xlsx_value(v, sheet_name, cols[i]) for i, v in enumerate(row)])
        for i, c in enumerate(cols):
            letter = get_column_letter(i + 1)
            ws.column_dimensions[letter].width = max(12, min(40, len(c.name) + 4))
            if c.form == "text" and c.lang is None and c.prop.allowed:
                dv = DataValidation(type="list", formula1=lists.range_of(c.prop.allowed), allow_blank=True,
                                    showErrorMessage=True, errorTitle=c.name,
                                    error=f"{c.name}: one of {', '.join(c.prop.allowed)}")
                dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
                ws.add_data_validation(dv)
    about = book.create_sheet(layout.COLUMNS_SHEET)
    for row in explanation(columns):
        about.append(row)
    for cell in about[1]:
        cell.font = bold
    about.freeze_panes = "A2"
    for letter, width in zip("ABCDEF", (18, 24, 28, 10, 40, 80), strict=True):
        about.column_dimensions[letter].width = width
    values = book.create_sheet(layout.LISTS_SHEET)
    for i, allowed in enumerate(lists.columns):
        for j, v in enumerate(allowed, start=1):
            values.cell(row=j, column=i + 1, value=v)
    values.sheet_state = "hidden"
    _replace(target, book.save)


class _Lists:
    """The allowed values of the dropdowns, a column of the Lists sheet per set (a list written into the
    dropdown itself may not exceed 255 characters)."""

    def __init__(self) -> None:
        self.columns: list[tuple[str, ...]] = []

    def range_of(self, allowed: tuple[str, ...]) -> str:
        from openpyxl.utils import get_column_letter

        if allowed not in self.columns:
            self.columns.append(allowed)
        letter = get_column_letter(self.columns.index(allowed) + 1)
        return f"{layout.LISTS_SHEET}!${letter}$1:${letter}${len(allowed)}"


def _xlsx_value(value: Any, sheet: str, col: Column) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        raise InvalidInput(f"{sheet}: a {col.name} holds a control character, which an xlsx workbook cannot; "
                           "export as csv or jsonl")
    return value


# -- csv ------------------------------------------------------------------------------------------------
def _folder(records: Records, columns: dict[str, tuple[Column, ...]], target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"{target}: a file is there; a CSV export writes a folder")
    target.mkdir(parents=True, exist_ok=True)
    for sheet_name, cols in columns.items():
        rows = [[c.name for c in cols], *([_csv_value(v) for v in row] for row in _rows(records, columns, sheet_name))]
        _replace(target / f"{sheet_name}.csv", lambda path, rows=rows: _write_csv(path, rows))  # type: ignore[misc]
    _replace(target / f"{layout.COLUMNS_SHEET}.csv", lambda path: _write_csv(path, explanation(columns)))


def _write_csv(path: Path, rows: Iterable[list[Any]]) -> None:
    # With a byte order mark: Excel reads a CSV file without one in the computer's legacy encoding.
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)


def _csv_value(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same number
    return value


def _replace(target: Path, write: Callable[[Path], Any]) -> None:
    """``write`` a temporary file beside ``target``, then rename it into place: no reader sees half of one."""
    tmp = target.with_name(target.name + ".tmp")
    try:
        write(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
