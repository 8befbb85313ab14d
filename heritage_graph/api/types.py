"""GraphQL object types, generated from the schema module.

``Node`` is the interface every kind implements; each kind's type gets one
field per property and one per relation it can take part in (the names come
from ``RelationType.out_field`` / ``in_field`` / ``both_field``). Instances
wrap the stored record and resolve relations through the request's loaders.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from typing import Any, cast

import strawberry
from strawberry.types import Info

from .. import media, schema
from ..errors import InvalidInput
from ..model import Node as NodeRecord
from ..model import Relation as RelationRecord
from ..schema import T
from ..services.curation import open_rejection
from ..visibility import PUBLIC, READER, is_public, public_media, redacted
from .context import Context
from .enums import ENUMS, Confidence, Direction, Kind, Kinship, PublicationStatus, RelationType, Sensitivity
from .vocabulary import attr_name, field_type


@strawberry.type(description="A text in one language.")
class LocalizedText:
    lang: str = strawberry.field(description="Language code: es, en, qu, ay, ...")
    text: str


LANG_DOC = ("{what} in `lang` (e.g. es, en, qu), else in the request's Accept-Language, falling back to "
            "Spanish, then English, then any language.")
FALLBACK = ("es", "en")


def localized(texts: dict[str, str], lang: str | None) -> str | None:
    """The text in ``lang``, else Spanish, else English, else any (the first by code)."""
    if not texts:
        return None
    for code in (lang, *FALLBACK):
        if code and code in texts:
            return texts[code]
    if lang:
        # es-PE asks for es when there is no es-PE text.
        base = lang.split("-")[0]
        if base in texts:
            return texts[base]
    return texts[min(texts)]


def _texts(values: dict[str, str]) -> list[LocalizedText]:
    return [LocalizedText(lang=k, text=v) for k, v in sorted(values.items())]


def _enum(p: schema.Prop, value: Any) -> Any:
    assert p.gql is not None
    cls = ENUMS[p.gql]
    return [cls(v) for v in value] if isinstance(value, list) else cls(value)


# -- fields of properties ----------------------------------------------------------
Values = Callable[[Any], dict[str, Any]]  # where a type's instance keeps its properties' stored values


def _list_field(p: schema.Prop) -> str:
    return attr_name(p)


def _localized_field(p: schema.Prop, values: Values) -> Any:
    def resolve(root: Any, info: Info[Context, None], lang: str | None = None) -> str | None:
        return localized(values(root).get(p.name) or {}, lang or root.lang_hint or info.context.lang)

    resolve.__annotations__ = {"root": Any, "info": Info[Context, None], "lang": str | None, "return": str | None}
    return strawberry.field(resolver=resolve, description=LANG_DOC.format(what=p.doc.split(" by ")[0]))


def _prop_fields(props: tuple[schema.Prop, ...], values: Values) -> tuple[dict[str, Any], dict[str, Any]]:
    """(annotations, fields) of properties, one field each; a text map whose `gql` names a field also gets
    that field, its text in one language (`title(lang:)`), and is listed as `{name}Translations` when the
    two names are the same."""
    ann: dict[str, Any] = {}
    ns: dict[str, Any] = {}
    for p in props:
        if p.type is T.TEXT_MAP and p.gql:
            ns[p.gql] = _localized_field(p, values)
        if p.type is T.STRUCT_LIST:  # a list of objects is a list, empty when there are none
            ann[_list_field(p)] = _gql_type(p)
            ns[_list_field(p)] = strawberry.field(default_factory=list, description=p.doc)
            continue
        ann[_list_field(p)] = _gql_type(p) | None
        ns[_list_field(p)] = strawberry.field(default=None, description=p.doc)
    return ann, ns


# -- object types for STRUCT and STRUCT_LIST properties ---------------------------------
STRUCTS: dict[str, type] = {}


class _MediaMethods:
    @strawberry.field(description="For an IIIF Image API URL, the image service's base URI, {scheme}://{server}"
                                  "{/prefix}/{identifier}: {iiifBase}/info.json describes the image, and "
                                  "{iiifBase}/{region}/{size}/{rotation}/{quality}.{format} gives any part or "
                                  "size of it. Null for other URLs.")
    def iiif_base(self) -> str | None:
        found = media.iiif_of(self.raw["url"])  # type: ignore[attr-defined]
        return found.base if found else None

    @strawberry.field(description="For an image, a URL of it `width` pixels wide (1 to 2000, default 400): made "
                                  "with the IIIF Image API for an IIIF image, else the image's own URL, for the "
                                  "client to scale. Null for audio, video and documents.")
    def thumbnail(self, width: int = media.THUMBNAIL_WIDTH) -> str | None:
        if not 1 <= width <= MAX_THUMBNAIL:
            raise InvalidInput(f"width: {width} is out of range; allowed: 1 to {MAX_THUMBNAIL}", field="width")
        raw: dict[str, Any] = self.raw  # type: ignore[attr-defined]
        if raw.get("kind") != "image":
            return None
        found = media.iiif_of(raw["url"])
        return found.thumbnail(width) if found else str(raw["url"])


MAX_THUMBNAIL = 2000
# Fields of an object type computed from its values, by type name.
STRUCT_METHODS: dict[str, type] = {"Media": _MediaMethods}


def _raw(root: Any) -> dict[str, Any]:
    return root.raw or {}


def _struct_type(p: schema.Prop) -> type:
    assert p.gql is not None
    if p.gql not in STRUCTS:
        ann, ns = _prop_fields(p.fields, _raw)
        ann |= {"raw": strawberry.Private[dict[str, Any] | None], "lang_hint": strawberry.Private[str | None]}
        methods = {k: v for k, v in vars(STRUCT_METHODS.get(p.gql, object)).items() if not k.startswith("__")}
        cls = type(p.gql, (), {"__annotations__": ann, "__module__": __name__, **ns, "raw": None,
                               "lang_hint": None, **methods})
        STRUCTS[p.gql] = strawberry.type(cls, description=p.doc)
    return STRUCTS[p.gql]


def _gql_type(p: schema.Prop) -> Any:
    return field_type(p, _struct_type, LocalizedText)


def _object(p: schema.Prop, value: dict[str, Any], lang: str | None = None) -> Any:
    assert p.gql is not None
    return STRUCTS[p.gql](raw=value, lang_hint=lang,
                          **{_list_field(f): _value(f, value.get(f.name)) for f in p.fields})


def _value(p: schema.Prop, value: Any) -> Any:
    if value is None:
        return None
    if p.allowed and p.gql:
        return _enum(p, value)
    if p.type is T.STRUCT:
        return _object(p, value)
    if p.type is T.STRUCT_LIST:
        return [_object(p, v) for v in value]
    if p.type is T.TEXT_MAP:
        return _texts(value)
    return value


# -- the Node interface ----------------------------------------------------------
@strawberry.interface(description="Any record of the inventory.")
class Node:
    id: strawberry.ID
    kind: Kind  # type: ignore[valid-type]
    names: list[LocalizedText] = strawberry.field(description="Names by language.")
    summaries: list[LocalizedText] = strawberry.field(description="Summaries by language.")
    confidence: Confidence | None  # type: ignore[valid-type]
    sensitivity: Sensitivity  # type: ignore[valid-type]
    status: PublicationStatus  # type: ignore[valid-type]
    version: int = strawberry.field(description="Increases with every change; send it as expectedVersion.")
    recorded_by: str | None = strawberry.field(description="Who recorded it.")
    recorded_at: str | None = strawberry.field(description="When it was first recorded (ISO 8601, UTC).")
    updated_at: str | None = strawberry.field(description="When it last changed (ISO 8601, UTC).")
    record: strawberry.Private[NodeRecord]
    # The language a parent field asked for (e.g. stories(language:)), if any.
    lang_hint: strawberry.Private[str | None] = None
    # Reached through stories or story: shows what anyone may see, whoever asks.
    public_view: strawberry.Private[bool] = False

    @strawberry.field(description="The display name; with `lang` (or an Accept-Language header), the name in "
                      "that language, falling back to Spanish, then English, then any, then the display name.")
    def name(self, info: Info[Context, None], lang: str | None = None) -> str:
        wanted = self._lang(info, lang)
        return (localized(self.record.names, wanted) if wanted else None) or self.record.name

    @strawberry.field(description=LANG_DOC.format(what="The summary"))
    def summary(self, info: Info[Context, None], lang: str | None = None) -> str | None:
        return localized(self.record.summary, self._lang(info, lang))

    def _lang(self, info: Info[Context, None], lang: str | None) -> str | None:
        return lang or self.lang_hint or info.context.lang

    @strawberry.field(description="Staff only (null for others): while this record is a draft sent back by a "
                      "reviewer, the rejection's comment saying what to change.")
    async def review_comment(self, info: Info[Context, None]) -> str | None:
        if not info.context.visibility.staff:
            return None
        return await info.context.call(open_rejection, info.context.store, self.record)

    @strawberry.field(description="The sources that document this record.")
    async def sources(self, info: Info[Context, None]) -> list[SourceNode]:
        found = await _source_nodes(info, self.record.sources)
        if self.record.kind == "Story":  # read by anyone: what anyone may see
            found = [s for s in found if is_public(s.record)]
        return found

    @strawberry.field(description="Relations of the given types (all but DOCUMENTED_BY by default), "
                      "in one or both directions.")
    async def relations(
        self,
        info: Info[Context, None],
        types: list[RelationType] | None = None,  # type: ignore[valid-type]
        direction: Direction | None = None,
    ) -> list[Relation]:
        names = tuple(t.value for t in types) if types else tuple(
            r for r in schema.RELATIONS if r not in schema.DERIVED_RELATIONS
        )
        dirs = ("out", "in") if direction is None else (direction.value,)
        return await _related(info, str(self.id), dirs, names, self.record.kind == "Story")


async def _related(info: Info[Context, None], node_id: str, dirs: tuple[str, ...], names: tuple[str, ...],
                   public_only: bool) -> list[Relation]:  # type: ignore[valid-type]
    """The relations of a node whose other end the reader may see (anyone, ``public_only``), in the order of
    ``dirs``. Both directions are asked at once, so that the loaders read the relations in one batch per
    direction and the other ends of both in one: the calls of a selection level do not depend on how
    many directions or relations it has."""
    async def one(d: str) -> list[RelationRecord]:
        recs = await info.context.relations.load((node_id, d, names))  # type: ignore[arg-type]
        return await (_public_ends(info, recs, node_id) if public_only else visible_relations(info, recs, node_id))

    found = await asyncio.gather(*(one(d) for d in dirs))
    return [Relation.of(r, viewer=node_id) for recs in found for r in recs]


async def _source_nodes(info: Info[Context, None], ids: tuple[str, ...] | list[str]) -> list[SourceNode]:
    found = await info.context.visible_nodes(list(ids))
    return cast(list[SourceNode], [wrap(n) for n in found if n.kind == "Source"])


async def visible_relations(info: Info[Context, None], recs: list[RelationRecord],
                            viewer: str) -> list[RelationRecord]:
    """Only the relations whose other end the reader may see."""
    others = [r.to_id if r.from_id == viewer else r.from_id for r in recs]
    flags = await info.context.visible.load_many(others)
    return [r for r, ok in zip(recs, flags, strict=True) if ok]


async def visible_node(info: Info[Context, None], node_id: str) -> NodeRecord | None:
    if not await info.context.visible.load(node_id):
        return None
    return await info.context.nodes.load(node_id)


# -- relations ---------------------------------------------------------------------
_REL_PROPS: dict[str, schema.Prop] = {}
for _r in schema.RELATION_TYPES:
    for _p in _r.props:
        _REL_PROPS.setdefault(_p.name, _p)


def _relation_class() -> type:
    ann: dict[str, Any] = {
        "type": RelationType,
        "from_id": strawberry.ID,
        "to_id": strawberry.ID,
        "direction": Direction | None,
        "confidence": Confidence | None,
        "note": str | None,
        "recorded_by": str | None,
        "recorded_at": str | None,
        "updated_at": str | None,
        "version": int,
        "viewer": strawberry.Private[str | None],
        "record": strawberry.Private[RelationRecord],
    }
    ns: dict[str, Any] = {
        "from_id": strawberry.field(name="from", description="Id of the node the relation starts from."),
        "to_id": strawberry.field(name="to", description="Id of the node it points to."),
        "direction": strawberry.field(description="OUT when it leaves the node that listed it, IN when it arrives."),
    }
    for name, p in _REL_PROPS.items():
        ann[attr_name(p)] = _gql_type(p) | None
        ns[attr_name(p)] = strawberry.field(default=None, description=f"{p.doc} (only on {_owners(name)})")
    methods = {k: v for k, v in _RelationMethods.__dict__.items() if not k.startswith("__")}
    cls = type("Relation", (), {"__annotations__": ann, "__module__": __name__, **ns, **methods})
    return strawberry.type(cls, description="A typed, sourced relation between two nodes.")


def _owners(prop: str) -> str:
    return ", ".join(r.name for r in schema.RELATION_TYPES if r.prop(prop))


class _RelationMethods:
    @classmethod
    def of(cls, rec: RelationRecord, viewer: str | None = None) -> Relation:
        direction = None
        if viewer is not None:
            direction = Direction.OUT if rec.from_id == viewer else Direction.IN
        props = {attr_name(p): _value(p, rec.properties.get(name)) for name, p in _REL_PROPS.items()}
        return Relation(  # type: ignore[call-arg]
            type=RelationType(rec.rel), from_id=strawberry.ID(rec.from_id), to_id=strawberry.ID(rec.to_id),
            direction=direction, confidence=_enum_or_none("Confidence", rec.confidence), note=rec.note,
            recorded_by=rec.recorded_by, recorded_at=rec.recorded_at, updated_at=rec.updated_at,
            version=rec.version, viewer=viewer, record=rec, **props,
        )

    @strawberry.field(description="The node at the other end, seen from the node that listed the relation "
                      "(the `to` node when there is none).")
    async def node(self, info: Info[Context, None]) -> Node | None:
        rec: RelationRecord = self.record  # type: ignore[attr-defined]
        other = rec.from_id if rec.to_id == self.viewer else rec.to_id  # type: ignore[attr-defined]
        return wrap(await visible_node(info, other))

    @strawberry.field(name="fromNode", description="The node the relation starts from.")
    async def from_node(self, info: Info[Context, None]) -> Node | None:
        return wrap(await visible_node(info, self.record.from_id))  # type: ignore[attr-defined]

    @strawberry.field(name="toNode", description="The node it points to.")
    async def to_node(self, info: Info[Context, None]) -> Node | None:
        return wrap(await visible_node(info, self.record.to_id))  # type: ignore[attr-defined]

    @strawberry.field(description="For KIN_OF: what the other node is to the node that listed the relation.")
    def node_kinship(self) -> Kinship | None:  # type: ignore[valid-type]
        rec: RelationRecord = self.record  # type: ignore[attr-defined]
        k = rec.properties.get("kinship")
        if k is None or self.viewer is None:  # type: ignore[attr-defined]
            return None
        return Kinship(k if rec.to_id == self.viewer else schema.KINSHIP_INVERSE[k])  # type: ignore[attr-defined]

    @strawberry.field(description="The sources that support this relation.")
    async def sources(self, info: Info[Context, None]) -> list[SourceNode]:
        return await _source_nodes(info, self.record.sources)  # type: ignore[attr-defined]


def _enum_or_none(name: str, value: str | None) -> enum.Enum | None:
    return None if value is None else ENUMS[name](value)


Relation = _relation_class()


# -- one type per kind -------------------------------------------------------------
def _relation_field(rel: schema.RelationType, direction: str | None, public_only: bool = False) -> Any:
    dirs = ("out", "in") if direction is None else (direction,)
    names = (rel.name,)
    if rel.name == "DOCUMENTED_BY" and direction == "out":
        return None  # the interface's `sources` field serves it

    async def resolve(root: Any, info: Info[Context, None]) -> list[Relation]:  # type: ignore[valid-type]
        return await _related(info, str(root.id), dirs, names, public_only)

    resolve.__annotations__ = {"root": Any, "info": Info[Context, None], "return": list[Relation]}  # type: ignore[valid-type]
    where = {"out": "leaving", "in": "reaching", None: "in either direction of"}[direction]
    return strawberry.field(resolver=resolve, description=f"{rel.name} relations {where} this node: {rel.doc}")


def _media_field(p: schema.Prop) -> Any:
    """The media the reader may see: item by item, by the reader's visibility (visibility.py), or what anyone
    may see on a story read through stories and story."""
    media_type = _struct_type(p)

    async def resolve(root: Any, info: Info[Context, None]) -> list[media_type]:  # type: ignore[valid-type]
        rec: NodeRecord = root.record
        if not rec.properties.get(p.name):
            return []
        ctx = info.context
        shown = public_media(rec) if root.public_view else await ctx.read(1, ctx.gate.media, rec)
        return [_object(p, m, root.lang_hint) for m in shown]

    resolve.__annotations__ = {"root": Any, "info": Info[Context, None], "return": list[media_type]}  # type: ignore[valid-type]
    return strawberry.field(resolver=resolve, description=p.doc)


def _props_of(root: Any) -> dict[str, Any]:
    return root.record.properties  # type: ignore[no-any-return]


# Properties resolved for each reader, rather than set when a record is wrapped.
PER_READER = (schema.MEDIA.name,)


async def _public_ends(info: Info[Context, None], recs: list[RelationRecord], viewer: str) -> list[RelationRecord]:
    """Only relations whose other end is public and published: what a story may show anyone."""
    others = [r.to_id if r.from_id == viewer else r.from_id for r in recs]
    nodes = await info.context.nodes.load_many(others)
    return [r for r, n in zip(recs, nodes, strict=True) if n is not None and is_public(n)]


def _kind_type(kind: schema.NodeKind) -> type:
    ann, ns = _prop_fields(tuple(p for p in kind.props if p.name not in PER_READER), _props_of)
    ns["__module__"] = __name__
    for p in kind.props:
        if p.name in PER_READER:
            ns[p.name] = _media_field(p)
    for rel in schema.RELATION_TYPES:
        can_from, can_to = kind.name in rel.from_kinds, kind.name in rel.to_kinds
        # A story is read by anyone: it shows only public, published nodes.
        public_only = kind.name == "Story"
        if rel.both_field and (can_from or can_to):
            ns[rel.both_field] = _relation_field(rel, None, public_only)
            continue
        if can_from and rel.out_field:
            f = _relation_field(rel, "out", public_only)
            if f is not None:
                ns[rel.out_field] = f
        if can_to and rel.in_field:
            ns[rel.in_field] = _relation_field(rel, "in", public_only)
    ns["__annotations__"] = ann
    cls = type(kind.name, (Node,), ns)
    return strawberry.type(cls, description=kind.doc)


KIND_TYPES: dict[str, type] = {k.name: _kind_type(k) for k in schema.NODE_KINDS}
SourceNode = KIND_TYPES["Source"]


def wrap(rec: NodeRecord | None, lang: str | None = None, public: bool = False) -> Node | None:
    """The record as its GraphQL type; ``public``: read through stories, it shows what anyone may see."""
    if rec is None:
        return None
    rec = redacted(rec, PUBLIC if public else READER.get())
    kind = schema.KINDS[rec.kind]
    props = {_list_field(p): _value(p, rec.properties.get(p.name)) for p in kind.props if p.name not in PER_READER}
    props |= {_list_field(p): [] for p in kind.props if p.type is T.STRUCT_LIST and props.get(_list_field(p)) is None
              and p.name not in PER_READER}
    return KIND_TYPES[rec.kind](  # type: ignore[no-any-return]
        id=strawberry.ID(rec.id), kind=Kind(rec.kind), names=_texts(rec.names),
        summaries=_texts(rec.summary), confidence=_enum_or_none("Confidence", rec.confidence),
        sensitivity=Sensitivity(rec.sensitivity), status=PublicationStatus(rec.status), version=rec.version,
        recorded_by=rec.recorded_by, recorded_at=rec.recorded_at, updated_at=rec.updated_at, record=rec,
        lang_hint=lang, public_view=public, **props,
    )
