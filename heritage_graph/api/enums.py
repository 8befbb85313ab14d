"""GraphQL enums, generated from the schema module's allowed values."""

from __future__ import annotations

import enum
import re

import strawberry

from .. import schema


def member(value: str) -> str:
    """The enum member that stands for a stored value: social-practices is SOCIAL_PRACTICES."""
    return re.sub(r"[^A-Z0-9]+", "_", value.upper()).strip("_")


def _make(name: str, values: tuple[str, ...], doc: str) -> type[enum.Enum]:
    cls = enum.Enum(name, {member(v): v for v in values})  # type: ignore[misc]
    return strawberry.enum(cls, description=doc)  # type: ignore[no-any-return]


def _collect() -> dict[str, type[enum.Enum]]:
    found: dict[str, type[enum.Enum]] = {}

    def visit(p: schema.Prop) -> None:
        if p.allowed and p.gql and p.gql not in found:
            found[p.gql] = _make(p.gql, p.allowed, p.doc)
        for f in p.fields:
            visit(f)

    for p in schema.NODE_COMMON_PROPS:
        visit(p)
    for k in schema.NODE_KINDS:
        for p in k.props:
            visit(p)
    for p in schema.RELATION_COMMON_PROPS:
        visit(p)
    for r in schema.RELATION_TYPES:
        for p in r.props:
            visit(p)
    found["RelationType"] = _make("RelationType", tuple(schema.RELATIONS), "The relation types of the graph.")
    return found


ENUMS = _collect()
Kind = ENUMS["Kind"]
Domain = ENUMS["Domain"]
Confidence = ENUMS["Confidence"]
Sensitivity = ENUMS["Sensitivity"]
RelationType = ENUMS["RelationType"]
Kinship = ENUMS["Kinship"]
PublicationStatus = ENUMS["PublicationStatus"]


@strawberry.enum(description="Which way to follow a lineage relation.")
class LineageDirection(enum.Enum):
    ANCESTORS = "ancestors"
    DESCENDANTS = "descendants"


@strawberry.enum(description="The relations a lineage follows.")
class LineageRelation(enum.Enum):
    LEARNED_FROM = "LEARNED_FROM"
    DERIVED_FROM = "DERIVED_FROM"


@strawberry.enum(description="A relation's direction, seen from the node that lists it.")
class Direction(enum.Enum):
    OUT = "out"
    IN = "in"


def to_enum(name: str, value: str | None) -> enum.Enum | None:
    return None if value is None else ENUMS[name](value)
