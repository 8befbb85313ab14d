"""Curation: create, edit, review and retire records, one transaction and one revision each.

The review workflow, and who may do what:

    draft ──submit──▶ in_review ──approve──▶ published
      ▲                  │                       │
      └─────reject───────┘                       │
    any status ──retire──▶ retired ──restore──▶ draft

- curators create records (always as drafts), edit drafts, submit them, manage
  relations and sources of drafts, and record consent on any record they can see;
- a curator's edit of a published record is a proposal (services/proposals.py): the record stays
  as it is until a reviewer approves the change;
- reviewers (and admins) also approve, reject, retire and restore, and may edit any record;
- only admins create or edit ``restricted`` records; ``community`` records need a
  token scoped to one of the record's communities (or an admin); the same holds for
  media items of those sensitivities, and media items a token may not see stay as they
  were when it edits a record's media.

Every change names the version it was based on; a stale version is refused with
a Conflict carrying the current version (optimistic concurrency, checked under the
store's write lock, so two curators can never silently overwrite each other).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .. import schema
from ..auth import Principal
from ..clock import revision_id, utc_now
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..history import revision_for, snapshot
from ..interchange import node_to_json, parse_record, relation_to_json
from ..model import Changes, Node, Relation, Revision, node_key, proposal_target, relation_key
from ..schema import DEFAULT_LIMITS, NO_LIMITS, FieldLimits
from ..store.base import Store
from ..visibility import Gate, Visibility, media_of
from .cycles import closed_cycles
from .proposals import CLOSING, PROPOSE, STATES, Proposal, closing_revision, gather
from .proposals import OPS as PROPOSAL_OPS

TRANSITIONS = {
    # op: (allowed from, to, role needed)
    "submit": (("draft",), "in_review", "curator"),
    "approve": (("in_review",), "published", "reviewer"),
    "reject": (("in_review",), "draft", "reviewer"),
    "retire": (("draft", "in_review", "published"), "retired", "reviewer"),
    "restore": (("retired",), "draft", "reviewer"),
}


def rejection(record: Node, revisions: Iterable[Revision]) -> Revision | None:
    """The rejection that sent a draft back, while it is still a draft, among the record's revisions."""
    if record.status != "draft":
        return None
    moves = [v for v in revisions if v.target == record.id and (v.op in TRANSITIONS or v.op == "create")]
    return moves[-1] if moves and moves[-1].op == "reject" else None


def open_rejection(store: Store, record: Node) -> str | None:
    """The comment of the rejection that sent a draft back, while it is still a draft."""
    found = rejection(record, store.revisions([record.id]))
    return found.reason if found else None


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str


class Rejected(InvalidInput):
    """Input that breaks the schema: every problem, each naming its field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems),
                         field=problems[0].field if problems else None)


@dataclass(frozen=True)
class Done:
    record: Node | Relation | None
    revision: Revision


def _problems(errors: list[str]) -> list[Problem]:
    out = []
    for e in errors:
        field, sep, message = e.partition(": ")
        out.append(Problem(field, message) if sep and " " not in field else Problem(None, e))
    return out


def _changed(props: Mapping[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """``props`` with ``changes`` made: a key set to None is removed, the others are set."""
    out = dict(props)
    for k, v in (changes or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


class Curation:
    def __init__(self, store: Store, principal: Principal, limits: FieldLimits = DEFAULT_LIMITS) -> None:
        self.store = store
        self.principal = principal
        self.limits = limits
        self.gate = Gate(store, Visibility.of(principal))

    # -- helpers -------------------------------------------------------------
    def _need(self, role: str, what: str) -> None:
        if not self.principal.at_least(role):
            if self.principal.role == "anonymous":
                raise Forbidden(f"{what} needs a token with the {role} role or higher (send Authorization: Bearer …)")
            raise Forbidden(f"{what} needs the {role} role or higher; this token's role is {self.principal.role}")

    def _node(self, node_id: str) -> Node:
        """The node, if the principal may see it; otherwise exactly as if it did not exist."""
        if node_id in self.gate.visible([node_id]):
            return self.gate.nodes[node_id]
        raise NotFound(f"no record with id {node_id!r}")

    def _may_hold(self, node: Node, old: Node | None = None) -> None:
        """Refuse a record the principal could not read back (consent changes excepted: hiding is their point),
        or a media item it adds that it could not read back."""
        if node.sensitivity == "restricted" and self.principal.role != "admin":
            raise Forbidden("only an admin may create or edit restricted records")
        communities = self.gate.communities(node.id)
        if not self.gate.visibility.allows(node, communities):
            raise Forbidden(f"the record would be hidden from this token ({node.sensitivity}, consent "
                            f"{node.consent_status or 'none'}): set `community` records through a token "
                            "scoped to one of the record's communities, or ask an admin")
        kept = media_of(old) if old is not None else []
        for i, item in enumerate(media_of(node)):
            if item not in kept and not self.gate.visibility.shows_media(node, item, communities):
                raise Forbidden(f"properties.media[{i}]: the media item would be hidden from this token "
                                f"({item.get('sensitivity')}): only an admin may add restricted media, and "
                                "`community` media need a token scoped to one of the record's communities")

    def _may_edit(self, node: Node) -> bool:
        """Whether the edit becomes a proposal (a curator's, of a published record); refused when the
        principal may neither make it nor propose it."""
        if node.status == "draft" or self.principal.at_least("reviewer"):
            return False
        if node.status == "published" and self.principal.at_least("curator"):
            return True
        self._need("reviewer", f"editing a {node.status} record")
        return False

    def _check_version(self, current: Node | Relation, expected: int) -> None:
        if expected != current.version:
            key = node_key(current.id) if isinstance(current, Node) else relation_key(current)
            raise Conflict(f"the record is at version {current.version}, the change was based on version {expected}",
                           key=key, current=current.version)

    def _sources_ok(self, ids: tuple[str, ...], field: str) -> list[Problem]:
        shown = self.gate.visible(ids)
        problems = []
        for s in ids:
            if s not in shown:
                problems.append(Problem(field, f"Source {s!r} does not exist"))
            elif self.gate.nodes[s].kind != "Source":
                problems.append(Problem(field, f"{s!r} is a {self.gate.nodes[s].kind}, not a Source"))
        return problems

    def _commit(self, new: Node | Relation | None, old: Node | Relation | None, op: str, reason: str | None,
                expected: int, *, removed: Relation | None = None) -> Done:
        """Write one change; a relation change also expects its two ends unchanged (their status
        decided whether the principal may make it)."""
        now = utc_now()
        changes = Changes()
        if isinstance(new, Node):
            changes.nodes.append(new)
        elif isinstance(new, Relation):
            changes.relations.append(new)
        if removed is not None:
            changes.removed.append(removed)
        record = new if new is not None else old
        assert record is not None
        key = node_key(record.id) if isinstance(record, Node) else relation_key(record)
        changes.expected[key] = expected
        if isinstance(record, Relation):
            for end in (record.from_id, record.to_id):
                changes.expected[node_key(end)] = self.gate.nodes[end].version
        revision = revision_for(new, old, op, self.principal.actor, now, reason)
        changes.revisions.append(revision)
        self.store.apply(changes)
        return Done(new, revision)

    def _stamped(self, record: Any, old: Any | None) -> Any:
        now = utc_now()
        if old is None:
            return replace(record, recorded_by=self.principal.actor, recorded_at=now, updated_at=now, version=1)
        return replace(record, recorded_by=old.recorded_by, recorded_at=old.recorded_at, updated_at=now,
                       version=old.version + 1)

    # -- nodes ---------------------------------------------------------------
    def create_node(self, data: Mapping[str, Any], reason: str | None = None) -> Done:
        self._need("curator", "creating records")
        status = data.get("status") or "draft"
        if status != "draft":
            self._need("reviewer", f"creating a record as {status}")
        record, errors = parse_record({**data, "status": status}, self.limits)
        if record is None or not isinstance(record, Node):
            raise Rejected(_problems(errors or ["expected a node (with kind, id, name)"]))
        self._may_hold(record)
        problems = self._sources_ok(record.sources, "sources")
        if problems:
            raise Rejected(problems)
        node = self._stamped(record, None)
        try:
            return self._commit(node, None, "create", reason, 0)
        except Conflict:
            # Ids are unique across all records. A record the principal can read is named as existing; one
            # it cannot is not: the id is only "not available", and nothing more is said of it.
            if record.id in self.gate.visible([record.id]):
                raise Rejected([Problem("id", f"a record with the id {record.id!r} already exists; update it, "
                                              "or choose another id")]) from None
            raise Rejected([Problem("id", f"the id {record.id!r} is not available; choose another id")]) from None

    def update_node(self, node_id: str, expected: int, patch: Mapping[str, Any], reason: str | None = None) -> Done:
        self._need("curator", "editing records")
        old = self._node(node_id)
        proposing = self._may_edit(old)
        self._check_version(old, expected)
        if "status" in patch or "kind" in patch or "id" in patch:
            bad = next(k for k in ("status", "kind", "id") if k in patch)
            raise Rejected([Problem(bad, "cannot be changed by an update; the status changes through submit, "
                                         "approve, reject, retire and restore")])
        data = node_to_json(old)
        for key in ("name", "names", "summary", "sources", "confidence", "sensitivity"):
            if key in patch:
                data[key] = patch[key]
        if "sources" in patch:
            data["sources"] = self._checked_sources(old.sources, patch["sources"])
        if "properties" in patch:
            props = _changed(data.get("properties", {}), patch["properties"])
            if "media" in (patch["properties"] or {}):
                props["media"] = self._checked_media(old, patch["properties"]["media"])
            data["properties"] = {k: v for k, v in props.items() if v is not None}
        return self._replace_node(old, data, "update", reason, propose=proposing)

    def _checked_media(self, old: Node, wanted: Any) -> Any:
        """A reader edits the media it sees: those it may not see stay, after the ones it gives (which
        keep their places, so that problems name them as given)."""
        shown = self.gate.media(old)
        hidden = [m for m in media_of(old) if m not in shown]
        if not hidden:
            return wanted
        if not isinstance(wanted, list):
            return hidden if wanted is None else wanted  # a wrong type is refused as given
        return [*wanted, *(m for m in hidden if m not in wanted)]

    def _replace_node(self, old: Node, data: dict[str, Any], op: str, reason: str | None,
                      propose: bool = False) -> Done:
        record, errors = parse_record(data, self.limits)
        if record is None or not isinstance(record, Node):
            raise Rejected(_problems(errors))
        if op != "consent":
            self._may_hold(record, old)
        problems = self._sources_ok(tuple(s for s in record.sources if s not in old.sources), "sources")
        if problems:
            raise Rejected(problems)
        new = self._stamped(record, old)
        if replace(new, version=old.version, updated_at=old.updated_at) == old:
            raise Rejected([Problem(None, "nothing to change: the record already has these values")])
        if propose:
            return self._propose(new, old, reason)
        return self._commit(new, old, op, reason, old.version)

    # -- proposals (services/proposals.py) -------------------------------------------------
    def _propose(self, new: Node, old: Node, reason: str | None) -> Done:
        rid = revision_id()
        proposed = Revision(id=rid, target=proposal_target(old.id, rid), nodes=(old.id,), op=PROPOSE,
                            actor=self.principal.actor, at=utc_now(), version=old.version, reason=reason,
                            before=snapshot(old), after=snapshot(new))
        # Based on the version read: a proposal of a record that just changed is refused like an edit.
        self.store.apply(Changes(revisions=[proposed], expected={node_key(old.id): old.version}))
        return Done(old, proposed)

    def proposal(self, proposal_id: str) -> Proposal:
        """A proposal of a record the principal may see; any other reads as missing."""
        found = next((p for p in gather(self.store.revisions_by_op(PROPOSAL_OPS)) if p.id == proposal_id), None)
        if found is None or found.node_id not in self.gate.visible([found.node_id]):
            raise NotFound(f"no proposal with id {proposal_id!r}")
        return found

    def close_proposal(self, op: str, proposal_id: str, comment: str | None = None) -> tuple[Done, Proposal]:
        """Approve, reject or withdraw an open proposal; what was done, and the proposal as it ended."""
        self._need("curator" if op == "withdraw" else "reviewer", f"{op} a proposed change")
        p = self.proposal(proposal_id)
        node = self._node(p.node_id)
        if op == "withdraw" and p.proposed_by != self.principal.actor:
            self._need("reviewer", "withdrawing another account's proposal")
        if not p.open:
            raise Rejected([Problem("id", f"the proposal is already {p.state}; only an open proposal can be "
                                          f"{STATES[CLOSING[op]]}")])
        if op == "reject" and not (comment and comment.strip()):
            raise Rejected([Problem("comment", "a rejection needs a comment saying what to change")])
        now = utc_now()
        closing = closing_revision(p, op, self.principal.actor, now, comment, revision_id())
        changes = Changes(revisions=[closing])
        if op == "approve":
            if node.version != p.base_version:
                raise Conflict(f"{node.id!r} changed since the proposal was made: it is at version {node.version}, "
                               f"the proposal was based on version {p.base_version}; propose the change again "
                               "from the record as it is now", key=node_key(node.id), current=node.version)
            record, errors = parse_record(p.after or {}, NO_LIMITS)
            if not isinstance(record, Node):
                raise Rejected(_problems(errors or ["the proposal holds no record"]))
            new = self._stamped(replace(record, status=node.status), node)
            self._may_hold(new)
            changes.nodes.append(new)
            changes.expected[node_key(node.id)] = p.base_version
            changes.revisions.insert(0, revision_for(new, node, "approve-proposal", self.principal.actor, now,
                                                     comment))
        else:
            new = node
        self.store.apply(changes)
        ended = next(q for q in gather([*self.store.revisions([p.node_id])]) if q.id == p.id)
        return Done(new, changes.revisions[0]), ended

    def transition(self, op: str, node_id: str, expected: int, reason: str | None = None) -> Done:
        allowed, target, role = TRANSITIONS[op]
        self._need(role, f"{op} ({', '.join(allowed)} → {target})")
        old = self._node(node_id)
        self._check_version(old, expected)
        if old.status not in allowed:
            raise Rejected([Problem("status", f"cannot {op} a {old.status} record; {op} applies to "
                                              f"{' or '.join(allowed)} records")])
        if op == "reject" and not (reason and reason.strip()):
            raise Rejected([Problem("comment", "a rejection needs a comment saying what to change")])
        new = self._stamped(replace(old, status=target), old)
        return self._commit(new, old, op, reason, old.version)

    def set_consent(self, node_id: str, expected: int, consent: Mapping[str, Any] | None,
                    reason: str | None = None) -> Done:
        # Consent may be withdrawn on a published record at once: curators need no review for it.
        self._need("curator", "recording consent")
        old = self._node(node_id)
        self._check_version(old, expected)
        if schema.KINDS[old.kind].prop("consent") is None:
            kinds = ", ".join(k.name for k in schema.NODE_KINDS if k.prop("consent"))
            raise Rejected([Problem("consent", f"a {old.kind} has no consent record; these kinds do: {kinds}")])
        data = node_to_json(old)
        props = dict(data.get("properties", {}))
        if consent is None:
            props.pop("consent", None)
        else:
            props["consent"] = dict(consent)
        data["properties"] = props
        return self._replace_node(old, data, "consent", reason)

    def attach_source(self, node_id: str, expected: int, source_id: str, reason: str | None = None) -> Done:
        self._need("curator", "citing sources")
        old = self._node(node_id)
        cited = self._visible_sources(old.sources)
        if source_id in cited:
            raise Rejected([Problem("sourceId", f"{source_id!r} is already a source of {node_id!r}")])
        return self.update_node(node_id, expected, {"sources": [*cited, source_id]}, reason)

    def detach_source(self, node_id: str, expected: int, source_id: str, reason: str | None = None) -> Done:
        self._need("curator", "citing sources")
        old = self._node(node_id)
        cited = self._visible_sources(old.sources)
        if source_id not in cited:
            raise Rejected([Problem("sourceId", f"{source_id!r} is not a source of {node_id!r}")])
        return self.update_node(node_id, expected, {"sources": [s for s in cited if s != source_id]}, reason)

    def _visible_sources(self, sources: tuple[str, ...]) -> list[str]:
        shown = self.gate.visible(sources)
        return [s for s in sources if s in shown]

    def _checked_sources(self, old_sources: tuple[str, ...], wanted: Any) -> list[str]:
        """A reader edits the sources it sees: each one it names must be a Source it may see (one it
        may not see reads as missing, cited or not), and those it may not see stay as they were."""
        wanted = [str(s) for s in (wanted or [])]
        problems = self._sources_ok(tuple(wanted), "sources")
        if problems:
            raise Rejected(problems)
        shown = self.gate.visible(old_sources)
        return [*wanted, *(s for s in old_sources if s not in shown and s not in wanted)]

    # -- relations -----------------------------------------------------------
    def relation(self, rel: str, from_id: str, to_id: str) -> Relation:
        if rel in schema.DERIVED_RELATIONS:
            raise Rejected([Problem("type", f"{rel} follows a node's sources: use attachSource and detachSource")])
        for node_id in (from_id, to_id):
            self._node(node_id)
        for r in self.store.relations([from_id], "out", [rel]):
            if r.to_id == to_id:
                return r
        raise NotFound(f"no {rel} relation from {from_id!r} to {to_id!r}")

    def _may_link(self, from_node: Node, to_node: Node) -> None:
        if not (from_node.status == "draft" or to_node.status == "draft"):
            self._need("reviewer", "changing the relations between records that are not drafts")

    def _cycle_problem(self, rel: str, from_id: str, to_id: str, route: list[str]) -> Problem:
        """Why the relation is refused, told only as far as the user can read the cycle it would close.

        The cycle must be refused whoever asks (a hierarchy stays acyclic), but a route through a record
        this user may not see must not be told: not its ids, and not that the two ends are already
        connected. Then the refusal gives no reason, and sends the user to a reviewer, who sees more."""
        if set(route) <= self.gate.visible(route):
            return Problem("to", f"{rel} from {from_id!r} to {to_id!r} would close a cycle "
                                 f"({' → '.join(route)}); {rel} is a hierarchy")
        return Problem("to", f"{rel} from {from_id!r} to {to_id!r} cannot be added by this account; a reviewer "
                             "can look into it")

    def add_relation(self, data: Mapping[str, Any], reason: str | None = None) -> Done:
        self._need("curator", "adding relations")
        record, errors = parse_record(dict(data), self.limits)
        if record is None or not isinstance(record, Relation):
            raise Rejected(_problems(errors or ["expected a relation (with rel, from, to)"]))
        ends = [self._node(record.from_id), self._node(record.to_id)]
        rtype = schema.RELATIONS[record.rel]
        if not rtype.allows(ends[0].kind, ends[1].kind):
            raise Rejected([Problem("type", f"{record.rel} cannot go from {ends[0].kind} to {ends[1].kind}; "
                                            f"allowed: {schema.endpoint_summary(rtype)}")])
        self._may_link(*ends)
        problems = self._sources_ok(record.sources, "sources")
        if rtype.acyclic and (cycle := closed_cycles(self.store, rtype.name, [(record.from_id, record.to_id)])):
            problems.append(self._cycle_problem(rtype.name, record.from_id, record.to_id, cycle[0]))
        if problems:
            raise Rejected(problems)
        try:
            return self._commit(self._stamped(record, None), None, "add-relation", reason, 0)
        except Conflict as exc:
            raise Conflict(f"{record.rel} from {record.from_id!r} to {record.to_id!r} already exists; update it "
                           "instead", key=exc.key, current=exc.current) from None

    def update_relation(self, rel: str, from_id: str, to_id: str, expected: int, patch: Mapping[str, Any],
                        reason: str | None = None) -> Done:
        """``patch["properties"]`` replaces the properties; ``patch["property_changes"]`` changes those it
        names (None removes one), as a node's ``properties`` patch does."""
        self._need("curator", "editing relations")
        old = self.relation(rel, from_id, to_id)
        self._may_link(self.gate.nodes[from_id], self.gate.nodes[to_id])
        self._check_version(old, expected)
        data = relation_to_json(old)
        for key in ("properties", "sources", "confidence", "note"):
            if key in patch:
                data[key] = patch[key]
        if "property_changes" in patch:
            data["properties"] = _changed(data.get("properties", {}), patch["property_changes"])
        if "sources" in patch:
            data["sources"] = self._checked_sources(old.sources, patch["sources"])
        record, errors = parse_record(data, self.limits)
        if record is None:
            raise Rejected(_problems(errors))
        problems = self._sources_ok(tuple(s for s in record.sources if s not in old.sources), "sources")
        if problems:
            raise Rejected(problems)
        new = self._stamped(record, old)
        if replace(new, version=old.version, updated_at=old.updated_at) == old:
            # As for nodes: a no-op would only bump the version and add an empty revision.
            raise Rejected([Problem(None, "nothing to change: the relation already has these values")])
        return self._commit(new, old, "update-relation", reason, old.version)

    def remove_relation(self, rel: str, from_id: str, to_id: str, expected: int, reason: str | None = None) -> Done:
        self._need("curator", "removing relations")
        old = self.relation(rel, from_id, to_id)
        self._may_link(self.gate.nodes[from_id], self.gate.nodes[to_id])
        self._check_version(old, expected)
        return self._commit(None, old, "remove-relation", reason, old.version, removed=old)
