"""Stories for tourism apps: published only, public nodes only, in the reader's language."""

from __future__ import annotations

import pytest

from heritage_graph.app import create_app
from heritage_graph.model import Node, Relation
from heritage_graph.settings import Settings
from heritage_graph.store.memory import MemoryStore

from .conftest import Client, GraphQLClient, consented

STORIES = """query($region: ID, $language: String, $first: Int, $after: String) {
  stories(region: $region, language: $language, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id status ... on Story { title body coverPlace { node { id } } features { node { id } } } } }
  }
}"""


def test_every_programme_region_has_a_published_story(gql: GraphQLClient) -> None:
    for region in ("pe-ayacucho", "pe-cusco", "pe-lambayeque", "pe-puno"):
        data = gql(STORIES, region=region)["stories"]
        assert data["totalCount"] >= 1, region
        for e in data["edges"]:
            assert e["node"]["status"] == "PUBLISHED"
            assert e["node"]["title"] and len(e["node"]["body"]) > 200
            assert e["node"]["coverPlace"] and e["node"]["features"]


def test_drafts_are_hidden(gql: GraphQLClient) -> None:
    ids = [e["node"]["id"] for e in gql(STORIES, first=100)["stories"]["edges"]]
    assert "story-chicha-de-jora-morrope" not in ids
    assert gql('{ story(id: "story-chicha-de-jora-morrope") { id } }') == {"story": None}
    assert gql('{ story(id: "pe-cusco") { id } }') == {"story": None}, "only stories"


def test_a_story_in_spanish_or_english(gql: GraphQLClient) -> None:
    q = 'query($l: String) { story(id: "story-qoylluriti", language: $l) { title body name } }'
    es, en = gql(q, l="es")["story"], gql(q, l="en")["story"]
    assert es["title"] != en["title"] and es["body"] != en["body"]
    assert "peregrin" in es["body"].lower() and "pilgrim" in en["body"].lower()
    fallback = gql(q, l="fr")["story"]
    assert fallback["title"] == es["title"], "French falls back to Spanish"


def test_accept_language_sets_the_default(client: Client) -> None:
    q = '{ stories(region: "pe-puno") { edges { node { ... on Story { title } } } } }'
    en = client.post("/graphql", json={"query": q}, headers={"Accept-Language": "en"}).json()["data"]
    es = client.post("/graphql", json={"query": q}, headers={"Accept-Language": "es-PE"}).json()["data"]
    assert en != es


def test_stories_page(gql: GraphQLClient) -> None:
    first = gql(STORIES, first=3)["stories"]
    rest = gql(STORIES, first=50, after=first["pageInfo"]["endCursor"])["stories"]
    ids = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    assert len(ids) == len(set(ids)) == first["totalCount"] >= 8


@pytest.fixture
def private_story_client() -> Client:
    store = MemoryStore()
    store.write([
        Node("Source", "s", "S"),
        Node("Place", "pe", "Perú", properties={"level": "country"}),
        Node("Practitioner", "public-master", "Maestra", properties=consented(), sources=("s",)),
        Node("Practitioner", "secret-keeper", "Guardián", sensitivity="restricted", sources=("s",)),
        Node("Practitioner", "draft-person", "Borrador", status="draft", sources=("s",)),
        Node("Story", "story", "Historia", properties={"titles": {"es": "Historia"}, "body": {"es": "Texto."}}),
        Node("Story", "community-story", "Historia comunitaria", sensitivity="community",
             properties={"titles": {"es": "Comunitaria"}}),
    ], [
        Relation("FEATURES", "story", "public-master"), Relation("FEATURES", "story", "secret-keeper"),
        Relation("FEATURES", "story", "draft-person"), Relation("COVER_PLACE", "story", "pe"),
    ])
    return Client(create_app(Settings(), store=store))


def test_inside_a_story_only_public_published_nodes(private_story_client: Client) -> None:
    gql = GraphQLClient(private_story_client)
    story = gql('{ story(id: "story") { ... on Story { features { node { id } } coverPlace { node { id } } } } }')
    assert story["story"]["features"] == [{"node": {"id": "public-master"}}]
    listed = gql(STORIES)["stories"]
    assert [e["node"]["id"] for e in listed["edges"]] == ["story"] and listed["totalCount"] == 1
    assert gql('{ story(id: "community-story") { id } }') == {"story": None}
    private_story_client.close()


def test_lang_is_the_one_name_of_the_language_argument(gql: GraphQLClient) -> None:
    fields = gql('{ __type(name: "Query") { fields { name args(includeDeprecated: true) { name isDeprecated '
                 'deprecationReason } } } }')["__type"]["fields"]
    takes = {f["name"]: {a["name"]: a for a in f["args"]} for f in fields}
    for field in ("stories", "story", "search"):
        assert not takes[field]["lang"]["isDeprecated"], field
    for field in ("stories", "story"):
        assert takes[field]["language"]["isDeprecated"] and "lang" in takes[field]["language"]["deprecationReason"]
    english = gql('{ story(id: "story-qoylluriti", lang: "en") { title } }')["story"]["title"]
    assert english == gql('{ story(id: "story-qoylluriti", language: "en") { title } }')["story"]["title"]
    assert english != gql('{ story(id: "story-qoylluriti", lang: "es") { title } }')["story"]["title"]
    assert gql('{ story(id: "story-qoylluriti", lang: "en", language: "es") { title } }')["story"]["title"] == english
    listed = gql('{ stories(lang: "en", first: 50) { edges { node { id ... on Story { title } } } } }')
    assert {"id": "story-qoylluriti", "title": english} in [e["node"] for e in listed["stories"]["edges"]]
