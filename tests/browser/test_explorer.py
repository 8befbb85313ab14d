"""The explorer in a real browser: a visitor's way through it, the keyboard alone, and an axe-core
accessibility audit (WCAG 2.1 A and AA rules) of every page template, with screenshots."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..tools import Server

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LINEAGE_QUERY = """query($id: ID!) { lineage(id: $id, direction: ANCESTORS, maxDepth: 4) {
  root { name } nodes { node { name } } } }"""
# Every page template, on the demo: name (for the screenshot) and path.
TEMPLATES = [("home", "/"), ("search", "/search?q=danza"), ("record", "/records/retablo-ayacuchano"),
             ("practitioner", "/records/jesus-urbano-rojas"), ("lineage", "/records/jesus-urbano-rojas/lineage"),
             ("history", "/records/retablo-ayacuchano/history"),
             ("path", "/path?from=jesus-urbano-rojas&to=retablo-ayacuchano"), ("stories", "/stories"),
             ("not-found", "/records/no-such-record"), ("bad-request", "/search?q=danza&page=x")]


def _audit(page: Any, axe: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe)
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize(("name", "path"), TEMPLATES)
def test_every_page_passes_axe_and_is_photographed(site: Server, page: Any, axe_source: str, artifacts: Any,
                                                   name: str, path: str) -> None:
    page.goto(site.base + path)
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    bad = _audit(page, axe_source)
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def test_stories_page_of_one_story_passes_axe(site: Server, page: Any, axe_source: str, artifacts: Any) -> None:
    page.goto(site.base + "/stories")
    links = page.locator("ul.stories a")
    if links.count() == 0:
        pytest.skip("the demo has no published story")
    links.first.click()
    page.screenshot(path=str(artifacts / "story.png"), full_page=True)
    assert not _audit(page, axe_source)


def test_a_visitor_searches_opens_a_record_and_its_lineage(site: Server, page: Any) -> None:
    page.goto(site.base + "/")
    page.fill("#home-q", "Urbano")
    page.press("#home-q", "Enter")
    page.wait_for_url("**/search?q=Urbano*")
    page.get_by_role("link", name="Jesús Urbano Rojas", exact=True).first.click()
    page.wait_for_url("**/records/jesus-urbano-rojas")
    assert page.locator("h1").inner_text() == "Jesús Urbano Rojas"
    page.get_by_role("link", name="Explorar el linaje", exact=True).click()
    page.wait_for_url("**/records/jesus-urbano-rojas/lineage")
    drawn = set(page.locator("svg.picture a > title").evaluate_all("els => els.map(e => e.textContent)"))
    answer = httpx.post(f"{site.base}/graphql",
                        json={"query": LINEAGE_QUERY, "variables": {"id": "jesus-urbano-rojas"}})
    lineage = answer.json()["data"]["lineage"]
    assert drawn == {lineage["root"]["name"], *(n["node"]["name"] for n in lineage["nodes"])}
    listed = set(page.locator("ul.tree a").all_inner_texts())
    assert listed == drawn


def test_the_keyboard_alone_reaches_search_links_and_the_lineage_picture(site: Server, page: Any) -> None:
    page.goto(site.base + "/records/jesus-urbano-rojas/lineage")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    seen: set[str] = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("""() => { const e = document.activeElement;
            if (e.id === 'site-q') return 'search';
            if (e.closest('svg')) return e.tagName.toLowerCase() === 'a' ? 'picture-record' : 'picture-link';
            return e.tagName.toLowerCase(); }"""))
    assert {"search", "picture-record", "picture-link"} <= seen, seen
