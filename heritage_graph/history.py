"""Revisions: how a change is recorded, and how a record is read as it was."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .clock import revision_id
from .interchange import node_to_json, parse_record, relation_to_json
from .model import Node, Relation, Revision

if TYPE_CHECKING:
    from .store.base import Store
    from .visibility import Gate


def snapshot(record: Node | Relation | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return node_to_json(record) if isinstance(record, Node) else relation_to_json(record)


def target_of(record: Node | Relation) -> tuple[str, tuple[str, ...]]:
    if isinstance(record, Node):
        return record.id, (record.id,)
    return f"{record.rel}:{record.from_id}->{record.to_id}", (record.from_id, record.to_id)


def materialized(v: Revision) -> Revision:
    """The revision with ``after`` made from ``record`` (a revision_for(lazy=True)), as it is written."""
    if v.after is not None or v.record is None:
        return v
    return replace(v, after=snapshot(v.record), record=None)


def revision_for(new: Node | Relation | None, old: Node | Relation | None, op: str, actor: str, at: str,
                 reason: str | None, *, lazy: bool = False) -> Revision:
    """The revision of a change from ``old`` to ``new`` (either may be None); ``lazy`` leaves the
    after-state to be made from ``new`` when the revision is written (Revision.record)."""
    record = new if new is not None else old
    assert record is not None
    target, nodes = target_of(record)
    return Revision(
        id=revision_id(), target=target, nodes=nodes, op=op, actor=actor, at=at,
        version=new.version if new is not None else (old.version if old is not None else 0),
        reason=reason, before=snapshot(old), after=None if lazy else snapshot(new),
        record=new if lazy else None,
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


def visible_history(revisions: list[Revision], node_id: str, gate: Gate) -> list[Revision]:
    """A node's revisions as a reader may see them: relations to hidden nodes left out,
    and any before/after state the reader could not have seen redacted (None)."""
    others = {n for v in revisions for n in v.nodes if n != node_id}
    shown = gate.visible(others) | {node_id}
    out = []
    for v in revisions:
        if not set(v.nodes) <= shown:
            continue
        out.append(readable(v, gate))
    return out


def readable(v: Revision, gate: Gate) -> Revision:
    """The revision with what the reader may not see taken out of its before and after."""
    return replace(v, before=_readable(v.before, gate), after=_readable(v.after, gate))


def _readable(state: dict[str, Any] | None, gate: Gate) -> dict[str, Any] | None:
    if state is None:
        return None
    if "kind" in state:
        record, _ = parse_record(state)
        if not isinstance(record, Node) or not gate.visibility.allows(record, gate.communities(record.id)):
            return None
    cited = list(state.get("sources", ()))
    if cited:
        visible = gate.visible(cited)
        kept = [s for s in cited if s in visible]
        # No trace of what was left out, not even an empty list.
        state = {k: v for k, v in state.items() if k != "sources"} | ({"sources": kept} if kept else {})
    return state


def history_of(store: Store, gate: Gate, node_id: str) -> list[Revision]:
    if node_id not in gate.visible([node_id]):
        return []
    return visible_history(store.revisions([node_id]), node_id, gate)


def node_as_of(store: Store, gate: Gate, node_id: str, at: str) -> Node | None:
    """The node as it was at ``at``, if the reader may see it now and could have then."""
    if node_id not in gate.visible([node_id]):
        return None
    record = record_as_of(store.revisions([node_id]), node_id, at)
    if not isinstance(record, Node) or not gate.visibility.allows(record, gate.communities(node_id)):
        return None
    return record
