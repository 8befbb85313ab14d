"""Curation over HTTP, as ministry staff would use it: tokens and roles, drafts,
review, conflicts, history, consent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.tokens import create_token

from .conftest import PERSISTENT, Client, fresh_store
from .tools import running_service

SAVED = """fragment saved on NodeResult {
  __typename
  ... on NodeSaved { node { id status version name sources { id } } revision { op actor version before after } }
  ... on InvalidInputError { message problems { field message } }
  ... on VersionConflict { message currentVersion currentNode { id version name } }
  ... on NotFoundError { message }
  ... on ForbiddenError { message }
}"""
CREATE = SAVED + """
mutation($input: NodeInput!, $reason: String) { createNode(input: $input, reason: $reason) { ...saved } }"""
UPDATE = SAVED + """
mutation($id: ID!, $v: Int!, $patch: NodePatch!, $reason: String) {
  updateNode(id: $id, expectedVersion: $v, patch: $patch, reason: $reason) { ...saved } }"""
SUBMIT = SAVED + "mutation($id: ID!, $v: Int!) { submitForReview(id: $id, expectedVersion: $v) { ...saved } }"
APPROVE = SAVED + "mutation($id: ID!, $v: Int!) { approve(id: $id, expectedVersion: $v, comment: \"ok\") { ...saved } }"
REJECT = SAVED + """mutation($id: ID!, $v: Int!, $c: String!) {
  reject(id: $id, expectedVersion: $v, comment: $c) { ...saved } }"""
RETIRE = SAVED + "mutation($id: ID!, $v: Int!) { retireNode(id: $id, expectedVersion: $v) { ...saved } }"
CONSENT = SAVED + """mutation($id: ID!, $v: Int!, $c: ConsentInput) {
  setConsent(id: $id, expectedVersion: $v, consent: $c, reason: "assembly decision") { ...saved } }"""
HISTORY = "query($id: ID!) { history(id: $id) { op actor at version reason before after target } }"
NODE = "query($id: ID!) { node(id: $id) { id status version name } }"

NEW = {"kind": "TRADITION", "id": "fiesta-de-prueba", "name": "Fiesta de prueba",
       "names": [{"lang": "es", "text": "Fiesta de prueba"}, {"lang": "en", "text": "Test festival"}],
       "properties": {"category": "festival", "domains": ["social-practices"]},
       "sources": ["src-unesco-culture-ich-en-rl-00166"], "confidence": "MEDIUM"}


class Api:
    def __init__(self, client: Client, secret: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def __call__(self, query: str, **variables: object) -> dict:
        r = self.client.post("/graphql", json={"query": query, "variables": variables}, headers=self.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture(scope="module", params=PERSISTENT)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Api]]:
    with fresh_store(request, tmp_path_factory.mktemp("curation")) as store:
        yield from seeded_world(store)


def seeded_world(store: Store) -> Iterator[dict[str, Api]]:
    """The seeds on a fresh store, and a client for each role (named "<role>-ana")."""
    run_import(store, seed_files(), actor=SEED_ACTOR)
    client = Client(create_app(Settings(), store=store))
    apis = {"anonymous": Api(client, None)}
    for role in ("researcher", "curator", "reviewer", "admin"):
        secret, _ = create_token(store, role, name=f"{role}-ana")
        apis[role] = Api(client, secret)
    secret, _ = create_token(store, "researcher", community="comunidad-taquile", name="taquile-researcher")
    apis["taquile"] = Api(client, secret)
    apis["_store"] = store  # type: ignore[assignment]
    yield apis
    client.close()


def test_draft_review_publish_and_history(world: dict[str, Api]) -> None:
    curator, reviewer, anon = world["curator"], world["reviewer"], world["anonymous"]
    made = curator(CREATE, input=NEW, reason="field survey 2026")["createNode"]
    assert made["__typename"] == "NodeSaved"
    assert made["node"]["status"] == "DRAFT" and made["node"]["version"] == 1
    assert anon(NODE, id="fiesta-de-prueba") == {"node": None}, "drafts are not public"
    assert curator(NODE, id="fiesta-de-prueba")["node"]["status"] == "DRAFT"

    edited = curator(UPDATE, id="fiesta-de-prueba", v=1, patch={"name": "Fiesta de la prueba"},
                     reason="spelling")["updateNode"]
    assert edited["node"]["version"] == 2 and edited["node"]["name"] == "Fiesta de la prueba"
    submitted = curator(SUBMIT, id="fiesta-de-prueba", v=2)["submitForReview"]
    assert submitted["node"]["status"] == "IN_REVIEW"
    rejected = reviewer(REJECT, id="fiesta-de-prueba", v=3, c="add the district")["reject"]
    assert rejected["node"]["status"] == "DRAFT"
    curator(SUBMIT, id="fiesta-de-prueba", v=4)
    approved = reviewer(APPROVE, id="fiesta-de-prueba", v=5)["approve"]
    assert approved["node"]["status"] == "PUBLISHED" and approved["node"]["version"] == 6
    assert anon(NODE, id="fiesta-de-prueba")["node"]["status"] == "PUBLISHED"

    history = curator(HISTORY, id="fiesta-de-prueba")["history"]
    assert [h["op"] for h in history] == ["create", "update", "submit", "reject", "submit", "approve"]
    assert [h["version"] for h in history] == [1, 2, 3, 4, 5, 6]
    assert history[0]["before"] is None and history[0]["after"]["name"] == "Fiesta de prueba"
    assert history[1]["before"]["name"] == "Fiesta de prueba" and history[1]["after"]["name"] == "Fiesta de la prueba"
    assert history[3]["reason"] == "add the district"
    assert {h["actor"] for h in history} == {"curator-ana", "reviewer-ana"}
    assert history == sorted(history, key=lambda h: h["at"])

    as_of = curator("query($id: ID!, $t: DateTime!) { node(id: $id, asOf: $t) { name version status } }",
                    id="fiesta-de-prueba", t=history[0]["at"])["node"]
    assert as_of == {"name": "Fiesta de prueba", "version": 1, "status": "DRAFT"}
    before = curator("query($id: ID!) { node(id: $id, asOf: \"2000-01-01T00:00:00Z\") { id } }",
                     id="fiesta-de-prueba")
    assert before == {"node": None}


def _token(db: Path, role: str, name: str) -> str:
    from click.testing import CliRunner

    from heritage_graph.cli import main

    out = CliRunner().invoke(main, ["--db", str(db), "token", "create", "--role", role, "--name", name])
    assert out.exit_code == 0, out.output
    return next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("token"))


def test_two_curators_edit_at_once_one_wins_one_conflicts(tmp_path: Path) -> None:
    """Against the real server (uvicorn, the embedded store): two requests in flight together."""
    db = tmp_path / "db"
    tokens = [_token(db, "curator", "ana"), _token(db, "curator", "beto")]
    with running_service(db) as server:
        def call(secret: str, query: str, **variables: object) -> dict:
            r = httpx.post(f"{server.base}/graphql", json={"query": query, "variables": variables},
                           headers={"Authorization": f"Bearer {secret}"}, timeout=30)
            assert r.status_code == 200, r.text
            return r.json()["data"]

        created = call(tokens[0], CREATE, input={**NEW, "id": "fiesta-concurrente"})["createNode"]
        version = created["node"]["version"]

        async def both(round_: int) -> list[dict]:
            async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
                async def edit(secret: str, name: str) -> dict:
                    r = await client.post("/graphql", headers={"Authorization": f"Bearer {secret}"}, json={
                        "query": UPDATE, "variables": {"id": "fiesta-concurrente", "v": version,
                                                       "patch": {"name": name}}})
                    return r.json()["data"]["updateNode"]
                return list(await asyncio.gather(edit(tokens[0], f"Primera {round_}"),
                                                 edit(tokens[1], f"Segunda {round_}")))

        for round_ in range(5):  # the race, several times over
            results = asyncio.run(both(round_))
            kinds = sorted(r["__typename"] for r in results)
            assert kinds == ["NodeSaved", "VersionConflict"], results
            won = next(r for r in results if r["__typename"] == "NodeSaved")
            lost = next(r for r in results if r["__typename"] == "VersionConflict")
            assert lost["currentVersion"] == version + 1
            assert lost["currentNode"] == {"id": "fiesta-concurrente", "version": version + 1,
                                           "name": won["node"]["name"]}
            assert call(tokens[0], NODE, id="fiesta-concurrente")["node"]["name"] == won["node"]["name"]
            version += 1
        history = call(tokens[0], HISTORY, id="fiesta-concurrente")["history"]
        assert [h["op"] for h in history] == ["create"] + ["update"] * 5, "no losing edit left a trace"


def test_stale_version_is_a_conflict(world: dict[str, Api]) -> None:
    curator = world["curator"]
    curator(CREATE, input={**NEW, "id": "fiesta-vieja"})
    curator(UPDATE, id="fiesta-vieja", v=1, patch={"name": "Nueva"})
    stale = curator(UPDATE, id="fiesta-vieja", v=1, patch={"name": "Otra"})["updateNode"]
    assert stale["__typename"] == "VersionConflict" and stale["currentVersion"] == 2
    assert stale["currentNode"]["name"] == "Nueva"


@pytest.mark.parametrize(("role", "query", "variables", "expected"), [
    ("anonymous", CREATE, {"input": {**NEW, "id": "x-anon"}}, "ForbiddenError"),
    ("researcher", CREATE, {"input": {**NEW, "id": "x-res"}}, "ForbiddenError"),
    ("curator", APPROVE, {"id": "retablo-ayacuchano", "v": 1}, "ForbiddenError"),
    ("curator", UPDATE, {"id": "retablo-ayacuchano", "v": 1, "patch": {"name": "x"}}, "ChangeProposed"),
    ("curator", RETIRE, {"id": "retablo-ayacuchano", "v": 1}, "ForbiddenError"),
    ("curator", CREATE, {"input": {**NEW, "id": "x-pub", "status": "PUBLISHED"}}, "ForbiddenError"),
    ("curator", CREATE, {"input": {**NEW, "id": "x-restricted", "sensitivity": "RESTRICTED"}}, "ForbiddenError"),
    ("reviewer", UPDATE, {"id": "no-such-record", "v": 1, "patch": {"name": "x"}}, "NotFoundError"),
    ("reviewer", SUBMIT, {"id": "retablo-ayacuchano", "v": 1}, "InvalidInputError"),
])
def test_each_role_gets_what_it_may(world: dict[str, Api], role: str, query: str, variables: dict,
                                    expected: str) -> None:
    data = world[role](query, **variables)
    assert next(iter(data.values()))["__typename"] == expected


def test_invalid_input_names_field_and_allowed_values(world: dict[str, Api]) -> None:
    bad = world["curator"](CREATE, input={**NEW, "id": "fiesta-mala", "properties": {"category": "party",
                                                                                      "colour": "red"}})["createNode"]
    assert bad["__typename"] == "InvalidInputError"
    fields = {p["field"]: p["message"] for p in bad["problems"]}
    assert "allowed values: FESTIVAL, DANCE" in fields["properties.category"]  # as reads spell them
    assert "unknown property for Tradition" in fields["properties.colour"]
    bad_id = world["curator"](CREATE, input={**NEW, "id": "Bad Id"})["createNode"]
    assert bad_id["problems"][0]["field"] == "id"
    taken = world["curator"](CREATE, input={**NEW, "id": "retablo-ayacuchano"})["createNode"]
    # the curator can read the published record, so it is told the id is taken, not a version conflict
    assert taken["__typename"] == "InvalidInputError"
    assert taken["problems"][0]["field"] == "id" and "already exists" in taken["problems"][0]["message"]


def test_a_reviewer_edits_published_records_and_retires_them(world: dict[str, Api]) -> None:
    reviewer, anon = world["reviewer"], world["anonymous"]
    v = reviewer(NODE, id="ceviche")["node"]["version"]
    edited = reviewer(UPDATE, id="ceviche", v=v, patch={"properties": {"occasion": "todo el año"}})["updateNode"]
    assert edited["__typename"] == "NodeSaved"
    retired = reviewer(RETIRE, id="ceviche", v=v + 1)["retireNode"]
    assert retired["node"]["status"] == "RETIRED"
    assert anon(NODE, id="ceviche") == {"node": None}
    assert anon('{ search(query: "ceviche") { edges { node { id } } } }')["search"]["edges"] == [] or all(
        e["node"]["id"] != "ceviche" for e in anon('{ search(query: "ceviche") { edges { node { id } } } }')
        ["search"]["edges"])


def test_consent_withdrawal_hides_the_record_at_once(world: dict[str, Api]) -> None:
    curator, admin, anon = world["curator"], world["admin"], world["anonymous"]
    v = curator(NODE, id="taquile-textile-art")["node"]["version"]
    done = curator(CONSENT, id="taquile-textile-art", v=v,
                   c={"status": "WITHDRAWN", "givenBy": "Asamblea comunal de Taquile", "date": "2026-11"})
    assert done["setConsent"]["__typename"] == "NodeSaved"
    for reader in (anon, curator):
        assert reader(NODE, id="taquile-textile-art") == {"node": None}
        hits = reader('{ search(query: "taquile") { edges { node { id } } } }')["search"]["edges"]
        assert "taquile-textile-art" not in {h["node"]["id"] for h in hits}
    assert admin(NODE, id="taquile-textile-art")["node"]["id"] == "taquile-textile-art"
    history = admin(HISTORY, id="taquile-textile-art")["history"]
    assert history[-1]["op"] == "consent" and history[-1]["after"]["properties"]["consent"]["status"] == "withdrawn"
    restored = admin(CONSENT, id="taquile-textile-art", v=v + 1, c={"status": "GRANTED", "scope": ["PUBLICATION"]})
    assert restored["setConsent"]["node"]["version"] == v + 2
    assert anon(NODE, id="taquile-textile-art")["node"]["id"] == "taquile-textile-art"


def test_relations_and_sources(world: dict[str, Api]) -> None:
    curator = world["curator"]
    curator(CREATE, input={**NEW, "id": "fiesta-relacionada"})
    rel = curator("""mutation { addRelation(input: {type: LOCATED_IN, from: "fiesta-relacionada", to: "pe-puno",
                     sources: ["src-unesco-culture-ich-en-rl-00166"]}) {
                     __typename ... on RelationSaved { relation { type from to version } revision { op } } } }""")
    assert rel["addRelation"]["relation"] == {"type": "LOCATED_IN", "from": "fiesta-relacionada", "to": "pe-puno",
                                              "version": 1}
    wrong = curator("""mutation { addRelation(input: {type: LEARNED_FROM, from: "fiesta-relacionada", to: "pe-puno"})
                       { __typename ... on InvalidInputError { problems { field message } } } }""")
    assert "cannot go from Tradition to Place" in wrong["addRelation"]["problems"][0]["message"]
    gone = curator("""mutation { removeRelation(type: LOCATED_IN, from: "fiesta-relacionada", to: "pe-puno",
                      expectedVersion: 1) {
                      __typename ... on RelationSaved { relation { type } revision { op before } } } }""")
    assert gone["removeRelation"]["relation"] is None
    assert gone["removeRelation"]["revision"]["op"] == "remove-relation"
    attached = curator(SAVED + """mutation { attachSource(id: "fiesta-relacionada", expectedVersion: 1,
                           sourceId: "src-go2peru-taquile-island") { ...saved } }""")["attachSource"]
    assert {s["id"] for s in attached["node"]["sources"]} >= {"src-go2peru-taquile-island"}
    not_a_source = curator(SAVED + """mutation { attachSource(id: "fiesta-relacionada", expectedVersion: 2,
                                sourceId: "pe-puno") { ...saved } }""")["attachSource"]
    assert not_a_source["__typename"] == "InvalidInputError" and "not a Source" in not_a_source["message"]
    history = curator(HISTORY, id="fiesta-relacionada")["history"]
    assert [h["op"] for h in history] == ["create", "add-relation", "remove-relation", "update"]


def test_bad_token_is_refused(world: dict[str, Api]) -> None:
    client = world["anonymous"].client
    r = client.post("/graphql", json={"query": "{ node(id: \"pe\") { id } }"},
                    headers={"Authorization": "Bearer hg_not-a-real-token"})
    assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_history_cli(tmp_path: Path, world: dict[str, Api]) -> None:
    from click.testing import CliRunner

    from heritage_graph.cli import main

    db = str(tmp_path / "db")
    assert CliRunner().invoke(main, ["--db", db, "seed"]).exit_code == 0
    result = CliRunner().invoke(main, ["--db", db, "history", "retablo-ayacuchano"])
    assert result.exit_code == 0, result.output
    assert "import" in result.output and SEED_ACTOR in result.output
    missing = CliRunner().invoke(main, ["--db", db, "history", "no-such-record"])
    assert missing.exit_code == 1 and "no record with id" in missing.output


def test_a_relation_closing_a_cycle_in_a_hierarchy_is_refused(world: dict[str, Api]) -> None:
    # Puno is in Peru: Peru inside Puno would make Puno contain itself.
    # A reviewer, since both are published (curators do not touch published records).
    closing = world["reviewer"]("""mutation { addRelation(input: {type: LOCATED_IN, from: "pe", to: "pe-puno"}) {
                                  __typename ... on InvalidInputError { problems { field message } } } }""")
    assert closing["addRelation"]["__typename"] == "InvalidInputError"
    assert closing["addRelation"]["problems"] == [{"field": "to", "message": (
        "LOCATED_IN from 'pe' to 'pe-puno' would close a cycle (pe → pe-puno → pe); LOCATED_IN is a hierarchy")}]
    itself = world["reviewer"]("""mutation { addRelation(input: {type: PART_OF, from: "zapara-oral-heritage",
                                 to: "zapara-oral-heritage"}) {
                                 __typename ... on InvalidInputError { problems { field message } } } }""")
    assert "to itself" in itself["addRelation"]["problems"][0]["message"]
    assert world["anonymous"](NODE, id="pe")["node"]["version"] == 1


def test_history_never_shows_a_state_the_reader_could_not_have_read_then(world: dict[str, Api]) -> None:
    """A relation added to a draft with a private note, its note edited, the record submitted and
    approved: the public history of the published record shows none of the drafting (not the
    relation's draft-time states, not the note, not who did it or why); staff see all of it."""
    curator, reviewer, anon, researcher = world["curator"], world["reviewer"], world["anonymous"], world["researcher"]
    curator(CREATE, input={**NEW, "id": "fiesta-con-nota"}, reason="informant visit")
    note = "informante Rosa Quispe, teléfono 984 000 111"
    added = curator(f"""mutation {{ addRelation(input: {{type: LOCATED_IN, from: "fiesta-con-nota", to: "pe-puno",
        note: "{note}"}}, reason: "told by the informant") {{ __typename }} }}""")
    assert added["addRelation"]["__typename"] == "RelationSaved"
    curator(f"""mutation {{ updateRelation(type: LOCATED_IN, from: "fiesta-con-nota", to: "pe-puno",
        expectedVersion: 1, patch: {{note: "{note}; otra visita"}}) {{ __typename }} }}""")
    curator(SUBMIT, id="fiesta-con-nota", v=1)
    approved = reviewer(APPROVE, id="fiesta-con-nota", v=2)["approve"]
    assert approved["node"]["status"] == "PUBLISHED"

    staff = curator(HISTORY, id="fiesta-con-nota")["history"]
    assert [h["op"] for h in staff] == ["create", "add-relation", "update-relation", "submit", "approve"]
    assert staff[1]["after"]["note"] == note and staff[1]["reason"] == "told by the informant"
    assert {h["actor"] for h in staff} == {"curator-ana", "reviewer-ana"}

    for reader in (anon, researcher):
        public = reader(HISTORY, id="fiesta-con-nota")["history"]
        text = json.dumps(public, ensure_ascii=False)
        assert "Rosa" not in text and "informant" not in text, text
        # recorded_by is the record's public provenance (as `recordedBy` on the node); no other staff name
        assert "reviewer-ana" not in text and text.count("curator-ana") == 1, text
        assert [h["op"] for h in public] == ["approve"]  # the drafting and review are not public
        assert public[0]["before"] is None and public[0]["after"]["status"] == "published"
        assert public[0]["actor"] == "staff" and public[0]["reason"] is None


def test_a_taken_id_is_named_as_existing_only_to_who_can_read_it() -> None:
    from heritage_graph.auth import Principal
    from heritage_graph.model import Node
    from heritage_graph.services.curation import Curation, Rejected
    from heritage_graph.store.memory import MemoryStore

    store = MemoryStore()
    store.write([Node("Source", "src", "Fuente", properties={"title": "Informe", "type": "web"}),
                 Node("Tradition", "seen", "Visible", status="draft", sources=("src",)),
                 Node("Tradition", "unseen", "Restricted", sensitivity="restricted", sources=("src",))], [])
    curator = Curation(store, Principal(role="curator", name="c"))
    answers = {}
    for taken in ("seen", "unseen"):
        with pytest.raises(Rejected) as err:
            curator.create_node({"kind": "Tradition", "id": taken, "name": "Otra", "sources": ["src"]})
        answers[taken] = [(p.field, p.message) for p in err.value.problems]
    assert answers["seen"] == [("id", "a record with the id 'seen' already exists; update it, or choose another id")]
    assert answers["unseen"] == [("id", "the id 'unseen' is not available; choose another id")]
