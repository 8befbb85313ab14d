"""The Peru demo inventory: complete, sourced, and importable."""

from __future__ import annotations

import pytest

from heritage_graph import schema
from heritage_graph.cli import seed_files
from heritage_graph.model import Node, Relation
from heritage_graph.services.importer import parse_files, run_import
from heritage_graph.store.memory import MemoryStore
from heritage_graph.visibility import is_public


@pytest.fixture(scope="module")
def records() -> tuple[list[Node], list[Relation]]:
    parsed = parse_files(seed_files())
    assert not parsed.problems, parsed.problems
    return [loc.record for loc in parsed.nodes], [loc.record for loc in parsed.relations]  # type: ignore[return-value]


def test_seeds_import_cleanly_and_idempotently() -> None:
    store = MemoryStore()
    first = run_import(store, seed_files())
    assert first.nodes.created > 300 and first.relations.created > 300
    assert not run_import(store, seed_files()).changed


def test_every_node_and_relation_cites_a_source(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    assert [n.id for n in nodes if n.kind != "Source" and not n.sources] == []
    assert [r.key for r in rels if not r.sources] == []


def test_every_source_is_cited_and_has_a_url(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    cited = {s for n in nodes for s in n.sources} | {s for r in rels for s in r.sources}
    sources = [n for n in nodes if n.kind == "Source"]
    assert sources and all(n.properties.get("url", "").startswith("http") for n in sources)
    assert [n.id for n in sources if n.id not in cited] == []


def test_all_fourteen_unesco_elements(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = records
    inscribed = [n for n in nodes if n.properties.get("unesco")]
    assert len(inscribed) == 14
    assert {n.properties["unesco"]["list"] for n in inscribed} == {
        "representative", "urgent-safeguarding", "good-practices"}


def test_names_and_summaries_in_spanish_and_english(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = records
    missing = [n.id for n in nodes if n.kind != "Source" and not ({"es", "en"} <= set(n.names)
                                                                   and {"es", "en"} <= set(n.summary))]
    assert missing == []


def test_programme_regions_have_heritage(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    store = MemoryStore()
    store.write(nodes, rels)
    from heritage_graph.services.catalog import places_within

    for region in ("pe-ayacucho", "pe-cusco", "pe-lambayeque", "pe-puno"):
        within = places_within(store, region)
        found = sum(store.count_kind(k, within=within) for k in ("Tradition", "Craft", "Recipe"))
        assert found >= 3, region
        assert store.count_kind("Practitioner", within=within) >= 1 or region == "pe-lambayeque"


def test_place_hierarchy_reaches_the_country(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    parent = {r.from_id: r.to_id for r in rels if r.rel == "LOCATED_IN"}
    kinds = {n.id: n.kind for n in nodes}
    countries = {n.id for n in nodes if n.kind == "Place" and n.properties.get("level") == "country"}
    for n in nodes:
        if n.kind != "Place" or n.id in countries:
            continue
        seen, cur = set(), n.id
        while cur not in countries:
            assert cur not in seen and cur in parent, f"{n.id} does not nest up to a country"
            seen.add(cur)
            cur = parent[cur]
            assert kinds[cur] == "Place"


# Document-sharing sites, Wikipedia mirrors and pirated-book sites: a Source cites the original
# publisher instead. The one place this list is kept (tests and docs/data-corrections.md refer here).
MIRROR_DOMAINS = (
    "scribd.com", "studylib.es", "studylib.net", "docslib.org", "fdocuments.ec", "fdocuments.net", "fdokumen.com",
    "pdfslide.tips", "pdfslide.us", "dokumen.tips", "vdocuments.mx", "vdocuments.net", "vdocuments.site", "5y1.org",
    "ebin.pub", "stringtranslate.com", "knowpia.com", "wikiwand.com", "alphapedia.ru", "academia-lab.com",
    "kiddle.co", "slideshare.net", "issuu.com", "definicion.edu.lat", "ru24.net", "pdffox.com", "readkong.com",
    "esdocs.com", "essaydocs.org", "documents.pub", "cupdf.com", "mydokument.com", "docplayer.es",
)
# Sources whose only stored copy is on a mirror: no copy from the original publisher exists among the
# stored pages (docs/data-corrections.md says what was searched). Each needs a reason; keep it short.
NO_ORIGINAL_STORED = {
    "src-pc-ici-programme-document": "MDG-F joint programme document; only studylib and fdocuments copies are stored",
}
# Elements the sources name no UNESCO inscription or national declaration (year) for. The invariant is
# that every other element has one; this list must stay exact, and shrink as declarations are found.
NOT_YET_RECOGNISED = frozenset({
    "cajon-san-marcos", "corpus-christi-cusco", "imagineria-san-blas", "textiles-chinchero", "jilaqatas-pomata",
    "margaritos-mochumi", "artesania-monsefu", "alfareria-paleteada-morrope", "fexticum-monsefu", "puca-picante",
    "qapchi", "cuy-chactado", "mondongo-ayacuchano", "chiriuchu", "chairo-puneno", "chawlla-thimpu",
    "pesque-de-quinua", "arroz-con-pato-chiclayano", "king-kong-lambayeque", "chinguirito", "espesado-lambayecano",
    "cabrito-chiclayano", "chicha-de-jora-morrope",
})


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()


def test_no_source_is_on_a_mirror_domain(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = records
    on_mirror = {n.id for n in nodes if n.kind == "Source"
                 and any(_host(n.properties["url"]) == d or _host(n.properties["url"]).endswith("." + d)
                         for d in MIRROR_DOMAINS)}
    assert on_mirror == set(NO_ORIGINAL_STORED)


def test_every_source_has_a_title_and_a_well_formed_url(records: tuple[list[Node], list[Relation]]) -> None:
    import re
    from urllib.parse import urlsplit

    nodes, _ = records
    bad = []
    for n in nodes:
        if n.kind != "Source":
            continue
        url, title = n.properties.get("url", ""), n.properties.get("title", "")
        parts = urlsplit(url)
        host = parts.hostname or ""
        if (not title.strip() or parts.scheme not in ("http", "https")
                or not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", host)
                or " " in url or parts.username or re.search(r"\.aspx?/", parts.path)):
            bad.append((n.id, title, url))
    assert bad == []


def test_every_element_has_its_inscription_or_declaration_with_a_source(
        records: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = records
    sources = {n.id for n in nodes if n.kind == "Source"}
    unrecognised = set()
    for n in nodes:
        if n.kind not in ("Tradition", "Craft", "Recipe"):
            continue
        assert n.sources and set(n.sources) <= sources, n.id
        unesco, declarations = n.properties.get("unesco") or {}, n.properties.get("declarations") or []
        if unesco:
            assert unesco.get("list") and unesco.get("year") and unesco.get("element_no"), n.id
        if not (unesco or any(d.get("year") or d.get("date") for d in declarations)):
            unrecognised.add(n.id)
    assert unrecognised == NOT_YET_RECOGNISED


def test_every_living_person_has_a_consent_basis(records: tuple[list[Node], list[Relation]]) -> None:
    """Recorded, whatever it is: given, documented in a published source, or not recorded — and the public
    sees a living person only on one of the first two (the consent rule, docs/outline.md)."""
    nodes, _ = records
    living = [n for n in nodes if n.kind == "Practitioner" and n.properties.get("death_year") is None]
    assert living
    for n in living:
        consent = n.properties.get("consent") or {}
        assert consent.get("basis") in schema.CONSENT_BASES or consent.get("status"), n.id
        if consent.get("basis") == "published-source":
            assert n.sources, n.id  # the evidence is a publication the record cites
        assert is_public(n) == (n.sensitivity == "public" and n.status == "published"
                                and consent.get("basis") in ("given", "published-source")), n.id


def test_kin_who_practise_nothing_are_not_public(records: tuple[list[Node], list[Relation]]) -> None:
    nodes, rels = records
    practising = {r.from_id for r in rels if r.rel == "PRACTITIONER_OF"}
    assert [n.id for n in nodes if n.kind == "Practitioner" and n.id not in practising
            and n.sensitivity == "public"] == []
