"""A lineage or a path as a file for researchers' own tools: GraphML (Gephi, yEd, igraph), DOT
(Graphviz) and CSV (R, spreadsheets).

Every format carries the same graph: nodes with ``id``, ``kind``, ``name`` and ``depth`` (hops from
the lineage's root or the path's ``from``, which is 0), and edges with ``from``, ``to``, ``type`` and
the relation's own properties (``EDGE_PROPS``: role, period, setting, kinship, year, title, then
confidence and note). Sources are left out: each would need its own visibility check, and
``provenance`` answers for them. Nodes come sorted by id and edges by (from, to, type), so that two
exports of the same graph are byte-identical and diff cleanly.

CSV is two tables: the edges (``part=edges``, the default) and the nodes (``part=nodes``). A text cell
that a spreadsheet would read as a formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from .. import schema
from ..model import Node, Relation
from .graph import Lineage, Path

NODE_COLUMNS = ("id", "kind", "name", "depth")
# Each relation type's own properties, once each in schema order, then those every relation has.
EDGE_PROPS: tuple[schema.Prop, ...] = (
    *{p.name: p for r in schema.RELATION_TYPES for p in r.props}.values(),
    *(p for p in schema.RELATION_COMMON_PROPS if p.name in ("confidence", "note")),
)
EDGE_COLUMNS = ("from", "to", "type", *(p.name for p in EDGE_PROPS))

Value = str | int | None


@dataclass(frozen=True)
class Drawing:
    """The graph an export holds: ``name`` (also the file's stem), nodes by id with their depth,
    and the relations among them."""

    name: str
    nodes: dict[str, tuple[Node, int]]
    edges: list[Relation]

    def node_rows(self) -> list[dict[str, Value]]:
        return [{"id": n.id, "kind": n.kind, "name": n.name, "depth": depth}
                for n, depth in (self.nodes[i] for i in sorted(self.nodes))]

    def edge_rows(self) -> list[dict[str, Value]]:
        rows = []
        for r in sorted(self.edges, key=lambda r: (r.from_id, r.to_id, r.rel)):
            # A relation whose end is not drawn (removed while the graph was read) would dangle.
            if r.from_id in self.nodes and r.to_id in self.nodes:
                rows.append({"from": r.from_id, "to": r.to_id, "type": r.rel, **_edge_props(r)})
        return rows


def _edge_props(r: Relation) -> dict[str, Value]:
    common = {"confidence": r.confidence, "note": r.note}
    return {p.name: common[p.name] if p.name in common else r.properties.get(p.name) for p in EDGE_PROPS}


def of_lineage(found: Lineage, name: str) -> Drawing:
    nodes = {found.root.id: (found.root, 0)}
    nodes.update((i, (found.nodes[i], d)) for i, d in found.depths.items() if i in found.nodes)
    return Drawing(name, nodes, list(found.edges))


def of_path(found: Path, name: str) -> Drawing:
    return Drawing(name, {n.id: (n, step) for step, n in enumerate(found.nodes)}, list(found.edges))


# -- GraphML -------------------------------------------------------------------------------

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# Characters XML 1.0 cannot hold at all, even escaped: an export must parse whatever a name holds.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: Value) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _graphml_keys() -> list[tuple[str, str, str, str]]:
    """(key id, for, attr.name, attr.type). Gephi takes a node attribute named ``label`` as the
    label it shows, so the name is given under both."""
    nodes = [("n_label", "node", "label", "string"), ("n_kind", "node", "kind", "string"),
             ("n_name", "node", "name", "string"), ("n_depth", "node", "depth", "int")]
    edges = [("e_type", "edge", "type", "string")]
    edges += [(f"e_{p.name}", "edge", p.name, "int" if p.type is schema.T.INT else "string") for p in EDGE_PROPS]
    return nodes + edges


def _data(parent: ET.Element, values: Iterable[tuple[str, Value]]) -> None:
    for key, value in values:
        if value is not None and value != "":
            ET.SubElement(parent, "data", key=key).text = _xml_text(value)


def graphml(drawing: Drawing) -> str:
    root = ET.Element("graphml", {"xmlns": GRAPHML_NS, "xmlns:xsi": XSI_NS,
                                  "xsi:schemaLocation": f"{GRAPHML_NS} {GRAPHML_NS}/1.0/graphml.xsd"})
    for key_id, owner, name, kind in _graphml_keys():
        ET.SubElement(root, "key", {"id": key_id, "for": owner, "attr.name": name, "attr.type": kind})
    graph = ET.SubElement(root, "graph", id=drawing.name, edgedefault="directed")
    for row in drawing.node_rows():
        node = ET.SubElement(graph, "node", id=str(row["id"]))
        _data(node, [("n_label", row["name"]), *((f"n_{c}", row[c]) for c in NODE_COLUMNS[1:])])
    for i, row in enumerate(drawing.edge_rows()):
        edge = ET.SubElement(graph, "edge", id=f"e{i}", source=str(row["from"]), target=str(row["to"]))
        _data(edge, ((f"e_{c}", row[c]) for c in EDGE_COLUMNS[2:]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- DOT -----------------------------------------------------------------------------------


def dot_quote(value: Value) -> str:
    """A DOT quoted string. DOT itself escapes only ``"``, but Graphviz reads a backslash in a label
    as the start of an escape (``\\n``, ``\\N``…), so backslashes are doubled too; line breaks become
    ``\\n``, which a label shows as a line break."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n") + '"'


def _dot_attrs(values: Iterable[tuple[str, Value]]) -> str:
    shown = [f"{k}={dot_quote(v)}" for k, v in values if v is not None and v != ""]
    return f" [{', '.join(shown)}]" if shown else ""


def dot(drawing: Drawing) -> str:
    lines = [f"digraph {dot_quote(drawing.name)} {{"]
    for row in drawing.node_rows():
        lines.append(f"  {dot_quote(row['id'])}"
                     + _dot_attrs([("label", row["name"]), *((c, row[c]) for c in NODE_COLUMNS[1:])]) + ";")
    for row in drawing.edge_rows():
        lines.append(f"  {dot_quote(row['from'])} -> {dot_quote(row['to'])}"
                     + _dot_attrs([("label", row["type"]), *((c, row[c]) for c in EDGE_COLUMNS[2:])]) + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- CSV -----------------------------------------------------------------------------------

# What spreadsheets start a formula with (OWASP's "CSV injection" list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Value) -> Value:
    """A cell a spreadsheet shows as text: a text cell that could start a formula is prefixed with
    an apostrophe. Numbers (depth, year) are left alone: they are never formulas."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(columns: tuple[str, ...], rows: list[dict[str, Value]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([csv_cell(row[c]) for c in columns] for row in rows)
    return out.getvalue()


def csv_edges(drawing: Drawing) -> str:
    return _csv(EDGE_COLUMNS, drawing.edge_rows())


def csv_nodes(drawing: Drawing) -> str:
    return _csv(NODE_COLUMNS, drawing.node_rows())


@dataclass(frozen=True)
class Format:
    media_type: str
    render: Callable[[Drawing], str]


FORMATS: dict[str, Format] = {
    "graphml": Format("application/graphml+xml; charset=utf-8", graphml),
    "dot": Format("text/vnd.graphviz; charset=utf-8", dot),
    "csv": Format("text/csv; charset=utf-8", csv_edges),
}
CSV_PARTS: dict[str, Callable[[Drawing], str]] = {"edges": csv_edges, "nodes": csv_nodes}
