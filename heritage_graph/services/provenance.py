"""Where the claims about a node come from: its sources, its relations' sources,
and which claims each source supports."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import schema
from ..model import Node, Relation
from ..store.base import Store

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
    missing: list[str]  # cited source ids that are not in the store


def provenance(store: Store, node_id: str) -> Provenance | None:
    found = store.get_nodes([node_id])
    if not found:
        return None
    node = found[0]
    rels = store.relations([node_id], "out", CLAIM_RELATIONS) + store.relations([node_id], "in", CLAIM_RELATIONS)
    rels.sort(key=lambda r: (r.rel, r.from_id, r.to_id))
    cited = list(dict.fromkeys([*node.sources, *(s for r in rels for s in r.sources)]))
    sources = {n.id: n for n in store.get_nodes(cited)}
    supports = {s: Support(sources[s]) for s in sorted(sources)}
    for s in node.sources:
        if s in supports:
            supports[s].record = True
    for r in rels:
        for s in r.sources:
            if s in supports:
                supports[s].relations.append(r)
    return Provenance(node, rels, list(supports.values()), [s for s in cited if s not in sources])
