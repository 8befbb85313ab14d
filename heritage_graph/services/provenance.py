"""Where the claims about a node come from: its sources, its relations' sources,
and which claims each source supports."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import schema
from ..model import Node, Relation
from ..store.base import Store
from ..visibility import Visible, everyone

CLAIM_RELATIONS = tuple(r for r in schema.RELATIONS if r not in schema.DERIVED_RELATIONS)


@dataclass
class Support:
    source: Node
    record: bool = False  # it documents the node itself
    relations: list[Relation] = field(default_factory=list)


@dataclass
class Provenance:
    node: Node
    relations: list[Relation]
    supports: list[Support]


def provenance(store: Store, node_id: str, visible: Visible = everyone) -> Provenance | None:
    found = store.get_nodes([node_id]) if visible([node_id]) else []
    if not found:
        return None
    node = found[0]
    rels = store.relations([node_id], "out", CLAIM_RELATIONS) + store.relations([node_id], "in", CLAIM_RELATIONS)
    allowed = visible({r.to_id if r.from_id == node_id else r.from_id for r in rels})
    rels = sorted((r for r in rels if (r.to_id if r.from_id == node_id else r.from_id) in allowed),
                  key=lambda r: (r.rel, r.from_id, r.to_id))
    cited = list(dict.fromkeys([*node.sources, *(s for r in rels for s in r.sources)]))
    shown = visible(cited)
    sources = {n.id: n for n in store.get_nodes([s for s in cited if s in shown])}
    supports = {s: Support(sources[s]) for s in sorted(sources)}
    for s in node.sources:
        if s in supports:
            supports[s].record = True
    for r in rels:
        for s in r.sources:
            if s in supports:
                supports[s].relations.append(r)
    # A cited source the reader may not see is left out, as if it were not cited.
    return Provenance(node, rels, list(supports.values()))
