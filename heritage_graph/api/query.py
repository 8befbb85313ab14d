"""The root Query type."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from .. import history, schema
from ..errors import InvalidInput
from ..model import Page
from ..services import catalog, discovery, graph, paging
from ..services.paging import Window
from ..services.provenance import provenance as provenance_of
from ..visibility import PUBLIC, Gate, is_public
from .admin_tokens import api_tokens
from .context import Context
from .enums import ENUMS, Domain, Kind, LineageDirection, LineageRelation, PublicationStatus, RelationType
from .mutations import Revision, as_of_text
from .review import proposals, review_queue
from .types import KIND_TYPES, Node, Relation, SourceNode, visible_node, wrap

PlaceLevel = ENUMS["PlaceLevel"]

# One name for the requested language everywhere (`lang`, as in name(lang:) and search); the first
# releases called it `language` on stories, kept for the clients written then.
OldLanguage = Annotated[str | None, strawberry.argument(deprecation_reason="Use `lang`, the name every field uses.")]
STATUS_FILTER = ("Only records of these statuses, among those the reader may see (anonymous readers and researchers: "
                 "PUBLISHED; staff: any). A status the reader may not see is an error naming the field.")
PAGING = ("Page forward with `first` (0 to HERITAGE_MAX_PAGE_SIZE, default 20) from `after` (an `endCursor`), "
          "or backward with `last` from `before` (a `startCursor`); `first` and `last` do not combine.")
CURSOR_PREFIX = "id:"
OFFSET_PREFIX = "at:"


def encode_cursor(node_id: str, prefix: str = CURSOR_PREFIX) -> str:
    return base64.urlsafe_b64encode((prefix + node_id).encode()).decode()


def decode_cursor(cursor: str | None, prefix: str = CURSOR_PREFIX, field: str = "after") -> str | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(prefix):
        raise InvalidInput(f"{field}: {cursor!r} is not a cursor returned by this API", field=field)
    return text[len(prefix):]


def decode_position(cursor: str | None, field: str = "after") -> int | None:
    """The position a search cursor stands for, or None for no cursor."""
    value = decode_cursor(cursor, OFFSET_PREFIX, field)
    if value is None:
        return None
    # A cursor of this API holds an offset within the matches it can page through, in ASCII digits; a
    # larger one (a huge number would reach the store as an overflowing integer) is no cursor of ours, nor
    # are other digits str.isdigit() takes ("²", which int() refuses; "٣").
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise InvalidInput(f"{field}: {cursor!r} is not a cursor returned by this API", field=field)
    return int(value)


def decode_offset(cursor: str | None) -> int:
    """Where a search page read forward from ``after`` starts."""
    at = decode_position(cursor)
    return 0 if at is None else at + 1


def page_window(ctx: Context, first: int | None, after: str | None, last: int | None, before: str | None,
                decode: Any = decode_cursor) -> Window:
    return paging.window(first=first, last=last, after=decode(after), before=decode(before, field="before"),
                         cap=ctx.settings.max_page_size)


@strawberry.type(description="Where a page stands among all the matches (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More matches come after this page.")
    has_previous_page: bool = strawberry.field(description="More matches come before this page.")
    start_cursor: str | None = strawberry.field(description="The first edge's cursor: `before` it, `last` pages "
                                                            "backward.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor: `after` it, `first` pages "
                                                          "forward.")

    @classmethod
    def of(cls, cursors: list[str], has_previous: bool, has_next: bool) -> PageInfo:
        return cls(has_next_page=has_next, has_previous_page=has_previous,
                   start_cursor=cursors[0] if cursors else None, end_cursor=cursors[-1] if cursors else None)


@strawberry.input(description="Filters for heritage elements.")
class ElementFilter:
    region: strawberry.ID | None = strawberry.field(
        default=None, description="A Place id: only elements located in it or in a place inside it.")
    domain: Domain | None = strawberry.field(default=None, description="Only elements in this UNESCO domain.")  # type: ignore[valid-type]
    status: list[PublicationStatus] | None = strawberry.field(default=None, description=STATUS_FILTER)  # type: ignore[valid-type]


@strawberry.input(description="Filters for listings.")
class RegionFilter:
    region: strawberry.ID | None = strawberry.field(
        default=None, description="A Place id: only records located in it or in a place inside it.")
    status: list[PublicationStatus] | None = strawberry.field(default=None, description=STATUS_FILTER)  # type: ignore[valid-type]


def _connection_types(kind: str) -> tuple[type, type]:
    node_type = KIND_TYPES[kind]
    edge = strawberry.type(type(f"{kind}Edge", (), {
        "__annotations__": {"cursor": str, "node": node_type}, "__module__": __name__}))
    conn = strawberry.type(type(f"{kind}Connection", (), {
        "__annotations__": {"total_count": int, "page_info": PageInfo, "edges": list[edge]},  # type: ignore[valid-type]
        "__module__": __name__}), description=f"A page of {schema.KINDS[kind].plural}.")
    return edge, conn


CONNECTIONS = {k: _connection_types(k) for k in schema.KINDS}


def _connection(kind: str, page: Page, ctx: Context, lang: str | None = None, public: bool = False) -> Any:
    edge_cls, conn_cls = CONNECTIONS[kind]
    for n in page.items:
        ctx.nodes.prime(n.id, n)
    edges = [edge_cls(cursor=encode_cursor(n.id), node=wrap(n, lang=lang, public=public)) for n in page.items]
    return conn_cls(total_count=page.total, edges=edges,
                    page_info=PageInfo.of([e.cursor for e in edges], page.has_previous, page.has_next))


def _listing(kind: str) -> Any:
    conn_cls = CONNECTIONS[kind][1]
    is_element = kind in schema.ELEMENT_KINDS
    filter_type = ElementFilter if is_element else RegionFilter

    async def resolve(info: Info[Context, None], filter: Any = None, first: int | None = None,
                      after: str | None = None, last: int | None = None, before: str | None = None) -> Any:
        ctx = info.context
        flt = catalog.Filter(
            region=str(filter.region) if filter and filter.region else None,
            domain=filter.domain.value if is_element and filter and filter.domain else None,
        )
        w = page_window(ctx, first, after, last, before)
        wanted = [x.value for x in filter.status] if filter and filter.status else []
        page = await ctx.call(catalog.list_page, ctx.store, kind, flt, page=w,
                              visibility=ctx.visibility.narrowed(wanted, "filter.status"), visible=ctx.gate.visible)
        ctx.gate.judge(page.items)
        return _connection(kind, page, ctx)

    resolve.__annotations__ = {"info": Info[Context, None], "filter": filter_type | None, "first": int | None,
                               "after": str | None, "last": int | None, "before": str | None, "return": conn_cls}
    return strawberry.field(resolver=resolve, description=(
        f"{schema.KINDS[kind].plural.capitalize()}, ordered by id. {PAGING}"))


@strawberry.type
class LineageNode:
    depth: int
    node: Node


@strawberry.type
class Lineage:
    root: Node
    nodes: list[LineageNode] = strawberry.field(description="Each node once, at its shortest depth.")
    edges: list[Relation]


@strawberry.type
class Path:
    length: int
    nodes: list[Node]
    edges: list[Relation]


@strawberry.type(description="One source and the claims about the node it supports.")
class SourceSupport:
    source: SourceNode  # type: ignore[valid-type]
    record: bool = strawberry.field(description="It documents the node's own record (name, properties, ...).")
    relations: list[Relation] = strawberry.field(description="The node's relations it documents.")


@strawberry.type(description="Where the claims about a node come from.")
class Provenance:
    node: Node
    recorded_by: str | None
    recorded_at: str | None
    updated_at: str | None
    relations: list[Relation] = strawberry.field(description="The node's relations, each with its sources.")
    sources: list[SourceSupport] = strawberry.field(description="Every source cited by the node or a relation.")


def public_gate(ctx: Context) -> Gate:
    return Gate(ctx.store, PUBLIC)


StoryType = KIND_TYPES["Story"]
StoryConnection = CONNECTIONS["Story"][1]


class _Root:
    @strawberry.field(description=(
        "The places a region filter takes (listings' filter.region, search's and stories' region): those of "
        "`level` (default DEPARTMENT) the reader may see, by id, each with `count`, how many records the "
        "reader may see are located within it. An unknown region in a filter is an error naming it."))
    async def regions(self, info: Info[Context, None],
                      level: PlaceLevel = PlaceLevel.DEPARTMENT) -> list[Region]:  # type: ignore[valid-type]
        ctx = info.context
        found = await ctx.call(catalog.regions, ctx.store, level.value, visibility=ctx.visibility,
                               visible=ctx.gate.visible)
        return [Region(place=wrap(p), count=n) for p, n in found]  # type: ignore[arg-type]

    review_queue = strawberry.field(resolver=review_queue, description=(
        "What waits for a reviewer, oldest first: records in review and open proposals of changes to published "
        "records (at most `first`, default 50). Reviewers only."))
    proposals = strawberry.field(resolver=proposals, description=(
        "The changes proposed to a record, oldest first: the open ones, or all with openOnly: false. Staff only."))

    api_tokens = strawberry.field(resolver=api_tokens, description="Every API token, revoked ones included. "
                                                                   "Admins only.")

    @strawberry.field(description="A node's sources, its relations' sources, and which claims each supports; "
                      "null for an unknown id.")
    async def provenance(self, info: Info[Context, None], id: strawberry.ID) -> Provenance | None:
        ctx = info.context
        found = await ctx.call(provenance_of, ctx.store, str(id), ctx.gate.visible)
        if found is None:
            return None
        node = found.node
        return Provenance(
            node=wrap(node),  # type: ignore[arg-type]
            recorded_by=node.recorded_by, recorded_at=node.recorded_at, updated_at=node.updated_at,
            relations=[Relation.of(r, viewer=node.id) for r in found.relations],
            sources=[SourceSupport(source=wrap(s.source), record=s.record,  # type: ignore[arg-type]
                                   relations=[Relation.of(r, viewer=node.id) for r in s.relations])
                     for s in found.supports],
        )

    @strawberry.field(description=(
        "Published, public stories for visitors, ordered by id; `region` keeps those whose cover place is in "
        "that place or inside it; `lang` sets the language of their text (falling back to Spanish, English, "
        "any). Inside a story only public, published nodes and the media anyone may see appear."))
    async def stories(
        self,
        info: Info[Context, None],
        region: strawberry.ID | None = None,
        language: OldLanguage = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        lang: str | None = None,
    ) -> StoryConnection:  # type: ignore[valid-type]
        ctx = info.context
        flt = catalog.Filter(region=str(region) if region else None)
        # Stories are the tourism apps' door: they show what anyone may see, whoever asks.
        w = page_window(ctx, first, after, last, before)
        page = await ctx.call(catalog.list_page, ctx.store, "Story", flt, page=w, visibility=PUBLIC,
                              visible=public_gate(ctx).visible, region_field="region")
        return _connection("Story", page, ctx, lang=lang or language, public=True)

    @strawberry.field(description="A published, public story, or null.")
    async def story(self, info: Info[Context, None], id: strawberry.ID, language: OldLanguage = None,
                    lang: str | None = None) -> StoryType | None:  # type: ignore[valid-type]
        found = await info.context.nodes.load(str(id))
        if found is None or found.kind != "Story" or not is_public(found):
            return None
        return wrap(found, lang=lang or language, public=True)

    @strawberry.field(description=(
        "Full-text search over names in every language, summaries, and recipes' and crafts' ingredients, "
        "materials and techniques. Case, accents and apostrophes are ignored, words match as prefixes, every "
        "word must match (in any order), \"quoted phrases\" match in order. See docs/search.md."))
    async def search(
        self,
        info: Info[Context, None],
        query: str,
        kinds: list[Kind] | None = None,  # type: ignore[valid-type]
        region: strawberry.ID | None = None,
        domains: list[Domain] | None = None,  # type: ignore[valid-type]
        unesco: bool | None = None,
        first: int | None = None,
        after: str | None = None,
        lang: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: Annotated[list[PublicationStatus] | None, strawberry.argument(  # type: ignore[valid-type]
            description=STATUS_FILTER)] = None,
    ) -> SearchResults:
        ctx = info.context
        w = page_window(ctx, first, after, last, before, decode=decode_position)
        found = await ctx.call(
            discovery.search, ctx.store, query, kinds=[k.value for k in kinds or ()],
            region=str(region) if region else None, domains=[d.value for d in domains or ()], unesco=unesco,
            page=w, lang=lang or ctx.lang,
            visibility=ctx.visibility.narrowed([x.value for x in status or ()], "status"), visible=ctx.gate.visible)
        for h in found.hits:
            ctx.nodes.prime(h.node.id, h.node)
        edges = [SearchEdge(cursor=encode_cursor(str(found.offset + i), OFFSET_PREFIX), score=round(h.score, 6),
                            snippet=h.snippet, matched_name=h.matched_name, node=wrap(h.node))  # type: ignore[arg-type]
                 for i, h in enumerate(found.hits)]
        return SearchResults(
            total_count=found.total,
            page_info=PageInfo.of([e.cursor for e in edges], has_previous=found.offset > 0,
                                  has_next=found.end < found.total),
            edges=edges,
            facets=SearchFacets(
                kinds=[KindCount(kind=Kind(k), count=n) for k, n in _counts(found.facets.kinds)],
                regions=[RegionCount(id=strawberry.ID(k), count=n) for k, n in _counts(found.facets.regions)],
                domains=[DomainCount(domain=Domain(k), count=n) for k, n in _counts(found.facets.domains)],
            ),
        )

    @strawberry.field(description="A node by id, or null if there is none.")
    async def node(self, info: Info[Context, None], id: strawberry.ID,
                   as_of: Annotated[datetime | None, strawberry.argument(
                       description="Read the node as it was at this time (from its history).")] = None,
                   ) -> Node | None:
        if as_of is None:
            return wrap(await visible_node(info, str(id)))
        ctx = info.context
        found = await ctx.call(history.node_as_of, ctx.store, ctx.gate, str(id), as_of_text(as_of))
        return wrap(found)

    @strawberry.field(description="A node's revisions and those of its relations, oldest first: who, when, which "
                                  "operation, the record before and after, and why. Empty for an unknown id.")
    async def history(self, info: Info[Context, None], id: strawberry.ID) -> list[Revision]:
        ctx = info.context
        found = await ctx.call(history.history_of, ctx.store, ctx.gate, str(id))
        return [Revision.of(v) for v in found]

    @strawberry.field(description="Nodes by id, in the order asked; null where an id is unknown.")
    async def nodes(self, info: Info[Context, None], ids: list[strawberry.ID]) -> list[Node | None]:
        cap = info.context.settings.max_page_size
        if len(ids) > cap:
            raise InvalidInput(f"ids: at most {cap} ids per request, got {len(ids)}", field="ids")
        flags = await info.context.visible.load_many([str(i) for i in ids])
        found = await info.context.nodes.load_many([str(i) for i in ids])
        return [wrap(n) if ok else None for n, ok in zip(found, flags, strict=True)]

    @strawberry.field(description=(
        "Teachers (ANCESTORS) or students (DESCENDANTS) along LEARNED_FROM, or origins and derivatives along "
        "DERIVED_FROM, up to maxDepth (1 to HERITAGE_MAX_DEPTH, default cap 20). A NOT_FOUND error naming `id` "
        "for an id that does not exist or may not be read."))
    async def lineage(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        direction: LineageDirection = LineageDirection.ANCESTORS,
        relation: LineageRelation = LineageRelation.LEARNED_FROM,
        max_depth: int = graph.LINEAGE_DEPTH,
    ) -> Lineage | None:
        ctx = info.context
        depth = graph.check_depth(max_depth, ctx.settings.max_depth)
        await _known(ctx, id=str(id))
        found = await ctx.call(graph.lineage, ctx.store, str(id), ancestors=direction is LineageDirection.ANCESTORS,
                               relation=relation.value, max_depth=depth, visible=ctx.gate.visible,
                               fetch=ctx.gate.get_nodes)
        if found is None:
            return None
        for n in found.nodes.values():
            ctx.nodes.prime(n.id, n)
        ordered = sorted(found.depths.items(), key=lambda kv: (kv[1], kv[0]))
        return Lineage(
            root=wrap(found.root),  # type: ignore[arg-type]
            nodes=[LineageNode(depth=d, node=wrap(found.nodes[i])) for i, d in ordered if i in found.nodes],  # type: ignore[arg-type]
            edges=[Relation.of(e) for e in found.edges],
        )

    @strawberry.field(description=(
        "The shortest connection between two nodes, following relations in either direction; null when both "
        "exist and none is found within maxDepth; a NOT_FOUND error naming `from` or `to` for an id that does "
        "not exist or may not be read. DOCUMENTED_BY, FEATURES and COVER_PLACE are left out unless listed in "
        "relationTypes."))
    async def path(
        self,
        info: Info[Context, None],
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
        max_depth: int = graph.PATH_DEPTH,
        relation_types: list[RelationType] | None = None,  # type: ignore[valid-type]
    ) -> Path | None:
        ctx = info.context
        depth = graph.check_depth(max_depth, ctx.settings.max_depth)
        types = [t.value for t in relation_types] if relation_types else None
        await _known(ctx, **{"from": str(from_), "to": str(to)})
        found = await ctx.call(graph.path, ctx.store, str(from_), str(to), max_depth=depth, relation_types=types,
                               visible=ctx.gate.visible, fetch=ctx.gate.get_nodes)
        if found is None:
            return None
        return Path(length=found.length, nodes=[wrap(n) for n in found.nodes],  # type: ignore[misc]
                    edges=[Relation.of(e) for e in found.edges])


@strawberry.type(description="A place that region filters take, and how many records are within it.")
class Region:
    place: Node
    count: int


@strawberry.type(description="How many matches are of one kind.")
class KindCount:
    kind: Kind  # type: ignore[valid-type]
    count: int


@strawberry.type(description="How many matches are in one UNESCO domain.")
class DomainCount:
    domain: Domain  # type: ignore[valid-type]
    count: int


@strawberry.type(description="How many matches are located in one department.")
class RegionCount:
    id: strawberry.ID
    count: int

    @strawberry.field(description="The department.")
    async def place(self, info: Info[Context, None]) -> Node | None:
        return wrap(await visible_node(info, str(self.id)))


@strawberry.type(description="Counts over all matches, not just the page.")
class SearchFacets:
    kinds: list[KindCount]
    regions: list[RegionCount]
    domains: list[DomainCount]


@strawberry.type
class SearchEdge:
    cursor: str
    score: float = strawberry.field(description="Relevance: higher is better; comparable within one search.")
    snippet: str = strawberry.field(description="Matching text as HTML: the matches marked <mark>…</mark>, "
                                                "everything else escaped (&lt; &gt; &amp; &quot; &#x27;).")
    matched_name: str | None = strawberry.field(description=(
        "The record's name or variant that the query found, as the record writes it: its name, a name in "
        "another language or an alternate name or spelling (matched as written, by spelling, or despite a "
        "typo); null when the words were found in other text."))
    node: Node


@strawberry.type
class SearchResults:
    total_count: int
    page_info: PageInfo
    edges: list[SearchEdge]
    facets: SearchFacets


def _counts(counter: Any) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


async def _known(ctx: Context, **ids: str) -> None:
    await ctx.call(graph.require_visible, ctx.gate.visible, ids)


def _query_type() -> type:
    ns: dict[str, Any] = {"__module__": __name__}
    ns.update({k: v for k, v in _Root.__dict__.items() if not k.startswith("__")})
    for k in schema.NODE_KINDS:
        ns.setdefault(k.plural, _listing(k.name))  # a hand-written root field (stories) wins
    return strawberry.type(type("Query", (), ns), description="Read the heritage inventory.")


Query = _query_type()
