"""Changes proposed to published records: a curator's edit of what everyone reads waits for review.

A curator may not change a published record directly, but may propose a change to it. The published
record stays what everyone reads; the proposal — the record as it would be — is kept as revisions of
its own target (``model.PROPOSAL_MARK``), never as a state the record had, so neither history nor
``asOf`` ever shows it to the public. A reviewer approves it (the record is then written as its next
version, in one transaction with the approval) or rejects it with a comment; its proposer may
withdraw it. A proposal is based on the version the curator read: approving it when the record has
changed since (another proposal approved, a reviewer's edit) is a version conflict, so two proposals
never silently overwrite each other — the curator proposes again from the current record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..model import PROPOSAL_MARK, Revision

PROPOSE = "propose"
CLOSING = {"approve": "approve-proposal", "reject": "reject-proposal", "withdraw": "withdraw-proposal"}
STATES = {"approve-proposal": "approved", "reject-proposal": "rejected", "withdraw-proposal": "withdrawn"}
OPS = (PROPOSE, *CLOSING.values())


@dataclass(frozen=True)
class Proposal:
    id: str  # the proposing revision's id
    node_id: str
    target: str
    proposed_by: str
    at: str
    reason: str | None
    base_version: int  # the record's version the proposal was based on
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    state: str = "open"  # open, approved, rejected or withdrawn
    closed_by: str | None = None
    closed_at: str | None = None
    comment: str | None = None  # the reviewer's (or the withdrawing curator's) words

    @property
    def open(self) -> bool:
        return self.state == "open"


def is_proposal(v: Revision) -> bool:
    return PROPOSAL_MARK in v.target


def gather(revisions: Iterable[Revision]) -> list[Proposal]:
    """The proposals these revisions record, oldest first, each with how it ended."""
    found: dict[str, Proposal] = {}
    closings: list[Revision] = []
    for v in revisions:
        if not is_proposal(v):
            continue
        if v.op == PROPOSE:
            found[v.target] = Proposal(v.id, v.nodes[0], v.target, v.actor, v.at, v.reason, v.version, v.before,
                                       v.after)
        elif v.op in STATES:
            closings.append(v)
    for v in closings:
        p = found.get(v.target)
        if p is not None and p.open:
            found[v.target] = Proposal(**{**p.__dict__, "state": STATES[v.op], "closed_by": v.actor,
                                          "closed_at": v.at, "comment": v.reason})
    return sorted(found.values(), key=lambda p: (p.at, p.id))


def closing_revision(p: Proposal, op: str, actor: str, at: str, comment: str | None, rid: str) -> Revision:
    return Revision(id=rid, target=p.target, nodes=(p.node_id,), op=CLOSING[op], actor=actor, at=at,
                    version=p.base_version, reason=comment)
