"""Revisions: how a change is recorded, and how a record is read as it was."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .clock import revision_id
from .interchange import node_to_json, parse_record, relation_to_json
from .model import Node, Relation, Revision


def snapshot(record: Node | Relation | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return node_to_json(record) if isinstance(record, Node) else relation_to_json(record)


def target_of(record: Node | Relation) -> tuple[str, tuple[str, ...]]:
    if isinstance(record, Node):
        return record.id, (record.id,)
    return f"{record.rel}:{record.from_id}->{record.to_id}", (record.from_id, record.to_id)


def revision_for(new: Node | Relation | None, old: Node | Relation | None, op: str, actor: str, at: str,
                 reason: str | None) -> Revision:
    """The revision of a change from ``old`` to ``new`` (either may be None)."""
    record = new if new is not None else old
    assert record is not None
    target, nodes = target_of(record)
    return Revision(
        id=revision_id(), target=target, nodes=nodes, op=op, actor=actor, at=at,
        version=new.version if new is not None else (old.version if old is not None else 0),
        reason=reason, before=snapshot(old), after=snapshot(new),
    )


def record_as_of(revisions: list[Revision], target: str, at: str) -> Node | Relation | None:
    """The record ``target`` as it stood at time ``at`` (ISO 8601, UTC), from its revisions."""
    last: Revision | None = None
    for v in revisions:
        if v.target == target and v.at <= at:
            last = v
    if last is None or last.after is None:
        return None
    record, _ = parse_record(last.after)
    return replace(record, version=last.version) if record is not None else None
