"""Lineages and paths as GraphML, DOT and CSV (GET /export/…): each format parsed and held to what the
GraphQL field answers, hostile text escaped, hidden records in no format, the same 404 for a hidden id
as for an unknown one, bad arguments named, cache headers as for /ld."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from heritage_graph.app import create_app
from heritage_graph.errors import StoreUnavailable
from heritage_graph.model import Node, Relation
from heritage_graph.services import graph_formats
from heritage_graph.settings import Settings
from heritage_graph.store.memory import MemoryStore
from heritage_graph.tokens import create_token

from .conftest import Client, GraphQLClient, consented

ROOT = Path(__file__).resolve().parent.parent
NS = "{http://graphml.graphdrawing.org/xmlns}"
FORMATS = ("graphml", "dot", "csv")


@dataclass
class Graph:
    """A downloaded graph, read back: nodes by id ({kind, name, depth}) and edges ({from, to, type, …})."""

    nodes: dict[str, dict[str, str]]
    edges: list[dict[str, str]]
    node_order: list[str]

    def edge_keys(self) -> list[tuple[str, str, str]]:
        return [(e["from"], e["to"], e["type"]) for e in self.edges]


def read_graphml(text: str) -> Graph:
    root = ET.fromstring(text.encode("utf-8"))
    keys = {k.get("id"): (k.get("for"), k.get("attr.name")) for k in root.iter(f"{NS}key")}
    graph = root.find(f"{NS}graph")
    assert graph is not None and graph.get("edgedefault") == "directed"

    def data(element: ET.Element, owner: str) -> dict[str, str]:
        found = {}
        for d in element.findall(f"{NS}data"):
            assert keys[d.get("key")][0] == owner, "every data element has a key declared for it"
            found[keys[d.get("key")][1]] = d.text or ""
        return found

    nodes = {n.get("id", ""): data(n, "node") for n in graph.findall(f"{NS}node")}
    for found in nodes.values():
        assert found.pop("label") == found["name"]
    edges = [{"from": e.get("source", ""), "to": e.get("target", ""), **data(e, "edge")}
             for e in graph.findall(f"{NS}edge")]
    return Graph(nodes, edges, [n.get("id", "") for n in graph.findall(f"{NS}node")])


QUOTED = r'"((?:\\.|[^"\\])*)"'
DOT_NODE = re.compile(rf"  {QUOTED}(?: \[(.*)\])?;")
DOT_EDGE = re.compile(rf"  {QUOTED} -> {QUOTED}(?: \[(.*)\])?;")
DOT_ATTR = re.compile(rf"(\w+)={QUOTED}")


def dot_text(raw: str) -> str:
    """A DOT quoted string's text as a Graphviz label shows it (\\n a line break, \\x the x)."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), raw)


def dot_attrs(text: str | None) -> dict[str, str]:
    found = DOT_ATTR.findall(text or "")
    assert ", ".join(f'{k}="{v}"' for k, v in found) == (text or ""), "attributes are k=\"v\", comma-separated"
    return {k: dot_text(v) for k, v in found}


def read_dot(text: str) -> Graph:
    """The DOT these routes write, line by line: the digraph's head, node lines, edge lines, '}'."""
    lines = text.split("\n")
    assert re.fullmatch(rf"digraph {QUOTED} {{", lines[0]) and lines[-2:] == ["}", ""]
    nodes: dict[str, dict[str, str]] = {}
    order: list[str] = []
    edges: list[dict[str, str]] = []
    for line in lines[1:-2]:
        if m := DOT_EDGE.fullmatch(line):
            attrs = dot_attrs(m.group(3))
            assert attrs.pop("label") == attrs["type"]
            edges.append({"from": dot_text(m.group(1)), "to": dot_text(m.group(2)), **attrs})
        elif m := DOT_NODE.fullmatch(line):
            attrs = dot_attrs(m.group(2))
            assert attrs.pop("label") == attrs["name"]
            nodes[dot_text(m.group(1))] = attrs
            order.append(dot_text(m.group(1)))
        else:
            raise AssertionError(f"not a node or edge line: {line!r}")
    return Graph(nodes, edges, order)


def read_csv_pair(nodes_text: str, edges_text: str) -> Graph:
    node_rows = list(csv.DictReader(io.StringIO(nodes_text, newline="")))
    edge_rows = list(csv.DictReader(io.StringIO(edges_text, newline="")))
    assert (list(node_rows[0]) if node_rows else None) in (list(graph_formats.NODE_COLUMNS), None)
    assert edges_text.splitlines()[0] == ",".join(graph_formats.EDGE_COLUMNS)
    nodes = {r.pop("id"): r for r in node_rows}
    edges = [{k: v for k, v in r.items() if v != ""} for r in edge_rows]
    return Graph(nodes, edges, list(nodes))


def download(client: Client, url: str, fmt: str, **headers: str) -> Graph:
    """The graph at an /export URL without its extension, in one format (CSV: both tables)."""
    base, _, query = url.partition("?")
    sep = "&" if query else ""
    if fmt == "csv":
        nodes = client.get(f"{base}.csv?{query}{sep}part=nodes", headers=headers)
        edges = client.get(f"{base}.csv?{query}", headers=headers)
        assert (nodes.status_code, edges.status_code) == (200, 200), (nodes.text, edges.text)
        return read_csv_pair(nodes.text, edges.text)
    r = client.get(f"{base}.{fmt}?{query}", headers=headers)
    assert r.status_code == 200, r.text
    return read_graphml(r.text) if fmt == "graphml" else read_dot(r.text)


def texts(client: Client, url: str, fmt: str, **headers: str) -> list[str]:
    """Every file of a format for an /export URL without its extension (CSV: both tables)."""
    base, _, query = url.partition("?")
    parts = ["part=nodes", "part=edges"] if fmt == "csv" else [""]
    out = []
    for part in parts:
        joined = "&".join(p for p in (query, part) if p)
        r = client.get(f"{base}.{fmt}?{joined}", headers=headers)
        assert r.status_code == 200, r.text
        out.append(r.text)
    return out


# -- the seeds, held to GraphQL ----------------------------------------------------------------

LINEAGE = """query($id: ID!, $d: LineageDirection!, $r: LineageRelation!, $m: Int!) {
  lineage(id: $id, direction: $d, relation: $r, maxDepth: $m) {
    root { id name kind } nodes { depth node { id name kind } } edges { from to type } } }"""
PATH = """query($from: ID!, $to: ID!, $types: [RelationType!]) {
  path(from: $from, to: $to, relationTypes: $types) { nodes { id name kind } edges { from to type } } }"""
LINEAGES = [("jesus-urbano-rojas", "ANCESTORS", "LEARNED_FROM", 10),
            ("manuela-momediano", "DESCENDANTS", "LEARNED_FROM", 3),
            ("cajon-san-marcos", "DESCENDANTS", "DERIVED_FROM", 5)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("node_id", "direction", "relation", "depth"), LINEAGES)
def test_each_format_holds_the_graphql_lineage(client: Client, gql: GraphQLClient, fmt: str, node_id: str,
                                               direction: str, relation: str, depth: int) -> None:
    want = gql(LINEAGE, id=node_id, d=direction, r=relation, m=depth)["lineage"]
    got = download(client, f"/export/lineage/{node_id}?direction={direction}&relation={relation}&maxDepth={depth}",
                   fmt)
    assert want["edges"], "a case worth exporting"
    # The file holds the root too, at depth 0; GraphQL gives it apart.
    nodes = [(want["root"], 0), *((n["node"], n["depth"]) for n in want["nodes"])]
    assert len(got.nodes) == len(nodes) and len(got.edges) == len(want["edges"])
    assert {i: (n["kind"].upper(), n["name"], n["depth"]) for i, n in got.nodes.items()} == {
        n["id"]: (n["kind"], n["name"], str(d)) for n, d in nodes}
    assert sorted(got.edge_keys()) == sorted((e["from"], e["to"], e["type"]) for e in want["edges"])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("types", [["LEARNED_FROM"], None])
def test_each_format_holds_the_graphql_path(client: Client, gql: GraphQLClient, fmt: str,
                                            types: list[str] | None) -> None:
    want = gql(PATH, **{"from": "jesus-urbano-rojas", "to": "manuela-momediano", "types": types})["path"]
    query = "from=jesus-urbano-rojas&to=manuela-momediano" + (f"&relationTypes={','.join(types)}" if types else "")
    got = download(client, f"/export/path?{query}", fmt)
    # depth: the number of steps from `from`, i.e. the node's place along the path
    assert {i: n["depth"] for i, n in got.nodes.items()} == {n["id"]: str(i) for i, n in enumerate(want["nodes"])}
    assert sorted(got.edge_keys()) == sorted((e["from"], e["to"], e["type"]) for e in want["edges"])
    teaching = next(e for e in got.edges if e["from"] == "jesus-urbano-rojas")
    if teaching["type"] == "LEARNED_FROM":
        assert teaching["period"] == "1940s (Urbano aged about 15)" and teaching["confidence"] == "high"


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_sorted_and_byte_identical_each_time(client: Client, fmt: str) -> None:
    url = "/export/lineage/manuela-momediano?direction=DESCENDANTS&maxDepth=3"
    first = texts(client, url, fmt)
    assert texts(client, url, fmt) == first
    got = download(client, url, fmt)
    assert len(got.node_order) > 3 and got.node_order == sorted(got.node_order)
    assert got.edge_keys() == sorted(got.edge_keys())


# -- a planted graph: hostile text, hidden records ------------------------------------------------

HOSTILE = 'Ana "la <maestra>" & \'Ñandú\' \\ tejedora </data>]]>'
SETTING = "taller familiar\nsegunda línea, \\n escrito"
FORMULA = '=HYPERLINK("http://evil.example","clic")'
NODES = [
    Node("Practitioner", "ana", HOSTILE, properties=consented(), version=1),
    Node("Practitioner", "bea", FORMULA, properties=consented(), version=1),
    Node("Practitioner", "carla", "Carla Borrador", status="draft", version=1),
    Node("Practitioner", "dora", "Dora Lejana", properties=consented(), version=1),
    Node("Practitioner", "eli", "@Eli", properties=consented(), version=1),
    Node("Practitioner", "rita", "Rita Reservada", sensitivity="restricted", version=1),
]
RELATIONS = [
    Relation("LEARNED_FROM", "ana", "bea", properties={"period": '1950s <&> "tarde"', "setting": SETTING},
             confidence="high", note="-1 fórmula", version=1),
    Relation("LEARNED_FROM", "ana", "carla", version=1),
    Relation("LEARNED_FROM", "carla", "dora", version=1),
    Relation("LEARNED_FROM", "bea", "rita", version=1),
    Relation("KIN_OF", "bea", "eli", properties={"kinship": "sibling"}, version=1),
    Relation("KIN_OF", "eli", "dora", properties={"kinship": "sibling"}, version=1),
]
# What an anonymous reader may never meet: a draft, a restricted record, and Dora's link to Ana through
# the draft (Dora is public, but the lineage may not cross Carla to reach her).
HIDDEN_WORDS = ("carla", "Carla", "rita", "Rita")


@dataclass
class World:
    client: Client
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    store = MemoryStore()
    store.write(NODES, RELATIONS)
    client = Client(create_app(Settings(), store=store))
    tokens = {role: create_token(store, role)[0] for role in ("curator", "admin")}
    yield World(client, tokens)
    client.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_text_round_trips_escaped_in_every_format(world: World, fmt: str) -> None:
    got = download(world.client, "/export/lineage/ana", fmt)
    edge = next(e for e in got.edges if e["to"] == "bea")
    if fmt == "csv":  # what a spreadsheet could run as a formula is written as text
        assert got.nodes["bea"]["name"] == "'" + FORMULA and edge["note"] == "'-1 fórmula"
    else:
        assert got.nodes["bea"]["name"] == FORMULA and edge["note"] == "-1 fórmula"
    assert got.nodes["ana"]["name"] == HOSTILE
    assert edge["period"] == '1950s <&> "tarde"' and edge["setting"] == SETTING


def test_graphml_and_dot_escape_at_the_source() -> None:
    """Beyond round trips: no raw markup or stray quote reaches the file, and characters XML 1.0
    cannot hold become U+FFFD rather than a file no parser reads."""
    drawing = graph_formats.Drawing("g", {"a": (Node("Practitioner", "a", "<b>&\"x\"\x01\x0b"), 0)}, [])
    xml = graph_formats.graphml(drawing)
    assert "<b>" not in xml and "&lt;b&gt;&amp;" in xml
    assert read_graphml(xml).nodes["a"]["name"] == '<b>&"x"\ufffd\ufffd'
    assert graph_formats.dot_quote('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'
    assert [graph_formats.csv_cell(v) for v in ("=1", "+1", "-1", "@a", "\t1", "\r1", "a=1", 0, -1, None)] == [
        "'=1", "'+1", "'-1", "'@a", "'\t1", "'\r1", "a=1", 0, -1, None]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_hidden_record_appears_in_no_format(world: World, fmt: str) -> None:
    for url in ("/export/lineage/ana", "/export/lineage/ana?maxDepth=5", "/export/path?from=ana&to=dora"):
        for text in texts(world.client, url, fmt):
            assert not [w for w in HIDDEN_WORDS if w in text], (url, text)
    lineage = download(world.client, "/export/lineage/ana?maxDepth=5", fmt)
    assert set(lineage.nodes) == {"ana", "bea"}, "Dora lies beyond the draft: not crossed"
    path = download(world.client, "/export/path?from=ana&to=dora", fmt)
    assert path.node_order == ["ana", "bea", "dora", "eli"] and len(path.edges) == 3
    # The reader is the token's: a curator reads drafts (not restricted records), an admin everything.
    staff = download(world.client, "/export/lineage/ana?maxDepth=5", fmt, **world.auth("curator"))
    assert set(staff.nodes) == {"ana", "bea", "carla", "dora"}
    admin = download(world.client, "/export/lineage/ana?maxDepth=5", fmt, **world.auth("admin"))
    assert set(admin.nodes) == {"ana", "bea", "carla", "dora", "rita"}
    shortcut = download(world.client, "/export/path?from=ana&to=dora", fmt, **world.auth("curator"))
    assert shortcut.node_order == ["ana", "carla", "dora"]


def _graphql_error(world: World, query: str) -> dict[str, Any]:
    body = world.client.post("/graphql", json={"query": query}).json()
    error = body["errors"][0]
    return {"message": error["message"], "extensions": {k: error["extensions"][k] for k in ("code", "field")}}


@pytest.mark.parametrize(("hidden_url", "unknown_url", "graphql"), [
    ("/export/lineage/carla.graphml", "/export/lineage/nobody.graphml", '{ lineage(id: "%s") { root { id } } }'),
    ("/export/lineage/rita.csv?part=nodes", "/export/lineage/nobody.csv?part=nodes",
     '{ lineage(id: "%s") { root { id } } }'),
    ("/export/path.dot?from=carla&to=ana", "/export/path.dot?from=nobody&to=ana",
     '{ path(from: "%s", to: "ana") { length } }'),
    ("/export/path.csv?from=ana&to=rita", "/export/path.csv?from=ana&to=nobody",
     '{ path(from: "ana", to: "%s") { length } }'),
])
def test_a_hidden_id_is_the_same_404_as_an_unknown_one(world: World, hidden_url: str, unknown_url: str,
                                                       graphql: str) -> None:
    hidden, unknown = world.client.get(hidden_url), world.client.get(unknown_url)
    hidden_id = "carla" if "carla" in hidden_url else "rita"
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.content.replace(hidden_id.encode(), b"X") == unknown.content.replace(b"nobody", b"X")
    assert {k: hidden.headers[k] for k in ("content-type", "cache-control")} == {
        k: unknown.headers[k] for k in ("content-type", "cache-control")} == {
        "content-type": "application/json", "cache-control": "no-store"}
    # …and the same error the GraphQL field gives
    assert unknown.json() == {"errors": [_graphql_error(world, graphql % "nobody")]}
    assert hidden.json() == {"errors": [_graphql_error(world, graphql % hidden_id)]}


def test_no_path_within_max_depth_is_a_404_without_a_field(world: World) -> None:
    r = world.client.get("/export/path.dot?from=ana&to=dora&relationTypes=LEARNED_FROM")
    assert r.status_code == 404 and r.headers["cache-control"] == "no-store"
    assert r.json() == {"errors": [{"message": "no path from 'ana' to 'dora' within maxDepth 6",
                                    "extensions": {"code": "NOT_FOUND"}}]}
    gql = world.client.post("/graphql", json={"query": '{ path(from: "ana", to: "dora", '
                                              "relationTypes: [LEARNED_FROM]) { length } }"}).json()
    assert gql == {"data": {"path": None}}


BAD = [
    ("/export/lineage/ana.xml", "format", ".graphml, .dot, .csv"),
    ("/export/lineage/ana", "format", ".graphml, .dot, .csv"),
    ("/export/path.svg?from=ana&to=bea", "format", ".graphml, .dot, .csv"),
    ("/export/lineage/ana.dot?direction=UP", "direction", "ANCESTORS, DESCENDANTS"),
    ("/export/lineage/ana.dot?direction=ancestors", "direction", "ANCESTORS, DESCENDANTS"),
    ("/export/lineage/ana.dot?direction=ANCESTORS&direction=DESCENDANTS", "direction", "once"),
    ("/export/lineage/ana.dot?relation=KIN_OF", "relation", "LEARNED_FROM, DERIVED_FROM"),
    ("/export/lineage/ana.dot?maxDepth=0", "maxDepth", "between 1 and 20"),
    ("/export/lineage/ana.dot?maxDepth=21", "maxDepth", "between 1 and 20"),
    ("/export/lineage/ana.dot?maxDepth=deep", "maxDepth", "between 1 and 20"),
    ("/export/lineage/ana.csv?part=both", "part", "edges, nodes"),
    ("/export/lineage/ana.graphml?part=nodes", "part", "edges, nodes"),
    ("/export/lineage/ana.dot?depth=2", "depth", "direction, relation, maxDepth, part"),
    ("/export/path.dot?to=ana", "from", "required"),
    ("/export/path.dot?from=ana", "to", "required"),
    ("/export/path.dot?from=ana&to=bea&relationTypes=LEARNED_FROM,TAUGHT", "relationTypes", "KIN_OF"),
    ("/export/path.dot?from=ana&to=bea&maxDepth=99", "maxDepth", "between 1 and 20"),
]


@pytest.mark.parametrize(("url", "field", "allowed"), BAD, ids=[u for u, _, _ in BAD])
def test_bad_arguments_are_400_naming_the_parameter(world: World, url: str, field: str, allowed: str) -> None:
    r = world.client.get(url)
    assert r.status_code == 400 and r.headers["cache-control"] == "no-store"
    error = r.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"].startswith(field) and allowed in error["message"]


def test_the_depth_limit_message_is_the_graphql_one(world: World) -> None:
    r = world.client.get("/export/lineage/ana.dot?maxDepth=50")
    gql = world.client.post("/graphql", json={"query": '{ lineage(id: "ana", maxDepth: 50) { root { id } } }'})
    assert r.json()["errors"][0]["message"] == gql.json()["errors"][0]["message"]


MEDIA = {"graphml": "application/graphml+xml; charset=utf-8", "dot": "text/vnd.graphviz; charset=utf-8",
         "csv": "text/csv; charset=utf-8"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_anonymous_downloads_are_cacheable_and_token_downloads_private(world: World, fmt: str) -> None:
    r = world.client.get(f"/export/lineage/ana.{fmt}")
    assert r.status_code == 200 and r.headers["content-type"] == MEDIA[fmt]
    stem = "lineage-ana-ancestors-learned_from"
    want = f"{stem}-edges.csv" if fmt == "csv" else f"{stem}.{fmt}"
    assert r.headers["content-disposition"] == f'attachment; filename="{want}"'
    assert r.headers["cache-control"] == "public, max-age=60" and r.headers["etag"]
    assert "Authorization" in r.headers["vary"]
    again = world.client.get(f"/export/lineage/ana.{fmt}", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    mine = world.client.get(f"/export/lineage/ana.{fmt}", headers=world.auth("curator"))
    assert mine.status_code == 200 and mine.headers["cache-control"] == "private, no-store"
    assert "carla" in mine.text and mine.headers["etag"] != r.headers["etag"]
    bad = world.client.get(f"/export/lineage/ana.{fmt}", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert bad.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_read_past_the_time_budget_is_stopped() -> None:
    store = MemoryStore()
    store.write(NODES, RELATIONS)
    client = Client(create_app(Settings(time_budget_anonymous=1e-9), store=store))
    try:
        r = client.get("/export/lineage/ana.dot")
    finally:
        client.close()
    assert r.status_code == 503 and r.headers["cache-control"] == "no-store"
    assert r.json()["errors"][0]["extensions"]["code"] == "TIME_BUDGET_EXCEEDED"


class FailingStore(MemoryStore):
    def relations(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("connection to /var/secret/db refused")


def test_a_store_failure_is_a_503_that_keeps_the_store_text_to_the_log() -> None:
    store = FailingStore()
    store.write(NODES, RELATIONS)
    client = Client(create_app(Settings(), store=store))
    try:
        r = client.get("/export/lineage/ana.graphml")
    finally:
        client.close()
    assert r.status_code == 503 and r.headers["cache-control"] == "no-store"
    assert r.json()["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE" and "secret" not in r.text


# -- the guide ---------------------------------------------------------------------------------------

DOC_EXAMPLE = re.compile(r"```sh\n[^`]*?'http://127\.0\.0\.1:8000(/export/[^']+)'[^`]*?```\n\n```(csv|dot)\n(.*?)```",
                         re.S)


def test_the_guide_shows_real_output(client: Client) -> None:
    section = (ROOT / "docs" / "graphql.md").read_text(encoding="utf-8").split("## Downloading lineages")[1]
    found = DOC_EXAMPLE.findall(section.split("\n## ")[0])
    assert [fmt for _, fmt, _ in found] == ["csv", "dot"]
    for url, _, shown in found:
        r = client.get(url)
        assert r.status_code == 200, r.text
        assert r.text.replace("\r\n", "\n") == shown
