"""Record forms, generated from ``schema.py``: which inputs a kind has, and how a posted form becomes the
record the curation service checks.

Every input is named by the path the service's problems use (``name``, ``names.es``,
``properties.birth_year``, ``properties.consent.status``), so each problem lands beside its input. A
property's type decides its input: allowed values become a choice (one: a select; several: checkboxes),
numbers a number input, free lists a text area with one item per line, texts by language one input per
language, objects a group of their fields, and lists of objects (alternate names, threats, declarations,
media) a group per item — the items there are and one empty one to add — named ``path.N.field``. Nothing here
checks values: the service does, with the same rules as imports and GraphQL, so a form can never accept
what the API would refuse. A value that cannot even be read (``12a`` for a year) is passed on as typed,
and the service's message names it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import FormData

from .. import schema
from ..schema import T

LANGUAGES = ("es", "en", "qu", "ay")  # the programme's languages: Spanish, English, Quechua, Aymara
LANGUAGE_NAMES = {"es": "español", "en": "English", "qu": "runasimi", "ay": "aymar aru"}
# Fields that have their own part of the workspace rather than an input of the record form.
OWN_SECTIONS = ("sources",)


@dataclass(frozen=True)
class Field:
    path: str
    label: str  # a schema word: the template translates it
    widget: str  # text, select, checkboxes, number, lines, languages, group, items
    choices: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    required: bool = False
    step: str = "1"
    long: bool = False  # languages: a text area per language rather than a line


def _prop_field(prop: schema.Prop, path: str) -> Field:
    if prop.type is T.STRUCT:
        # A field an object needs is still optional in the form: an object left empty is no object.
        return Field(path, prop.name, "group",
                     fields=tuple(replace(_prop_field(f, f"{path}.{f.name}"), required=False) for f in prop.fields))
    if prop.type is T.STRUCT_LIST:  # the items' fields are named relative to the item (path.N.field)
        return Field(path, prop.name, "items",
                     fields=tuple(replace(_prop_field(f, f.name), required=False) for f in prop.fields))
    if prop.type is T.TEXT_MAP:
        return Field(path, prop.name, "languages", long=prop.name in ("body",))
    if prop.type is T.STRING_LIST:
        return Field(path, prop.name, "checkboxes" if prop.allowed else "lines", choices=prop.allowed or ())
    if prop.type in (T.INT, T.FLOAT):
        return Field(path, prop.name, "number", step="1" if prop.type is T.INT else "any")
    if prop.allowed:
        return Field(path, prop.name, "select", choices=prop.allowed, required=prop.required)
    return Field(path, prop.name, "text", required=prop.required)


def record_fields(kind: str, *, creating: bool, admin: bool) -> list[Field]:
    """The inputs of a record of this kind, in the order the form shows them."""
    sensitivities = schema.SENSITIVITY if admin else tuple(s for s in schema.SENSITIVITY if s != "restricted")
    out = [Field("id", "id", "text")] if creating else []
    out += [
        Field("name", "name", "text", required=True),
        Field("names", "names", "languages"),
        Field("summary", "summary", "languages", long=True),
        Field("confidence", "confidence", "select", choices=schema.CONFIDENCE),
        Field("sensitivity", "sensitivity", "select", choices=sensitivities, required=True),
    ]
    out += [_prop_field(p, f"properties.{p.name}") for p in schema.KINDS[kind].props]
    return out


def relation_fields(rel: str) -> list[Field]:
    rtype = schema.RELATIONS[rel]
    return [Field("confidence", "confidence", "select", choices=schema.CONFIDENCE), Field("note", "note", "text"),
            *(_prop_field(p, f"properties.{p.name}") for p in rtype.props)]


# -- record → the inputs' values ---------------------------------------------------------------------------
def values_of(data: Mapping[str, Any], fields: Iterable[Field], prefix: str = "") -> dict[str, Any]:
    """What each input shows for a record in interchange form (``interchange.node_to_json``), keyed by the
    input's name (``prefix`` + path)."""
    out: dict[str, Any] = {}
    for f in fields:
        value = _get(data, f.path)
        name = prefix + f.path
        if f.widget == "group":
            out.update(values_of(data, f.fields, prefix))
        elif f.widget == "items":
            items = [v for v in value or () if isinstance(v, Mapping)]
            for i, item in enumerate(items):
                out.update(values_of(item, f.fields, f"{name}.{i}."))
            out[f"{name}#count"] = len(items) + 1  # and an empty one, to add
        elif f.widget == "languages":
            for lang, text in (value or {}).items():
                out[f"{name}.{lang}"] = text
        elif f.widget == "lines":
            out[name] = "\n".join(value or [])
        elif f.widget == "checkboxes":
            out[name] = list(value or [])
        else:
            out[name] = "" if value is None else str(value)
    return out


def languages_in(data: Mapping[str, Any], fields: Iterable[Field]) -> tuple[str, ...]:
    """The programme's languages, then any other the record already has text in."""
    seen = list(LANGUAGES)
    for f in fields:
        for sub in (f.fields if f.widget == "group" else (f,)):
            if sub.widget == "languages":
                seen += [lang for lang in (_get(data, sub.path) or {}) if lang not in seen]
    return tuple(seen)


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


# -- the posted form → a record ----------------------------------------------------------------------------
@dataclass
class Posted:
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, message) found before the service


def _number(text: str, step: str) -> Any:
    try:
        return int(text) if step == "1" else float(text)
    except ValueError:
        return text  # the service names what is wrong with it


def _read(form: FormData, f: Field, langs: tuple[str, ...], posted: Posted, prefix: str = "") -> Any:
    name = prefix + f.path
    if f.widget == "group":
        group = {sub.path.rsplit(".", 1)[1]: _read(form, sub, langs, posted, prefix) for sub in f.fields}
        group = {k: v for k, v in group.items() if v not in (None, "", [], {})}
        return group or None
    if f.widget == "items":
        found = {int(m.group(1)) for k in form if (m := re.match(rf"{re.escape(name)}\.(\d+)\.", k))}
        items = []
        for i in sorted(found):
            item = {sub.path: _read(form, sub, langs, posted, f"{name}.{i}.") for sub in f.fields}
            item = {k: v for k, v in item.items() if v not in (None, "", [], {})}
            if item:  # an item left empty is no item (the empty one offered to add)
                items.append(item)
        return items or None
    if f.widget == "languages":
        texts = {lang: str(form.get(f"{name}.{lang}", "")).strip() for lang in langs}
        return {lang: t for lang, t in texts.items() if t} or None
    if f.widget == "checkboxes":
        return [str(v) for v in form.getlist(name)] or None
    text = str(form.get(name, ""))
    if f.widget == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()] or None
    text = text.strip()
    if not text:
        return None
    if f.widget == "number":
        return _number(text, f.step)
    return text


def read_form(form: FormData, fields: list[Field], langs: tuple[str, ...]) -> Posted:
    """The record a form describes, in interchange form: only what the form has inputs for."""
    posted = Posted()
    for f in fields:
        value = _read(form, f, langs, posted)
        if f.path.startswith("properties."):
            posted.data.setdefault("properties", {})[f.path.split(".", 1)[1]] = value
        else:
            posted.data[f.path] = value
    return posted


def slug(text: str, limit: int = 60) -> str:
    """An id made from a name: ASCII, lower case, words joined by hyphens (``Jesús Urbano`` → ``jesus-urbano``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    return "-".join(words)[:limit].strip("-") or "registro"


def problem_path(field_name: str | None) -> str:
    """The input a service problem is about: a field of an item is that item's input
    (``properties.threats[1].date`` → ``properties.threats.1.date``); ``sources[2]`` is the sources input."""
    return re.sub(r"\[\d+\]", "", re.sub(r"\[(\d+)\](?=\.)", r".\1", field_name or ""))


__all__ = ["Field", "Posted", "languages_in", "read_form", "record_fields", "relation_fields", "slug", "values_of"]
