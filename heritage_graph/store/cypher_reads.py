"""Reads shared by the Cypher stores: the named queries are the same in both
dialects, so only running a query differs (``_q``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..model import Node, Relation
from ..visibility import EVERYTHING, Visibility
from . import codec
from .base import Direction, ShortestPath

NO_LIMIT = 2**62


def _props(props: dict[str, Any]) -> dict[str, Any]:
    # Ladybug adds internal keys (_ID, _SRC, ...) to relation values.
    return {k: v for k, v in props.items() if not k.startswith("_")}


class CypherReads:
    """Mix-in: the store port's reads, for adapters that provide ``_q``."""

    def _q(self, name: str, params: dict[str, Any] | None = None, **binding: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    # -- reads ---------------------------------------------------------------
    def count_nodes(self) -> int:
        return int(self._q("count_all")[0]["total"])

    def get_nodes(self, ids: Sequence[str]) -> list[Node]:
        if not ids:
            return []
        rows = self._q("get_nodes", {"ids": list(dict.fromkeys(ids))})
        return [codec.row_node(r["n"], r["sources"]) for r in rows]

    def list_nodes(self, kind: str, *, within: Sequence[str] | None = None, domain: str | None = None,
                   after: str | None = None, before: str | None = None, limit: int | None = None,
                   visibility: Visibility | None = None, from_end: bool = False) -> list[Node]:
        params: dict[str, Any] = {"kind": kind, "domain": domain or "", "after": after or "",
                                  "before": before or "", **(visibility or EVERYTHING).params(),
                                  "limit": limit if limit is not None else NO_LIMIT}
        # The last page of a window is read backwards from its end, then put back in id order.
        end = "_from_end" if from_end else ""
        if within is not None:
            if not within:
                return []
            rows = self._q(f"list_nodes_within{end}", {**params, "within": list(within)})
        else:
            rows = self._q(f"list_nodes{end}", params)
        return sorted((codec.row_node(r["n"], r["sources"]) for r in rows), key=lambda n: n.id)

    def count_kind(self, kind: str, *, within: Sequence[str] | None = None, domain: str | None = None,
                   visibility: Visibility | None = None) -> int:
        params: dict[str, Any] = {"kind": kind, "domain": domain or "", **(visibility or EVERYTHING).params()}
        if within is not None:
            if not within:
                return 0
            return int(self._q("count_kind_within", {**params, "within": list(within)})[0]["total"])
        return int(self._q("count_kind", params)[0]["total"])

    def count_kinds(self, kinds: Sequence[str], *, within: Sequence[str],
                    visibility: Visibility | None = None) -> int:
        return sum(self.count_kind(k, within=within, visibility=visibility) for k in kinds)

    def child_places(self, ids: Sequence[str]) -> list[str]:
        if not ids:
            return []
        return [r["id"] for r in self._q("child_places", {"ids": list(dict.fromkeys(ids))})]

    def relations(self, ids: Sequence[str], direction: Direction, types: Sequence[str]) -> list[Relation]:
        if not ids or not types:
            return []
        name = "relations_out" if direction == "out" else "relations_in"
        rows = self._q(name, {"ids": list(dict.fromkeys(ids)), "types": list(types)})
        return [codec.row_relation(r["rel"], r["from_id"], r["to_id"], _props(r["props"])) for r in rows]

    def iter_relations(self, rel: str) -> Iterator[Relation]:
        for r in self._q("all_relations", rel=rel):
            yield codec.row_relation(rel, r["from_id"], r["to_id"], _props(r["props"]))

    # -- the shortest-path query (services/graph.py) --------------------------------
    def shortest_paths(self, from_id: str, to_id: str, types: Sequence[str], *, max_depth: int,
                       visibility: Visibility | None, cap: int) -> list[ShortestPath]:
        if not types:
            return []
        params: dict[str, Any] = {"from": from_id, "to": to_id, "cap": cap}
        name = "shortest_paths"
        if visibility is not None:
            name, params = "shortest_visible_paths", {**params, **visibility.params()}
        rows = self._q(name, params, depth=max_depth, types=tuple(sorted(set(types))))
        return [self._path_row(r) for r in rows]

    def _path_row(self, row: dict[str, Any]) -> ShortestPath:
        edges = [codec.row_relation(e["rel"], e["from_id"], e["to_id"], _props(e["props"])) for e in row["rels"]]
        return ShortestPath(list(row["ids"]), edges)
