"""Edges of the visibility rule that a code review found open, kept closed.

Each test names the door: hidden sources seen through mutation results or source
edits, a draft place used to move a published record into a region, derived
relations edited as relations, a story's generic fields, level-less places.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from heritage_graph.app import create_app
from heritage_graph.model import Node, Relation
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.tokens import create_token

from .conftest import PERSISTENT, Client, fresh_store

ERRORS = "... on InvalidInputError { message } ... on ForbiddenError { message } ... on NotFoundError { message }"
NODE_RESULT = "__typename ... on NodeSaved { node { id version sources { id } } revision { before after } } " + ERRORS
REL_RESULT = "__typename ... on RelationSaved { revision { before after } } " + ERRORS


@pytest.fixture(params=PERSISTENT)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    with fresh_store(request, tmp_path_factory.mktemp("edges")) as store:
        yield from _api(store)


def _api(store: Store) -> Iterator[dict]:
    store.write([
        Node("Source", "src-open", "Open source", version=1),
        Node("Source", "src-secret", "Secret source", sensitivity="restricted", version=1),
        Node("Place", "pe", "Perú", properties={"level": "country"}, version=1),
        Node("Place", "pe-cusco", "Cusco", properties={"level": "department"}, version=1),
        Node("Place", "pe-nolevel", "Somewhere", version=1),
        Node("Tradition", "t-draft", "Borrador", status="draft", sources=("src-open", "src-secret"), version=1),
        Node("Tradition", "t-pub", "Publicada", sources=("src-open",), version=1),
        Node("Tradition", "t-far", "Lejana", version=1),
        Node("Tradition", "t-hidden", "Oculta", status="draft", version=1),
        Node("Story", "story", "Historia", properties={"titles": {"es": "Historia"}}, version=1),
    ], [
        Relation("LOCATED_IN", "pe-cusco", "pe", version=1),
        Relation("LOCATED_IN", "pe-nolevel", "pe-cusco", version=1),
        Relation("LOCATED_IN", "t-far", "pe-nolevel", version=1),
        Relation("ASSOCIATED_WITH", "t-draft", "t-pub", sources=("src-open", "src-secret"), version=1),
        Relation("FEATURES", "story", "t-pub", version=1), Relation("FEATURES", "story", "t-hidden", version=1),
    ])
    client = Client(create_app(Settings(), store=store))
    tokens = {role: create_token(store, role)[0] for role in ("curator", "reviewer", "admin")}

    def ask(query: str, role: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        body = client.post("/graphql", json={"query": query}, headers=headers).json()
        assert "errors" not in body, body
        return body["data"]

    yield {"ask": ask, "store": store}
    client.close()


def test_mutation_results_do_not_show_hidden_sources(api: dict) -> None:
    done = api["ask"]('mutation { updateNode(id: "t-draft", expectedVersion: 1, patch: {name: "B2"}) { '
                      + NODE_RESULT + " } }", "curator")["updateNode"]
    assert done["__typename"] == "NodeSaved"
    assert "src-secret" not in str(done)
    rel = api["ask"]('mutation { updateRelation(type: ASSOCIATED_WITH, from: "t-draft", to: "t-pub", '
                     'expectedVersion: 1, patch: {note: "n"}) { ' + REL_RESULT + " } }", "curator")["updateRelation"]
    assert rel["__typename"] == "RelationSaved" and "src-secret" not in str(rel)


def test_a_hidden_source_reads_as_missing_and_edits_keep_it(api: dict) -> None:
    ask = api["ask"]
    hidden = ask('mutation { attachSource(id: "t-draft", expectedVersion: 1, sourceId: "src-secret") { '
                 + NODE_RESULT + " } }", "curator")["attachSource"]
    missing = ask('mutation { attachSource(id: "t-draft", expectedVersion: 1, sourceId: "src-nothing") { '
                  + NODE_RESULT + " } }", "curator")["attachSource"]
    assert hidden["message"].replace("src-secret", "X") == missing["message"].replace("src-nothing", "X")
    ask('mutation { updateNode(id: "t-draft", expectedVersion: 1, patch: {sources: []}) { ' + NODE_RESULT + " } }",
        "curator")
    kept = ask('{ node(id: "t-draft") { sources { id } } }', "admin")["node"]["sources"]
    assert kept == [{"id": "src-secret"}], "what the curator could not see stays cited"
    anonymous = ask('mutation { detachSource(id: "t-pub", expectedVersion: 1, sourceId: "src-secret") { '
                    + NODE_RESULT + " } }")["detachSource"]
    assert anonymous["__typename"] == "ForbiddenError"


def test_sources_are_not_edited_as_relations(api: dict) -> None:
    done = api["ask"]('mutation { removeRelation(type: DOCUMENTED_BY, from: "t-pub", to: "src-open", '
                      'expectedVersion: 1) { ' + REL_RESULT + " } }", "reviewer")["removeRelation"]
    assert done["__typename"] == "InvalidInputError" and "attachSource" in done["message"]


def test_a_draft_place_does_not_move_a_published_record_into_a_region(api: dict) -> None:
    ask = api["ask"]
    ask('mutation { createNode(input: {kind: PLACE, id: "pe-draft", name: "Draft district"}) { '
        + NODE_RESULT + " } }", "curator")
    ask('mutation { addRelation(input: {type: LOCATED_IN, from: "pe-draft", to: "pe-cusco"}) { '
        + REL_RESULT + " } }", "curator")
    ask('mutation { addRelation(input: {type: LOCATED_IN, from: "t-pub", to: "pe-draft"}) { '
        + REL_RESULT + " } }", "curator")
    listed = ask('{ traditions(filter: {region: "pe-cusco"}) { edges { node { id } } } }')["traditions"]["edges"]
    found = ask('{ search(query: "publicada", region: "pe-cusco") { totalCount } }')["search"]["totalCount"]
    facets = ask('{ search(query: "publicada") { facets { regions { id } } } }')["search"]["facets"]["regions"]
    assert {"node": {"id": "t-pub"}} not in listed and found == 0 and facets == []
    # …while the curator, who may see the draft place, finds it there in the listing
    mine = ask('{ traditions(filter: {region: "pe-cusco"}) { edges { node { id } } } }', "curator")
    assert {"node": {"id": "t-pub"}} in mine["traditions"]["edges"]


def test_places_without_a_level_still_place_records(api: dict) -> None:
    found = api["ask"]('{ search(query: "lejana", region: "pe-cusco") { totalCount } '
                       'near: search(query: "lejana", region: "pe-nolevel") { totalCount } }')
    assert found == {"search": {"totalCount": 1}, "near": {"totalCount": 1}}


def test_a_story_shows_only_public_records_in_every_field(api: dict) -> None:
    story = api["ask"]('{ node(id: "story") { relations { to } ... on Story { features { node { id } } } } }',
                       "curator")["node"]
    assert story == {"relations": [{"to": "t-pub"}], "features": [{"node": {"id": "t-pub"}}]}
