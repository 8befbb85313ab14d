"""Linked data: JSON-LD in CIDOC CRM and PROV-O terms, checked by parsing it with rdflib."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef

from heritage_graph import schema
from heritage_graph.cli import main
from heritage_graph.interchange import parse_record
from heritage_graph.services import linked_data as ld
from heritage_graph.services.exporter import export_lines
from heritage_graph.services.importer import run_import
from heritage_graph.store.base import Store
from heritage_graph.store.memory import MemoryStore
from heritage_graph.visibility import is_public

from .conftest import Client

# rdflib 7's JSON-LD parser builds a ConjunctiveGraph internally and warns about its own deprecation.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning:rdflib")

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "linked-data.md"

CRM = Namespace("http://www.cidoc-crm.org/cidoc-crm/")
PROV = Namespace("http://www.w3.org/ns/prov#")
HG = Namespace("https://w3id.org/heritage-graph/vocab/")
ID = Namespace("https://w3id.org/heritage-graph/id/")
REL = Namespace("https://w3id.org/heritage-graph/relation/")
AGENT = Namespace("https://w3id.org/heritage-graph/agent/")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
DCTERMS = Namespace("http://purl.org/dc/terms/")

CONTEXT_URL = "/ld/context.jsonld"  # relative: no HERITAGE_PUBLIC_URL in the tests
JESUS, LOPEZ_ANTAY, TAQUILE = ID["jesus-urbano-rojas"], ID["joaquin-lopez-antay"], ID["taquile-textile-art"]


def parse(doc: dict[str, Any], context: dict[str, Any] | None = None) -> Graph:
    """Parse a document, with the published context standing in for its URL (no network)."""
    if context is not None:
        assert doc["@context"] == CONTEXT_URL
        doc = {**doc, "@context": context}
    return Graph().parse(data=json.dumps(doc), format="json-ld")


@pytest.fixture(scope="module")
def published_context(client: Client) -> dict[str, Any]:
    r = client.get("/ld/context.jsonld")
    assert r.status_code == 200
    return r.json()["@context"]


def fetch(client: Client, node_id: str, context: dict[str, Any]) -> tuple[dict[str, Any], Graph]:
    r = client.get(f"/ld/{node_id}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/ld+json"
    doc = r.json()
    return doc, parse(doc, context)


def relation_sources(store: Store, rel: str, frm: str, to: str) -> set[URIRef]:
    found = [r for r in store.relations([frm], "out", [rel]) if r.to_id == to]
    assert len(found) == 1
    return {ID[s] for s in found[0].sources}


# -- the context -------------------------------------------------------------------


def test_context_route_serves_the_committed_file(client: Client) -> None:
    r = client.get("/ld/context.jsonld")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/ld+json"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.text == ld.CONTEXT_FILE.read_text(encoding="utf-8")
    ctx = r.json()["@context"]
    assert ctx["crm"] == str(CRM) and ctx["prov"] == str(PROV) and ctx["hgid"] == str(ID)


def test_context_file_is_current() -> None:
    assert ld.main(["--check"]) == 0, "run: python -m heritage_graph.services.linked_data"


def test_every_kind_property_enumeration_and_relation_is_mapped() -> None:
    assert set(ld.KIND_CLASSES) == set(schema.KINDS)
    for kind in schema.NODE_KINDS:
        for p in kind.props:
            assert ld.PROP_TERMS[p.name] in ld.TERMS, f"{kind.name}.{p.name}"
            for f in p.fields:
                assert ld.field_terms(p)[f.name] in ld.TERMS, f"{kind.name}.{p.name}.{f.name}"
    common = {p.name for p in schema.NODE_COMMON_PROPS}
    assert common <= set(ld.PROP_TERMS) | set(ld.SPECIAL_NODE_FIELDS)
    for rtype in schema.RELATION_TYPES:
        for p in (*rtype.props, *schema.RELATION_COMMON_PROPS):
            assert p.name in ld.RELATION_PROP_TERMS or p.name in ld.SPECIAL_RELATION_FIELDS, f"{rtype.name}.{p.name}"
        for kind in rtype.from_kinds:
            assert ld.relation_term(rtype.name, kind) in ld.TERMS
    used = {t for t in ld.PROP_TERMS.values()} | set(ld.RELATION_PROP_TERMS.values())
    used |= {t for terms in ld.FIELD_TERMS.values() for t in terms.values()}
    assert used <= set(ld.TERMS)
    assert set(ld.MEDIA_CLASSES) == set(schema.MEDIA_KINDS)
    assert {"domain", "tradition-category", "place-level", "organization-type", "source-type", "unesco-list",
            "confidence", "sensitivity", "publication-status", "kinship", "relation-type", "consent-status",
            "consent-scope", "media-kind", "licence", "consent-basis", "alt-name-type", "declaration-level",
            "threat-target", "measure-type"} == set(ld.schemes())


# -- one node over HTTP ----------------------------------------------------------------


def test_practitioner_document(client: Client, seeded_store: Store, published_context: dict[str, Any]) -> None:
    doc, g = fetch(client, "jesus-urbano-rojas", published_context)
    assert doc["@graph"][0]["@id"] == "hgid:jesus-urbano-rojas"
    assert (JESUS, RDF.type, CRM.E21_Person) in g
    assert (JESUS, RDF.type, HG.Practitioner) in g
    assert (JESUS, RDFS.label, Literal("Jesús Urbano Rojas", lang="es")) in g
    assert (JESUS, DCTERMS.identifier, Literal("jesus-urbano-rojas")) in g
    assert (JESUS, HG.birthYear, Literal("1925", datatype=XSD.integer)) in g
    assert (JESUS, HG.role, Literal("retablista")) in g
    notes = {o.language for o in g.objects(JESUS, CRM.P3_has_note)}
    assert notes == {"en", "es"}
    # relations, in CRM where the meaning fits
    assert (JESUS, HG.learnedFrom, LOPEZ_ANTAY) in g
    assert (JESUS, CRM.P74_has_current_or_former_residence, ID["pe-ayacucho-huanta"]) in g
    assert (JESUS, CRM.P14i_performed, ID["retablo-ayacuchano"]) in g
    assert (JESUS, CRM["P107i_is_current_or_former_member_of"], ID["comunidad-retablistas-ayacucho"]) in g
    assert (ID["julio-urbano"], HG.learnedFrom, JESUS) in g  # incoming relations too
    # node provenance
    source = ID["src-unmsm-noticias-ver-fallece-retablista-jesus-urbano"]
    assert (JESUS, PROV.wasDerivedFrom, source) in g
    assert (JESUS, CRM.P70i_is_documented_in, source) in g
    recorder = seeded_store.get_nodes(["jesus-urbano-rojas"])[0].recorded_by
    assert recorder
    agent = AGENT[quote(recorder, safe="")]
    assert (JESUS, PROV.wasAttributedTo, agent) in g
    assert (agent, RDF.type, PROV.Agent) in g
    assert (agent, RDFS.label, Literal(recorder)) in g
    (stamp,) = g.objects(JESUS, PROV.generatedAtTime)
    assert stamp.datatype == XSD.dateTime
    # the relation, reified with its own provenance
    claim = REL["jesus-urbano-rojas/LEARNED_FROM/joaquin-lopez-antay"]
    assert (claim, RDF.type, RDF.Statement) in g
    assert (claim, RDF.subject, JESUS) in g
    assert (claim, RDF.predicate, HG.learnedFrom) in g
    assert (claim, RDF.object, LOPEZ_ANTAY) in g
    assert (claim, HG.relationType, HG["relation-type/LEARNED_FROM"]) in g
    expected = relation_sources(seeded_store, "LEARNED_FROM", "jesus-urbano-rojas", "joaquin-lopez-antay")
    assert set(g.objects(claim, PROV.wasDerivedFrom)) == expected and len(expected) == 2
    assert (claim, HG.hasConfidence, HG["confidence/high"]) in g
    assert (claim, HG.period, Literal("1940s (Urbano aged about 15)")) in g
    assert (claim, CRM.P3_has_note, Literal("Urbano apprenticed with López Antay in the 1940s, aged about 15.")) in g
    kin = REL["jesus-urbano-rojas/KIN_OF/julio-urbano"]
    assert (kin, HG.hasKinship, HG["kinship/sibling"]) in g
    honour = REL["jesus-urbano-rojas/CERTIFIED_BY/orden-el-sol-del-peru"]
    assert (honour, HG.year, Literal("1964", datatype=XSD.integer)) in g
    # every relation of the node to a public record is reified, each once (kin without a consent basis are not)
    statements = set(g.subjects(RDF.type, RDF.Statement))
    out = seeded_store.relations(["jesus-urbano-rojas"], "out", [r for r in schema.RELATIONS if r != "DOCUMENTED_BY"])
    inn = seeded_store.relations(["jesus-urbano-rojas"], "in", list(schema.RELATIONS))
    ends = {n.id: n for n in seeded_store.get_nodes([*(r.to_id for r in out), *(r.from_id for r in inn)])}
    public = [r for r in out if is_public(ends[r.to_id])] + [r for r in inn if is_public(ends[r.from_id])]
    assert len(statements) == len(public) and len(public) < len(out) + len(inn)


def test_unesco_element_document(client: Client, seeded_store: Store, published_context: dict[str, Any]) -> None:
    _, g = fetch(client, "taquile-textile-art", published_context)
    assert (TAQUILE, RDF.type, CRM.E7_Activity) in g
    assert (TAQUILE, RDF.type, HG.Craft) in g
    assert (TAQUILE, RDFS.label, Literal("Taquile y su arte textil", lang="es")) in g
    assert (TAQUILE, RDFS.label, Literal("Taquile and its textile art", lang="en")) in g
    assert (TAQUILE, CRM.P2_has_type, HG["domain/traditional-craftsmanship"]) in g
    assert (TAQUILE, CRM.P2_has_type, HG["domain/social-practices"]) in g
    assert (TAQUILE, CRM.P7_took_place_at, ID["pe-puno-puno-taquile"]) in g
    assert (TAQUILE, HG.technique, Literal("weaving")) in g
    inscription = URIRef(str(TAQUILE) + "#unesco")
    assert (TAQUILE, HG.unescoInscription, inscription) in g
    assert (inscription, RDF.type, HG.UnescoInscription) in g
    assert (inscription, HG.unescoList, HG["unesco-list/representative"]) in g
    assert (inscription, HG.year, Literal("2008", datatype=XSD.integer)) in g
    assert (inscription, HG.unescoElementNumber, Literal("00166")) in g
    assert (TAQUILE, PROV.wasDerivedFrom, ID["src-unesco-culture-ich-en-rl-00166"]) in g
    # the bearer community, an incoming relation, and its claim
    community = ID["comunidad-taquile"]
    assert (community, CRM.P14i_performed, TAQUILE) in g
    claim = REL["comunidad-taquile/PRACTICES/taquile-textile-art"]
    assert (claim, RDF.predicate, CRM.P14i_performed) in g
    expected = relation_sources(seeded_store, "PRACTICES", "comunidad-taquile", "taquile-textile-art")
    assert set(g.objects(claim, PROV.wasDerivedFrom)) == expected
    assert (claim, CRM.P3_has_note, Literal("bearer community named in the UNESCO inscription")) in g


def test_places_sources_and_groups(client: Client, published_context: dict[str, Any]) -> None:
    _, g = fetch(client, "pe", published_context)
    pe = ID["pe"]
    assert (pe, RDF.type, CRM.E53_Place) in g
    assert (pe, CRM.P2_has_type, HG["place-level/country"]) in g
    assert (pe, GEO.lat, Literal("-9.19", datatype=XSD.decimal)) in g
    assert (pe, GEO.long, Literal("-75.02", datatype=XSD.decimal)) in g
    assert (ID["pe-ayacucho"], CRM.P89_falls_within, pe) in g  # places nest
    _, g = fetch(client, "src-unesco-culture-ich-en-rl-00166", published_context)
    src = ID["src-unesco-culture-ich-en-rl-00166"]
    assert (src, RDF.type, CRM.E31_Document) in g
    assert (src, CRM.P2_has_type, HG["source-type/web"]) in g
    assert (src, URIRef("https://schema.org/url"),
            Literal("http://www.unesco.org/culture/ich/en/RL/00166", datatype=XSD.anyURI)) in g
    assert (TAQUILE, CRM.P70i_is_documented_in, src) in g  # what the source documents
    _, g = fetch(client, "undp", published_context)
    assert (ID["undp"], RDF.type, CRM.E74_Group) in g
    assert (ID["undp"], RDF.type, HG.Organization) in g
    assert (ID["undp"], CRM.P2_has_type, HG["organization-type/un-agency"]) in g


def test_source_dates_are_typed_by_their_form() -> None:
    assert ld._date("2010") == {"@value": "2010", "@type": "xsd:gYear"}
    assert ld._date("2009-10") == {"@value": "2009-10", "@type": "xsd:gYearMonth"}
    assert ld._date("2009-10-05") == {"@value": "2009-10-05", "@type": "xsd:date"}
    assert ld._date("circa 1900") == "circa 1900"
    assert ld._decimal(0.00001) == "0.00001" and ld._decimal(-75.0) == "-75.0"


@pytest.mark.parametrize("node_id", ["no-such-node", "Bad%20Id", "x" * 200])
def test_unknown_id_is_404(client: Client, node_id: str) -> None:
    r = client.get(f"/ld/{node_id}")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"error": {"code": "NOT_FOUND", "message": "no node has this id"}}


# A living person is public with a consent basis (docs/outline.md).
CONSENTED = {"properties": {"consent": {"basis": "given"}}}

HIDDEN = [
    {"kind": "Source", "id": "src-open", "name": "Open"},
    {"kind": "Source", "id": "src-closed", "name": "Closed", "sensitivity": "restricted"},
    {"kind": "Practitioner", "id": "ana", "name": "Ana", "sources": ["src-open", "src-closed"], **CONSENTED},
    {"kind": "Practitioner", "id": "dora", "name": "Dora", **CONSENTED},
    {"kind": "Practitioner", "id": "beto", "name": "Beto", "sensitivity": "community"},
    {"kind": "Practitioner", "id": "carla", "name": "Carla", "status": "draft"},
    {"rel": "LEARNED_FROM", "from": "beto", "to": "ana"},
    {"rel": "LEARNED_FROM", "from": "ana", "to": "carla"},
    {"rel": "KIN_OF", "from": "ana", "to": "dora", "properties": {"kinship": "sibling"},
     "sources": ["src-open", "src-closed"]},
]


def test_only_public_published_records_are_published(tmp_path: Path) -> None:
    from heritage_graph.app import create_app
    from heritage_graph.settings import Settings

    data = tmp_path / "hidden.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in HIDDEN), encoding="utf-8")
    store = MemoryStore()
    run_import(store, [data])
    client = Client(create_app(Settings(), store=store))
    try:
        never = client.get("/ld/nobody")
        for hidden in ("beto", "carla", "src-closed"):
            r = client.get(f"/ld/{hidden}")
            assert (r.status_code, r.content) == (404, never.content)  # hidden reads as never existed
        context = client.get("/ld/context.jsonld").json()["@context"]
        _, g = fetch(client, "ana", context)
    finally:
        client.close()
    hidden_iris = {ID["beto"], ID["carla"], ID["src-closed"]}
    assert not {t for t in g if hidden_iris & set(t)}
    assert (ID["ana"], PROV.wasDerivedFrom, ID["src-open"]) in g
    claim = REL["ana/KIN_OF/dora"]
    assert set(g.objects(claim, PROV.wasDerivedFrom)) == {ID["src-open"]}
    text = export(store)
    assert '"hgid:beto"' not in text and '"hgid:carla"' not in text and "src-closed" not in text
    assert ld.export_jsonld(store, io.StringIO()) == 4  # src-open, ana, dora, KIN_OF


# -- the whole store -------------------------------------------------------------------


def export(store: Store, **kwargs: Any) -> str:
    out = io.StringIO()
    ld.export_jsonld(store, out, **kwargs)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeds_export(seeded_store: Store) -> str:
    return export(seeded_store)


@pytest.fixture(scope="module")
def seeds_graph(seeds_export: str) -> Graph:
    return Graph().parse(data=seeds_export, format="json-ld")


def _value_triples(p: schema.Prop, value: Any) -> int:
    if p.type is schema.T.STRUCT:
        return 2 + sum(_value_triples(f, value[f.name]) for f in p.fields if f.name in value)
    if p.type is schema.T.STRUCT_LIST and p.name != schema.MEDIA.name:  # link, type and position per item
        return sum(3 + sum(_value_triples(f, item[f.name]) for f in p.fields if f.name in item) for item in value)
    return len(value) if isinstance(value, list | dict) else 1


def _public(record: dict[str, Any]) -> bool:
    node, _ = parse_record(record)
    return node is not None and is_public(node)  # type: ignore[arg-type]


def published(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The interchange records linked data publishes: public, published nodes, the relations
    between them, and only their public sources."""
    shown = {r["id"] for r in records if "kind" in r and _public(r)}
    out = []
    for r in records:
        if ("kind" in r and r["id"] in shown) or ("rel" in r and r["from"] in shown and r["to"] in shown):
            out.append({**r, "sources": [s for s in r.get("sources", []) if s in shown]})
    return out


def expected_triples(line: dict[str, Any]) -> int:
    """How many triples one interchange record becomes, counted from the record alone."""
    system = sum(1 for f in schema.SYSTEM_FIELDS if line.get(f))
    if "kind" in line:
        kind = schema.KINDS[line["kind"]]
        names = line.get("names", {})
        n = 3 + (line["name"] not in names.values()) + len(names) + len(line.get("summary", {}))
        n += sum(_value_triples(kind.prop(k), v) for k, v in line.get("properties", {}).items())
        n += ("confidence" in line) + 2 + 2 * len(line.get("sources", []))  # sensitivity, status
        return n + system
    rtype = schema.RELATIONS[line["rel"]]
    n = 1 + 5  # the direct triple; rdf:Statement with type, subject, predicate, object, relationType
    n += sum(_value_triples(rtype.prop(k), v) for k, v in line.get("properties", {}).items())
    n += ("confidence" in line) + ("note" in line) + len(line.get("sources", []))
    return n + system


def test_seeds_export_triples_add_up(seeded_store: Store, seeds_export: str, seeds_graph: Graph) -> None:
    everything = [json.loads(line) for line in export_lines(seeded_store)]
    records = published(everything)
    vocabulary = parse({"@context": ld.context(), "@graph": ld.vocabulary_objects()})
    agents = {r.get("recorded_by") for r in records} - {None}
    total = len(vocabulary) + sum(map(expected_triples, records)) + 2 * len(agents)
    assert len(seeds_graph) == total
    nodes = [r for r in records if "kind" in r]
    relations = [r for r in records if "rel" in r]
    assert len(set(seeds_graph.subjects(RDF.type, RDF.Statement))) == len(relations)
    for kind in schema.KINDS:
        assert len(set(seeds_graph.subjects(RDF.type, HG[kind]))) == sum(1 for n in nodes if n["kind"] == kind)
    derived = sum(len(r.get("sources", [])) for r in records)
    assert len(list(seeds_graph.triples((None, PROV.wasDerivedFrom, None)))) == derived
    assert ld.export_jsonld(seeded_store, io.StringIO()) == len(records)


def test_seeds_export_is_the_union_of_the_node_documents(seeded_store: Store, seeds_graph: Graph) -> None:
    docs: list[dict[str, Any]] = ld.vocabulary_objects()
    for line in export_lines(seeded_store):
        record = json.loads(line)
        if "kind" in record:
            doc = ld.node_document(seeded_store, record["id"], CONTEXT_URL)
            assert (doc is not None) == _public(record), record["id"]
            docs += doc["@graph"] if doc else []
    union = parse({"@context": ld.context(), "@graph": docs})
    assert set(union) == set(seeds_graph)


def test_seeds_export_is_deterministic_across_runs_and_stores(seeded_store: Store, seeds_export: str,
                                                             tmp_path: Path) -> None:
    assert export(seeded_store) == seeds_export
    interchange = tmp_path / "seeds.jsonl"
    interchange.write_text("".join(export_lines(seeded_store)), encoding="utf-8")
    memory = MemoryStore()
    run_import(memory, [interchange])
    assert export(memory) == seeds_export  # same bytes from another adapter


def test_the_base_is_configurable(seeded_store: Store) -> None:
    other = export(seeded_store, base="https://example.org/ich/")
    g = Graph().parse(data=other, format="json-ld")
    assert (URIRef("https://example.org/ich/id/jesus-urbano-rojas"), HG.learnedFrom,
            URIRef("https://example.org/ich/id/joaquin-lopez-antay")) in g
    assert not any(str(s).startswith(str(ID)) for s in g.subjects())


SMALL = [
    {"kind": "Source", "id": "src-1", "name": "S", "properties": {"type": "book", "date": "1999-04"}},
    {"kind": "Place", "id": "pe", "name": "Perú", "properties": {"level": "country", "lat": -9.19}},
    {"kind": "Practitioner", "id": "ana", "name": "Ana", "names": {"qu": "Ana"}, "sources": ["src-1"], **CONSENTED},
    {"kind": "Practitioner", "id": "beto", "name": "Beto", **CONSENTED},
    {"rel": "LEARNED_FROM", "from": "beto", "to": "ana", "sources": ["src-1"], "note": "apprenticeship"},
    {"rel": "LOCATED_IN", "from": "ana", "to": "pe"},
]


def test_cli_export_jsonld(tmp_path: Path) -> None:
    data = tmp_path / "small.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in SMALL), encoding="utf-8")
    db = str(tmp_path / "db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "import", str(data)]).exit_code == 0
    out_file = tmp_path / "out.jsonld"
    result = runner.invoke(main, ["--db", db, "export", "--format", "jsonld", str(out_file)])
    assert result.exit_code == 0 and "exported 6 records" in result.stderr
    result = runner.invoke(main, ["--db", db, "export", "--format", "jsonld", "-"])
    assert result.stdout == out_file.read_text(encoding="utf-8")
    g = Graph().parse(data=result.stdout, format="json-ld")
    records = [json.loads(line) for line in runner.invoke(main, ["--db", db, "export"]).stdout.splitlines()]
    vocabulary = parse({"@context": ld.context(), "@graph": ld.vocabulary_objects()})
    assert len(g) == len(vocabulary) + sum(map(expected_triples, records)) + 2
    assert (ID["ana"], RDFS.label, Literal("Ana", lang="qu")) in g
    assert (ID["beto"], RDFS.label, Literal("Beto")) in g  # no names: the display name, untagged
    assert (ID["src-1"], DCTERMS.date, Literal("1999-04", datatype=XSD.gYearMonth)) in g
    assert (ID["ana"], CRM.P74_has_current_or_former_residence, ID["pe"]) in g


# -- docs/linked-data.md -------------------------------------------------------------------

FENCE = re.compile(r"```([\w-]+)\n(.*?)```", re.S)


def doc_blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]


def test_docs_hold_the_mapping_tables() -> None:
    assert ld.render_mapping() in DOC.read_text(encoding="utf-8"), "docs/linked-data.md: paste ld.render_mapping()"


def _normalised(doc: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(doc, ensure_ascii=False)
    text = re.sub(r'"(generatedAtTime|modified)": "[^"]+"', r'"\1": "…"', text)
    return json.loads(text.replace("http://testserver/", "http://127.0.0.1:8000/"))


def test_docs_example_is_real_output(client: Client) -> None:
    (example,) = [text for lang, text in doc_blocks() if lang == "json"]
    shown = json.loads(example)
    node_id = shown["@graph"][0]["@id"].removeprefix("hgid:")
    assert _normalised(client.get(f"/ld/{node_id}").json()) == _normalised(shown)


def test_docs_sparql_examples_run(seeds_graph: Graph) -> None:
    found = doc_blocks()
    queries = [i for i, (lang, _) in enumerate(found) if lang == "sparql"]
    assert len(queries) >= 2
    for i in queries:
        rows = seeds_graph.query(found[i][1])
        got = [" | ".join(str(v) for v in row) for row in rows]  # type: ignore[union-attr]
        assert found[i + 1][0] == "text"
        assert got == found[i + 1][1].strip().splitlines()


def test_the_context_url_never_comes_from_the_host_header_and_answers_are_cacheable(seeded_store: Any) -> None:
    from heritage_graph.app import create_app
    from heritage_graph.settings import Settings

    from .conftest import Client

    for settings, want in ((Settings(), "/ld/context.jsonld"),
                           (Settings.from_env({"HERITAGE_PUBLIC_URL": "https://patrimonio.example.org/"}),
                            "https://patrimonio.example.org/ld/context.jsonld")):
        client = Client(create_app(settings, store=seeded_store))
        try:
            r = client.get("/ld/jesus-urbano-rojas", headers={"host": "evil.example"})
            assert r.status_code == 200 and r.json()["@context"] == want
            assert "evil" not in r.text
            assert r.headers["cache-control"].startswith("public") and r.headers["etag"]
            assert "Accept" in r.headers["vary"] and r.headers["access-control-allow-origin"] == "*"
            again = client.get("/ld/jesus-urbano-rojas", headers={"if-none-match": r.headers["etag"]})
            assert again.status_code == 304 and not again.content
            context = client.get("/ld/context.jsonld")
            assert context.headers["etag"] and context.headers["cache-control"].startswith("public")
            missing = client.get("/ld/no-such-record")
            assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store"
        finally:
            client.close()
    with pytest.raises(Exception, match="HERITAGE_PUBLIC_URL"):
        Settings.from_env({"HERITAGE_PUBLIC_URL": "javascript:alert(1)"})
