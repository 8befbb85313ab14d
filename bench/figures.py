"""The query figures: each GraphQL request the suite times end to end, and the size of its answer.

Their floors are native queries (bench/native.py, timed by bench/floor.py), not these requests' store
calls. `path` is two figures: connected pairs, and pairs with no connection within maxDepth 8
(`path_unconnected`, probes chosen by bench/floor.py), both `path(from, to, maxDepth: 8)`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

LINEAGE_DEPTH = 12
PATH_DEPTH = 8  # issue 15: maxDepth 8 for both path figures
SEARCH_FIRST = 10

NODE_QUERY = """query Node($id: ID!) {
  node(id: $id) { id kind name summary relations { type direction from to node { id kind name } } }
}"""
LINEAGE_QUERY = """query Lineage($id: ID!, $depth: Int!) {
  lineage(id: $id, direction: ANCESTORS, relation: LEARNED_FROM, maxDepth: $depth) {
    root { id name } nodes { depth node { id name } } edges { from to type }
  }
}"""
PATH_QUERY = """query Path($from: ID!, $to: ID!, $depth: Int!, $types: [RelationType!]) {
  path(from: $from, to: $to, maxDepth: $depth, relationTypes: $types) {
    length nodes { id kind name } edges { from to type }
  }
}"""
SEARCH_QUERY = """query Search($q: String!, $first: Int!) {
  search(query: $q, first: $first) {
    totalCount edges { score snippet node { id kind name } }
    facets { kinds { kind count } regions { id count } domains { domain count } }
  }
}"""
STORY_FIELDS = "id title body features { node { id kind name } } coverPlace { node { id name } }"


def _path_variables(probe: Any, types: list[str] | None) -> dict[str, Any]:
    return {"from": probe[0], "to": probe[1], "depth": PATH_DEPTH, "types": types}


@dataclass(frozen=True)
class Figure:
    name: str
    probes: str  # the probe list (the manifest's, or bench/floor.py's for path_unconnected)
    query: str
    variables: Callable[[Any, list[str] | None], dict[str, Any]]
    field: str  # the root field
    nullable: bool = False  # whether a null answer is right (no path)

    def payload(self, probe: Any, types: list[str] | None = None) -> dict[str, Any]:
        return {"query": self.query, "variables": self.variables(probe, types)}


FIGURES = (
    Figure("node", "node", NODE_QUERY, lambda p, _: {"id": p}, "node"),
    Figure("lineage", "lineage", LINEAGE_QUERY, lambda p, _: {"id": p["id"], "depth": LINEAGE_DEPTH}, "lineage"),
    Figure("path", "path", PATH_QUERY, _path_variables, "path", nullable=True),
    Figure("path_unconnected", "path_unconnected", PATH_QUERY, _path_variables, "path", nullable=True),
    Figure("search", "search", SEARCH_QUERY, lambda p, _: {"q": p, "first": SEARCH_FIRST}, "search"),
)


def answer_size(figure: Figure, body: dict[str, Any]) -> float | None:
    """As bench/native.py's answer_size, from a GraphQL answer: relations listed, lineage nodes, path
    length, search total; None when the field is null."""
    data = (body.get("data") or {}).get(figure.field)
    if data is None:
        return None
    if figure.name == "node":
        return len(data["relations"])
    if figure.name == "lineage":
        return len([n for n in data["nodes"] if n["node"]["id"] != data["root"]["id"]])
    if figure.name.startswith("path"):
        return data["length"]
    return data["totalCount"]


def check_answer(figure: Figure, body: dict[str, Any]) -> None:
    """A GraphQL answer without errors; only `path` may be null (no connection within maxDepth)."""
    if body.get("errors"):
        raise RuntimeError(f"{figure.name}: {json.dumps(body['errors'])[:500]}")
    if not figure.nullable and (body.get("data") or {}).get(figure.field) is None:
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
