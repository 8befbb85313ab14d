"""The four query figures: each GraphQL request, and the store calls its resolver makes (the floor).

A floor function makes the same store calls, through the same service functions and visibility gate,
as the resolver of heritage_graph/api/query.py does for an anonymous reader — and nothing of GraphQL
or HTTP. Keep them in step with the resolvers.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from heritage_graph import schema
from heritage_graph.services import discovery, graph
from heritage_graph.services.paging import Window
from heritage_graph.store.base import Store
from heritage_graph.visibility import PUBLIC, Gate

LINEAGE_DEPTH = 12
PATH_DEPTH = 6  # the API's default maxDepth
SEARCH_FIRST = 10

NODE_QUERY = """query Node($id: ID!) {
  node(id: $id) { id kind name summary relations { type direction from to node { id kind name } } }
}"""
LINEAGE_QUERY = """query Lineage($id: ID!, $depth: Int!) {
  lineage(id: $id, direction: ANCESTORS, relation: LEARNED_FROM, maxDepth: $depth) {
    root { id name } nodes { depth node { id name } } edges { from to type }
  }
}"""
PATH_QUERY = """query Path($from: ID!, $to: ID!, $depth: Int!) {
  path(from: $from, to: $to, maxDepth: $depth) { length nodes { id kind name } edges { from to type } }
}"""
SEARCH_QUERY = """query Search($q: String!, $first: Int!) {
  search(query: $q, first: $first) {
    totalCount edges { score snippet node { id kind name } }
    facets { kinds { kind count } regions { id count } domains { domain count } }
  }
}"""
STORY_FIELDS = "id title body features { node { id kind name } } coverPlace { node { id name } }"

# Every relation type but the provenance links: what `relations` lists by default.
_NODE_TYPES = [r for r in schema.RELATIONS if r not in schema.DERIVED_RELATIONS]


def node_floor(store: Store, node_id: str) -> Any:
    """`node` then `relations`: the node through the gate, then per direction its relations and the
    other ends through the gate (the request's loaders keep what they read, as the gate does)."""
    gate = Gate(store, PUBLIC)
    if not gate.visible([node_id]):
        return None
    shown = []
    for direction in ("out", "in"):
        rels = store.relations([node_id], direction, _NODE_TYPES)
        ends = gate.visible([r.to_id if direction == "out" else r.from_id for r in rels])
        shown += [r for r in rels if (r.to_id if direction == "out" else r.from_id) in ends]
    return shown


def _gated(service: Callable[..., Any], store: Store) -> dict[str, Any]:
    """A fresh reader's gate, handed to a service as the resolver hands it: as `visible`, and as
    `fetch` where the service takes one (the gate keeps the nodes it judged, so they are not read twice)."""
    gate = Gate(store, PUBLIC)
    fetch = {"fetch": gate.get_nodes} if "fetch" in inspect.signature(service).parameters else {}
    return {"visible": gate.visible, **fetch}


def lineage_floor(store: Store, node_id: str) -> Any:
    return graph.lineage(store, node_id, ancestors=True, relation="LEARNED_FROM", max_depth=LINEAGE_DEPTH,
                         **_gated(graph.lineage, store))


def path_floor(store: Store, pair: list[str]) -> Any:
    return graph.path(store, pair[0], pair[1], max_depth=PATH_DEPTH, **_gated(graph.path, store))


def search_floor(store: Store, text: str) -> Any:
    return discovery.search(store, text, page=Window(SEARCH_FIRST), lang=None, visibility=PUBLIC,
                            **_gated(discovery.search, store))


@dataclass(frozen=True)
class Figure:
    name: str
    probes: str  # the manifest's probe list
    query: str
    variables: Callable[[Any], dict[str, Any]]
    floor: Callable[[Store, Any], Any]
    field: str  # the root field, which must not be null

    def payload(self, probe: Any) -> dict[str, Any]:
        return {"query": self.query, "variables": self.variables(probe)}


FIGURES = (
    Figure("node", "node", NODE_QUERY, lambda p: {"id": p}, node_floor, "node"),
    Figure("lineage", "lineage", LINEAGE_QUERY, lambda p: {"id": p["id"], "depth": LINEAGE_DEPTH},
           lambda s, p: lineage_floor(s, p["id"]), "lineage"),
    Figure("path", "path", PATH_QUERY, lambda p: {"from": p[0], "to": p[1], "depth": PATH_DEPTH}, path_floor, "path"),
    Figure("search", "search", SEARCH_QUERY, lambda p: {"q": p, "first": SEARCH_FIRST}, search_floor, "search"),
)


def check_answer(figure: Figure, body: dict[str, Any]) -> None:
    """A GraphQL answer without errors; only `path` may be null (no connection within maxDepth)."""
    if body.get("errors"):
        raise RuntimeError(f"{figure.name}: {json.dumps(body['errors'])[:500]}")
    if figure.name != "path" and (body.get("data") or {}).get(figure.field) is None:
        raise RuntimeError(f"{figure.name}: the answer is null: {json.dumps(body)[:300]}")


def story_query(story_id: str) -> str:
    """The story query with its id written in (one persisted query per story)."""
    return "{ story(id: " + json.dumps(story_id) + ', language: "en") { ' + STORY_FIELDS + " } }"


def persisted_extensions(query: str) -> str:
    sha = hashlib.sha256(query.encode()).hexdigest()
    return json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}}, separators=(",", ":"))


def apq_target(query: str, *, with_query: bool) -> str:
    """The GET request target of an automatic persisted query: the hash alone, or with the text (registers)."""
    params = {"extensions": persisted_extensions(query)}
    if with_query:
        params = {"query": query, **params}
    return "/graphql?" + urlencode(params)
