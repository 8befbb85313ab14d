"""Lineage and path pictures as SVG, drawn on the server so that they show without JavaScript, can be
downloaded as they are, and are the same picture for every browser.

A lineage is laid out in columns by depth (the record, then its teachers or origins one step away,
then two...), each column grouped under the record of the previous column it was reached from, then in
name order; a path in one row. A column taller than ``MAX_ROWS`` records is wrapped into several
narrower sub-columns side by side, so that a lineage of 200 records stays a picture of a few screens
rather than one column thousands of pixels tall. Every record is a link to its page with its name as
the accessible name (a long name is cut short in the box, whole in the title).

Every link between two records is a focusable group whose title names both ends, the relation, its
confidence and the sources the reader may see: a tooltip, keyboard focus and a screen reader all reach
it. The same facts are on the group as data attributes (``data-relation``, ``data-confidence``,
``data-from``, ``data-to``, ``data-sources`` as JSON), which the lineage page's script
(``static/web/lineage.js``) shows in a panel beside the picture; the SVG itself holds no script, so
the download is a plain picture. The page beside the picture lists the same records as an indented
list: the picture's text equivalent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from ..model import Node, Relation

BOX_W, BOX_H = 190, 34
GAP_X, GAP_Y = 70, 14
SUB_GAP = 24  # between the sub-columns of one wrapped column
PAD = 16
MAX_LABEL = 25
MAX_ROWS = 15  # a column of more records is wrapped into sub-columns
STYLE = (".edge-line{stroke:#5b6770;stroke-width:1.5;fill:none}.edge-hit{stroke:transparent;stroke-width:12;"
         "fill:none}.edge:hover .edge-line,.edge:focus .edge-line{stroke:#b3261e;stroke-width:3}"
         ".box{fill:#fff;stroke:#1f4e79;stroke-width:1.5}.root .box{fill:#1f4e79}.root text{fill:#fff}"
         "text{font:13px sans-serif;fill:#1b1b1b}a:focus .box{stroke:#b3261e;stroke-width:3}")


@dataclass(frozen=True)
class Placed:
    node: Node
    x: int
    y: int


@dataclass(frozen=True)
class EdgeInfo:
    """What the picture says of one link: its title (the accessible name), the relation and confidence
    as the page shows them (translated), and the sources the reader may see, as (id, name)."""

    title: str
    relation: str
    confidence: str = ""
    sources: tuple[tuple[str, str], ...] = ()


def _label(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"


def layout(columns: list[list[Node]], max_rows: int = MAX_ROWS) -> dict[str, Placed]:
    """Each column left to right, its records top to bottom; a column of more than ``max_rows`` records
    wraps into as few sub-columns as that allows, filled evenly. Columns are centred on the tallest."""
    shapes = []
    for column in columns:
        subs = max(1, -(-len(column) // max_rows))
        shapes.append((subs, -(-len(column) // subs) if column else 0))
    tallest = max((rows for _, rows in shapes), default=0)
    placed: dict[str, Placed] = {}
    x = PAD
    for column, (subs, rows) in zip(columns, shapes, strict=True):
        top = PAD + (tallest - rows) * (BOX_H + GAP_Y) // 2
        for i, node in enumerate(column):
            sub, row = divmod(i, rows)
            placed[node.id] = Placed(node, x + sub * (BOX_W + SUB_GAP), top + row * (BOX_H + GAP_Y))
        x += subs * BOX_W + (subs - 1) * SUB_GAP + GAP_X
    return placed


def lineage_columns(root: Node, depths: dict[str, int], nodes: dict[str, Node],
                    edges: Iterable[Relation] = ()) -> list[list[Node]]:
    """The root, then one column per depth: each record placed after the first record of the column
    before that it is linked to (so a teacher's teachers stand together), then in name order."""
    by_depth: dict[int, list[Node]] = defaultdict(list)
    for node_id, depth in depths.items():
        if node_id in nodes:
            by_depth[depth].append(nodes[node_id])
    near: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        near[e.from_id].add(e.to_id)
        near[e.to_id].add(e.from_id)
    columns = [[root]]
    for d in sorted(by_depth):
        before = {n.id: i for i, n in enumerate(columns[-1])}
        columns.append(sorted(by_depth[d], key=lambda n, before=before: (
            min((before[m] for m in near[n.id] if m in before), default=len(before)), n.name.lower(), n.id)))
    return columns


def _edge(e: Relation, a: Placed, b: Placed, info: EdgeInfo) -> str:
    left, right = (a, b) if a.x <= b.x else (b, a)
    x1, y1 = left.x + BOX_W, left.y + BOX_H // 2
    x2, y2 = right.x, right.y + BOX_H // 2
    if left.x == right.x:  # same column: a curve on the right side
        x1, x2 = left.x + BOX_W, right.x + BOX_W
        d = f"M{x1},{y1} C{x1 + 40},{y1} {x2 + 40},{y2} {x2},{y2}"
    else:
        mid = (x1 + x2) // 2
        d = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
    sources = json.dumps([{"id": i, "name": n} for i, n in info.sources], ensure_ascii=False)
    data = {"relation": e.rel, "relation-label": info.relation, "confidence": e.confidence or "",
            "confidence-label": info.confidence, "from": e.from_id, "to": e.to_id, "sources": sources}
    attrs = "".join(f' data-{k}="{escape(v)}"' for k, v in data.items())
    return (f'<g class="edge" tabindex="0"{attrs}><title>{escape(info.title)}</title>'
            f'<path class="edge-hit" d="{d}"/><path class="edge-line" d="{d}"/></g>')


def svg(placed: dict[str, Placed], edges: list[Relation], edge_info: dict[tuple[str, str, str], EdgeInfo],
        title: str, href: str = "/records/{id}") -> str:
    width = max((p.x for p in placed.values()), default=0) + BOX_W + PAD
    height = max((p.y for p in placed.values()), default=0) + BOX_H + PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="group" aria-labelledby="picture-title" class="picture">',
           f'<title id="picture-title">{escape(title)}</title>', f"<style>{STYLE}</style>"]
    for e in edges:
        a, b = placed.get(e.from_id), placed.get(e.to_id)
        if a is not None and b is not None:
            out.append(_edge(e, a, b, edge_info.get(e.key) or EdgeInfo(e.rel, e.rel)))
    first = next(iter(placed), None)
    for p in placed.values():
        cls = ' class="root"' if p.node.id == first else ""
        link = escape(href.format(id=p.node.id))
        out.append(f'<a href="{link}" data-id="{escape(p.node.id)}"{cls}><title>{escape(p.node.name)}</title>'
                   f'<rect class="box" x="{p.x}" y="{p.y}" width="{BOX_W}" height="{BOX_H}" rx="5"/>'
                   f'<text x="{p.x + 10}" y="{p.y + 22}">{escape(_label(p.node.name))}</text></a>')
    out.append("</svg>")
    return "\n".join(out)
