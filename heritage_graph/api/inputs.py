"""The mutations' input types, with each kind's and relation type's properties typed from the schema.

A write names properties as reads return them: `NodeInput.tradition` is a `TraditionPropertiesInput`
with one field per property of a Tradition, under the name the `Tradition` type reads it by, typed
with the same enums (`Domain`, `PlaceLevel`, ...) and with an input object for each structured
property (`UnescoInscriptionInput`, ...). `NodePatch`, `RelationInput` and `RelationPatch` get the
same per kind or relation type; in a patch, a property left out stays and one set to null is removed.
The JSON `properties` of before stays, deprecated: it takes either vocabulary (vocabulary.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.utils.str_converters import to_camel_case

from .. import schema
from ..schema import NodeKind, Prop, RelationType, T
from ..services.curation import Problem
from .enums import Confidence, Kind, PublicationStatus, Sensitivity
from .enums import RelationType as RelationTypeEnum
from .vocabulary import Written, attr_name, field_type, from_json, from_typed, gql_name


@strawberry.input
class LocalizedTextInput:
    lang: str
    text: str


def _input_class(name: str, props: tuple[Prop, ...], default: Any, description: str) -> type:
    ann: dict[str, Any] = {}
    ns: dict[str, Any] = {"__module__": __name__}
    for p in props:
        t = field_type(p, _struct_input, LocalizedTextInput)
        if p.required:
            ann[attr_name(p)], ns[attr_name(p)] = t, strawberry.field(description=p.doc)
        else:
            ann[attr_name(p)], ns[attr_name(p)] = t | None, strawberry.field(default=default, description=p.doc)
    ns["__annotations__"] = ann
    return strawberry.input(type(name, (), ns), description=description)  # type: ignore[no-any-return]


# One input object per structured property (UnescoInscriptionInput, ConsentInput, ...); in a patch,
# too, it gives the whole object.
STRUCT_INPUTS: dict[str, type] = {}


def _struct_input(p: Prop) -> type:
    assert p.gql is not None
    if p.gql not in STRUCT_INPUTS:
        STRUCT_INPUTS[p.gql] = _input_class(f"{p.gql}Input", p.fields, None, p.doc)
    return STRUCT_INPUTS[p.gql]


ConsentInput = _struct_input(schema.CONSENT)


# -- a field per kind, and per relation type, with properties -------------------------------------
Owner = NodeKind | RelationType


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'AEIOU' else 'a'} {word}"


def _what(owner: Owner) -> str:
    """How descriptions and messages name an owner: a Tradition, a LEARNED_FROM relation."""
    return _a(owner.name) if isinstance(owner, NodeKind) else f"a {owner.name} relation"


def _type_name(owner: Owner) -> str:
    return "".join(w.capitalize() for w in owner.name.split("_"))


def owner_field(owner: Owner) -> str:
    """The Python name of the input field that holds an owner's typed properties (GraphQL camel-cases
    it): `tradition`, `learned_from`."""
    return owner.name.lower()


NODE_OWNERS: tuple[Owner, ...] = tuple(k for k in schema.NODE_KINDS if k.props)
RELATION_OWNERS: tuple[Owner, ...] = tuple(r for r in schema.RELATION_TYPES if r.props)
# (owner name, patch?) -> its generated input type.
PROPERTY_INPUTS: dict[tuple[str, bool], type] = {}
for _owner in (*NODE_OWNERS, *RELATION_OWNERS):
    PROPERTY_INPUTS[_owner.name, False] = _input_class(
        f"{_type_name(_owner)}PropertiesInput", _owner.props, None,
        f"The properties of {_what(_owner)}, named and spelled as reads return them.")
    _objects = [gql_name(p) for p in _owner.props if p.type in (T.STRUCT, T.STRUCT_LIST)]
    PROPERTY_INPUTS[_owner.name, True] = _input_class(
        f"{_type_name(_owner)}PropertiesPatch", _owner.props, strawberry.UNSET,
        f"Changes to the properties of {_what(_owner)}: a property left out stays, one set to null is removed"
        + (f"; an object ({', '.join(_objects)}) is replaced whole." if _objects else "."))

JSON_DEPRECATION = ("Use the typed field of the kind or relation type (e.g. `tradition`, `learnedFrom`), "
                    "which names and spells properties as reads return them.")
JSON_DOC = ("The properties as JSON, with the names and enum spellings reads return (elementNo, "
            "SOCIAL_PRACTICES) or those of the interchange format (element_no, social-practices).")


def _with_properties(owners: tuple[Owner, ...], patch: bool) -> Callable[[type], type]:
    """Adds the deprecated JSON `properties` and one typed field per owner to a hand-written input."""
    def add(cls: type) -> type:
        default = strawberry.UNSET if patch else None
        cls.__annotations__["properties"] = JSON | None
        cls.properties = strawberry.field(  # type: ignore[attr-defined]
            default=default, description=JSON_DOC, deprecation_reason=JSON_DEPRECATION)
        for owner in owners:
            cls.__annotations__[owner_field(owner)] = PROPERTY_INPUTS[owner.name, patch] | None
            setattr(cls, owner_field(owner), strawberry.field(
                default=default, description=f"The properties of {_what(owner)}."))
        return cls
    return add


@strawberry.input(description="A new node. Its properties go in the field of its kind (e.g. `tradition`).")
@_with_properties(NODE_OWNERS, patch=False)
class NodeInput:
    kind: Kind  # type: ignore[valid-type]
    id: strawberry.ID
    name: str
    names: list[LocalizedTextInput] | None = None
    summary: list[LocalizedTextInput] | None = None
    sources: list[strawberry.ID] | None = None
    confidence: Confidence | None = None  # type: ignore[valid-type]
    sensitivity: Sensitivity | None = None  # type: ignore[valid-type]
    status: PublicationStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Reviewers only; records are created as drafts by default.")


@strawberry.input(description="Fields to change; what is left out stays. Properties change in the field of the "
                              "record's kind (e.g. `tradition`), where a property set to null is removed.")
@_with_properties(NODE_OWNERS, patch=True)
class NodePatch:
    name: str | None = strawberry.UNSET
    names: list[LocalizedTextInput] | None = strawberry.UNSET
    summary: list[LocalizedTextInput] | None = strawberry.UNSET
    sources: list[strawberry.ID] | None = strawberry.UNSET
    confidence: Confidence | None = strawberry.UNSET  # type: ignore[valid-type]
    sensitivity: Sensitivity | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input(description="A new relation. Its properties go in the field of its type (e.g. `learnedFrom`).")
@_with_properties(RELATION_OWNERS, patch=False)
class RelationInput:
    type: RelationTypeEnum  # type: ignore[valid-type]
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    sources: list[strawberry.ID] | None = None
    confidence: Confidence | None = None  # type: ignore[valid-type]
    note: str | None = None


@strawberry.input(description="Fields to change; what is left out stays. Properties change in the field of the "
                              "relation's type (e.g. `learnedFrom`), where a property set to null is removed; "
                              "the deprecated JSON `properties` replaces them all.")
@_with_properties(RELATION_OWNERS, patch=True)
class RelationPatch:
    sources: list[strawberry.ID] | None = strawberry.UNSET
    confidence: Confidence | None = strawberry.UNSET  # type: ignore[valid-type]
    note: str | None = strawberry.UNSET


# -- from an input to the stored vocabulary -------------------------------------------------------
def _given(value: Any) -> bool:
    return value is not None and value is not strawberry.UNSET


def written_properties(given: Any, owner: Owner | None, patch: bool) -> Written:
    """The properties an input or patch gives for ``owner`` (its kind or relation type), from its typed
    field or the JSON `properties`, in the stored vocabulary; ``Written.values`` is None when it gives
    none. With no owner (a record the reader may not see) the JSON goes on as sent, for the service
    to refuse the record."""
    raw = given.properties
    if owner is None:
        return Written(values=raw if _given(raw) else None)
    owners = NODE_OWNERS if isinstance(given, NodeInput | NodePatch) else RELATION_OWNERS
    own = to_camel_case(owner_field(owner)) if owner in owners else None
    hint = f"give them in `{own}`" if own else f"{_what(owner)} has no properties of its own"
    problems = [Problem(to_camel_case(owner_field(o)), f"holds the properties of {_what(o)}, but this is "
                                                       f"{_what(owner)}: {hint}")
                for o in owners if o is not owner and _given(getattr(given, owner_field(o)))]
    typed = getattr(given, owner_field(owner)) if own else None
    if _given(typed) and _given(raw):
        problems.append(Problem("properties", f"give the properties in `{own}` or in `properties` (deprecated), "
                                              "not both"))
    if problems:
        return Written(problems=problems)
    if _given(typed):
        return from_typed(typed, owner.props, own or "", patch)
    if raw is strawberry.UNSET or (raw is None and not patch):
        return Written()
    # null in a patch: no properties (a relation patch's JSON replaces them all, so it clears them).
    return from_json({} if raw is None else raw, owner.props, owner.name)


__all__ = ["STRUCT_INPUTS", "ConsentInput", "LocalizedTextInput", "NodeInput", "NodePatch", "RelationInput",
           "RelationPatch", "owner_field", "written_properties"]
