"""The public explorer's pages: home, search, records, lineages, paths and stories.

Each page reads through the services GraphQL uses, with a visibility gate made for the page's principal
(``identity.page_principal``): what the API would hide from that person is absent here too, and a
hidden record gets the same "not found" page as one that does not exist. Store work runs in a worker
thread, as the API's does.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from gettext import NullTranslations
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .. import history, schema
from ..api.lru import BoundedLRU
from ..api.response_cache import CachedResponse, RawResponse, ResponseCache
from ..auth import Principal
from ..errors import InvalidInput, NotFound
from ..model import Node, Relation
from ..services import catalog, discovery, graph
from ..services.paging import Window
from ..store.base import Store
from ..visibility import PUBLIC, Gate, Visibility, is_public, redacted
from . import i18n, pictures
from .identity import page_principal
from .render import render

PAGE_SIZE = 20
LINEAGE_DEFAULT_DEPTH = 4
PATH_DEPTH = 8
# Kinds that have a lineage, and the relation it follows.
LINEAGES = {"Practitioner": "LEARNED_FROM", **{k: "DERIVED_FROM" for k in schema.ELEMENT_KINDS}}
FEATURED_STORIES = 3


def N_(text: str) -> str:
    """Marks a message for the catalogs (tools/messages.py); it is translated where it is shown."""
    return text


# The roles, as the header names who is signed in (heritage_graph/auth.py).
ROLE_NAMES = (N_("researcher"), N_("curator"), N_("reviewer"), N_("admin"))

# What a revision did, as the history page names it (heritage_graph/services/curation.py, importer.py).
REVISION_OPS = (N_("import"), N_("create"), N_("update"), N_("submit"), N_("approve"), N_("reject"),
                N_("retire"), N_("restore"), N_("withdraw"), N_("consent"), N_("add-relation"),
                N_("update-relation"), N_("remove-relation"), N_("approve-proposal"))


@dataclass
class Reader:
    """What one page request may see."""

    store: Store
    principal: Principal
    gate: Gate

    @classmethod
    def of(cls, request: Request) -> Reader:
        principal = page_principal(request)
        store = request.app.state.store
        return cls(store, principal, Gate(store, Visibility.of(principal)))

    @property
    def visibility(self) -> Visibility:
        return self.gate.visibility

    def node(self, node_id: str) -> Node | None:
        """The record as this reader may read it (withheld fields left out), if they may see it."""
        if node_id not in self.gate.visible([node_id]):
            return None
        found = self.gate.get_nodes([node_id])
        return redacted(found[0], self.visibility) if found else None


def _page_cache(request: Request) -> ResponseCache:
    state = request.app.state
    if not hasattr(state, "page_cache"):
        state.page_cache = ResponseCache.from_settings(state.settings)
    return state.page_cache  # type: ignore[no-any-return]


def _anonymous_key(request: Request, cache: ResponseCache) -> tuple[Hashable, str] | None:
    """The page's key in the page cache, and the data version it is read at; None when the page is not
    one to keep: a visitor who is signed in, sends a token or holds a form's token (the page may show
    what others may not see, or carry that token), who picks a language (the answer sets a cookie), or a
    store without a data version. The key is all a page depends on besides the data: path, query, the
    page's language, and the scheme and host (a page may link to its own address)."""
    scope = request.scope
    if not cache.enabled or "principal" in scope or "csrf_token" in scope or "authorization" in request.headers:
        return None
    lang, chosen = i18n.negotiate(request)
    version = request.app.state.store.data_version()
    if chosen or version is None:
        return None
    return (scope["path"], scope["query_string"], lang, scope.get("scheme"), request.headers.get("host")), version


def kept_page(response: Response) -> CachedResponse:
    """A rendered public page as the page cache keeps it: its 200 and its 304 (the same headers, less the
    body's own), both ready to send."""
    body = bytes(response.body)
    headers = list(response.raw_headers)
    etag = response.headers["etag"]
    bare = [(k, v) for k, v in headers if k not in (b"content-type", b"content-length")]
    return CachedResponse(etag, RawResponse(200, headers, body), RawResponse(304, bare), None,
                          len(body) + sum(len(k) + len(v) for k, v in headers) + len(etag))


async def _page(request: Request, template: str, work: Callable[[Reader], dict[str, Any]]) -> Response | RawResponse:
    """The page, rendered; an anonymous visitor's is kept for the data version it was read at, so that a
    repeated page, and its ``304 Not Modified``, need neither the store nor the template."""
    cache = _page_cache(request)
    keyed = _anonymous_key(request, cache)
    if keyed is not None and (hit := cache.get(*keyed)) is not None:
        return hit.answer(request.headers.get("if-none-match"))
    reader = Reader.of(request)
    try:
        context = await run_in_threadpool(work, reader)
    except NotFound as exc:
        return render(request, "not_found.html", {"principal": reader.principal, "message": str(exc)}, status=404)
    except InvalidInput as exc:
        return render(request, "bad_request.html", {"principal": reader.principal, "message": str(exc)},
                      status=400)
    response = render(request, template, {"principal": reader.principal, **context})
    if keyed is not None and response.status_code == 200 and "etag" in response.headers:
        key, version = keyed
        cache.put(key, kept_page(response), version, request.app.state.store.data_version(),
                  len(request.scope["path"]) + len(request.scope["query_string"]))
    return response


def _translations(request: Request) -> NullTranslations:
    return i18n.translations(i18n.negotiate(request)[0])


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{name}: a whole number from {low} to {high}, got {raw!r}", field=name)
    return int(raw)


# -- home --------------------------------------------------------------------------------------------
def programme_regions(r: Reader) -> list[Node]:
    """The regions the programme worked in: where its organizations of type ``programme`` are located, as
    the inventory records them (none listed here by hand), in name order."""
    orgs = [o for o in r.store.list_nodes("Organization", visibility=r.visibility)
            if o.properties.get("type") == "programme"]
    shown = r.gate.visible([o.id for o in orgs])
    places = {rel.to_id for rel in r.store.relations(sorted(shown), "out", ["LOCATED_IN"])} if shown else set()
    return sorted(r.gate.get_nodes(sorted(r.gate.visible(places))), key=lambda p: (p.name.lower(), p.id))


# Counting what a region holds walks every place inside it (catalog.places_within) and counts each kind
# there: seconds on the demo. The counts change only with the data, so the app keeps them per data version
# and per visibility; a store without a data version (Neo4j with HERITAGE_CACHE_CHECK_MS=0) counts every time.
HomeCounts = tuple[list[tuple[Node, int]], list[tuple[str, int]]]
COUNTS_KEPT = 16


_COUNTS_LOCK = threading.Lock()  # pages run in worker threads; the LRU is not thread-safe by itself


def _home_counts(r: Reader, kept: BoundedLRU[HomeCounts]) -> HomeCounts:
    version = r.store.data_version()
    key = (version, r.visibility)
    with _COUNTS_LOCK:
        found = kept.get(key) if version is not None else None
    if found is not None:
        return found
    regions = [(p, catalog.region_count(r.store, p.id, visibility=r.visibility, visible=r.gate.visible))
               for p in programme_regions(r)]
    domains = [(d, sum(r.store.count_kind(k, domain=d, visibility=r.visibility) for k in schema.ELEMENT_KINDS))
               for d in schema.DOMAINS]
    if version is not None:
        with _COUNTS_LOCK:
            kept.put(key, (regions, domains), 1)
    return regions, domains


async def home(request: Request) -> Response | RawResponse:
    state = request.app.state
    if not hasattr(state, "home_counts"):
        state.home_counts = BoundedLRU[HomeCounts](COUNTS_KEPT, COUNTS_KEPT)

    def work(r: Reader) -> dict[str, Any]:
        regions, domains = _home_counts(r, state.home_counts)
        stories = catalog.list_page(r.store, "Story", catalog.Filter(), page=Window(size=FEATURED_STORIES),
                                    visibility=PUBLIC, visible=Gate(r.store, PUBLIC).visible)
        return {"regions": regions, "domains": domains, "stories": stories.items}

    return await _page(request, "home.html", work)


# -- search ------------------------------------------------------------------------------------------
async def search(request: Request) -> Response | RawResponse:
    q = request.query_params.get("q", "").strip()
    kinds = [k for k in request.query_params.getlist("kind") if k]
    domains = [d for d in request.query_params.getlist("domain") if d]
    region = request.query_params.get("region") or None
    unesco_arg = request.query_params.get("unesco", "")
    lang, _ = i18n.negotiate(request)

    def work(r: Reader) -> dict[str, Any]:
        page = _int(request, "page", 1, 1, 10_000)
        for d in domains:
            if d not in schema.DOMAINS:
                raise InvalidInput(f"domain: {d!r} is not a domain; allowed: {', '.join(schema.DOMAINS)}",
                                   field="domain")
        if unesco_arg not in ("", "yes", "no"):
            raise InvalidInput(f"unesco: yes or no, got {unesco_arg!r}", field="unesco")
        if not q:
            return {"q": q, "results": None, "filters": {}}
        unesco = None if not unesco_arg else unesco_arg == "yes"
        after = (page - 1) * PAGE_SIZE - 1
        results = discovery.search(r.store, q, kinds=kinds, region=region, domains=domains, unesco=unesco,
                                   page=Window(size=PAGE_SIZE, after=after if after >= 0 else None), lang=lang,
                                   visibility=r.visibility, visible=r.gate.visible)
        names = {n.id: n.name for n in r.gate.get_nodes(list(results.facets.regions))}
        pages = max(1, -(-results.total // PAGE_SIZE))
        return {"q": q, "results": results, "page": page, "pages": pages, "region_names": names,
                "filters": {"kind": kinds, "domain": domains, "region": region, "unesco": unesco_arg}}

    return await _page(request, "search.html", work)


# -- records -----------------------------------------------------------------------------------------
def relation_label(rel: str, outgoing: bool) -> str:
    """The msgid naming one side of a relation type: its GraphQL field on that end (``teachers``,
    ``students``), or the type itself for a symmetric relation (``KIN_OF``)."""
    rt = schema.RELATIONS[rel]
    return (rt.out_field if outgoing else rt.in_field) or rt.name


@dataclass
class Link:
    rel: str
    outgoing: bool
    other: Node
    relation: Relation
    sources: list[Node]


def _links(r: Reader, node: Node) -> tuple[dict[tuple[str, bool], list[Link]], dict[str, Node]]:
    types = list(schema.RELATIONS)
    rels = [(rel, True) for rel in r.store.relations([node.id], "out", types)]
    rels += [(rel, False) for rel in r.store.relations([node.id], "in", types)]
    others = {rel.to_id if out else rel.from_id for rel, out in rels}
    cited = {s for rel, _ in rels for s in rel.sources} | set(node.sources)
    shown = r.gate.visible([*others, *cited])
    nodes = {n.id: n for n in r.gate.get_nodes([i for i in (*others, *cited) if i in shown])}
    grouped: dict[tuple[str, bool], list[Link]] = defaultdict(list)
    for rel, out in sorted(rels, key=lambda x: (x[0].rel, not x[1], x[0].from_id, x[0].to_id)):
        other = nodes.get(rel.to_id if out else rel.from_id)
        if other is None:
            continue
        sources = [nodes[s] for s in rel.sources if s in nodes]
        grouped[(relation_label(rel.rel, out), out)].append(Link(rel.rel, out, other, rel, sources))
    return dict(grouped), nodes


def _citation(node: Node, request: Request) -> str:
    # The address comes from HERITAGE_PUBLIC_URL, never from the request's Host header: a page a shared
    # cache keeps must not carry an address some client made up. Without the setting, a relative one.
    base = (request.app.state.settings.public_url or "").rstrip("/")
    when = (node.updated_at or node.recorded_at or "")[:10]
    return (f"Heritage Graph. «{node.name}» ({schema.KINDS[node.kind].name}), id {node.id}, version "
            f"{node.version}{', ' + when if when else ''}. {base}/records/{node.id}")


async def record(request: Request) -> Response | RawResponse:
    node_id = request.path_params["id"]
    at = request.query_params.get("at") or None
    tr = _translations(request)

    def work(r: Reader) -> dict[str, Any]:
        node = r.node(node_id)
        if node is not None and at is not None:
            # The record as it was then: only if the reader may see it now and could have then.
            node = history.node_as_of(r.store, r.gate, node_id, at)
            node = redacted(node, r.visibility) if node is not None else None
        if node is None:
            raise NotFound(f"no record has the id {node_id!r}")
        links, nodes = _links(r, node)
        kind = schema.KINDS[node.kind]
        props = [(p, node.properties[p.name]) for p in kind.props if node.properties.get(p.name) not in (None, "", [])
                 and p.name != "media"]
        lineage = None
        if node.kind in LINEAGES:
            lineage = graph.lineage(r.store, node.id, ancestors=True, relation=LINEAGES[node.kind], max_depth=2,
                                    visible=r.gate.visible, fetch=r.gate.get_nodes)
        return {"node": node, "kind": kind, "links": links, "props": props,
                "sources": [nodes[s] for s in node.sources if s in nodes], "citation": _citation(node, request),
                "lineage": lineage,
                "lineage_svg": _lineage_svg(lineage, True, r, tr) if lineage and lineage.depths else "",
                "has_lineage": node.kind in LINEAGES, "at": at}

    return await _page(request, "record.html", work)


@dataclass
class Change:
    field: str
    before: str
    after: str


def shown_value(value: Any) -> str:
    """A field's value as a page shows it: text as it is, anything else as JSON, long ones cut."""
    if value is None:
        return "—"
    if isinstance(value, dict) and value and all(isinstance(k, str) and schema.LANG_PATTERN.fullmatch(k)
                                                 and isinstance(v, str) for k, v in value.items()):
        text = "; ".join(f"{k}: {v}" for k, v in value.items())  # names, a summary: text by language
    else:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 300 else text[:299] + "…"


def _fields(state: dict[str, Any] | None, system: bool) -> dict[str, Any]:
    out = {k: v for k, v in (state or {}).items() if k != "properties" and (system or k not in QUIET_FIELDS)}
    out |= {f"properties.{k}": v for k, v in ((state or {}).get("properties") or {}).items()}
    return out


# What a reviewer need not compare: set by the store on every write, or fixed when the record was made.
QUIET_FIELDS = (*schema.SYSTEM_FIELDS, "version", "id", "kind")


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None, *, system: bool = True) -> list[Change]:
    """Field by field, what a revision changed (the fields of the interchange format, each property a field
    of its own, named by the property); ``system=False`` leaves out the fields the store keeps itself."""
    old, new = _fields(before, system), _fields(after, system)
    return [Change(k.removeprefix("properties."), shown_value(old.get(k)), shown_value(new.get(k)))
            for k in sorted({*old, *new}) if old.get(k) != new.get(k)]


async def record_history(request: Request) -> Response | RawResponse:
    node_id = request.path_params["id"]

    def work(r: Reader) -> dict[str, Any]:
        node = r.node(node_id)
        if node is None:
            raise NotFound(f"no record has the id {node_id!r}")
        revisions = sorted(history.history_of(r.store, r.gate, node_id), key=lambda v: (v.at, v.version), reverse=True)
        return {"node": node, "revisions": [(v, changes(v.before, v.after)) for v in revisions]}

    return await _page(request, "history.html", work)


def _edge_info(edges: list[Relation], names: dict[str, str], r: Reader,
               tr: NullTranslations) -> dict[tuple[str, str, str], pictures.EdgeInfo]:
    """What each link of a picture says, in the page's language: both ends, the relation, its confidence
    and the names of its sources, only those the reader may see."""
    _ = tr.gettext
    cited = list({s for e in edges for s in e.sources})
    shown = r.gate.visible(cited)
    source_names = {n.id: n.name for n in r.gate.get_nodes([s for s in cited if s in shown])}
    found: dict[tuple[str, str, str], pictures.EdgeInfo] = {}
    for e in edges:
        sources = tuple((s, source_names[s]) for s in e.sources if s in source_names)
        words = {"from": names.get(e.from_id, e.from_id), "to": names.get(e.to_id, e.to_id),
                 "relation": _(e.rel), "confidence": _(e.confidence) if e.confidence else ""}
        title = (_("%(from)s → %(to)s: %(relation)s, confidence %(confidence)s") if e.confidence
                 else _("%(from)s → %(to)s: %(relation)s")) % words
        if sources:
            title += ". " + _("Sources: %(names)s") % {"names": "; ".join(name for _id, name in sources)}
        found[e.key] = pictures.EdgeInfo(title, words["relation"], words["confidence"], sources)
    return found


def _lineage_svg(found: graph.Lineage, ancestors: bool, r: Reader, tr: NullTranslations) -> str:
    _ = tr.gettext
    columns = pictures.lineage_columns(found.root, found.depths, found.nodes, found.edges)
    names = {n.id: n.name for n in (found.root, *found.nodes.values())}
    if LINEAGES[found.root.kind] == "LEARNED_FROM":
        shown = _("teachers and origins") if ancestors else _("students")
    else:
        shown = _("origins") if ancestors else _("derivatives")
    return pictures.svg(pictures.layout(columns), found.edges, _edge_info(found.edges, names, r, tr),
                        f"{found.root.name}: {shown}")


def _lineage(request: Request, r: Reader) -> tuple[graph.Lineage, bool, int]:
    node_id = request.path_params["id"]
    node = r.node(node_id)
    if node is None or node.kind not in LINEAGES:
        raise NotFound(f"no lineage for the id {node_id!r}")
    direction = request.query_params.get("direction", "ancestors")
    if direction not in ("ancestors", "descendants"):
        raise InvalidInput(f"direction: ancestors or descendants, got {direction!r}", field="direction")
    depth = _int(request, "depth", LINEAGE_DEFAULT_DEPTH, 1, request.app.state.settings.max_depth)
    found = graph.lineage(r.store, node_id, ancestors=direction == "ancestors", relation=LINEAGES[node.kind],
                          max_depth=depth, visible=r.gate.visible, fetch=r.gate.get_nodes)
    if found is None:
        raise NotFound(f"no lineage for the id {node_id!r}")
    return found, direction == "ancestors", depth


def _tree(found: graph.Lineage, ancestors: bool) -> list[tuple[int, Node]]:
    """The lineage as an indented list, depth first: each record under the one it was reached from."""
    children: dict[str, list[str]] = defaultdict(list)
    for e in found.edges:
        near, far = (e.from_id, e.to_id) if ancestors else (e.to_id, e.from_id)
        if found.depths.get(far) == found.depths.get(near, 0) + 1:
            children[near].append(far)
    out: list[tuple[int, Node]] = []
    placed: set[str] = set()

    def walk(node_id: str, level: int) -> None:
        node = found.root if node_id == found.root.id else found.nodes.get(node_id)
        if node is None:
            return
        out.append((level, node))
        if node_id in placed:
            return
        placed.add(node_id)
        for child in sorted(set(children[node_id]), key=lambda i: (found.nodes[i].name.lower(), i)):
            walk(child, level + 1)

    walk(found.root.id, 0)
    return out


async def lineage(request: Request) -> Response | RawResponse:
    tr = _translations(request)

    def work(r: Reader) -> dict[str, Any]:
        found, ancestors, depth = _lineage(request, r)
        return {"node": found.root, "found": found, "ancestors": ancestors, "depth": depth,
                "svg": _lineage_svg(found, ancestors, r, tr), "tree": _tree(found, ancestors),
                "relation": LINEAGES[found.root.kind], "max_depth": request.app.state.settings.max_depth}

    return await _page(request, "lineage.html", work)


async def lineage_svg(request: Request) -> Response:
    reader = Reader.of(request)
    try:
        found, ancestors, _ = await run_in_threadpool(_lineage, request, reader)
        body = await run_in_threadpool(_lineage_svg, found, ancestors, reader, _translations(request))
    except (NotFound, InvalidInput) as exc:
        return Response(str(exc), status_code=404 if isinstance(exc, NotFound) else 400, media_type="text/plain")
    name = f"lineage-{found.root.id}.svg"
    return Response(body, media_type="image/svg+xml", headers={
        "content-disposition": f'attachment; filename="{name}"',
        "cache-control": "private, no-store" if reader.principal.role != "anonymous" else "public, max-age=0"})


# -- paths -------------------------------------------------------------------------------------------
async def path(request: Request) -> Response | RawResponse:
    source, target = request.query_params.get("from", "").strip(), request.query_params.get("to", "").strip()
    tr = _translations(request)

    def work(r: Reader) -> dict[str, Any]:
        if not source or not target:
            return {"source": source, "target": target, "found": None, "asked": False}
        for name, node_id in (("from", source), ("to", target)):
            if r.node(node_id) is None:
                raise NotFound(f"{name}: no record has the id {node_id!r}")
        found = graph.path(r.store, source, target, max_depth=PATH_DEPTH, visible=r.gate.visible,
                           fetch=r.gate.get_nodes)
        svg = ""
        if found is not None:
            names = {n.id: n.name for n in found.nodes}
            svg = pictures.svg(pictures.layout([[n] for n in found.nodes]), found.edges,
                               _edge_info(found.edges, names, r, tr),
                               f"{found.nodes[0].name} → {found.nodes[-1].name}")
        return {"source": source, "target": target, "found": found, "svg": svg, "asked": True,
                "max_depth": PATH_DEPTH}

    return await _page(request, "path.html", work)


# -- stories -----------------------------------------------------------------------------------------
async def stories(request: Request) -> Response | RawResponse:
    region = request.query_params.get("region") or None

    def work(r: Reader) -> dict[str, Any]:
        public = Gate(r.store, PUBLIC)  # stories show what anyone may see, whoever asks (as in the API)
        page = catalog.list_page(r.store, "Story", catalog.Filter(region=region), page=Window(size=100),
                                 visibility=PUBLIC, visible=public.visible, region_field="region")
        departments = [p for p in r.store.list_nodes("Place", visibility=PUBLIC)
                       if p.properties.get("level") == "department"]
        shown = public.visible([p.id for p in departments])
        regions = sorted((p for p in departments if p.id in shown), key=lambda p: (p.name.lower(), p.id))
        return {"stories": page.items, "regions": regions, "region": region}

    return await _page(request, "stories.html", work)


async def story(request: Request) -> Response | RawResponse:
    node_id = request.path_params["id"]

    def work(r: Reader) -> dict[str, Any]:
        public = Gate(r.store, PUBLIC)
        found = public.get_nodes([node_id]) if node_id in public.visible([node_id]) else []
        if not found or found[0].kind != "Story" or not is_public(found[0]):
            raise NotFound(f"no story has the id {node_id!r}")
        node = redacted(found[0], PUBLIC)
        featured = [rel.to_id for rel in r.store.relations([node.id], "out", ["FEATURES"])]
        shown = public.visible(featured)
        return {"node": node, "featured": public.get_nodes([i for i in featured if i in shown])}

    return await _page(request, "story.html", work)
