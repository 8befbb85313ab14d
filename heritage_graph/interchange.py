"""The interchange format: JSON Lines, one node or relation per line.

``parse_record`` checks one decoded line against the schema and returns the
record or the problems found; ``dump_node``/``dump_relation`` write the
canonical line that ``export`` emits (keys in a fixed order, maps sorted), so
export → import → export is byte-identical.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from . import schema
from .errors import Problem
from .model import Node, Relation
from .schema import DEFAULT_LIMITS, FieldLimits, Prop, T

Record = Node | Relation
NODE_KEYS = schema.COMMON_FIELDS
RELATION_KEYS = schema.RELATION_FIELDS


@dataclass(frozen=True)
class Located:
    """A record with the place it was read from."""

    record: Record
    file: str
    line: int
    # A spreadsheet row: its sheet (None for a CSV file, which is its own sheet), and problems that start
    # with a field's name are told at the column of that name.
    sheet: str | None = None
    tabular: bool = False

    @property
    def where(self) -> str:
        return ":".join([self.file, *([self.sheet] if self.sheet else []), str(self.line)])

    def problem(self, message: str) -> Problem:
        head, sep, rest = message.partition(": ")
        if self.tabular and sep and head.isidentifier():
            return Problem(self.file, self.line, rest, self.sheet, head)
        return Problem(self.file, self.line, message, self.sheet)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


# The limits of the record being parsed (parse_record's argument), read where a field is checked.
_LIMITS: ContextVar[FieldLimits] = ContextVar("field_limits", default=DEFAULT_LIMITS)


def _too_long(text: str, limit: int, path: str, errors: list[str]) -> bool:
    if len(text) <= limit:
        return False
    errors.append(f"{path}: {len(text):,} characters, more than the limit of {limit:,}")
    return True


# Text maps of names and titles are names; a media item's caption and alt text are short texts; the others
# (summaries, bodies) are texts.
_NAME_MAPS = ("names", "titles")
_SHORT_MAPS = ("caption", "alt")


def _text_limit(p: Prop) -> int:
    limits = _LIMITS.get()
    if p.name in _NAME_MAPS:
        return limits.name
    return limits.string if p.name in _SHORT_MAPS else limits.text


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def check_value(p: Prop, value: Any, path: str, errors: list[str]) -> Any:
    """The value normalised, or None with a message appended to ``errors``."""
    if p.type is T.STRING:
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {_type_name(value)} {_show(value)}")
            return None
        if _too_long(value, _LIMITS.get().string, path, errors):
            return None
        if p.allowed and value not in p.allowed:
            errors.append(f"{path}: {_show(value)} is not allowed; allowed values: {', '.join(p.allowed)}")
            return None
        if p.pattern is not None and not p.pattern.fullmatch(value):
            errors.append(f"{path}: {_show(value)} is not of the form {p.doc.rstrip('.').split(': ')[-1]}")
            return None
        return p.check(value, path, errors) if p.check else value
    if p.type is T.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected a whole number, got {_type_name(value)} {_show(value)}")
            return None
        return _in_range(p, value, path, errors)
    if p.type is T.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"{path}: expected a number, got {_type_name(value)} {_show(value)}")
            return None
        return _in_range(p, float(value), path, errors)
    if p.type is T.STRING_LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(f"{path}: expected a list of strings, got {_show(value)}")
            return None
        if len(value) > _LIMITS.get().items:
            errors.append(f"{path}: {len(value)} items, more than the limit of {_LIMITS.get().items}")
            return None
        if any(_too_long(v, _LIMITS.get().string, f"{path}[{i}]", errors) for i, v in enumerate(value)):
            return None
        if p.allowed:
            bad = [v for v in value if v not in p.allowed]
            if bad:
                errors.append(
                    f"{path}: {', '.join(map(_show, bad))} not allowed; allowed values: {', '.join(p.allowed)}"
                )
                return None
        if p.check and value:
            return p.check(list(value), path, errors)
        return list(value) or None
    if p.type is T.STRUCT:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object with {', '.join(f.name for f in p.fields)}, "
                          f"got {_type_name(value)} {_show(value)}")
            return None
        known = {f.name: f for f in p.fields}
        out: dict[str, Any] = {}
        for key, v in value.items():
            f = known.get(key)
            if f is None:
                errors.append(f"{path}.{key}: unknown field; allowed: {', '.join(known)}")
            elif v is not None:
                checked = check_value(f, v, f"{path}.{key}", errors)
                if checked is not None and checked != {}:
                    out[key] = checked
        for f in p.fields:
            if f.required and value.get(f.name) is None:
                errors.append(f"{path}.{f.name}: required" + (f"; allowed values: {', '.join(f.allowed)}"
                                                              if f.allowed else ""))
        checked_out = _ordered(p.fields, out) or None
        return p.check(checked_out, path, errors) if p.check and checked_out is not None else checked_out
    if p.type is T.STRUCT_LIST:
        return _check_objects(p, value, path, errors)
    if p.type is T.TEXT_MAP:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object of language code to text, got {_type_name(value)}")
            return None
        texts: dict[str, str] = {}
        for lang, text in value.items():
            if not isinstance(lang, str) or not schema.LANG_PATTERN.fullmatch(lang):
                errors.append(f"{path}: {_show(lang)} is not a language code (like es, en, qu, ay)")
            elif not isinstance(text, str) or not text.strip():
                errors.append(f"{path}.{lang}: expected non-empty text, got {_show(text)}")
            elif not _too_long(text, _text_limit(p), f"{path}.{lang}", errors):
                texts[lang] = text
        return dict(sorted(texts.items()))
    raise AssertionError(p.type)


def _check_objects(p: Prop, value: Any, path: str, errors: list[str]) -> list[dict[str, Any]] | None:
    """A list of objects: each item checked as an object of ``p.fields``, then the list by ``p.check``
    (only when every item passed, so that its problems name the items as given)."""
    if not isinstance(value, list):
        errors.append(f"{path}: expected a list of objects with {', '.join(f.name for f in p.fields)}, "
                      f"got {_type_name(value)} {_show(value)}")
        return None
    if len(value) > schema.MAX_OBJECT_ITEMS:
        errors.append(f"{path}: {len(value)} items, more than the limit of {schema.MAX_OBJECT_ITEMS}")
        return None
    item = Prop(p.name, T.STRUCT, p.doc, fields=p.fields)
    count = len(errors)
    items = [check_value(item, v, f"{path}[{i}]", errors) or {} for i, v in enumerate(value)]
    if len(errors) > count:
        return None
    checked = p.check(items, path, errors) if p.check else items
    if checked is None:
        return None
    return [_ordered(p.fields, i) for i in checked] or None


def _ordered(fields: tuple[Prop, ...], value: dict[str, Any]) -> dict[str, Any]:
    return {f.name: value[f.name] for f in fields if f.name in value}


def _in_range(p: Prop, value: float, path: str, errors: list[str]) -> Any:
    if not math.isfinite(value):
        errors.append(f"{path}: {value} is not a finite number")
        return None
    if (p.minimum is not None and value < p.minimum) or (p.maximum is not None and value > p.maximum):
        errors.append(f"{path}: {_show(value)} is out of range; allowed: {p.minimum:g} to {p.maximum:g}")
        return None
    return value


def _check_id(value: Any, path: str, errors: list[str]) -> str | None:
    if not isinstance(value, str) or not schema.ID_PATTERN.fullmatch(value):
        errors.append(f"{path}: {_show(value)} is not a valid id (lowercase letters, digits, '.', '_' or '-', "
                      "starting with a letter or digit, at most 128 characters)")
        return None
    return value


def _check_sources(value: Any, errors: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        errors.append(f"sources: expected a list of Source ids, got {_type_name(value)} {_show(value)}")
        return ()
    out = [s for i, v in enumerate(value) if (s := _check_id(v, f"sources[{i}]", errors))]
    return tuple(sorted(set(out)))


def _check_system(obj: dict[str, Any], errors: list[str]) -> dict[str, str]:
    """recorded_by / recorded_at / updated_at, when a line carries them."""
    out: dict[str, str] = {}
    for key in schema.SYSTEM_FIELDS:
        value = obj.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            errors.append(f"{key}: expected a non-empty string, got {_show(value)}")
            continue
        if key != "recorded_by":
            try:
                stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                stamp = None
            if stamp is None or stamp.tzinfo is None:
                errors.append(f"{key}: {_show(value)} is not an ISO 8601 date-time with a time zone, "
                              "e.g. 2024-05-01T12:00:00Z")
                continue
        out[key] = value
    return out


def _check_enum(value: Any, name: str, allowed: tuple[str, ...], errors: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        errors.append(f"{name}: {_show(value)} is not allowed; allowed values: {', '.join(allowed)}")
        return None
    return value


def _check_properties(value: Any, props: tuple[Prop, ...], owner: str, errors: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"properties: expected an object, got {_type_name(value)}")
        return {}
    known = {p.name: p for p in props}
    out: dict[str, Any] = {}
    for key, v in value.items():
        p = known.get(key)
        if p is None:
            allowed = ", ".join(known) or "none"
            errors.append(f"properties.{key}: unknown property for {owner}; allowed: {allowed}")
        elif v is not None:
            checked = check_value(p, v, f"properties.{key}", errors)
            if checked is not None:
                out[key] = checked
    return {p.name: out[p.name] for p in props if p.name in out}


def _lone_surrogate(obj: Any) -> str | None:
    """Where ``obj`` holds text with a lone surrogate (JSON lets ``"\\ud800"`` through, but it is no
    character: no store can keep it), as a path like ``names.es``; None if nowhere. Iterative, as
    the value may be nested as deeply as the JSON decoder allows."""
    todo: list[tuple[str, Any]] = [("", obj)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return path or "value"
        elif isinstance(value, dict):
            for key, item in value.items():
                inner = f"{path}.{key}" if path else str(key)
                if _lone_surrogate(key) is not None:
                    return f"{path or 'object'}: a key"
                todo.append((inner, item))
        elif isinstance(value, list):
            todo.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def parse_record(obj: Any, limits: FieldLimits = DEFAULT_LIMITS, *,
                 surrogates: bool = True) -> tuple[Record | None, list[str]]:
    """Check one decoded line against the field ``limits``; returns the record, or None and the problems.

    ``surrogates=False``: the caller knows that no text in ``obj`` can hold a lone surrogate (see
    ``may_hold_surrogates``), and the walk looking for one (a third of the time of a line) is skipped."""
    token = _LIMITS.set(limits)
    try:
        return _parse(obj, surrogates)
    finally:
        _LIMITS.reset(token)


def may_hold_surrogates(raw: bytes) -> bool:
    """Whether a JSON line may decode to text with a lone surrogate: only a ``\\uD800``-``\\uDFFF`` escape
    makes one (UTF-8 bytes cannot encode a surrogate; decode_line refuses them), so a line without
    ``\\ud`` or ``\\uD`` holds none."""
    return b"\\ud" in raw or b"\\uD" in raw


def _parse(obj: Any, surrogates: bool = True) -> tuple[Record | None, list[str]]:
    errors: list[str] = []
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {_type_name(obj)}"]
    where = _lone_surrogate(obj) if surrogates else None
    if where is not None:
        # Said without the text itself: it cannot be printed or stored, and the path names it.
        return None, [f"{where.encode('ascii', 'backslashreplace').decode()}: not valid Unicode text: it holds a "
                      "lone surrogate (a \\ud800-\\udfff escape without its pair)"]
    if ("kind" in obj) == ("rel" in obj):
        return None, ['a line must have either "kind" (a node) or "rel" (a relation)']
    if "kind" in obj:
        return _parse_node(obj, errors)
    return _parse_relation(obj, errors)


def _unknown_keys(obj: dict[str, Any], allowed: tuple[str, ...], errors: list[str]) -> None:
    for key in obj:
        if key not in allowed:
            errors.append(f"{key}: unknown field; allowed: {', '.join(allowed)}")


# Fields a field-level restriction or source may name besides the kind's own properties.
_NAMED_COMMON = ("name", "names", "summary")


def _check_field_names(props: dict[str, Any], kind: schema.NodeKind, errors: list[str]) -> None:
    """``restricted_fields`` and ``field_sources`` name fields of this kind, and a restriction never names
    the properties that decide who sees what (consent, access rules, the restriction itself)."""
    own = [p.name for p in kind.props]
    withheld = [p for p in own if p not in ("consent", "access_rules", "restricted_fields")]
    for i, name in enumerate(props.get("restricted_fields") or ()):
        if name not in withheld:
            errors.append(f"properties.restricted_fields[{i}]: {_show(name)} is not a property a {kind.name} can "
                          f"withhold; allowed values: {', '.join(withheld)}")
    for i, item in enumerate(props.get("field_sources") or ()):
        if isinstance(item, dict) and item.get("field") not in (*_NAMED_COMMON, *own):
            errors.append(f"properties.field_sources[{i}].field: {_show(item.get('field'))} is not a field of a "
                          f"{kind.name}; allowed values: {', '.join((*_NAMED_COMMON, *own))}")


def _parse_node(obj: dict[str, Any], errors: list[str]) -> tuple[Node | None, list[str]]:
    kind = schema.KINDS.get(obj["kind"]) if isinstance(obj["kind"], str) else None
    if kind is None:
        errors.append(f"kind: {_show(obj['kind'])} is not a node kind; allowed values: {', '.join(schema.KINDS)}")
        return None, errors
    _unknown_keys(obj, NODE_KEYS, errors)
    node_id = _check_id(obj.get("id"), "id", errors)
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(f"name: required, a non-empty string; got {_show(name)}")
    else:
        _too_long(name, _LIMITS.get().name, "name", errors)
    names_map = next(p for p in schema.NODE_COMMON_PROPS if p.name == "names")
    summary_map = next(p for p in schema.NODE_COMMON_PROPS if p.name == "summary")
    names = check_value(names_map, obj["names"], "names", errors) if obj.get("names") is not None else {}
    summary = check_value(summary_map, obj["summary"], "summary", errors) if obj.get("summary") is not None else {}
    props = _check_properties(obj.get("properties"), kind.props, kind.name, errors)
    _check_field_names(props, kind, errors)
    sources = _check_sources(obj.get("sources"), errors)
    if sources and kind.name == "Source":
        errors.append("sources: a Source cannot cite sources (DOCUMENTED_BY goes from any node but a Source)")
    confidence = _check_enum(obj.get("confidence"), "confidence", schema.CONFIDENCE, errors)
    sensitivity = _check_enum(obj.get("sensitivity"), "sensitivity", schema.SENSITIVITY, errors)
    status = _check_enum(obj.get("status"), "status", schema.STATUSES, errors)
    system = _check_system(obj, errors)
    if errors:
        return None, errors
    assert node_id is not None and isinstance(name, str)
    return Node(
        kind=kind.name,
        id=node_id,
        name=name,
        names=names or {},
        summary=summary or {},
        properties=props,
        sources=sources,
        confidence=confidence,
        sensitivity=sensitivity or "public",
        status=status or "published",
        **system,
    ), []


def _parse_relation(obj: dict[str, Any], errors: list[str]) -> tuple[Relation | None, list[str]]:
    rel_name = obj["rel"]
    if rel_name in schema.DERIVED_RELATIONS:
        return _parse_derived(obj, errors)
    rtype = schema.RELATIONS.get(rel_name) if isinstance(rel_name, str) else None
    if rtype is None:
        return None, [f"rel: {_show(rel_name)} is not a relation type; allowed values: {', '.join(schema.RELATIONS)}"]
    _unknown_keys(obj, RELATION_KEYS, errors)
    from_id = _check_id(obj.get("from"), "from", errors)
    to_id = _check_id(obj.get("to"), "to", errors)
    if from_id is not None and from_id == to_id:
        errors.append(f"to: {rtype.name} from {from_id!r} to itself; a relation links two different records")
    props = _check_properties(obj.get("properties"), rtype.props, rtype.name, errors)
    sources = _check_sources(obj.get("sources"), errors)
    confidence = _check_enum(obj.get("confidence"), "confidence", schema.CONFIDENCE, errors)
    note = obj.get("note")
    if note is not None and not isinstance(note, str):
        errors.append(f"note: expected a string, got {_type_name(note)}")
    elif note is not None:
        _too_long(note, _LIMITS.get().string, "note", errors)
    system = _check_system(obj, errors)
    if errors:
        return None, errors
    assert from_id is not None and to_id is not None
    return Relation(rtype.name, from_id, to_id, props, sources, confidence, note or None, **system), []


def _parse_derived(obj: dict[str, Any], errors: list[str]) -> tuple[Relation | None, list[str]]:
    """A DOCUMENTED_BY line: the import adds its Source to the node's ``sources`` (it is kept nowhere else),
    so it carries nothing but its two ends."""
    for key in obj:
        if key not in ("rel", "from", "to"):
            errors.append(f"{key}: a {obj['rel']} line takes only rel, from and to: it adds the Source to the "
                          "node's \"sources\"")
    from_id = _check_id(obj.get("from"), "from", errors)
    to_id = _check_id(obj.get("to"), "to", errors)
    if errors:
        return None, errors
    assert from_id is not None and to_id is not None
    return Relation(obj["rel"], from_id, to_id), []


MAX_LINE_BYTES = 1 << 20  # one line of an import file (HERITAGE_MAX_LINE_BYTES, import --max-line-bytes)
_SKIP_CHUNK = 1 << 16


def read_lines(stream: BinaryIO, file: str,
               max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, decoded object or None, problem or None) for each non-blank line.

    A line is read at most ``max_line`` bytes at a time: a longer one is refused, and the rest of it
    is skipped in small pieces, so a giant line never sits in memory whole."""
    for lineno, raw in raw_lines(stream, max_line):
        decoded = decode_line(raw, lineno, max_line)
        if decoded is not None:
            yield lineno, *decoded


def raw_lines(stream: BinaryIO, max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for each line, None for one longer than ``max_line`` (whose rest is
    skipped): the numbering every reader of an import file shares, so that a second pass over the
    file (the streaming import's) finds each line where the first pass saw it."""
    lineno = 0
    while raw := stream.readline(max_line + 1):
        lineno += 1
        if len(raw) > max_line and not raw.endswith(b"\n"):
            while (rest := stream.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield lineno, None
            continue
        yield lineno, raw


def decode_line(raw: bytes | None, lineno: int, max_line: int = MAX_LINE_BYTES) -> tuple[Any, str | None] | None:
    """One line of ``raw_lines`` decoded: (object, None) or (None, problem); None for a blank line."""
    if raw is None:
        return None, (f"the line is longer than {max_line:,} bytes, the limit (HERITAGE_MAX_LINE_BYTES, "
                      "or import --max-line-bytes)")
    if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 (byte {exc.start + 1} of the line)"
    if not text.strip():
        return None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    except DuplicateKey as exc:
        return None, f"invalid JSON: {exc}"
    except ValueError:  # the decoder refuses to convert an integer that long (CVE-2020-10735)
        return None, f"invalid JSON: a number has more than {sys.get_int_max_str_digits()} digits"


class DuplicateKey(ValueError):
    """An object names a key twice: JSON decoders keep one value or the other, so the line is ambiguous."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            shown = json.dumps(key).encode("ascii", "backslashreplace").decode()
            raise DuplicateKey(f"the key {shown} appears twice in one object")
        seen.add(key)
    raise AssertionError("unreachable: a shorter dict has a repeated key")


def _ordered_props(props: dict[str, Any], spec: tuple[Prop, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in spec:
        if p.name not in props:
            continue
        value = props[p.name]
        if p.type is T.STRUCT:
            value = _ordered(p.fields, value)
        elif p.type is T.STRUCT_LIST:
            value = [_ordered(p.fields, item) for item in value]
        out[p.name] = value
    return out


def node_to_json(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": node.kind, "id": node.id, "name": node.name}
    if node.names:
        out["names"] = dict(sorted(node.names.items()))
    if node.summary:
        out["summary"] = dict(sorted(node.summary.items()))
    if node.properties:
        out["properties"] = _ordered_props(node.properties, schema.KINDS[node.kind].props)
    if node.sources:
        out["sources"] = sorted(node.sources)
    if node.confidence:
        out["confidence"] = node.confidence
    out["sensitivity"] = node.sensitivity
    out["status"] = node.status
    _put_system(out, node)
    return out


def _put_system(out: dict[str, Any], record: Record) -> None:
    for key in schema.SYSTEM_FIELDS:
        value = getattr(record, key)
        if value:
            out[key] = value


def relation_to_json(rel: Relation) -> dict[str, Any]:
    out: dict[str, Any] = {"rel": rel.rel, "from": rel.from_id, "to": rel.to_id}
    if rel.properties:
        out["properties"] = _ordered_props(rel.properties, schema.RELATIONS[rel.rel].props)
    if rel.sources:
        out["sources"] = sorted(rel.sources)
    if rel.confidence:
        out["confidence"] = rel.confidence
    if rel.note:
        out["note"] = rel.note
    _put_system(out, rel)
    return out


def dump_line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
