"""The curation workspace over HTTP (httpx against the ASGI app), on the embedded store and on Neo4j:
forms generated from the schema, the relation editor, the review workflow, conflicts and merging,
proposals, and the admins' pages. Each person is a client of their own (their own cookies)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import pytest

from heritage_graph import accounts, schema
from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store

from .conftest import PERSISTENT, Client, fresh_store
from .tools import form_fields

PASSWORD = "una clave bastante larga"
TEACHER = "jesus-urbano-rojas"


@pytest.fixture(scope="module", params=PERSISTENT)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Store]]:
    with fresh_store(request, tmp_path_factory.mktemp("curate")) as store:
        run_import(store, seed_files(), actor=SEED_ACTOR)
        for name, role in (("cura", "curator"), ("cura2", "curator"), ("revi", "reviewer"), ("jefa", "admin"),
                           ("lector", "researcher")):
            accounts.create_user(store, name, PASSWORD, role)
        app = create_app(Settings(), store=store)
        yield app, store


@pytest.fixture
def people(site: tuple[object, Store]) -> Iterator[dict[str, Client]]:
    app, _ = site
    clients: dict[str, Client] = {}

    class People(dict):  # type: ignore[type-arg]
        def __missing__(self, name: str) -> Client:
            c = clients[name] = Client(app)
            if name != "anon":
                page = c.get("/login")
                r = c.post("/login", data={"csrf": csrf(page.text), "username": name, "password": PASSWORD})
                assert r.status_code == 303, r.text
            self[name] = c
            return c

    yield People()
    for c in clients.values():
        c.close()


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def post(c: Client, page_url: str, action: str, data: dict[str, object]) -> object:
    """Post a form as a browser would: the CSRF token comes from the page the form is on."""
    token = csrf(c.get(page_url).text)
    return c.post(action, data={"csrf": token, **data})


def source_id(store: Store) -> str:
    return sorted(n.id for n in store.list_nodes("Source"))[0]


# -- who may come in --------------------------------------------------------------------------------------
def test_the_workspace_is_for_signed_in_staff(people: dict[str, Client]) -> None:
    r = people["anon"].get("/curate/new?kind=Craft")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/curate/new?kind=Craft"
    assert people["lector"].get("/curate").status_code == 403
    assert people["cura"].get("/curate").status_code == 200
    assert people["cura"].get("/curate/users").status_code == 403
    assert people["anon"].get("/curate/pick?q=retablo").status_code == 401


# -- forms from the schema -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(schema.KINDS))
def test_every_kind_s_form_has_an_input_for_every_property(people: dict[str, Client], kind: str) -> None:
    html = people["cura"].get(f"/curate/new?kind={kind}").text

    def inputs_for(prop: schema.Prop, path: str) -> None:
        if prop.type is schema.T.STRUCT:
            for f in prop.fields:
                inputs_for(f, f"{path}.{f.name}")
        elif prop.type is schema.T.STRUCT_LIST:  # one group per item, and an empty one to add
            for f in prop.fields:
                inputs_for(f, f"{path}.0.{f.name}")
        elif prop.type is schema.T.TEXT_MAP:
            assert f'name="{path}.es"' in html and f'name="{path}.qu"' in html, path
        else:
            assert f'name="{path}"' in html, path
            for value in prop.allowed or ():
                assert f'value="{value}"' in html, (path, value)

    for prop in schema.KINDS[kind].props:
        inputs_for(prop, f"properties.{prop.name}")
    for common in ("name", "names.es", "names.en", "summary.es", "confidence", "sensitivity"):
        assert f'name="{common}"' in html
    assert 'value="restricted"' not in html.split('name="sensitivity"')[1].split("</select>")[0]  # admins only
    assert 'value="restricted"' in people["jefa"].get(f"/curate/new?kind={kind}").text


def test_a_record_with_a_new_source_is_created_from_the_form(people: dict[str, Client],
                                                             site: tuple[object, Store]) -> None:
    _, store = site
    cited = source_id(store)
    r = post(people["cura"], "/curate/new?kind=Practitioner", "/curate/new", {
        "kind": "Practitioner", "name": "María Prueba Formulario", "names.es": "María Prueba Formulario",
        "names.qu": "María Pruebacha", "summary.es": "Retablista de prueba.", "confidence": "medium",
        "sensitivity": "public", "properties.birth_year": "1961", "properties.roles": "retablista\n\nmaestra\n",
        "properties.consent.status": "granted", "properties.consent.date": "2024-05",
        "properties.consent.scope": ["publication", "research"], "sources-shown": "1", "sources.add": cited,
        "source.title": "Entrevista de prueba", "source.url": "https://example.org/entrevista",
        "source.type": schema.SOURCE_TYPES[0]})
    assert r.status_code == 303, unescape(r.text)[:2000]
    node_id = r.headers["location"].split("/curate/records/")[1].split("?")[0]
    assert node_id.startswith("maria-prueba-formulario-")
    (node,) = store.get_nodes([node_id])
    assert (node.status, node.recorded_by, node.confidence) == ("draft", "cura", "medium")
    assert node.names == {"es": "María Prueba Formulario", "qu": "María Pruebacha"}
    assert node.properties["birth_year"] == 1961 and node.properties["roles"] == ["retablista", "maestra"]
    assert node.properties["consent"] == {"status": "granted", "date": "2024-05", "scope": ["publication", "research"]}
    assert cited in node.sources and len(node.sources) == 2
    (new_source,) = store.get_nodes([s for s in node.sources if s != cited])
    assert new_source.kind == "Source" and new_source.name == "Entrevista de prueba"
    assert new_source.properties["url"] == "https://example.org/entrevista"
    page = people["cura"].get(r.headers["location"])
    assert "María Prueba Formulario" in page.text and "Entrevista de prueba" in page.text


def test_bad_input_comes_back_with_every_problem_beside_its_input_and_nothing_written(
        people: dict[str, Client], site: tuple[object, Store]) -> None:
    _, store = site
    before = store.count_nodes()
    r = post(people["cura"], "/curate/new?kind=Practitioner", "/curate/new", {
        "kind": "Practitioner", "name": "Nombre Conservado", "sensitivity": "public",
        "properties.birth_year": "19x1", "properties.consent.date": "20", "properties.consent.status": "granted"})
    assert r.status_code == 400
    html = unescape(r.text)
    assert 'class="error-summary"' in html and 'href="#f-properties-birth_year"' in html
    assert re.search(r'id="f-properties-birth_year-error">[^<]*whole number', html)
    assert re.search(r'id="f-properties-consent-date-error">[^<]*YYYY', html)
    assert 'value="Nombre Conservado"' in html and 'value="19x1"' in html  # what was typed stays
    assert store.count_nodes() == before


# -- relations -----------------------------------------------------------------------------------------
def _new_draft(c: Client, name: str, kind: str = "Practitioner") -> str:
    r = post(c, f"/curate/new?kind={kind}", "/curate/new", {"kind": kind, "name": name, "sensitivity": "public"})
    assert r.status_code == 303, unescape(r.text)[:1500]
    return str(r.headers["location"]).split("/curate/records/")[1].split("?")[0]


def test_the_relation_editor_offers_only_what_the_schema_allows(people: dict[str, Client],
                                                                  site: tuple[object, Store]) -> None:
    _, store = site
    c = people["cura"]
    node_id = _new_draft(c, "Aprendiz De Prueba")
    page = c.get(f"/curate/records/{node_id}").text
    offered = set(re.findall(r'<option value="((?:out|in):[A-Z_]+)"', page))
    expected = {f"out:{r.name}" for r in schema.RELATION_TYPES if r.name not in schema.DERIVED_RELATIONS
                and "Practitioner" in r.from_kinds}
    expected |= {f"in:{r.name}" for r in schema.RELATION_TYPES if r.name not in schema.DERIVED_RELATIONS
                 and "Practitioner" in r.to_kinds and not r.both_field}
    assert offered == expected
    cited = source_id(store)
    r = post(c, f"/curate/records/{node_id}", f"/curate/records/{node_id}/relations", {
        "type": "out:LEARNED_FROM", "other": TEACHER, "sources": cited, "LEARNED_FROM.confidence": "high",
        "LEARNED_FROM.properties.period": "1980s", "PRACTITIONER_OF.confidence": "low"})
    assert r.status_code == 303, unescape(r.text)[:1500]
    (rel,) = [x for x in store.relations([node_id], "out", ["LEARNED_FROM"]) if x.to_id == TEACHER]
    assert (rel.confidence, rel.properties, rel.sources) == ("high", {"period": "1980s"}, (cited,))
    # A type the schema does not allow for this kind, and an end of the wrong kind, are refused.
    r = post(c, f"/curate/records/{node_id}", f"/curate/records/{node_id}/relations",
             {"type": "out:FEATURES", "other": TEACHER})
    assert r.status_code == 400 and "out:LEARNED_FROM" in unescape(r.text)
    r = post(c, f"/curate/records/{node_id}", f"/curate/records/{node_id}/relations",
             {"type": "out:LEARNED_FROM", "other": "retablo-ayacuchano"})
    assert r.status_code == 400 and "cannot go from Practitioner to Craft" in unescape(r.text)
    # Removing it.
    r = post(c, f"/curate/records/{node_id}", f"/curate/records/{node_id}/relations/remove",
             {"rel": "LEARNED_FROM", "from": node_id, "to": TEACHER, "version": str(rel.version)})
    assert r.status_code == 303
    assert not store.relations([node_id], "out", ["LEARNED_FROM"])


def test_the_picker_finds_what_the_session_may_see(people: dict[str, Client]) -> None:
    found = people["cura"].get("/curate/pick?q=Urbano&kinds=Practitioner").json()
    assert TEACHER in [f["id"] for f in found] and {f["kind"] for f in found} == {"Practitioner"}
    assert people["cura"].get(f"/curate/pick?q={TEACHER}").json()[0]["id"] == TEACHER


# -- the review workflow ------------------------------------------------------------------------------
def test_submit_reject_with_a_comment_fix_resubmit_approve_then_anyone_finds_it(
        people: dict[str, Client], site: tuple[object, Store]) -> None:
    _, store = site
    cura, revi, anon = people["cura"], people["revi"], people["anon"]
    node_id = _new_draft(cura, "Tejedora Flujo Completo")
    page = f"/curate/records/{node_id}"

    def act(c: Client, op: str, comment: str = "") -> object:
        (node,) = store.get_nodes([node_id])
        return post(c, page, f"{page}/workflow", {"op": op, "version": str(node.version), "comment": comment})

    assert act(cura, "approve").status_code == 403  # a curator may not approve
    assert act(cura, "submit").status_code == 303
    assert "Tejedora Flujo Completo" in revi.get("/curate").text  # in the reviewer's queue
    assert act(revi, "reject").status_code == 400  # a rejection needs a comment
    assert act(revi, "reject", "Falta la comunidad de origen.").status_code == 303
    dashboard = unescape(cura.get("/curate").text)
    returned = dashboard.split('id="h-returned"')[1].split("</section>")[0]
    assert "Tejedora Flujo Completo" in returned and "Falta la comunidad de origen." in returned
    (node,) = store.get_nodes([node_id])
    # A living person is public only with a consent basis (docs/outline.md): the fix records it.
    r = post(cura, f"{page}/edit", f"{page}/edit", {"version": str(node.version), "name": "Tejedora Flujo Completo",
                                                    "sensitivity": "public", "summary.es": "De Taquile.",
                                                    "properties.consent.basis": "given",
                                                    "properties.consent.evidence": "acta firmada, 2024"})
    assert r.status_code == 303, unescape(r.text)[:1500]
    assert act(cura, "submit").status_code == 303
    assert anon.get(f"/records/{node_id}").status_code == 404
    assert act(revi, "approve").status_code == 303
    assert store.get_nodes([node_id])[0].status == "published"
    assert anon.get(f"/records/{node_id}").status_code == 200


def test_a_stale_save_shows_the_conflict_page_and_merges_field_by_field(
        people: dict[str, Client], site: tuple[object, Store]) -> None:
    _, store = site
    a, b = people["cura"], people["cura2"]
    node_id = _new_draft(a, "Registro En Conflicto")
    edit = f"/curate/records/{node_id}/edit"
    form_a, form_b = a.get(edit).text, b.get(edit).text
    version = re.search(r'name="version" value="(\d+)"', form_a).group(1)  # type: ignore[union-attr]
    r = b.post(edit, data={"csrf": csrf(form_b), "version": version, "name": "Registro En Conflicto",
                           "sensitivity": "public", "summary.es": "Resumen de B.", "confidence": "low"})
    assert r.status_code == 303
    r = a.post(edit, data={"csrf": csrf(form_a), "version": version, "name": "Registro En Conflicto (A)",
                           "sensitivity": "public", "summary.es": "Resumen de A."})
    assert r.status_code == 409
    html = unescape(r.text)
    rows = dict(re.findall(r'name="pick\.([a-z_.]+)" value="(mine|theirs)" checked', html))
    # A changed name and summary (theirs kept where A changed nothing: confidence).
    assert rows == {"name": "mine", "summary": "mine", "confidence": "theirs"}
    (node,) = store.get_nodes([node_id])
    assert node.summary == {"es": "Resumen de B."} and node.name == "Registro En Conflicto"  # nothing of A written
    mine = re.search(r'name="mine" value="([^"]*)"', r.text).group(1)  # type: ignore[union-attr]
    r = a.post(f"/curate/records/{node_id}/merge", data={
        "csrf": csrf(r.text), "version": str(node.version), "mine": unescape(mine),
        "pick.name": "mine", "pick.summary": "theirs", "pick.confidence": "theirs"})
    assert r.status_code == 303, unescape(r.text)[:1500]
    (node,) = store.get_nodes([node_id])
    assert (node.name, node.summary, node.confidence) == ("Registro En Conflicto (A)", {"es": "Resumen de B."}, "low")


def test_a_curator_s_edit_of_a_published_record_is_a_proposal_a_reviewer_approves(
        people: dict[str, Client], site: tuple[object, Store]) -> None:
    _, store = site
    (craft,) = store.get_nodes(["retablo-ayacuchano"])
    edit = "/curate/records/retablo-ayacuchano/edit"
    form = people["cura"].get(edit).text
    assert '<p class="notice">' in form  # "your changes will be proposed to a reviewer"
    data = form_fields(form, edit) | {"names.en": ["Ayacucho retablo (proposed)"]}
    r = people["cura"].post(edit, data=data)
    assert r.status_code == 303 and r.headers["location"].endswith("done=proposed"), unescape(r.text)[:3000]
    assert store.get_nodes(["retablo-ayacuchano"])[0].version == craft.version  # unchanged until approved
    queue = people["revi"].get("/curate").text
    pid = re.search(r'href="/curate/proposals/([^"]+)">[^<]*Retablo', queue)
    assert pid, queue
    r = post(people["revi"], f"/curate/proposals/{pid.group(1)}", f"/curate/proposals/{pid.group(1)}",
             {"op": "approve"})
    assert r.status_code == 303, unescape(r.text)[:1500]
    (after,) = store.get_nodes(["retablo-ayacuchano"])
    assert after.names["en"] == "Ayacucho retablo (proposed)" and after.properties == craft.properties


# -- admins ------------------------------------------------------------------------------------------------
def test_admins_manage_users_and_tokens_while_the_service_runs(people: dict[str, Client],
                                                               site: tuple[object, Store]) -> None:
    _, store = site
    jefa, cura2 = people["jefa"], people["cura2"]
    assert cura2.get("/curate").status_code == 200
    r = post(jefa, "/curate/users", "/curate/users", {"username": "nueva", "password": "corta", "role": "curator"})
    assert r.status_code == 400 and "12 characters" in unescape(r.text)
    r = post(jefa, "/curate/users", "/curate/users", {"username": "nueva", "password": PASSWORD, "role": "curator"})
    assert r.status_code == 303 and store.user_by_name("nueva") is not None
    r = post(jefa, "/curate/users", "/curate/users/cura2/disable", {})
    assert r.status_code == 303 and store.user_by_name("cura2").disabled  # type: ignore[union-attr]
    assert cura2.get("/curate").status_code == 303  # its session ended: back to sign-in
    post(jefa, "/curate/users", "/curate/users/cura2/enable", {})
    r = post(jefa, "/curate/tokens", "/curate/tokens", {"role": "researcher", "name": "App de turismo"})
    assert r.status_code == 201
    secret = re.search(r"hg_[A-Za-z0-9_-]{43}", r.text)
    assert secret and secret.group(0) not in jefa.get("/curate/tokens").text  # shown once
    token = next(t for t in store.list_tokens() if t.name == "App de turismo")
    r = post(jefa, "/curate/tokens", f"/curate/tokens/{token.id}/revoke", {})
    assert r.status_code == 303
    assert next(t for t in store.list_tokens() if t.id == token.id).revoked
    assert post(people["revi"], "/curate", "/curate/tokens", {"role": "admin"}).status_code == 403


def test_lists_of_objects_are_edited_item_by_item(people: dict[str, Client], site: tuple[object, Store]) -> None:
    """Alternate names, threats, declarations: a group of inputs per item, one more to add, and a problem in
    an item shown beside that item's input."""
    _, store = site
    c = people["cura"]
    r = post(c, "/curate/new?kind=Tradition", "/curate/new", {
        "kind": "Tradition", "name": "Fiesta Con Listas", "sensitivity": "public",
        "properties.alt_names.0.name": "Raymi Listakuna", "properties.alt_names.0.lang": "qu",
        "properties.alt_names.0.type": "community", "properties.alt_names.1.name": "",
        "properties.threats.0.threat": "Migración", "properties.threats.0.to": "transmission",
        "properties.threats.0.date": "2019-13"})
    assert r.status_code == 400
    assert re.search(r'id="f-properties-threats-0-date-error">[^<]*YYYY', unescape(r.text)), unescape(r.text)[:3000]
    assert 'value="Raymi Listakuna"' in r.text
    form = form_fields(r.text, "/curate/new") | {"properties.threats.0.date": ["2019-03"]}
    r = c.post("/curate/new", data=form)
    assert r.status_code == 303, unescape(r.text)[:2000]
    node_id = str(r.headers["location"]).split("/curate/records/")[1].split("?")[0]
    (node,) = store.get_nodes([node_id])
    assert node.properties["alt_names"] == [{"name": "Raymi Listakuna", "lang": "qu", "type": "community"}]
    assert node.properties["threats"] == [{"threat": "Migración", "to": "transmission", "date": "2019-03"}]
    edit = c.get(f"/curate/records/{node_id}/edit").text
    assert 'name="properties.alt_names.1.name"' in edit and 'value="Raymi Listakuna"' in edit


# -- an admin's upload --------------------------------------------------------------------------------------
def _workbook(rows: dict[str, list[list[object]]]) -> bytes:
    """A workbook with every sheet (headers only) but those given."""
    import io

    import openpyxl

    from heritage_graph.sheets import layout

    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in layout.sheets():
        ws = book.create_sheet(sheet.name)
        for line in rows.get(sheet.name, [["id", "name"] if sheet.node else ["from", "to"]]):
            ws.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(c: Client, name: str, data: bytes) -> object:
    token = csrf(c.get("/curate/import").text)
    return c.post("/curate/import", data={"csrf": token}, files={"file": (name, data, "application/octet-stream")})


def test_an_admin_uploads_a_workbook_sees_the_report_and_imports_drafts(people: dict[str, Client],
                                                                        site: tuple[object, Store]) -> None:
    _, store = site
    assert people["cura"].get("/curate/import").status_code == 403
    assert 'href="/curate/import"' in people["jefa"].get("/curate").text
    place = sorted(n.id for n in store.list_nodes("Place"))[0]
    before = store.count_nodes()

    bad = _workbook({"Practitioner": [["id", "name", "birth_year"], ["subida-uno", "Subida Uno", "pronto"]],
                     "LOCATED_IN": [["from", "to"], ["subida-uno", "ningun-lugar"]]})
    r = upload(people["jefa"], "inventario.xlsx", bad)
    text = unescape(r.text)
    assert r.status_code == 400
    assert "inventario.xlsx:Practitioner:2:birth_year: expected a whole number" in text
    assert "inventario.xlsx:LOCATED_IN:2:to: node 'ningun-lugar' does not exist" in text
    assert store.count_nodes() == before

    good = _workbook({"Practitioner": [["id", "name", "name@es", "birth_year", "status"],
                                       ["subida-uno", "Subida Uno", "Subida Uno", 1961.0, "published"]],
                      "LOCATED_IN": [["from", "to"], ["subida-uno", place]]})
    r = upload(people["jefa"], "inventario.xlsx", good)
    assert r.status_code == 200 and 'name="upload"' in r.text, unescape(r.text)[:2000]
    assert store.count_nodes() == before, "checking writes nothing"
    key = re.search(r'name="upload" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    page = people["jefa"].get("/curate/import").text
    assert people["cura"].post("/curate/import/confirm", data={"csrf": csrf(people["cura"].get("/curate").text),
                                                               "upload": key}).status_code == 403
    r = people["jefa"].post("/curate/import/confirm", data={"csrf": csrf(page), "upload": key})
    assert r.status_code == 200 and 'class="done"' in r.text
    (node,) = store.get_nodes(["subida-uno"])
    assert (node.status, node.recorded_by, node.properties["birth_year"]) == ("draft", "jefa", 1961)
    assert [r.to_id for r in store.relations(["subida-uno"], "out", ["LOCATED_IN"])] == [place]
    r = people["jefa"].post("/curate/import/confirm", data={"csrf": csrf(page), "upload": key})
    assert r.status_code == 410, "an upload is imported once"
    assert "Subida Uno" in people["jefa"].get("/curate").text, "among the admin's drafts"

    again = upload(people["jefa"], "inventario.xlsx", good)
    assert again.status_code == 200 and 'name="upload"' not in again.text, "nothing left to import"


def test_an_upload_never_changes_a_published_record(people: dict[str, Client], site: tuple[object, Store]) -> None:
    _, store = site
    (published,) = store.get_nodes([TEACHER])
    line = json.dumps({"kind": "Practitioner", "id": TEACHER, "name": "Otro nombre"}) + "\n"
    r = upload(people["jefa"], "cambios.jsonl", line.encode())
    assert r.status_code == 400 and f"cambios.jsonl:1: id '{TEACHER}' is published in the store" in unescape(r.text)
    assert store.get_nodes([TEACHER])[0] == published
    r = upload(people["jefa"], "notas.txt", b"hello")
    assert r.status_code == 400 and "upload a workbook (.xlsx) or a JSON Lines file" in r.text


def test_an_admin_downloads_the_inventory_as_a_workbook_json_lines_or_the_template(
        people: dict[str, Client], site: tuple[object, Store]) -> None:
    import io

    import openpyxl

    from heritage_graph.services.exporter import export_lines

    _, store = site
    jefa = people["jefa"]
    r = jefa.get("/curate/export?format=jsonl")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert "no-store" in r.headers["cache-control"]
    assert r.text == "".join(export_lines(store))
    r = jefa.get("/curate/export?format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert {"Practitioner", "SafeguardingMeasure", "LEARNED_FROM"} <= set(book.sheetnames)
    practitioners = sum(1 for _ in book["Practitioner"].iter_rows(min_row=2))
    assert practitioners == len(list(store.list_nodes("Practitioner")))
    r = jefa.get("/curate/export?format=template")
    template = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert sum(1 for _ in template["Practitioner"].iter_rows(min_row=2)) == 0
    assert jefa.get("/curate/export?format=pdf").status_code == 400
    assert people["revi"].get("/curate/export?format=jsonl").status_code == 403
    assert people["anon"].get("/curate/export?format=jsonl").status_code == 303
