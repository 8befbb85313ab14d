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
