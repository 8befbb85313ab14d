"""The records that move between the interchange format, services and stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = Any


@dataclass(frozen=True)
class Node:
    kind: str
    id: str
    name: str
    names: dict[str, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Json] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    confidence: str | None = None
    sensitivity: str = "public"
    status: str = "published"
    recorded_by: str | None = None
    recorded_at: str | None = None
    updated_at: str | None = None
    version: int = 0  # 0: not stored yet

    @property
    def consent_status(self) -> str | None:
        """Consent as visibility reads it (and as the stores keep it in a column for filtering): the status
        recorded; else ``pending`` for a record that needs consent and whose consent has no basis — a living
        person (no death year), or knowledge with customary access rules (UNESCO Ethical Principles, 2015)."""
        consent = self.properties.get("consent")
        consent = consent if isinstance(consent, dict) else {}
        if consent.get("status"):
            return str(consent["status"])
        if consent.get("basis") in GROUNDED or not self.needs_consent:
            return None
        return "pending"

    @property
    def needs_consent(self) -> bool:
        if self.kind == "Practitioner" and self.properties.get("death_year") is None:
            return True
        return bool(self.properties.get("access_rules"))


# Consent bases that make a record that needs consent publishable (schema.CONSENT_BASES).
GROUNDED = ("given", "published-source")


@dataclass(frozen=True)
class Relation:
    rel: str
    from_id: str
    to_id: str
    properties: dict[str, Json] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    confidence: str | None = None
    note: str | None = None
    recorded_by: str | None = None
    recorded_at: str | None = None
    updated_at: str | None = None
    version: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        """A relation is identified by its type and endpoints."""
        return (self.rel, self.from_id, self.to_id)


@dataclass(frozen=True)
class Page:
    """One page of a listing, plus the total over all pages."""

    items: list[Node]
    total: int
    has_next: bool
    has_previous: bool = False


NodeKey = tuple[str, str]  # ("node", id)
RelationKey = tuple[str, str, str, str]  # ("rel", type, from, to)


def node_key(node_id: str) -> NodeKey:
    return ("node", node_id)


def relation_key(rel: Relation) -> RelationKey:
    return ("rel", rel.rel, rel.from_id, rel.to_id)


@dataclass(frozen=True)
class Revision:
    """One recorded change: who, when, which operation, the record before and after.

    ``before`` and ``after`` are the record in the interchange format (None when
    it did not exist before, or was removed).
    """

    id: str
    target: str  # a node id, or "TYPE:from->to" for a relation
    nodes: tuple[str, ...]  # the node, or a relation's two ends
    op: str
    actor: str
    at: str
    version: int
    reason: str | None = None
    before: dict[str, Json] | None = None
    after: dict[str, Json] | None = None
    # The record after the change, when ``after`` is left to be made from it as it is written (an
    # import's revisions: a snapshot of each record would double the memory of a national import).
    # history.materialized makes ``after`` from it.
    record: Node | Relation | None = field(default=None, compare=False, repr=False)


# A change proposed to a published record is kept as revisions of its own target, "node-id#proposal-<id
# of the proposing revision>", so that it never reads as a state the record had.
PROPOSAL_MARK = "#proposal-"


def proposal_target(node_id: str, revision_id: str) -> str:
    return f"{node_id}{PROPOSAL_MARK}{revision_id}"


@dataclass
class Changes:
    """What one transaction writes."""

    nodes: list[Node] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    removed: list[Relation] = field(default_factory=list)
    revisions: list[Revision] = field(default_factory=list)
    # Versions the writer read: the write fails with Conflict if any changed (0: must not exist).
    expected: dict[tuple[str, ...], int] = field(default_factory=dict)
    # The store's data version when the writer read those versions; a store that keeps one may
    # skip re-reading a large import's versions under its lock when nothing was written since.
    based_on: str | None = None
