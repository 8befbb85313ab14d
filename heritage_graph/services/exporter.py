"""Export the whole store in the interchange format, in a deterministic order.

Nodes come first, by kind in schema order then by id (Sources first, so a
reader streaming the file meets every source before it is cited); relations
follow, by type in schema order, then by (from, to).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from .. import schema
from ..interchange import dump_line, node_to_json, relation_to_json
from ..store.base import Store

PAGE = 2000
EXPORT_KINDS = ("Source", *(k.name for k in schema.NODE_KINDS if k.name != "Source"))


def export_lines(store: Store) -> Iterator[str]:
    for kind in EXPORT_KINDS:
        after: str | None = None
        while True:
            page = store.list_nodes(kind, after=after, limit=PAGE)
            for node in page:
                yield dump_line(node_to_json(node))
            if len(page) < PAGE:
                break
            after = page[-1].id
    for rtype in schema.RELATION_TYPES:
        if rtype.name in schema.DERIVED_RELATIONS:
            continue
        for rel in store.iter_relations(rtype.name):
            yield dump_line(relation_to_json(rel))


def export_to(store: Store, out: TextIO) -> int:
    count = 0
    for line in export_lines(store):
        out.write(line)
        count += 1
    return count
