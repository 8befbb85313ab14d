"""Lineage and path pictures as SVG, drawn on the server so that they show without JavaScript, can be
downloaded as they are, and are the same picture for every browser.

A lineage is laid out in columns by depth (the record, then its teachers or origins one step away,
then two...), each column in name order; a path in one row. Every record is a link to its page with
its name as the accessible name, and every link between two records carries its relation and sources
as a title, so a screen reader, a tooltip and keyboard focus all reach them. The page beside the
picture lists the same records as an indented list: the picture's text equivalent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape

from ..model import Node, Relation

BOX_W, BOX_H = 190, 34
GAP_X, GAP_Y = 70, 14
PAD = 16
MAX_LABEL = 26


@dataclass(frozen=True)
class Placed:
    node: Node
    x: int
    y: int


def _label(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"


def layout(columns: list[list[Node]]) -> dict[str, Placed]:
    placed: dict[str, Placed] = {}
    for c, column in enumerate(columns):
        for r, node in enumerate(column):
            placed[node.id] = Placed(node, PAD + c * (BOX_W + GAP_X), PAD + r * (BOX_H + GAP_Y))
    return placed


def lineage_columns(root: Node, depths: dict[str, int], nodes: dict[str, Node]) -> list[list[Node]]:
    by_depth: dict[int, list[Node]] = defaultdict(list)
    for node_id, depth in depths.items():
        if node_id in nodes:
            by_depth[depth].append(nodes[node_id])
    return [[root], *(sorted(by_depth[d], key=lambda n: (n.name.lower(), n.id)) for d in sorted(by_depth))]


def svg(placed: dict[str, Placed], edges: list[Relation], edge_titles: dict[tuple[str, str, str], str],
        title: str, href: str = "/records/{id}") -> str:
    width = max((p.x for p in placed.values()), default=0) + BOX_W + PAD
    height = max((p.y for p in placed.values()), default=0) + BOX_H + PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="group" aria-labelledby="picture-title" class="picture">',
           f'<title id="picture-title">{escape(title)}</title>',
           "<style>.edge{stroke:#5b6770;stroke-width:1.5;fill:none}.edge:hover,.edge:focus{stroke:#b3261e;"
           "stroke-width:3}.box{fill:#fff;stroke:#1f4e79;stroke-width:1.5}.root .box{fill:#1f4e79}"
           ".root text{fill:#fff}text{font:13px sans-serif;fill:#1b1b1b}a:focus .box{stroke:#b3261e;"
           "stroke-width:3}</style>"]
    for e in edges:
        a, b = placed.get(e.from_id), placed.get(e.to_id)
        if a is None or b is None:
            continue
        left, right = (a, b) if a.x <= b.x else (b, a)
        x1, y1 = left.x + BOX_W, left.y + BOX_H // 2
        x2, y2 = right.x, right.y + BOX_H // 2
        if left.x == right.x:  # same column: a curve on the right side
            x1, x2 = left.x + BOX_W, right.x + BOX_W
            d = f"M{x1},{y1} C{x1 + 40},{y1} {x2 + 40},{y2} {x2},{y2}"
        else:
            mid = (x1 + x2) // 2
            d = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
        label = edge_titles.get((e.rel, e.from_id, e.to_id), e.rel)
        out.append(f'<path class="edge" tabindex="0" d="{d}"><title>{escape(label)}</title></path>')
    first = next(iter(placed), None)
    for p in placed.values():
        cls = ' class="root"' if p.node.id == first else ""
        link = escape(href.format(id=p.node.id))
        out.append(f'<a href="{link}"{cls}><title>{escape(p.node.name)}</title>'
                   f'<rect class="box" x="{p.x}" y="{p.y}" width="{BOX_W}" height="{BOX_H}" rx="5"/>'
                   f'<text x="{p.x + 10}" y="{p.y + 22}">{escape(_label(p.node.name))}</text></a>')
    out.append("</svg>")
    return "\n".join(out)
