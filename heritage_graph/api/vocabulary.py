"""One vocabulary in and out: properties as reads name them, and their stored names and values.

Reads show a property under its GraphQL name (camelCase: `elementNo`, `bodyTranslations`) and an
allowed value as its enum member (`SOCIAL_PRACTICES`); the store, the interchange format and imports
keep the schema's names (`element_no`, `body`) and values (`social-practices`). Both are derived here
from the schema module. Writes may use either: `from_json` and `from_typed` turn what a client sent
into the stored vocabulary and keep the client's name for each stored path, so that a problem found
later (by the interchange checks, which speak the stored vocabulary) names the field as it was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case

from ..schema import Prop, T
from ..services.curation import Problem
from .enums import ENUMS, member

# Where the interchange checks put a record's properties: every stored path starts here.
STORED_ROOT = "properties"


def attr_name(p: Prop) -> str:
    """The Python name of the field that reads the whole value (GraphQL shows it camel-cased). A text
    map whose GraphQL name is taken by its one-language field is read whole as `<name>_translations`."""
    return f"{p.name}_translations" if p.type is T.TEXT_MAP and p.gql == p.name else p.name


def gql_name(p: Prop) -> str:
    """The property's name as reads return it."""
    return to_camel_case(attr_name(p))


def field_type(p: Prop, struct: Callable[[Prop], Any], text: type) -> Any:
    """The GraphQL type of a property's field: its enum (the same one for reads and writes), the type
    ``struct`` makes for an object, a list of ``text`` for a text map."""
    if p.allowed and p.gql:
        e = ENUMS[p.gql]
        return list[e] if p.type is T.STRING_LIST else e  # type: ignore[valid-type]
    if p.type is T.STRUCT:
        return struct(p)
    if p.type is T.STRUCT_LIST:
        return list[struct(p)]  # type: ignore[misc]
    return {T.STRING: str, T.INT: int, T.FLOAT: float, T.STRING_LIST: list[str],
            T.TEXT_MAP: list[text]}[p.type]  # type: ignore[valid-type]


def read_spelling(p: Prop) -> str:
    """The allowed values of ``p`` as reads spell them (its enum's members)."""
    return ", ".join(member(v) for v in p.allowed or ())


@dataclass
class Written:
    """What a client sent, in the stored vocabulary: ``values`` (None when nothing was given), the
    client's name for each stored path it gave, and the problems found on the way."""

    values: Any = None
    names: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # From a typed input (a patch's changes), not the JSON `properties` (which a relation patch replaces).
    typed: bool = False

    def client_field(self, stored: str | None) -> str | None:
        """A field named in the stored vocabulary (``properties.unesco.element_no``, ``properties.roles[2]``)
        as the client named it (``tradition.unesco.elementNo``, ``properties.roles[2]``)."""
        if stored is None:
            return None
        for path in sorted(self.names, key=len, reverse=True):
            if stored == path or stored.startswith((f"{path}.", f"{path}[")):
                return self.names[path] + stored[len(path):]
        return stored


# -- JSON, in either vocabulary -------------------------------------------------------------------
def from_json(value: Any, props: tuple[Prop, ...], owner: str) -> Written:
    """JSON properties keyed by read or stored names, with values in either spelling, as stored. What is
    not an object is passed on as it is: the interchange checks say what is wrong with it."""
    out = Written()
    out.values = _map(value, props, STORED_ROOT, STORED_ROOT, owner, out) if isinstance(value, dict) else value
    return out


def _map(value: dict[str, Any], props: tuple[Prop, ...], stored: str, client: str, owner: str | None,
         out: Written) -> dict[str, Any]:
    by_key = {k: p for p in props for k in (p.name, gql_name(p))}
    result: dict[str, Any] = {}
    for key, v in value.items():
        p = by_key.get(key)
        where = f"{client}.{key}"
        if p is None:
            what = f"unknown property for {owner}" if owner else "unknown field"
            allowed = ", ".join(gql_name(q) for q in props) or "none"
            out.problems.append(Problem(where, f"{what}; allowed: {allowed}"))
        elif p.name in result:
            other = out.names[f"{stored}.{p.name}"].rsplit(".", 1)[-1]
            out.problems.append(Problem(where, f"names the same property as {other}; give it once"))
        else:
            out.names[f"{stored}.{p.name}"] = where
            result[p.name] = _json_value(p, v, f"{stored}.{p.name}", where, out)
    return result


def _json_value(p: Prop, v: Any, stored: str, client: str, out: Written) -> Any:
    if v is None:
        return None
    if p.allowed:
        return _stored_spelling(p, v, client, out)
    if p.type is T.STRUCT and isinstance(v, dict):
        return _map(v, p.fields, stored, client, None, out)
    if p.type is T.STRUCT_LIST and isinstance(v, list):
        return [_map(x, p.fields, f"{stored}[{i}]", f"{client}[{i}]", None, out) if isinstance(x, dict) else x
                for i, x in enumerate(v)]
    if p.type is T.TEXT_MAP and isinstance(v, list) and all(
            isinstance(t, dict) and set(t) == {"lang", "text"} and isinstance(t["lang"], str) for t in v):
        return {t["lang"]: t["text"] for t in v}  # the LocalizedText list reads return
    return v


def _stored_spelling(p: Prop, v: Any, client: str, out: Written) -> Any:
    """An allowed value (or a list of them) as stored: a member name becomes its value."""
    values = {member(a): a for a in p.allowed or ()}
    items = v if isinstance(v, list) else [v]
    stored = [values.get(x, x) if isinstance(x, str) else x for x in items]
    # Not a string at all: the interchange checks say what was expected.
    bad = [x for x in stored if isinstance(x, str) and x not in values.values()]
    if bad:
        shown = ", ".join(json.dumps(x, ensure_ascii=False) for x in bad)
        verb = "are" if len(bad) > 1 else "is"
        out.problems.append(Problem(client, f"{shown} {verb} not allowed; allowed values: {read_spelling(p)}"))
    return stored if isinstance(v, list) else stored[0]


# -- typed inputs ---------------------------------------------------------------------------------
def from_typed(given: Any, props: tuple[Prop, ...], client: str, patch: bool) -> Written:
    """A typed properties input as stored. Left out (UNSET) is not given; null is not given either in
    a new record, and removes the property in a patch."""
    out = Written(values={}, typed=True)
    for p in props:
        v = getattr(given, attr_name(p))
        if v is strawberry.UNSET or (v is None and not patch):
            continue
        out.values[p.name] = typed_value(p, v, f"{STORED_ROOT}.{p.name}", f"{client}.{gql_name(p)}", out)
    return out


def typed_value(p: Prop, v: Any, stored: str, client: str, out: Written) -> Any:
    """One typed value as stored, its client name kept in ``out``."""
    out.names[stored] = client
    if v is None:
        return None
    if p.type is T.STRUCT:
        fields = {}
        for f in p.fields:
            x = getattr(v, attr_name(f))
            if x is not None and x is not strawberry.UNSET:
                fields[f.name] = typed_value(f, x, f"{stored}.{f.name}", f"{client}.{gql_name(f)}", out)
        return fields
    if p.type is T.STRUCT_LIST:
        item = replace(p, type=T.STRUCT)
        return [typed_value(item, x, f"{stored}[{i}]", f"{client}[{i}]", out) for i, x in enumerate(v)]
    if p.type is T.TEXT_MAP:
        return {t.lang: t.text for t in v}
    if isinstance(v, list):
        return [x.value if isinstance(x, Enum) else x for x in v]
    return v.value if isinstance(v, Enum) else v


__all__ = ["Written", "attr_name", "field_type", "from_json", "from_typed", "gql_name", "read_spelling",
           "typed_value"]
