"""Media on elements and stories: validation, IIIF, languages, who sees which item, linked data,
history, writes and the interchange round trip."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from heritage_graph import media, schema
from heritage_graph.app import create_app
from heritage_graph.interchange import parse_record
from heritage_graph.services import linked_data as ld
from heritage_graph.services.exporter import export_lines
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.store.memory import MemoryStore
from heritage_graph.tokens import create_token

from .conftest import PERSISTENT, Client, fresh_store

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning:rdflib")

SCHEMA = Namespace("https://schema.org/")
HG = Namespace("https://w3id.org/heritage-graph/vocab/")
ID = Namespace("https://w3id.org/heritage-graph/id/")

IIIF = "https://iiif.example.org/iiif/3/fiesta%2F01/full/max/0/default.jpg"
IIIF_BASE = "https://iiif.example.org/iiif/3/fiesta%2F01"
PUBLIC = {"url": IIIF, "caption": {"es": "La procesión", "en": "The procession"},
          "alt": {"es": "Danzantes con máscaras", "en": "Masked dancers"}, "credit": "Foto: Ana Quispe",
          "licence": "CC-BY-SA-4.0"}
SECRET = {"url": "https://example.org/m/secret-offering.jpg", "media_type": "image/jpeg",
          "alt": {"es": "La ofrenda"}, "sensitivity": "restricted"}
COMMUNITY = {"url": "https://example.org/m/community-song.mp3", "media_type": "audio/mpeg",
             "caption": {"qu": "Taki"}, "sensitivity": "community", "licence": "all-rights-reserved"}
SONG = {"url": "https://example.org/m/song.mp3", "media_type": "audio/mpeg", "licence": "CC0-1.0"}
LINES: list[dict[str, Any]] = [
    {"kind": "Source", "id": "src-m", "name": "Field notes", "properties": {"type": "field-note"}},
    {"kind": "Community", "id": "com-a", "name": "Comunidad A"},
    {"kind": "Tradition", "id": "fiesta-m", "name": "Fiesta M", "sources": ["src-m"],
     "properties": {"category": "festival", "media": [PUBLIC, SECRET, COMMUNITY, SONG]}},
    {"kind": "Craft", "id": "tejido-scoped", "name": "Tejido", "properties": {
        "consent": {"status": "granted", "scope": ["publication", "research"]},
        "media": [{"url": "https://example.org/m/weaver.jpg", "kind": "image", "alt": {"es": "Tejedora"}}]}},
    {"kind": "Craft", "id": "tejido-withdrawn", "name": "Tejido retirado", "properties": {
        "consent": {"status": "withdrawn"},
        "media": [{"url": "https://example.org/m/withdrawn.jpg", "kind": "image", "alt": {"es": "Telar"}}]}},
    {"kind": "Story", "id": "story-m", "name": "Historia M", "properties": {
        "titles": {"es": "La fiesta", "en": "The festival"}, "media": [PUBLIC, SECRET]}},
    {"rel": "PRACTICES", "from": "com-a", "to": "fiesta-m"},
    {"rel": "FEATURES", "from": "story-m", "to": "fiesta-m"},
]


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def problems(record: dict[str, Any]) -> list[str]:
    _, errors = parse_record(record)
    return errors


def node_with(*items: Any, kind: str = "Tradition") -> dict[str, Any]:
    return {"kind": kind, "id": "x", "name": "X", "properties": {"media": list(items)}}


class Api:
    def __init__(self, client: Client, secret: str | None, lang: str | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        if lang:
            self.headers["Accept-Language"] = lang

    def __call__(self, query: str, **variables: object) -> dict[str, Any]:
        r = self.client.post("/graphql", json={"query": query, "variables": variables}, headers=self.headers)
        body = r.json()
        assert r.status_code == 200 and "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module", params=["memory", *PERSISTENT[1:]])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with fresh_store(request, tmp_path_factory.mktemp("media")) as store:
        yield from _world(store, tmp_path_factory)


def _world(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    run_import(store, [write(tmp_path_factory.mktemp("media") / "m.jsonl", LINES)])
    client = Client(create_app(Settings(), store=store))
    apis: dict[str, Any] = {"anonymous": Api(client, None), "english": Api(client, None, "en-GB,en;q=0.9"),
                            "client": client, "store": store}
    for role, community in (("admin", None), ("curator", None), ("researcher", None), ("researcher", "com-a")):
        name = f"{role}-{community}" if community else role
        apis[name] = Api(client, create_token(store, role, community, name=name)[0])
    yield apis
    client.close()


MEDIA = "{ url kind mediaType caption alt licence credit sensitivity iiifBase thumbnail }"
NODE = ("query($id: ID!) { node(id: $id) { "
        + " ".join(f"... on {kind} {{ media {MEDIA} }}" for kind in ("Tradition", "Craft", "Story")) + " } }")


def urls(data: dict[str, Any] | None) -> list[str]:
    return [m["url"] for m in (data or {}).get("media", [])]


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "javascript:alert(document.cookie)", "JavaScript:alert(1)", "data:image/png;base64,iVBORw0KGgo=",
    "file:///etc/passwd", "vbscript:msgbox", "ftp://example.org/a.jpg", "//example.org/a.jpg", "a.jpg",
])
def test_a_url_that_is_not_http_is_refused_naming_the_field(url: str) -> None:
    (error,) = problems(node_with({"url": url, "kind": "document"}))
    assert error.startswith("properties.media[0].url: ") and "allowed: http:// and https:// URLs" in error


@pytest.mark.parametrize(("url", "message"), [
    ("https://user:pw@example.org/a.jpg", "carries a user name or password"),
    ("https://example.org/a b.jpg", "has spaces or control characters"),
    ("https://example.org/a.jpg\n", "has spaces or control characters"),
    ("https:///a.jpg", "has no host"),
])
def test_a_url_must_be_a_plain_web_address(url: str, message: str) -> None:
    (error,) = problems(node_with({"url": url, "kind": "document"}))
    assert error.startswith("properties.media[0].url: ") and message in error


def test_a_javascript_url_is_refused_through_graphql_with_its_field(tmp_path: Path) -> None:
    store = MemoryStore()
    run_import(store, [write(tmp_path / "s.jsonl", LINES[:1])])
    client = Client(create_app(Settings(), store=store))
    try:
        curator = Api(client, create_token(store, "curator", name="c")[0])
        answer = curator('mutation($input: NodeInput!) { createNode(input: $input) { __typename '
                         '... on InvalidInputError { problems { field message } } } }',
                         input={"kind": "TRADITION", "id": "x", "name": "X", "properties": {"media": [
                             {"url": "https://example.org/ok.jpg", "alt": {"es": "bien"}, "kind": "image"},
                             {"url": "javascript:alert(1)", "kind": "image", "alt": {"es": "mal"}}]}})
    finally:
        client.close()
    assert answer["createNode"] == {"__typename": "InvalidInputError", "problems": [
        {"field": "properties.media[1].url",
         "message": '"javascript:alert(1)" is not allowed; allowed: http:// and https:// URLs (not javascript:)'}]}
    assert store.get_nodes(["x"]) == []


@pytest.mark.parametrize(("field", "value", "allowed"), [
    ("licence", "CC-BY", schema.LICENCES),
    ("media_type", "image/svg+xml", schema.MEDIA_TYPES),
    ("kind", "photo", schema.MEDIA_KINDS),
    ("sensitivity", "secret", schema.SENSITIVITY),
])
def test_enumerated_fields_name_their_allowed_values(field: str, value: str, allowed: tuple[str, ...]) -> None:
    item = {"url": "https://example.org/a.pdf", "kind": "document", field: value}
    assert problems(node_with(item)) == [
        f'properties.media[0].{field}: "{value}" is not allowed; allowed values: {", ".join(allowed)}']


def test_unknown_fields_and_wrong_shapes_are_refused() -> None:
    assert problems(node_with({"url": "https://example.org/a.pdf", "kind": "document", "colour": "red"})) == [
        "properties.media[0].colour: unknown field; allowed: url, kind, media_type, caption, alt, credit, licence, "
        "sensitivity"]
    not_a_list = {"kind": "Tradition", "id": "x", "name": "X", "properties": {"media": {"url": "x"}}}
    assert problems(not_a_list)[0].startswith("properties.media: expected a list of objects with url, kind")
    assert problems(node_with({"kind": "document"})) == [
        "properties.media[0].url: required, the http(s) URL of the file"]
    long_caption = {"url": "https://example.org/a.pdf", "kind": "document", "caption": {"es": "x" * 2001}}
    assert problems(node_with(long_caption)) == [
        "properties.media[0].caption.es: 2,001 characters, more than the limit of 2,000"]


def test_an_image_needs_alt_text_in_some_language() -> None:
    image = {"url": "https://example.org/a.jpg", "media_type": "image/jpeg", "caption": {"es": "Una foto"}}
    assert problems(node_with(image)) == [
        "properties.media[0].alt: required for an image: its text alternative in at least one language, for readers "
        "who cannot see it"]
    assert problems(node_with({**image, "alt": {}})) == problems(node_with(image))
    assert problems(node_with({**image, "alt": {"qu": "Huk rikch'ay"}})) == []
    assert problems(node_with(SONG)) == []  # a recording needs none


def test_kind_follows_from_media_type_or_iiif_and_must_agree() -> None:
    record, _ = parse_record(node_with(SONG, {"url": "https://example.org/a.pdf", "media_type": "application/pdf"},
                                       {"url": IIIF, "alt": {"es": "x"}}))
    assert record is not None
    assert [m["kind"] for m in record.properties["media"]] == ["audio", "document", "image"]
    assert problems(node_with({"url": "https://example.org/a"})) == [
        "properties.media[0].kind: required when neither media_type nor an IIIF URL says it; allowed values: image, "
        "audio, video, document"]
    assert problems(node_with({**SONG, "kind": "video"})) == [
        'properties.media[0].media_type: "audio/mpeg" is not of the kind video']
    assert problems(node_with({"url": IIIF, "kind": "audio"})) == [
        'properties.media[0].kind: an IIIF Image API URL is an image, not "audio"']


def test_a_record_lists_a_file_once_and_at_most_its_limit() -> None:
    assert problems(node_with(SONG, PUBLIC, SONG)) == [
        "properties.media[2].url: the same file as properties.media[0]; list a file once"]
    many = [{"url": f"https://example.org/{i}.pdf", "kind": "document"} for i in range(schema.MAX_OBJECT_ITEMS + 1)]
    assert problems(node_with(*many)) == [f"properties.media: {len(many)} items, more than the limit of 50"]
    assert problems(node_with(*many[:-1])) == []


@pytest.mark.parametrize("kind", ["Place", "Practitioner", "Community", "Organization", "Source"])
def test_only_elements_and_stories_carry_media(kind: str) -> None:
    (error,) = problems(node_with(SONG, kind=kind))
    assert error.startswith(f"properties.media: unknown property for {kind}")
    for name in (*schema.ELEMENT_KINDS, "Story"):
        assert problems(node_with(SONG, kind=name)) == []


# -- IIIF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "base"), [
    (IIIF, IIIF_BASE),
    ("https://iiif.example.org/iiif/2/abc/full/full/0/default.jpg", "https://iiif.example.org/iiif/2/abc"),
    ("https://iiif.example.org/abc/square/^!500,500/90/color.png", "https://iiif.example.org/abc"),
    ("https://iiif.example.org/i/abc/10,20,300,400/pct:50/!180.5/gray.webp", "https://iiif.example.org/i/abc"),
    ("https://iiif.example.org/i/abc/pct:10,10,80,80/,300/0/bitonal.tif", "https://iiif.example.org/i/abc"),
    ("http://iiif.example.org:8182/iiif/3/abc/info.json", "http://iiif.example.org:8182/iiif/3/abc"),
])
def test_iiif_image_api_urls_are_accepted_and_recognised(url: str, base: str) -> None:
    found = media.iiif_of(url)
    assert found is not None and found.base == base and found.info == base + "/info.json"
    assert problems(node_with({"url": url, "alt": {"en": "an image"}})) == []


@pytest.mark.parametrize(("url", "message"), [
    ("https://iiif.example.org/i/abc/full/huge/0/default.jpg",
     "the IIIF Image API request's size \"huge\" is not valid"),
    ("https://iiif.example.org/i/abc/full/max/left/default.jpg", "rotation \"left\" is not valid"),
    ("https://iiif.example.org/i/abc/full/max/0/default.jpeg",
     "format \"jpeg\" is not one of jpg, tif, png, gif, jp2, pdf, webp"),
    ("https://iiif.example.org/info.json", "an IIIF Image API URL names its image"),
])
def test_a_url_that_says_iiif_must_be_valid_iiif(url: str, message: str) -> None:
    (error,) = problems(node_with({"url": url, "alt": {"en": "an image"}, "kind": "image"}))
    assert error.startswith("properties.media[0].url: ") and message in error


@pytest.mark.parametrize("url", [
    "https://example.org/photos/2020/05/12/default.jpg",  # "2020" is no IIIF region
    "https://example.org/iiif/abc/full/max/0/default.jpg?download=1",
    "https://example.org/a.jpg",
])
def test_other_urls_are_not_taken_for_iiif(url: str) -> None:
    assert media.iiif_of(url) is None
    assert problems(node_with({"url": url, "alt": {"en": "an image"}, "kind": "image"})) == []


def test_graphql_gives_the_iiif_base_and_thumbnails(world: dict[str, Any]) -> None:
    got = world["anonymous"]('{ node(id: "fiesta-m") { ... on Tradition { media { url iiifBase '
                             'thumbnail small: thumbnail(width: 120) } } } }')["node"]["media"]
    assert got == [
        {"url": IIIF, "iiifBase": IIIF_BASE, "thumbnail": f"{IIIF_BASE}/full/400,/0/default.jpg",
         "small": f"{IIIF_BASE}/full/120,/0/default.jpg"},
        {"url": SONG["url"], "iiifBase": None, "thumbnail": None, "small": None},
    ]
    r = world["client"].post("/graphql", json={
        "query": '{ node(id: "fiesta-m") { ... on Tradition { media { thumbnail(width: 0) } } } }'})
    errors = r.json()["errors"]  # one for each item asked
    assert [(e["message"], e["extensions"]["field"], e["path"][-1]) for e in errors] == [
        ("width: 0 is out of range; allowed: 1 to 2000", "width", "thumbnail")] * 2


# -- languages ------------------------------------------------------------------------------


def test_caption_and_alt_follow_the_language_fallback(world: dict[str, Any]) -> None:
    query = ('{ node(id: "fiesta-m") { ... on Tradition { media { caption alt en: caption(lang: "en") '
             'qu: caption(lang: "qu") altEsPe: alt(lang: "es-PE") captionTranslations { lang text } } } } }')
    first = world["anonymous"](query)["node"]["media"][0]
    assert first == {"caption": "La procesión", "alt": "Danzantes con máscaras", "en": "The procession",
                     "qu": "La procesión", "altEsPe": "Danzantes con máscaras",
                     "captionTranslations": [{"lang": "en", "text": "The procession"},
                                             {"lang": "es", "text": "La procesión"}]}
    english = world["english"](query)["node"]["media"][0]
    assert (english["caption"], english["alt"], english["qu"]) == ("The procession", "Masked dancers", "La procesión")
    story = world["anonymous"]('{ story(id: "story-m", language: "en") { media { caption alt } } }')["story"]
    assert story["media"] == [{"caption": "The procession", "alt": "Masked dancers"}]


# -- who sees which item ---------------------------------------------------------------------


def test_a_restricted_item_on_a_public_story_is_absent_for_the_public(world: dict[str, Any]) -> None:
    anonymous = world["anonymous"]
    assert urls(anonymous(NODE, id="story-m")["node"]) == [IIIF]
    listed = anonymous('{ stories { edges { node { id ... on Story { media { url } } } } } }')["stories"]["edges"]
    assert [urls(e["node"]) for e in listed if e["node"]["id"] == "story-m"] == [[IIIF]]
    assert urls(anonymous('{ story(id: "story-m") { media { url } } }')["story"]) == [IIIF]
    text = world["client"].get("/ld/story-m").text
    assert "secret-offering" not in text and "media-2" not in text and IIIF in text


def test_a_restricted_item_is_present_for_a_reader_cleared_for_it(world: dict[str, Any]) -> None:
    admin = world["admin"]
    assert urls(admin(NODE, id="story-m")["node"]) == [IIIF, SECRET["url"]]
    got = admin(NODE, id="story-m")["node"]["media"][1]
    assert (got["sensitivity"], got["kind"], got["mediaType"]) == ("RESTRICTED", "IMAGE", "IMAGE_JPEG")
    # stories are the visitors' door: the same for everyone, whoever asks
    assert urls(admin('{ story(id: "story-m") { media { url } } }')["story"]) == [IIIF]
    listed = admin('{ stories { edges { node { ... on Story { media { url } } } } } }')["stories"]["edges"]
    assert SECRET["url"] not in json.dumps(listed)


def test_each_reader_sees_the_items_of_their_clearance(world: dict[str, Any]) -> None:
    everything = [IIIF, SECRET["url"], COMMUNITY["url"], SONG["url"]]
    seen = {who: urls(world[who](NODE, id="fiesta-m")["node"])
            for who in ("anonymous", "researcher", "researcher-com-a", "curator", "admin")}
    assert seen == {
        "anonymous": [IIIF, SONG["url"]],
        "researcher": [IIIF, SONG["url"]],
        "researcher-com-a": [IIIF, COMMUNITY["url"], SONG["url"]],  # scoped to the community that practises it
        "curator": [IIIF, SONG["url"]],
        "admin": everything,
    }
    listing = world["anonymous"]('{ traditions { edges { node { id media { url } } } } }')["traditions"]["edges"]
    assert [urls(e["node"]) for e in listing if e["node"]["id"] == "fiesta-m"] == [[IIIF, SONG["url"]]]
    # a featured element read through a story shows what its reader may see
    story = world["anonymous"]('{ story(id: "story-m") { features { node { ... on Tradition { media { url } } } } } }')
    assert urls(story["story"]["features"][0]["node"]) == [IIIF, SONG["url"]]


def test_media_follow_the_records_consent(world: dict[str, Any]) -> None:
    weaver = ["https://example.org/m/weaver.jpg"]
    # consent to publish the record is not consent to show its images
    assert world["anonymous"](NODE, id="tejido-scoped")["node"] == {"media": []}
    assert world["researcher"](NODE, id="tejido-scoped")["node"] == {"media": []}
    assert urls(world["curator"](NODE, id="tejido-scoped")["node"]) == weaver
    assert urls(world["admin"](NODE, id="tejido-scoped")["node"]) == weaver
    assert "weaver" not in world["client"].get("/ld/tejido-scoped").text
    # withdrawn consent hides the record, and its media, from all but admins
    for who in ("anonymous", "researcher", "curator"):
        assert world[who](NODE, id="tejido-withdrawn")["node"] is None
    assert urls(world["admin"](NODE, id="tejido-withdrawn")["node"]) == ["https://example.org/m/withdrawn.jpg"]
    assert world["client"].get("/ld/tejido-withdrawn").status_code == 404


# -- linked data ------------------------------------------------------------------------------


def test_linked_data_publishes_the_items_anyone_may_see(world: dict[str, Any]) -> None:
    client = world["client"]
    context = client.get("/ld/context.jsonld").json()["@context"]
    doc = client.get("/ld/fiesta-m").json()
    objects = doc["@graph"][0]["associatedMedia"]
    assert [o["@id"] for o in objects] == ["hgid:fiesta-m#media-1", "hgid:fiesta-m#media-2"]  # no gap
    text = json.dumps(doc)
    assert "secret-offering" not in text and "community-song" not in text
    g = Graph().parse(data=json.dumps({**doc, "@context": context}), format="json-ld")
    node, image, song = ID["fiesta-m"], ID["fiesta-m#media-1"], ID["fiesta-m#media-2"]
    assert set(g.objects(node, SCHEMA.associatedMedia)) == {image, song}
    assert (image, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SCHEMA.ImageObject) in g
    assert (song, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SCHEMA.AudioObject) in g
    assert set(g.objects(image, SCHEMA.contentUrl)) == {Literal(IIIF, datatype=URIRef(
        "http://www.w3.org/2001/XMLSchema#anyURI"))}
    assert set(g.objects(image, SCHEMA.caption)) == {Literal("La procesión", lang="es"),
                                                     Literal("The procession", lang="en")}
    assert set(g.objects(image, HG.altText)) == {Literal("Danzantes con máscaras", lang="es"),
                                                 Literal("Masked dancers", lang="en")}
    assert set(g.objects(image, SCHEMA.creditText)) == {Literal("Foto: Ana Quispe")}
    assert set(g.objects(image, SCHEMA.license)) == {URIRef("https://creativecommons.org/licenses/by-sa/4.0/")}
    assert set(g.objects(image, HG.iiifImageService)) == {URIRef(IIIF_BASE)}
    assert set(g.objects(song, SCHEMA.encodingFormat)) == {Literal("audio/mpeg")}
    assert [int(p.toPython()) for p in g.objects(song, SCHEMA.position)] == [2]
    whole = io.StringIO()
    ld.export_jsonld(world["store"], whole)
    assert IIIF in whole.getvalue() and "secret-offering" not in whole.getvalue()
    assert "community-song" not in whole.getvalue() and "weaver" not in whole.getvalue()


def test_licences_link_to_their_pages_in_the_vocabulary() -> None:
    by_id = {o["@id"]: o for o in ld.vocabulary_objects()}
    assert by_id["hg:licence/CC-BY-4.0"]["sameAs"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "sameAs" not in by_id["hg:licence/all-rights-reserved"]
    assert set(schema.LICENCE_URLS) == set(schema.LICENCES)


# -- history and writes -------------------------------------------------------------------


SAVED = """fragment saved on NodeResult { __typename
  ... on NodeSaved { node { version ... on Tradition { media { url } } } revision { after } }
  ... on InvalidInputError { problems { field message } }
  ... on ForbiddenError { message } }"""
UPDATE = SAVED + """mutation($id: ID!, $v: Int!, $patch: NodePatch!) {
  updateNode(id: $id, expectedVersion: $v, patch: $patch) { ...saved } }"""
CREATE = SAVED + "mutation($input: NodeInput!) { createNode(input: $input) { ...saved } }"
HISTORY = 'query($id: ID!) { history(id: $id) { op before after } }'


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[dict[str, Any]]:
    store = MemoryStore()
    run_import(store, [write(tmp_path / "m.jsonl", LINES)])
    client = Client(create_app(Settings(), store=store))
    apis: dict[str, Any] = {"anonymous": Api(client, None), "store": store}
    for role in ("curator", "reviewer", "admin"):
        apis[role] = Api(client, create_token(store, role, name=role)[0])
    yield apis
    client.close()


def test_history_shows_a_state_without_the_items_its_reader_may_not_see(writable: dict[str, Any]) -> None:
    new = {"url": "https://example.org/m/new.pdf", "kind": "document"}
    saved = writable["admin"](UPDATE, id="story-m", v=1, patch={"properties": {"media": [PUBLIC, new, SECRET]}})
    assert saved["updateNode"]["__typename"] == "NodeSaved"
    public = writable["anonymous"](HISTORY, id="story-m")["history"]
    assert [m["url"] for m in public[-1]["after"]["properties"]["media"]] == [IIIF, new["url"]]
    assert "secret-offering" not in json.dumps(public)
    admin = writable["admin"](HISTORY, id="story-m")["history"]
    assert [m["url"] for m in admin[-1]["after"]["properties"]["media"]] == [IIIF, new["url"], SECRET["url"]]
    # a state whose only items are withheld keeps no trace of them, not even an empty list
    writable["admin"](UPDATE, id="story-m", v=2, patch={"properties": {"media": [SECRET]}})
    last = writable["anonymous"](HISTORY, id="story-m")["history"][-1]["after"]
    assert "media" not in last["properties"] and "secret" not in json.dumps(last)
    assert writable["anonymous"]('{ node(id: "story-m", asOf: "2100-01-01T00:00:00Z") { ... on Story '
                                 '{ media { url } } } }')["node"] == {"media": []}


def test_a_token_adds_only_items_it_could_read_back(writable: dict[str, Any]) -> None:
    answer = writable["curator"](CREATE, input={"kind": "TRADITION", "id": "fiesta-nueva", "name": "Nueva",
                                                "properties": {"media": [SONG, SECRET]}})["createNode"]
    assert answer["__typename"] == "ForbiddenError" and answer["message"].startswith("properties.media[1]: ")
    assert "only an admin may add restricted media" in answer["message"]
    assert writable["store"].get_nodes(["fiesta-nueva"]) == []


def test_an_edit_keeps_the_items_its_token_may_not_see(writable: dict[str, Any]) -> None:
    reviewer = writable["reviewer"]
    seen = reviewer('{ node(id: "fiesta-m") { version ... on Tradition { media { url } } } }')["node"]
    assert urls(seen) == [IIIF, SONG["url"]]
    changed = {**SONG, "caption": {"es": "Canción"}}
    answer = reviewer(UPDATE, id="fiesta-m", v=seen["version"], patch={"properties": {"media": [changed]}})
    assert answer["updateNode"]["node"]["media"] == [{"url": SONG["url"]}]
    stored = writable["store"].get_nodes(["fiesta-m"])[0].properties["media"]
    assert [m["url"] for m in stored] == [SONG["url"], SECRET["url"], COMMUNITY["url"]]
    assert stored[0]["caption"] == {"es": "Canción"}
    # removing the media it sees leaves the rest; the revision it is shown leaves them out
    answer = reviewer(UPDATE, id="fiesta-m", v=seen["version"] + 1, patch={"properties": {"media": None}})
    assert answer["updateNode"]["node"]["media"] == []
    assert "media" not in answer["updateNode"]["revision"]["after"].get("properties", {})
    assert [m["url"] for m in writable["store"].get_nodes(["fiesta-m"])[0].properties["media"]] == [
        SECRET["url"], COMMUNITY["url"]]
    # and its other edits keep them too
    reviewer(UPDATE, id="fiesta-m", v=seen["version"] + 2, patch={"name": "Fiesta M."})
    assert len(writable["store"].get_nodes(["fiesta-m"])[0].properties["media"]) == 2


def test_invalid_media_through_update_name_the_item_as_given(writable: dict[str, Any]) -> None:
    answer = writable["reviewer"](UPDATE, id="fiesta-m", v=1, patch={"properties": {"media": [
        SONG, {"url": "https://example.org/x.jpg", "kind": "image"}]}})["updateNode"]
    assert answer == {"__typename": "InvalidInputError", "problems": [
        {"field": "properties.media[1].alt", "message": "required for an image: its text alternative in at least "
                                                        "one language, for readers who cannot see it"}]}


# -- interchange round trip -----------------------------------------------------------------


# Not on Neo4j: the module's `world` holds the test run's one Neo4j database meanwhile (tests/test_parity.py
# carries media through export and import on Neo4j).
@pytest.fixture(params=["memory", "ladybug"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_store(request, tmp_path) as store:
        yield store


def test_media_round_trip_through_export_and_import(empty: Store, tmp_path: Path) -> None:
    run_import(empty, [write(tmp_path / "m.jsonl", LINES)])
    stored = empty.get_nodes(["fiesta-m"])[0].properties["media"]
    assert [m["url"] for m in stored] == [IIIF, SECRET["url"], COMMUNITY["url"], SONG["url"]]
    assert stored[0] == {"url": IIIF, "kind": "image", **{k: v for k, v in PUBLIC.items() if k != "url"}}
    first = "".join(export_lines(empty))
    line = next(json.loads(x) for x in first.splitlines() if '"id": "fiesta-m"' in x)
    assert list(line["properties"]["media"][1]) == ["url", "kind", "media_type", "alt", "sensitivity"]
    again = MemoryStore()
    run_import(again, [write(tmp_path / "export.jsonl", [json.loads(x) for x in first.splitlines()])])
    assert "".join(export_lines(again)) == first
    # every item, withheld or not: the interchange export is an operator's copy
    assert again.get_nodes(["fiesta-m"]) == empty.get_nodes(["fiesta-m"])


def test_the_admin_export_keeps_every_item(world: dict[str, Any]) -> None:
    client: Client = world["client"]
    secret = create_token(world["store"], "admin", name="exporter")[0]
    r = client.get("/admin/export?format=jsonl", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200 and "secret-offering" in r.text and "community-song" in r.text
    r = client.get("/admin/export?format=jsonld", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200 and "secret-offering" not in r.text and IIIF in r.text
