"""The public explorer over HTTP (httpx against the ASGI app): every page, in both languages, on the
embedded store and on Neo4j; caching like the API's; what a visitor may not see, never shown.

Expected content is read from the store through the services, not written here: the lineage picture
and list must hold exactly the records the lineage service returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest

from heritage_graph.app import create_app
from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.model import Changes, Node, Relation
from heritage_graph.services import graph
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store

from .conftest import PERSISTENT, ROOT, Client, fresh_store

PAGES = ["/", "/search?q=retablo", "/records/retablo-ayacuchano", "/records/jesus-urbano-rojas",
         "/records/jesus-urbano-rojas/lineage", "/records/jesus-urbano-rojas/lineage?direction=descendants",
         "/path?from=jesus-urbano-rojas&to=retablo-ayacuchano", "/stories"]
HIDDEN_NAME = "Tejedora Secreta Borrador"


@pytest.fixture(scope="module", params=PERSISTENT)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Store]]:
    with fresh_store(request, tmp_path_factory.mktemp("web")) as store:
        run_import(store, seed_files(), actor=SEED_ACTOR)
        # Records an anonymous visitor may not see, linked into the visible graph.
        hidden = [
            Node("Practitioner", "web-draft", HIDDEN_NAME, status="draft", version=1),
            Node("Practitioner", "web-restricted", HIDDEN_NAME + " Restringida", sensitivity="restricted", version=1),
            Node("Practitioner", "web-community", HIDDEN_NAME + " Comunal", sensitivity="community", version=1),
        ]
        links = [Relation("LEARNED_FROM", h.id, "jesus-urbano-rojas", version=1) for h in hidden]
        links += [Relation("PRACTICES", h.id, "retablo-ayacuchano", version=1) for h in hidden]
        store.apply(Changes(nodes=hidden, relations=links, expected={("node", h.id): 0 for h in hidden}))
        client = Client(create_app(Settings(), store=store))
        try:
            yield client, store
        finally:
            client.close()


def test_every_page_answers_in_spanish_by_default_and_in_english_when_asked(site: tuple[Client, Store]) -> None:
    client, _ = site
    for url in PAGES:
        es = client.get(url)
        assert es.status_code == 200, (url, es.text[:500])
        assert es.headers["content-type"].startswith("text/html")
        assert '<html lang="es">' in es.text and es.headers["content-language"] == "es"
        assert 'href="#main"' in es.text and "<main" in es.text
        en = client.get(url, headers={"accept-language": "en-GB,en;q=0.9"})
        assert '<html lang="en">' in en.text, url
    assert "Buscar" in client.get("/").text and "Search" in client.get("/", headers={"accept-language": "en"}).text


def test_the_language_chosen_is_remembered(site: tuple[Client, Store]) -> None:
    client, _ = site
    chosen = client.get("/?lang=en", headers={"accept-language": "es"})
    assert chosen.cookies.get("hg_lang") == "en" and "private" in chosen.headers["cache-control"]
    again = client.get("/stories", headers={"accept-language": "es"})
    assert '<html lang="en">' in again.text
    client.get("/?lang=es")  # back to the default, for the other tests


def test_anonymous_pages_are_cacheable_with_etags(site: tuple[Client, Store]) -> None:
    client, _ = site
    first = client.get("/records/retablo-ayacuchano")
    assert first.headers["cache-control"].startswith("public") and first.headers["etag"]
    second = client.get("/records/retablo-ayacuchano", headers={"if-none-match": first.headers["etag"]})
    assert second.status_code == 304 and not second.content


def test_a_record_page_shows_names_relations_sources_and_a_citation(site: tuple[Client, Store]) -> None:
    client, store = site
    [node] = store.get_nodes(["retablo-ayacuchano"])
    page = unescape(client.get("/records/retablo-ayacuchano").text)
    assert node.name in page
    for text in node.names.values():
        assert text in page
    for source in store.get_nodes(list(node.sources)):
        assert source.name in page
    assert 'href="/ld/retablo-ayacuchano"' in page and "/records/retablo-ayacuchano" in page
    practitioners = {r.from_id for r in store.relations(["retablo-ayacuchano"], "in", ["PRACTICES"])}
    visible = [n for n in store.get_nodes(sorted(practitioners))
               if n.status == "published" and n.sensitivity == "public"]
    assert visible and all(n.name in page for n in visible)
    # The citation's address never comes from the Host header (a cached page would keep it).
    assert "evil.example" not in client.get("/records/retablo-ayacuchano", headers={"host": "evil.example"}).text


def _names_in_svg(svg: str) -> set[str]:
    return {unescape(t) for t in re.findall(r"<a href=\"/records/[^\"]+\"[^>]*><title>([^<]*)</title>", svg)}


@pytest.mark.parametrize("direction", ["ancestors", "descendants"])
def test_the_lineage_picture_and_list_hold_what_the_lineage_service_returns(
        site: tuple[Client, Store], direction: str) -> None:
    client, store = site
    node_id = "jesus-urbano-rojas"
    page = client.get(f"/records/{node_id}/lineage?direction={direction}&depth=3").text
    found = graph.lineage(store, node_id, ancestors=direction == "ancestors", relation="LEARNED_FROM", max_depth=3,
                          visible=lambda ids: {n.id for n in store.get_nodes(list(ids))
                                               if n.status == "published" and n.sensitivity == "public"})
    assert found is not None
    expected = {found.root.name, *(n.name for n in found.nodes.values())}
    assert _names_in_svg(page) == expected
    listed = set(re.findall(r'<ul class="tree">(.*?)</ul>', page, re.S)[0].split("</li>"))
    assert all(any(f">{name}<" in unescape(item) for item in listed) for name in expected)
    download = client.get(f"/records/{node_id}/lineage.svg?direction={direction}&depth=3")
    assert download.headers["content-type"].startswith("image/svg+xml")
    assert _names_in_svg(download.text) == expected


def test_the_path_page_draws_and_lists_the_connection(site: tuple[Client, Store]) -> None:
    client, store = site
    page = unescape(client.get("/path?from=jesus-urbano-rojas&to=retablo-ayacuchano").text)
    found = graph.path(store, "jesus-urbano-rojas", "retablo-ayacuchano", max_depth=8)
    assert found is not None
    assert all(n.name in page for n in found.nodes)


def test_search_lists_hits_facets_and_pages(site: tuple[Client, Store]) -> None:
    client, _ = site
    page = client.get("/search?q=danza").text
    assert "<mark>" in page and 'href="/search?q=danza&amp;kind=' in page
    assert client.get("/search?q=danza&page=2").status_code == 200
    bad = client.get("/search?q=danza&domain=cooking")
    assert bad.status_code == 400 and "domain" in bad.text


def test_unknown_and_hidden_records_look_the_same(site: tuple[Client, Store]) -> None:
    client, _ = site
    missing = client.get("/records/no-such-record")
    hidden = client.get("/records/web-draft")
    assert missing.status_code == hidden.status_code == 404
    assert missing.text.replace("no-such-record", "X") == hidden.text.replace("web-draft", "X")


def test_hidden_records_never_appear_in_any_page_served_to_a_visitor(site: tuple[Client, Store]) -> None:
    client, _ = site
    urls = [*PAGES, "/search?q=tejedora", "/search?q=secreta", "/records/jesus-urbano-rojas/lineage.svg",
            "/records/jesus-urbano-rojas/lineage.svg?direction=descendants&depth=5",
            "/records/jesus-urbano-rojas/lineage?direction=descendants&depth=5", "/records/pe-ayacucho"]
    for url in urls:
        body = client.get(url).text
        assert HIDDEN_NAME not in body and "web-draft" not in body, url
    results = client.get("/search?q=tejedora+secreta&lang=es").text
    assert "0 resultados" in results


def test_the_catalogs_hold_every_message_and_spanish_translates_them_all() -> None:
    """`make messages` would change nothing: every string of the templates and the web package and every
    word of the schema the pages show is in both catalogs, and every one is translated into Spanish."""
    import importlib.util

    from babel.messages.pofile import read_po

    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "tools" / "messages.py")
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    wanted = {m.id for m in tool.template() if m.id}
    for lang in ("es", "en"):
        with (ROOT / "heritage_graph" / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f, locale=lang)
        have = {m.id for m in catalog if m.id}
        assert wanted <= have, f"{lang}: run `make messages`; missing {sorted(map(str, wanted - have))[:10]}"
        if lang == "es":
            untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple)
                                                                     else m.string)]
            assert not untranslated, f"Spanish lacks {untranslated[:10]}"


def test_no_page_ships_more_than_500_kb_of_javascript_and_css(site: tuple[Client, Store]) -> None:
    client, _ = site
    for url in PAGES:
        page = client.get(url).text
        assets = [*re.findall(r'<link rel="stylesheet" href="([^"]+)"', page),
                  *re.findall(r'<script[^>]+src="([^"]+)"', page)]
        sizes = []
        for asset in assets:
            r = client.get(asset)
            assert r.status_code == 200, asset
            sizes.append(len(r.content))
        assert sum(sizes) <= 500_000, (url, dict(zip(assets, sizes, strict=True)))


def test_the_history_page_lists_every_revision_with_its_changes_and_past_states(site: tuple[Client, Store]) -> None:
    client, store = site
    page = unescape(client.get("/records/retablo-ayacuchano/history?lang=en").text)
    revisions = [v for v in store.revisions(["retablo-ayacuchano"]) if v.target == "retablo-ayacuchano"]
    assert revisions and all(v.actor in page for v in revisions)
    assert page.count('<h2 class="revision">') >= len(revisions)
    then = client.get(f"/records/retablo-ayacuchano?at={revisions[0].at}&lang=en")
    assert then.status_code == 200 and "As it was on" in then.text
    assert client.get("/records/web-draft/history").status_code == 404
    assert client.get("/records/web-draft?at=2000-01-01T00:00:00Z").status_code == 404


def test_the_home_page_counts_the_programme_regions_and_the_domains(site: tuple[Client, Store]) -> None:
    """The regions are where the programme's organizations are located (read from the inventory), each
    with the count the catalog service gives an anonymous reader; the domains with their elements."""
    from heritage_graph import schema
    from heritage_graph.services import catalog
    from heritage_graph.visibility import PUBLIC, Gate

    client, store = site
    page = unescape(client.get("/?lang=es").text)
    orgs = [o.id for o in store.list_nodes("Organization") if o.properties.get("type") == "programme"]
    places = {r.to_id for r in store.relations(orgs, "out", ["LOCATED_IN"])}
    assert len(places) >= 4
    gate = Gate(store, PUBLIC)
    for place in store.get_nodes(sorted(places)):
        count = catalog.region_count(store, place.id, visibility=PUBLIC, visible=gate.visible)
        assert f'<a href="/records/{place.id}">{place.name}</a> <span class="count">{count} registro' in page
    for domain in schema.DOMAINS:
        count = sum(store.count_kind(k, domain=domain, visibility=PUBLIC) for k in schema.ELEMENT_KINDS)
        assert f'<span class="count">{count} elemento' in page
