"""Mutations: curation with review, versions and history.

Expected failures are part of the schema: every mutation returns a union of its
success and the typed errors (invalid input naming the fields, a version
conflict with the current record, not found, forbidden), never a server error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from .. import schema
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..history import readable
from ..model import Node as NodeRecord
from ..model import Relation as RelationRecord
from ..model import Revision as RevisionRecord
from ..services.curation import Curation, Problem, Rejected
from ..services.proposals import PROPOSE, gather
from ..services.proposals import Proposal as FoundProposal
from .admin_tokens import TokenMutations
from .context import Context
from .enums import RelationType
from .inputs import (
    ConsentInput,
    LocalizedTextInput,
    NodeInput,
    NodePatch,
    RelationInput,
    RelationPatch,
    written_properties,
)
from .results import FieldProblem, ForbiddenError, InvalidInputError, NotFoundError
from .review import Proposal
from .types import Node, Relation, visible_node, wrap
from .vocabulary import Written, typed_value


@strawberry.type(description="One recorded change.")
class Revision:
    id: strawberry.ID
    target: str = strawberry.field(description="The node id, or TYPE:from->to for a relation.")
    op: str = strawberry.field(description="create, update, submit, approve, reject, retire, restore, consent, "
                                           "add-relation, update-relation, remove-relation, import; and, for "
                                           "staff, propose, approve-proposal, reject-proposal, withdraw-proposal.")
    actor: str
    at: str = strawberry.field(description="When (ISO 8601, UTC).")
    reason: str | None
    version: int = strawberry.field(description="The record's version after the change.")
    before: JSON | None = strawberry.field(description="The record before, in the interchange format.")
    after: JSON | None = strawberry.field(description="The record after (null when a relation was removed).")

    @classmethod
    def of(cls, v: RevisionRecord) -> Revision:
        return cls(id=strawberry.ID(v.id), target=v.target, op=v.op, actor=v.actor, at=v.at, reason=v.reason,
                   version=v.version, before=v.before, after=v.after)


@strawberry.type
class NodeSaved:
    node: Node
    revision: Revision


@strawberry.type
class RelationSaved:
    relation: Relation | None = strawberry.field(description="Null when the relation was removed.")
    revision: Revision


@strawberry.type(description="The record changed since the version the change was based on.")
class VersionConflict:
    message: str
    current_version: int | None
    current_node: Node | None = None
    current_relation: Relation | None = None


@strawberry.type(description="A curator's edit of a published record, kept as a proposal for review: `node` is "
                             "the record as everyone still reads it.")
class ChangeProposed:
    node: Node
    proposal: Proposal


@strawberry.type(description="A proposal approved, rejected or withdrawn; `node` is the record as it is now.")
class ProposalClosed:
    node: Node
    proposal: Proposal
    revision: Revision


NodeResult = Annotated[NodeSaved | ChangeProposed | InvalidInputError | VersionConflict | NotFoundError
                       | ForbiddenError, strawberry.union("NodeResult")]
ProposalResult = Annotated[ProposalClosed | InvalidInputError | VersionConflict | NotFoundError | ForbiddenError,
                           strawberry.union("ProposalResult")]
RelationResult = Annotated[RelationSaved | InvalidInputError | VersionConflict | NotFoundError | ForbiddenError,
                           strawberry.union("RelationResult")]


def _texts(items: list[LocalizedTextInput] | None) -> dict[str, str] | None:
    return None if items is None else {t.lang: t.text for t in items}


def _value(v: Any) -> Any:
    if hasattr(v, "value"):  # an enum
        return v.value
    if isinstance(v, list):
        return [_value(x) for x in v]
    return v


def _given(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        v = getattr(obj, name)
        if v is strawberry.UNSET:
            continue
        if name in ("names", "summary"):
            v = _texts(v)
        out[name] = _value(v)
    return out


def _refused(problems: list[Problem], written: Written | None = None) -> InvalidInputError:
    """The problems, each field named as the client wrote it (what ``written`` translated)."""
    named = [Problem(written.client_field(p.field), p.message) if written else p for p in problems]
    return InvalidInputError(message=str(Rejected(named)),
                             problems=[FieldProblem(field=p.field, message=p.message) for p in named])


async def _run(info: Info[Context, None], work: Callable[[Curation], Any], written: Written | None = None) -> Any:
    """Run one curation step in a worker thread and turn expected failures into results."""
    ctx = info.context
    curation = Curation(ctx.store, ctx.principal, ctx.settings.field_limits)
    try:
        done = await ctx.call(work, curation)
    except Rejected as exc:
        return _refused(exc.problems, written)
    except InvalidInput as exc:
        return InvalidInputError(message=str(exc), problems=[FieldProblem(field=exc.field, message=str(exc))])
    except Conflict as exc:
        current_node = current_relation = None
        curation = Curation(ctx.store, ctx.principal, ctx.settings.field_limits)  # a fresh look
        if exc.current is not None and exc.key[0] == "node":
            found = await ctx.call(curation.gate.visible, [exc.key[1]])
            if exc.key[1] in found:
                current_node = wrap(curation.gate.nodes[exc.key[1]])
        elif exc.current is not None:
            _, rel, from_id, to_id = exc.key
            with contextlib.suppress(NotFound):
                current_relation = Relation.of(await ctx.call(curation.relation, rel, from_id, to_id))
        return VersionConflict(message=str(exc), current_version=exc.current,
                               current_node=current_node, current_relation=current_relation)
    except NotFound as exc:
        return NotFoundError(message=str(exc))
    except Forbidden as exc:
        return ForbiddenError(message=str(exc))
    closed: FoundProposal | None = None
    if isinstance(done, tuple):  # a proposal closed: (what was done, the proposal as it ended)
        done, closed = done
    revision = Revision.of(readable(done.revision, curation.gate))
    if done.revision.op == PROPOSE:
        proposal = next(p for p in gather([done.revision]))
        return ChangeProposed(node=wrap(done.record), proposal=Proposal.of(proposal, info))  # type: ignore[arg-type]
    if isinstance(done.record, NodeRecord):
        # Later fields of this request read the record as it is now.
        await ctx.call(ctx.gate.judge, [done.record])
        ctx.nodes.prime(done.record.id, done.record, force=True)
        ctx.visible.prime(done.record.id, ctx.gate.allows(done.record), force=True)
        if closed is not None:
            return ProposalClosed(node=wrap(done.record), proposal=Proposal.of(closed, info),  # type: ignore[arg-type]
                                  revision=revision)
        return NodeSaved(node=wrap(done.record), revision=revision)  # type: ignore[arg-type]
    record = done.record if isinstance(done.record, RelationRecord) else None
    return RelationSaved(relation=Relation.of(record) if record else None, revision=revision)


@strawberry.type(description="Change the inventory. Every change is one transaction with one revision.")
class Mutation(TokenMutations):
    @strawberry.mutation(description="Create a node (curators: as a draft).")
    async def create_node(self, info: Info[Context, None], input: NodeInput, reason: str | None = None) -> NodeResult:
        written = written_properties(input, schema.KINDS[input.kind.value], patch=False)
        if written.problems:
            return _refused(written.problems)
        data: dict[str, Any] = {"kind": input.kind.value, "id": str(input.id), "name": input.name}
        for key in ("names", "summary"):
            if getattr(input, key) is not None:
                data[key] = _texts(getattr(input, key))
        for key in ("sources", "confidence", "sensitivity", "status"):
            if getattr(input, key) is not None:
                data[key] = _value(getattr(input, key))
        if written.values is not None:
            data["properties"] = written.values
        return await _run(info, lambda c: c.create_node(data, reason), written)

    @strawberry.mutation(description="Change a node's fields, based on the version read (expectedVersion).")
    async def update_node(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                          patch: NodePatch, reason: str | None = None) -> NodeResult:
        # The record's kind says what its properties are called; one the reader may not see is refused
        # by the service exactly as a missing one.
        record = await visible_node(info, str(id))
        written = written_properties(patch, schema.KINDS[record.kind] if record else None, patch=True)
        if written.problems:
            return _refused(written.problems)
        given = _given(patch, ("name", "names", "summary", "sources", "confidence", "sensitivity"))
        if written.values is not None:
            given["properties"] = written.values
        return await _run(info, lambda c: c.update_node(str(id), expected_version, given, reason), written)

    @strawberry.mutation(description="Submit a draft for review (draft → in_review).")
    async def submit_for_review(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                                reason: str | None = None) -> NodeResult:
        return await _run(info, lambda c: c.transition("submit", str(id), expected_version, reason))

    @strawberry.mutation(description="Publish a record in review (in_review → published). Reviewers.")
    async def approve(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                      comment: str | None = None) -> NodeResult:
        return await _run(info, lambda c: c.transition("approve", str(id), expected_version, comment))

    @strawberry.mutation(description="Send a record in review back to draft, saying why (in_review → draft). "
                                     "Reviewers.")
    async def reject(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                     comment: str) -> NodeResult:
        return await _run(info, lambda c: c.transition("reject", str(id), expected_version, comment))

    @strawberry.mutation(description="Retire a record: it is kept, with its history, but no longer shown to the "
                                     "public. Reviewers.")
    async def retire_node(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                          reason: str | None = None) -> NodeResult:
        return await _run(info, lambda c: c.transition("retire", str(id), expected_version, reason))

    @strawberry.mutation(description="Bring a retired record back as a draft. Reviewers.")
    async def restore_node(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                           reason: str | None = None) -> NodeResult:
        return await _run(info, lambda c: c.transition("restore", str(id), expected_version, reason))

    @strawberry.mutation(description="Record (or, with null, clear) a node's consent. Takes effect at once: "
                                     "refused or withdrawn consent hides the record from all but admins.")
    async def set_consent(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                          consent: ConsentInput | None = strawberry.UNSET,
                          reason: str | None = None) -> NodeResult:
        if consent is strawberry.UNSET:
            # GraphQL cannot make a nullable argument required; left out, it must not clear the consent.
            message = "consent: give the consent to record, or null to clear it"
            return InvalidInputError(message=message, problems=[FieldProblem(field="consent", message=message)])
        written = Written()
        data = None if consent is None else typed_value(schema.CONSENT, consent, "properties.consent", "consent",
                                                        written)
        return await _run(info, lambda c: c.set_consent(str(id), expected_version, data, reason), written)

    @strawberry.mutation(description="Cite a Source for a node.")
    async def attach_source(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                            source_id: strawberry.ID, reason: str | None = None) -> NodeResult:
        return await _run(info, lambda c: c.attach_source(str(id), expected_version, str(source_id), reason))

    @strawberry.mutation(description="Stop citing a Source for a node.")
    async def detach_source(self, info: Info[Context, None], id: strawberry.ID, expected_version: int,
                            source_id: strawberry.ID, reason: str | None = None) -> NodeResult:
        return await _run(info, lambda c: c.detach_source(str(id), expected_version, str(source_id), reason))

    @strawberry.mutation(description="Add a relation between two nodes.")
    async def add_relation(self, info: Info[Context, None], input: RelationInput,
                           reason: str | None = None) -> RelationResult:
        written = written_properties(input, schema.RELATIONS[input.type.value], patch=False)
        if written.problems:
            return _refused(written.problems)
        data: dict[str, Any] = {"rel": input.type.value, "from": str(input.from_), "to": str(input.to)}
        for key in ("sources", "confidence", "note"):
            if getattr(input, key) is not None:
                data[key] = _value(getattr(input, key))
        if written.values is not None:
            data["properties"] = written.values
        return await _run(info, lambda c: c.add_relation(data, reason), written)

    @strawberry.mutation(description="Change a relation's properties, sources, confidence or note.")
    async def update_relation(self, info: Info[Context, None], type: RelationType,  # type: ignore[valid-type]
                              from_: Annotated[strawberry.ID, strawberry.argument(name="from")], to: strawberry.ID,
                              expected_version: int, patch: RelationPatch,
                              reason: str | None = None) -> RelationResult:
        written = written_properties(patch, schema.RELATIONS[type.value], patch=True)
        if written.problems:
            return _refused(written.problems)
        given = _given(patch, ("sources", "confidence", "note"))
        if written.values is not None:
            given["property_changes" if written.typed else "properties"] = written.values
        return await _run(info, lambda c: c.update_relation(type.value, str(from_), str(to), expected_version,
                                                            given, reason), written)

    @strawberry.mutation(description="Publish a proposed change: the record becomes the proposal, as its next "
                                     "version, if it is still at the version the proposal was based on. Reviewers.")
    async def approve_change(self, info: Info[Context, None], id: strawberry.ID,
                             comment: str | None = None) -> ProposalResult:
        return await _run(info, lambda c: c.close_proposal("approve", str(id), comment))

    @strawberry.mutation(description="Turn down a proposed change, saying what to change. Reviewers.")
    async def reject_change(self, info: Info[Context, None], id: strawberry.ID, comment: str) -> ProposalResult:
        return await _run(info, lambda c: c.close_proposal("reject", str(id), comment))

    @strawberry.mutation(description="Withdraw one's own proposed change (reviewers: anyone's).")
    async def withdraw_change(self, info: Info[Context, None], id: strawberry.ID,
                              reason: str | None = None) -> ProposalResult:
        return await _run(info, lambda c: c.close_proposal("withdraw", str(id), reason))

    @strawberry.mutation(description="Remove a relation (its history stays).")
    async def remove_relation(self, info: Info[Context, None], type: RelationType,  # type: ignore[valid-type]
                              from_: Annotated[strawberry.ID, strawberry.argument(name="from")], to: strawberry.ID,
                              expected_version: int, reason: str | None = None) -> RelationResult:
        return await _run(info, lambda c: c.remove_relation(type.value, str(from_), str(to), expected_version,
                                                            reason))


def as_of_text(when: datetime) -> str:
    """A time as the revisions store it (UTC, microseconds), so text comparison is time comparison."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise InvalidInput(f"asOf: {when.isoformat()} is outside the dates that can be read as UTC "
                           "(0001-01-01 to 9999-12-31)", field="asOf") from None
