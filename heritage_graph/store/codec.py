"""Translation between records and the flat rows both stores keep.

Lists of strings are stored natively; text maps (names, summary), objects
(unesco, consent, gathering) and lists of objects (declarations, media) are stored as compact JSON
strings, because Neo4j properties cannot hold maps and one representation keeps
the adapters alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import schema
from ..history import materialized
from ..model import PROPOSAL_MARK, Node, Relation, Revision
from ..schema import T

_JSON_TYPES = (T.TEXT_MAP, T.STRUCT, T.STRUCT_LIST)
# Node columns held in the record's own fields rather than in `properties`.
_NODE_FIELDS = frozenset(p.name for p in (*schema.NODE_COMMON_PROPS, *schema.DERIVED_NODE_COLUMNS))


def _dump(value: Any) -> str | None:
    if value is None or value == {}:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def stored_version(value: Any) -> int:
    # Rows written before versions existed count as version 1.
    return 1 if value is None else int(value)


def node_row(node: Node) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for col in schema.node_columns():
        value = getattr(node, col.name) if col.name in _NODE_FIELDS else node.properties.get(col.name)
        row[col.name] = _dump(value) if col.type in _JSON_TYPES else value
    return row


def row_node(row: Mapping[str, Any], sources: list[str] | tuple[str, ...] = ()) -> Node:
    kind = schema.KINDS[row["kind"]]
    props: dict[str, Any] = {}
    for p in kind.props:
        value = row.get(p.name)
        if value is None:
            continue
        props[p.name] = _load(value) if p.type in _JSON_TYPES else value
    return Node(
        kind=kind.name,
        id=row["id"],
        name=row["name"],
        names=_load(row.get("names")) or {},
        summary=_load(row.get("summary")) or {},
        properties=props,
        sources=tuple(sorted(s for s in sources if s)),
        confidence=row.get("confidence"),
        sensitivity=row.get("sensitivity") or "public",
        status=row.get("status") or "published",
        version=stored_version(row.get("version")),
        **{f: row.get(f) for f in schema.SYSTEM_FIELDS},
    )


def relation_row(rel: Relation) -> dict[str, Any]:
    rtype = schema.RELATIONS[rel.rel]
    row: dict[str, Any] = {
        "from": rel.from_id,
        "to": rel.to_id,
        "sources": list(rel.sources) or None,
        "confidence": rel.confidence,
        "note": rel.note,
        "version": rel.version,
        **{f: getattr(rel, f) for f in schema.SYSTEM_FIELDS},
    }
    for p in rtype.props:
        value = rel.properties.get(p.name)
        row[p.name] = _dump(value) if p.type in _JSON_TYPES else value
    return row


def row_relation(rel: str, from_id: str, to_id: str, props: Mapping[str, Any]) -> Relation:
    rtype = schema.RELATIONS[rel]
    own: dict[str, Any] = {}
    for p in rtype.props:
        value = props.get(p.name)
        if value is not None:
            own[p.name] = _load(value) if p.type in _JSON_TYPES else value
    return Relation(
        rel=rel,
        from_id=from_id,
        to_id=to_id,
        properties=own,
        sources=tuple(sorted(props.get("sources") or ())),
        confidence=props.get("confidence"),
        note=props.get("note"),
        version=stored_version(props.get("version")),
        **{f: props.get(f) for f in schema.SYSTEM_FIELDS},
    )


def revision_row(v: Revision) -> dict[str, Any]:
    v = materialized(v)
    return {
        "id": v.id, "target": v.target, "op": v.op, "actor": v.actor, "at": v.at, "reason": v.reason,
        "version": v.version, "before": _dump(v.before), "after": _dump(v.after),
    }


def row_revision(row: Mapping[str, Any]) -> Revision:
    target = row["target"]
    if PROPOSAL_MARK in target:  # a change proposed to a node: "node-id#proposal-…"
        nodes: tuple[str, ...] = (target.split(PROPOSAL_MARK, 1)[0],)
    elif ":" in target and "->" in target:
        ends = target.split(":", 1)[1].split("->")
        nodes = (ends[0], ends[1])
    else:
        nodes = (target,)
    return Revision(
        id=row["id"], target=target, nodes=nodes, op=row["op"], actor=row["actor"], at=row["at"],
        version=int(row["version"] or 0), reason=row.get("reason"), before=_load(row.get("before")),
        after=_load(row.get("after")),
    )
