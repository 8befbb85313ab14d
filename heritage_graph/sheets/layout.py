"""Sheets and columns, derived from ``schema.py``: a property added there is a column here.

One sheet per node kind (named as the kind) and one per relation type (named as the type; DOCUMENTED_BY
has none: it is a node's ``sources`` column). Row 1 names the columns; each later row is a record. A
column holds one value of the interchange record, at a path:

- a text, a number or one of the allowed values as it is (``birth_year``, ``level``);
- a list of texts separated by ``;`` (``roles``; ``\\;`` is a ``;`` inside an item);
- a language of a text map as ``map@lang`` (``name@es``, ``summary@qu``, ``titles@en``);
- an object's field as ``object.field`` (``consent.status``);
- a list of objects (``media``) as JSON.

A cell whose text starts with ``= + - @``, a tab, a carriage return or ``'`` is written with a ``'``
in front, so that no spreadsheet runs it as a formula; a leading ``'`` is taken off when read.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from .. import schema
from ..schema import Prop, T

# Sheets a workbook may hold besides the records': the explanation of the columns, and the allowed
# values that its dropdowns list. An import passes over them.
COLUMNS_SHEET = "Columns"
LISTS_SHEET = "Lists"
RESERVED = (COLUMNS_SHEET, LISTS_SHEET)
# The languages the template offers a column for (Peru's inventory: Spanish, English, Quechua, Aymara);
# any other language code is a column too (name@pt).
TEMPLATE_LANGUAGES = ("es", "en", "qu", "ay")
# The text map of names is ``name@es``: beside the required display ``name`` it reads as its translations.
_MAP_HEADERS = {"names": "name"}
LIST_SEPARATOR = ";"
_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r", "'")
_WHOLE = re.compile(r"[+-]?\d+(\.0*)?")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header, where its value goes in the interchange record, what it holds.

    ``lang`` is the language of a text map's column; ``"*"`` stands for one column per language (the
    layout before the languages are known)."""

    name: str
    path: tuple[str, ...]
    prop: Prop
    required: bool = False
    lang: str | None = None

    @property
    def form(self) -> str:
        """text, int, float, list or json: how the cell is read and written."""
        if self.lang is not None or self.prop.type is T.STRING:
            return "text"
        return {T.INT: "int", T.FLOAT: "float", T.STRING_LIST: "list", T.STRUCT_LIST: "json"}[self.prop.type]

    @property
    def at(self) -> str:
        return ".".join(self.path)

    @property
    def shown(self) -> str:
        return f"{self.name}@<language>" if self.lang == "*" else self.name

    def describe(self) -> str:
        """What the cell holds, in a few words."""
        p = self.prop
        if self.lang is not None:
            return "text" + (f" in {self.lang}" if self.lang != "*" else " in that language")
        if self.form == "list":
            return f"list of texts, separated by {LIST_SEPARATOR}"
        if self.form == "json":
            return f"JSON list of objects with {', '.join(f.name for f in p.fields)}"
        if p.type in (T.INT, T.FLOAT) and p.minimum is not None and p.maximum is not None:
            return f"{p.type.value} from {p.minimum:g} to {p.maximum:g}"
        return p.type.value


@dataclass(frozen=True)
class Sheet:
    name: str
    node: bool
    columns: tuple[Column, ...]  # text maps as one ``lang="*"`` column each

    def expanded(self, languages: Callable[[Column], Iterable[str]]) -> tuple[Column, ...]:
        """The columns with each text map spread over the languages ``languages`` gives for it."""
        out: list[Column] = []
        for c in self.columns:
            if c.lang != "*":
                out.append(c)
                continue
            out.extend(replace(c, name=f"{c.name}@{lang}", path=(*c.path, lang), lang=lang)
                       for lang in languages(c))
        return tuple(out)

    def allowed(self) -> str:
        return ", ".join(c.shown for c in self.columns)


def _column(prop: Prop, path: tuple[str, ...], header: str, required: bool = False) -> Iterator[Column]:
    if prop.type is T.STRUCT:
        for f in prop.fields:
            yield from _column(f, (*path, f.name), f"{header}.{f.name}")
    elif prop.type is T.TEXT_MAP:
        yield Column(_MAP_HEADERS.get(prop.name, header), path, prop, lang="*")
    else:
        yield Column(header, path, prop, required)


def _common(props: Sequence[Prop], name: str) -> Prop:
    found = next((p for p in props if p.name == name), None)
    if found is None:  # a field schema.py added without a Prop: the layout cannot guess what it holds
        raise LookupError(f"schema.py declares the field {name!r} without a property to describe it")
    return found


_NODE_SOURCES = Prop("sources", T.STRING_LIST, "Ids of the Source nodes that document the record.")


def _node_sheet(kind: schema.NodeKind) -> Sheet:
    cols: list[Column] = []
    for field in schema.COMMON_FIELDS:
        if field == "kind":
            continue  # the sheet's name
        if field == "properties":
            for p in kind.props:
                cols.extend(_column(p, ("properties", p.name), p.name))
        elif field == "sources":
            if kind.name != "Source":  # a Source cites none
                cols.append(Column("sources", ("sources",), _NODE_SOURCES))
        else:
            cols.extend(_column(_common(schema.NODE_COMMON_PROPS, field), (field,), field,
                                required=field in ("id", "name")))
    return _checked(Sheet(kind.name, True, tuple(cols)))


def _relation_sheet(rtype: schema.RelationType) -> Sheet:
    cols: list[Column] = []
    for field in schema.RELATION_FIELDS:
        if field == "rel":
            continue
        if field in ("from", "to"):
            kinds = schema.kinds_where(rtype, field)
            cols.append(Column(field, (field,), Prop(field, T.STRING, f"Id of the {' or '.join(kinds)} it goes "
                                                                       f"{field}."), required=True))
        elif field == "properties":
            for p in rtype.props:
                cols.extend(_column(p, ("properties", p.name), p.name))
        else:
            cols.extend(_column(_common(schema.RELATION_COMMON_PROPS, field), (field,), field))
    return _checked(Sheet(rtype.name, False, tuple(cols)))


def _checked(sheet: Sheet) -> Sheet:
    seen: dict[str, Column] = {}
    for c in sheet.columns:
        if c.shown in seen:  # a property named as a common field: two values would share one column
            raise ValueError(f"sheet {sheet.name}: two fields make the column {c.shown!r} ({seen[c.shown].at} and "
                             f"{c.at}); rename one in schema.py")
        seen[c.shown] = c
    return sheet


def sheets() -> tuple[Sheet, ...]:
    """Every sheet, in the order of an export: Sources, the other kinds, then relation types, as in schema.py."""
    kinds = sorted(schema.NODE_KINDS, key=lambda k: k.name != "Source")
    return (*(_node_sheet(k) for k in kinds),
            *(_relation_sheet(r) for r in schema.RELATION_TYPES if r.name not in schema.DERIVED_RELATIONS))


# -- a row read ---------------------------------------------------------------------------------------
def header(sheet: Sheet, names: Sequence[Any]) -> tuple[list[Column | None], list[tuple[str, str]]]:
    """The column of each header cell (None for an empty one), and the problems as (column, message)."""
    fixed = {c.name: c for c in sheet.columns if c.lang != "*"}
    maps = {c.name: c for c in sheet.columns if c.lang == "*"}
    out: list[Column | None] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw in names:
        name = _text(raw).strip() if raw is not None else ""
        if not name:
            out.append(None)
            continue
        base, at, lang = name.partition("@")
        col = fixed.get(name)
        if col is None and at and base in maps:
            if schema.LANG_PATTERN.fullmatch(lang):
                c = maps[base]
                col = replace(c, name=name, path=(*c.path, lang), lang=lang)
            else:
                problems.append((name, f"{lang!r} is not a language code (like es, en, qu, ay)"))
                out.append(None)
                continue
        if col is None:
            problems.append((name, f"unknown column; allowed: {sheet.allowed()}"))
        elif name in seen:
            problems.append((name, "the column appears twice"))
            col = None
        else:
            seen.add(name)
        out.append(col)
    problems.extend((c.name, "missing column: every row needs it") for c in sheet.columns
                    if c.required and c.name not in seen)
    return out, problems


def to_record(sheet: Sheet, cells: Iterable[tuple[Column, Any]]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The interchange record a row holds, and the problems of its cells as (column, message)."""
    record: dict[str, Any] = {"kind" if sheet.node else "rel": sheet.name}
    problems: list[tuple[str, str]] = []
    for col, raw in cells:
        value = _cell_value(col, raw, problems)
        if value is None:
            continue
        into = record
        for key in col.path[:-1]:
            into = into.setdefault(key, {})
        into[col.path[-1]] = value
    return record, problems


def _cell_value(col: Column, raw: Any, problems: list[tuple[str, str]]) -> Any:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = unescape(raw.strip())
        if not raw:
            return None
    form = col.form
    if form == "int":
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)  # a spreadsheet keeps every number as a float: 1961.0 is 1961
        if isinstance(raw, str) and _WHOLE.fullmatch(raw):
            return int(float(raw)) if "." in raw else int(raw)
        return _as_is(raw)
    if form == "float":
        if isinstance(raw, str) and _NUMBER.fullmatch(raw):
            return float(raw)
        return _as_is(raw)
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        text = _number_text(raw)  # a code typed into a spreadsheet (00166) comes back a number
    elif isinstance(raw, datetime | date | time):
        text = _date_text(raw)
    else:
        return raw  # a boolean: the validation says what was expected
    if form == "list":
        return split_list(text) or None
    if form == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append((col.name, f"not JSON: {exc.msg} (character {exc.pos + 1}); write a list of objects "
                                       f"like [{{\"{col.prop.fields[0].name}\": \"…\"}}]"))
            return None
    return text


def _as_is(raw: Any) -> Any:
    # A date or time where a number belongs: the validation names it by its text.
    return _date_text(raw) if isinstance(raw, datetime | date | time) else raw


def _number_text(n: float) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() and math.isfinite(n) else str(n)


def _date_text(d: datetime | date | time) -> str:
    if isinstance(d, datetime) and d.time() == time(0):
        return d.date().isoformat()  # a spreadsheet's date cell is a midnight date-time
    return d.isoformat()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _number_text(value) if isinstance(value, int | float) else str(value)


def split_list(text: str) -> list[str]:
    items: list[str] = []
    item: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            item.append(next(chars, "\\"))
        elif ch == LIST_SEPARATOR:
            items.append("".join(item).strip())
            item = []
        else:
            item.append(ch)
    items.append("".join(item).strip())
    return [i for i in items if i]


def join_list(items: Sequence[str]) -> str:
    return f"{LIST_SEPARATOR} ".join(i.replace("\\", "\\\\").replace(LIST_SEPARATOR, "\\" + LIST_SEPARATOR)
                                     for i in items)


def escape(text: str) -> str:
    """The text as a cell that no spreadsheet evaluates (OWASP's CSV injection advice)."""
    return "'" + text if text.startswith(_UNSAFE_START) else text


def unescape(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def column_of(columns: Sequence[Column], message: str) -> tuple[str | None, str]:
    """The column a validation message is about (by the path it starts with), and the message told there."""
    path, sep, rest = message.partition(": ")
    if not sep:
        return None, message
    best: Column | None = None
    for c in columns:
        if (path == c.at or path.startswith((c.at + ".", c.at + "["))) and (best is None or len(c.at) > len(best.at)):
            best = c
    if best is None:
        return None, message
    inner = path[len(best.at):]
    return best.name, f"{best.name}{inner}: {rest}" if inner else rest


# -- a row written ------------------------------------------------------------------------------------
def cell(col: Column, record: dict[str, Any]) -> str | int | float | None:
    """The cell of ``col`` for an interchange ``record`` (as ``node_to_json`` gives it)."""
    value: Any = record
    for key in col.path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if value is None:
        return None
    form = col.form
    if form == "list":
        return escape(join_list(value))
    if form == "json":
        return escape(json.dumps(value, ensure_ascii=False))
    if isinstance(value, str):
        return escape(value)
    return value  # type: ignore[no-any-return]


def languages(records: Iterable[dict[str, Any]], columns: Sequence[Column]) -> dict[str, list[str]]:
    """The languages each text map column of ``columns`` has in ``records``: the template's first, in its
    order, then the others alphabetically."""
    found: dict[str, set[str]] = {c.at: set() for c in columns if c.lang == "*"}
    for rec in records:
        for at, langs in found.items():
            value: Any = rec
            for key in at.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, dict):
                langs.update(value)
    order = {lang: i for i, lang in enumerate(TEMPLATE_LANGUAGES)}
    return {at: sorted(langs, key=lambda lang: (order.get(lang, len(order)), lang)) for at, langs in found.items()}
