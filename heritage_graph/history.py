"""Revisions: how a change is recorded, and how a record is read as it was."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .clock import revision_id
from .interchange import node_to_json, parse_record, relation_to_json
from .model import PROPOSAL_MARK, Node, Relation, Revision
from .schema import NO_LIMITS

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
    record, _ = parse_record(last.after, NO_LIMITS)
    return replace(record, version=last.version) if record is not None else None


def visible_history(revisions: list[Revision], node_id: str, gate: Gate,
                    ends: list[Revision] | None = None) -> list[Revision]:
    """A node's revisions as a reader may see them.

    A reader never sees a state of a record, a relation or a field that they could not have read at
    that moment: a node's state is judged as it was (its status, sensitivity and consent then); a
    relation's state by both its ends as they stood at the time of the change (``ends``: the
    revisions of the other ends; an end with no revisions is judged as it is now). Relations to
    nodes the reader cannot see now are left out. A revision whose states are withheld keeps no
    ``reason`` (it belongs to what was withheld). Readers below curator see the public history
    (``public_view``): only revisions with a state they may read, with no staff names or reasons, and
    none of the changes proposed to the record (services/proposals.py).
    """
    others = {n for v in revisions for n in v.nodes if n != node_id}
    shown = gate.visible(others) | {node_id}
    states = _timelines([*revisions, *(ends or [])])
    out = []
    for v in revisions:
        if not set(v.nodes) <= shown:
            continue
        if PROPOSAL_MARK in v.target and not gate.visibility.staff:
            continue  # a proposed change is internal review work, never a state the record had
        seen = readable(v, gate, states)
        if not gate.visibility.staff:
            seen = public_view(seen, v)
            if seen is None:
                continue
        out.append(seen)
    return out


PUBLIC_ACTOR = "staff"


def public_view(seen: Revision, original: Revision) -> Revision | None:
    """What a reader below curator sees of a revision: nothing when no state of it is readable (the
    drafting and review that came before publication), else the dates, the operation, the version
    and the readable states, but neither who made it nor why (internal review discussion)."""
    if seen.before is None and seen.after is None:
        return None
    return replace(seen, actor=PUBLIC_ACTOR, reason=None)


def readable(v: Revision, gate: Gate, states: dict[str, list[Revision]] | None = None) -> Revision:
    """The revision with what the reader may not see taken out of its before and after (and its
    reason, when anything was)."""
    if v.target in v.nodes:  # a node
        before, after = _readable(v.before, gate), _readable(v.after, gate)
    else:
        timelines = states if states is not None else {}
        before = _readable(v.before, gate) if _ends_readable(v, gate, timelines, after=False) else None
        after = _readable(v.after, gate) if _ends_readable(v, gate, timelines, after=True) else None
    withheld = (before is None and v.before is not None) or (after is None and v.after is not None)
    return replace(v, before=before, after=after, reason=None if withheld else v.reason)


def _timelines(revisions: list[Revision]) -> dict[str, list[Revision]]:
    """Each node's own revisions, oldest first."""
    out: dict[str, list[Revision]] = {}
    for v in sorted({v.id: v for v in revisions}.values(), key=lambda v: (v.at, v.version)):
        if v.target in v.nodes:
            out.setdefault(v.target, []).append(v)
    return out


def _ends_readable(v: Revision, gate: Gate, timelines: dict[str, list[Revision]], *, after: bool) -> bool:
    """Whether the reader could read both ends of a relation when it changed: just after the change
    for its after-state, just before it for its before-state."""
    for end in v.nodes:
        timeline = timelines.get(end)
        if not timeline:
            if end not in gate.visible([end]):
                return False
            continue
        last = None
        for w in timeline:
            if w.at < v.at or (after and w.at == v.at):
                last = w
        if last is None or last.after is None:
            return False
        record, _ = parse_record(last.after, NO_LIMITS)
        if not isinstance(record, Node) or not gate.visibility.allows(record, gate.communities(end)):
            return False
    return True


def _readable(state: dict[str, Any] | None, gate: Gate) -> dict[str, Any] | None:
    if state is None:
        return None
    if "kind" in state:
        record, _ = parse_record(state, NO_LIMITS)
        if not isinstance(record, Node) or not gate.visibility.allows(record, gate.communities(record.id)):
            return None
        state = _readable_media(state, record, gate)
        withheld = (state.get("properties") or {}).get("restricted_fields")
        if withheld and not gate.visibility.staff:  # the fields it withholds, as it withheld them then
            props = {k: v for k, v in state["properties"].items() if k not in withheld}
            state = {**state, "properties": props}
    cited = list(state.get("sources", ()))
    if cited:
        visible = gate.visible(cited)
        kept = [s for s in cited if s in visible]
        # No trace of what was left out, not even an empty list.
        state = {k: v for k, v in state.items() if k != "sources"} | ({"sources": kept} if kept else {})
    return state


def _readable_media(state: dict[str, Any], record: Node, gate: Gate) -> dict[str, Any]:
    """The state without the media items the reader may not see, judged by the record as it was."""
    props = state.get("properties") or {}
    if not props.get("media"):
        return state
    shown = gate.media(record)
    if len(shown) == len(props["media"]):
        return state
    # As for sources: no trace of what was left out, not even an empty list.
    kept = {k: v for k, v in props.items() if k != "media"} | ({"media": shown} if shown else {})
    return {k: kept if k == "properties" else v for k, v in state.items() if k != "properties" or kept}


def history_of(store: Store, gate: Gate, node_id: str) -> list[Revision]:
    if node_id not in gate.visible([node_id]):
        return []
    revisions = store.revisions([node_id])
    others = sorted({n for v in revisions for n in v.nodes if n != node_id})
    ends = [v for v in store.revisions(others) if v.target in others] if others else []
    return visible_history(revisions, node_id, gate, ends)


def node_as_of(store: Store, gate: Gate, node_id: str, at: str) -> Node | None:
    """The node as it was at ``at``, if the reader may see it now and could have then."""
    if node_id not in gate.visible([node_id]):
        return None
    record = record_as_of(store.revisions([node_id]), node_id, at)
    if not isinstance(record, Node) or not gate.visibility.allows(record, gate.communities(node_id)):
        return None
    return record
