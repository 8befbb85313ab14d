"""Review in GraphQL: proposed changes to published records, and the reviewers' queue.

What a proposal is and how it ends: services/proposals.py. Everything here is staff work: a reader
below curator is refused (``FORBIDDEN``), and a record a reader may not see has no proposals for it.
"""

from __future__ import annotations

import enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from ..errors import Forbidden, InvalidInput
from ..history import readable
from ..model import Revision as RevisionRecord
from ..services import proposals as found_proposals
from ..services import review_queue as review_queue_service
from .context import Context
from .types import Node, wrap

QUEUE_DEFAULT = 50


@strawberry.enum(description="Where a proposed change stands.")
class ProposalState(enum.Enum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@strawberry.type(description="A change proposed to a published record, waiting for (or past) review. The record "
                             "reads as it was until a reviewer approves the change.")
class Proposal:
    id: strawberry.ID = strawberry.field(description="Send it to approveChange, rejectChange or withdrawChange.")
    record_id: strawberry.ID = strawberry.field(description="The record it would change.")
    state: ProposalState
    proposed_by: str
    proposed_at: str = strawberry.field(description="When (ISO 8601, UTC).")
    reason: str | None
    base_version: int = strawberry.field(description="The record's version it was based on: approving it when "
                                                     "the record is at another version is a VersionConflict.")
    before: JSON | None = strawberry.field(description="The record when proposed, in the interchange format.")
    after: JSON | None = strawberry.field(description="The record as proposed, in the interchange format.")
    closed_by: str | None
    closed_at: str | None
    comment: str | None = strawberry.field(description="The reviewer's comment (a rejection's says what to "
                                                        "change).")

    @classmethod
    def of(cls, p: found_proposals.Proposal, info: Info[Context, None]) -> Proposal:
        gate = info.context.gate
        # The states are shown as any revision is: without what this reader may not see (sources).
        shown = readable(RevisionRecord(p.id, p.target, (p.node_id,), "propose", p.proposed_by, p.at,
                                        p.base_version, p.reason, p.before, p.after), gate)
        return cls(id=strawberry.ID(p.id), record_id=strawberry.ID(p.node_id), state=ProposalState(p.state),
                   proposed_by=p.proposed_by, proposed_at=p.at, reason=shown.reason, base_version=p.base_version,
                   before=shown.before, after=shown.after, closed_by=p.closed_by, closed_at=p.closed_at,
                   comment=p.comment)


@strawberry.type(description="One thing waiting for a reviewer: a record in review, or a change proposed to a "
                             "published record.")
class ReviewItem:
    node: Node
    proposal: Proposal | None = strawberry.field(description="Null for a record in review.")
    since: str = strawberry.field(description="When it was submitted or proposed (ISO 8601, UTC).")
    by: str = strawberry.field(description="Who submitted or proposed it.")


def _staff(info: Info[Context, None], doing: str, role: str = "curator") -> None:
    principal = info.context.principal
    if not principal.at_least(role):
        raise Forbidden(f"{doing} needs the {role} role or higher; this request's role is {principal.role}")


async def review_queue(info: Info[Context, None], first: int = QUEUE_DEFAULT) -> list[ReviewItem]:
    """Records in review and open proposals, oldest first. Reviewers only."""
    _staff(info, "reading the review queue", "reviewer")
    cap = info.context.settings.max_page_size
    if not 0 <= first <= cap:
        raise InvalidInput(f"first must be between 0 and {cap}, got {first}", field="first")
    found = await info.context.call(review_queue_service.queue, info.context.store, info.context.gate, first)
    return [ReviewItem(node=wrap(w.node), proposal=Proposal.of(w.proposal, info) if w.proposal else None,  # type: ignore[arg-type]
                       since=w.since, by=w.by) for w in found]


async def proposals(info: Info[Context, None], id: strawberry.ID, open_only: bool = True) -> list[Proposal]:
    """The changes proposed to a record, oldest first (only the open ones unless openOnly is false)."""
    _staff(info, "reading proposed changes")
    ctx = info.context
    if str(id) not in await ctx.call(ctx.gate.visible, [str(id)]):
        return []
    found = found_proposals.gather(await ctx.call(ctx.store.revisions, [str(id)]))
    return [Proposal.of(p, info) for p in found if p.open or not open_only]


__all__ = ["Proposal", "ReviewItem", "proposals", "review_queue"]
