"""Heritage fidelity (issue 14): the UNESCO outline's fields on every store, the consent rule on every read
path, fields withheld without hiding the record, the safeguarding relations, and the periodic report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from heritage_graph import schema
from heritage_graph.app import create_app
from heritage_graph.cli import main
from heritage_graph.errors import InvalidInput
from heritage_graph.interchange import node_to_json, parse_record
from heritage_graph.model import Node, Relation
from heritage_graph.services import unesco_report
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.tokens import create_token
from heritage_graph.visibility import EVERYTHING, PUBLIC, Gate

from .conftest import Client

SRC = Node("Source", "src-f", "Fuente", properties={"title": "Fuente", "url": "https://example.org/f", "type": "web",
                                                    "accessed": "2024-05-01", "licence": "CC-BY-4.0",
                                                    "rights": "Ministerio de Cultura"})
ELEMENT = Node("Tradition", "fiesta-f", "Fiesta de prueba", properties={
    "alt_names": [{"name": "Raymi de prueba", "lang": "qu", "type": "community", "orthography": "Quechua (1985)"},
                  {"name": "Fiesta antigua", "lang": "es", "type": "former"}],
    "languages": ["qu", "es"], "objects": ["máscara", "pututu"], "spaces": ["plaza de armas"],
    "origin": "Contada como nacida de una promesa.", "transmission": "En las familias de los cargos.",
    "unesco": {"list": "representative", "year": 2015, "element_no": "01056", "decision": "10.COM 10.b.29",
               "states": ["Peru"], "former_names": ["Fiesta antigua"]},
    "declarations": [{"level": "national", "body": "Ministerio de Cultura", "resolution": "RVM 1-2010",
                      "date": "2010-03-01"}, {"level": "regional", "body": "Gobierno Regional", "year": 2012}],
    "threats": [{"threat": "Migración de los jóvenes", "to": "transmission", "date": "2019", "source": "src-f"}],
    "consent": {"basis": "given", "evidence": "acta de asamblea", "date": "2014", "review_date": "2024",
                "status": "granted", "scope": ["publication"]},
    "access_rules": "Los cantos del tercer día no se graban.",
    "gathering": {"date": "2013-08", "place": "Chivay", "gathered_by": "DDC Arequipa",
                  "resource_persons": ["María", "José"], "consent": "oral, en asamblea"},
    "field_sources": [{"field": "origin", "sources": ["src-f"], "note": "p. 12"}],
}, sources=("src-f",))
MEASURE = Node("SafeguardingMeasure", "medida-f", "Fondo de salvaguardia de prueba", properties={
    "type": "grant", "started": "2024-07", "amount": 99500.0, "currency": "USD", "outcome": "Talleres en escuelas"},
    sources=("src-f",))
ORG = Node("Organization", "org-f", "Asociación de prueba", properties={"type": "association"})
LIVING = Node("Practitioner", "viva-f", "Maestra Viva De Prueba", properties={"birth_year": 1950}, sources=("src-f",))
PUBLISHED = Node("Practitioner", "publica-f", "Maestro Publicado De Prueba",
                 properties={"birth_year": 1940, "consent": {"basis": "published-source", "evidence": "src-f"}},
                 sources=("src-f",))
DEAD = Node("Practitioner", "difunto-f", "Maestro Difunto De Prueba", properties={
    "birth_year": 1900, "death_year": 1980, "roles": ["tintorero"]})
RULED = Node("Tradition", "canto-f", "Canto Reservado De Prueba", properties={"access_rules": "Solo los mayores."})
WITHHELD = Node("Practitioner", "reservada-f", "Tejedora Con Datos Reservados", properties={
    "birth_year": 1961, "community_role": "Taller en Calle Escondida 123", "gender": "mujer",
    "roles": ["tintorera"], "restricted_fields": ["birth_year", "community_role", "roles"],
    "consent": {"basis": "given"}}, sources=("src-f",))
NODES = [SRC, ELEMENT, MEASURE, ORG, LIVING, PUBLISHED, DEAD, RULED, WITHHELD]
RELS = [Relation("SAFEGUARDS", "medida-f", "fiesta-f", sources=("src-f",)),
        Relation("CARRIES_OUT", "org-f", "medida-f"),
        Relation("SAFEGUARDS", "org-f", "fiesta-f"),
        Relation("LEARNED_FROM", "viva-f", "difunto-f", properties={"consent": {"basis": "given", "date": "2020"}})]


def test_every_new_field_round_trips_through_each_store(store: Store) -> None:
    store.write(NODES, RELS)
    for node in NODES:
        (back,) = store.get_nodes([node.id])
        assert node_to_json(back)["properties"] == node_to_json(node).get("properties", {}), node.id
    (rel,) = [r for r in store.relations(["viva-f"], "out", ["LEARNED_FROM"])]
    assert rel.properties["consent"] == {"basis": "given", "date": "2020"}


def test_a_living_person_or_restricted_knowledge_without_a_consent_basis_is_not_public(store: Store) -> None:
    store.write(NODES, RELS)
    public = {n.id for k in ("Practitioner", "Tradition") for n in store.list_nodes(k, visibility=PUBLIC)}
    assert {"publica-f", "difunto-f", "fiesta-f", "reservada-f"} <= public
    assert not {"viva-f", "canto-f"} & public
    staff = {n.id for n in store.list_nodes("Practitioner", visibility=EVERYTHING)}
    assert "viva-f" in staff
    gate = Gate(store, PUBLIC)
    assert gate.visible(["viva-f", "canto-f", "publica-f"]) == {"publica-f"}


def test_field_names_of_restrictions_and_field_sources_are_checked() -> None:
    data = node_to_json(WITHHELD)
    data["properties"]["restricted_fields"] = ["birth_year", "shoe_size", "consent"]
    data["properties"]["field_sources"] = [{"field": "colour", "sources": ["src-f"]}]
    record, errors = parse_record(data)
    assert record is None
    assert any("restricted_fields[1]" in e and '"shoe_size"' in e and "birth_year" in e for e in errors), errors
    assert any("restricted_fields[2]" in e and '"consent"' in e for e in errors), errors
    assert any("field_sources[0].field" in e and '"colour"' in e for e in errors), errors


def test_the_new_relations_take_only_their_endpoints() -> None:
    for rel, start, end in [("SAFEGUARDS", "Practitioner", "Tradition"), ("CARRIES_OUT", "Organization", "Craft"),
                            ("SAFEGUARDS", "SafeguardingMeasure", "Place")]:
        assert not schema.RELATIONS[rel].allows(start, end)
    assert schema.RELATIONS["SAFEGUARDS"].allows("Organization", "Recipe")
    assert schema.RELATIONS["CARRIES_OUT"].allows("Community", "SafeguardingMeasure")


# -- every read path -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Store, str]]:
    store = LadybugStore(tmp_path_factory.mktemp("fidelity") / "db").open()
    store.init()
    store.write(NODES, RELS)
    secret, _ = create_token(store, "curator", name="curadora")
    client = Client(create_app(Settings(), store=store))
    yield client, store, secret
    client.close()
    store.close()


QUERY = """query($id: ID!) { node(id: $id) { name ... on Practitioner { birthYear gender communityRole
  restrictedFields } } }"""


def test_withheld_fields_stay_out_of_graphql_pages_linked_data_and_search(site: tuple[Client, Store, str]) -> None:
    client, _, secret = site
    anon = client.post("/graphql", json={"query": QUERY, "variables": {"id": "reservada-f"}}).json()["data"]["node"]
    assert anon["name"] == "Tejedora Con Datos Reservados" and anon["gender"] == "mujer"
    assert anon["birthYear"] is None and anon["communityRole"] is None
    staff = client.post("/graphql", json={"query": QUERY, "variables": {"id": "reservada-f"}},
                        headers={"authorization": f"Bearer {secret}"}).json()["data"]["node"]
    assert staff["birthYear"] == 1961 and staff["communityRole"] == "Taller en Calle Escondida 123"
    page = client.get("/records/reservada-f").text
    assert "Tejedora Con Datos Reservados" in page and "1961" not in page and "Escondida" not in page
    ld = client.get("/ld/reservada-f").text
    assert "1961" not in ld and "Escondida" not in ld
    # A search cannot find a record by what it withholds; the same word where it is not withheld is found.
    found = client.post("/graphql", json={"query": '{ search(query: "tintorer") { edges { node { id } } } }'})
    assert [e["node"]["id"] for e in found.json()["data"]["search"]["edges"]] == ["difunto-f"]


def test_the_consent_rule_holds_over_http(site: tuple[Client, Store, str]) -> None:
    client, _, secret = site
    assert client.get("/records/viva-f").status_code == 404
    assert client.get("/records/publica-f").status_code == 200
    q = {"query": '{ node(id: "viva-f") { name } }'}
    assert client.post("/graphql", json=q).json()["data"]["node"] is None
    assert client.post("/graphql", json=q, headers={"authorization": f"Bearer {secret}"}).json()["data"]["node"]
    assert "Maestra Viva" not in client.get("/search?q=Maestra").text


# -- the periodic report ----------------------------------------------------------------------------------
def test_the_report_assembles_every_section_and_flags_the_empty_ones(site: tuple[Client, Store, str]) -> None:
    _, store, _ = site
    found = unesco_report.assemble(store, Gate(store, EVERYTHING), "fiesta-f")
    sections = {s.key: s for s in found.sections}
    assert "01056" in sections["inscription"].lines[0] and "10.COM 10.b.29" in sections["inscription"].lines[0]
    assert any("regional declaration" in line.lower() for line in sections["inscription"].lines)
    assert "Migración de los jóvenes" in sections["viability"].lines[0]
    assert "Fondo de salvaguardia de prueba" in sections["safeguarding"].lines[0]
    assert "99,500 USD" in sections["safeguarding"].lines[0]
    assert {d["id"] for d in sections["organizations"].data} == {"org-f"}
    assert sections["communities"].empty and "E. Communities, groups and practitioners" in found.gaps
    assert "acta de asamblea" in sections["consent"].lines[0]
    assert [s["id"] for s in sections["sources"].data] == ["src-f"]
    md = unesco_report.markdown(found)
    assert "## E. Communities, groups and practitioners\n\n**No data**" in md
    with pytest.raises(InvalidInput, match="not recorded as inscribed"):
        unesco_report.assemble(store, Gate(store, EVERYTHING), "canto-f")
    with pytest.raises(InvalidInput, match="is a Practitioner"):
        unesco_report.assemble(store, Gate(store, EVERYTHING), "publica-f")


def test_the_report_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = LadybugStore(db).open()
    store.init()
    store.write(NODES, RELS)
    store.close()
    result = CliRunner().invoke(main, ["--db", str(db), "report", "unesco", "fiesta-f", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["form"] == "ICH-10" and data["gaps"] == ["E. Communities, groups and practitioners"]
    assert "no data for: E. Communities" in result.stderr
    result = CliRunner().invoke(main, ["--db", str(db), "report", "unesco", "nada"])
    assert result.exit_code == 1 and "no record has the id 'nada'" in result.stderr
