"""What waits for a reviewer: records in review and open proposals, oldest first (GraphQL's
``reviewQueue`` and the workspace's queue read the same list)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema
from ..model import Node
from ..store.base import Store
from ..visibility import Gate
from . import proposals


@dataclass(frozen=True)
class Waiting:
    node: Node
    proposal: proposals.Proposal | None  # None: the record itself is in review
    since: str
    by: str


def queue(store: Store, gate: Gate, first: int) -> list[Waiting]:
    waiting = gate.visibility.narrowed(["in_review"], "status")
    in_review = [n for k in schema.KINDS for n in store.list_nodes(k, visibility=waiting)]
    submitted: dict[str, tuple[str, str]] = {}
    for v in store.revisions([n.id for n in in_review]) if in_review else []:
        if v.target in v.nodes and v.op == "submit":
            submitted[v.target] = (v.at, v.actor)
    items = [Waiting(n, None, *submitted.get(n.id, (n.updated_at or "", n.recorded_by or ""))) for n in in_review]
    open_ones = [p for p in proposals.gather(store.revisions_by_op(proposals.OPS)) if p.open]
    shown = gate.visible([p.node_id for p in open_ones])
    records = {n.id: n for n in gate.get_nodes([p.node_id for p in open_ones if p.node_id in shown])}
    items += [Waiting(records[p.node_id], p, p.at, p.proposed_by) for p in open_ones if p.node_id in records]
    return sorted(items, key=lambda w: (w.since, w.node.id))[:first]
