"""The lineage picture with its script (heritage_graph/static/web/lineage.js), in a real browser: a link
between two records reached with the keyboard shows its sources in the panel, Escape closes it; the zoom
buttons, the mouse wheel and dragging move the view; the page passes axe with the panel open; and
without JavaScript the picture is still the server's, titles and all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from heritage_graph.app import create_app
from heritage_graph.model import Changes
from heritage_graph.settings import Settings
from heritage_graph.store.memory import MemoryStore

from ..test_web_lineage import ROOT_ID, lineage_world
from ..tools import Server, serving_in_thread
from .test_explorer import _audit

LINEAGE = "/records/jesus-urbano-rojas/lineage"


@pytest.fixture(scope="module")
def big(chromium: Any) -> Iterator[str]:
    """The service on an in-memory store holding a lineage of 206 records (tests/test_web_lineage.py)."""
    store = MemoryStore()
    nodes, relations = lineage_world()
    store.apply(Changes(nodes=nodes, relations=relations, expected={("node", n.id): 0 for n in nodes}))
    with serving_in_thread(create_app(Settings(), store=store)) as (base, _):
        yield base


def _view_box(page: Any) -> list[float]:
    return [float(n) for n in page.locator("svg.picture").get_attribute("viewBox").split()]


def _tab_to_a_link_with_sources(page: Any) -> dict[str, Any]:
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement;
            return e.matches('svg .edge') ? {sources: e.dataset.sources, from: e.dataset.from, to: e.dataset.to,
                                             role: e.getAttribute('role')} : null; }""")
        if focused and json.loads(focused["sources"]):
            return focused
    raise AssertionError("Tab never reached a link between two records that has sources")


def test_the_keyboard_opens_a_links_sources_and_escape_closes_them(site: Server, page: Any) -> None:
    page.goto(site.base + LINEAGE)
    panel = page.locator("#link-details")
    assert panel.inner_text() == ""
    edge = _tab_to_a_link_with_sources(page)
    assert edge["role"] == "button"
    sources = json.loads(edge["sources"])
    links = panel.locator("a")
    assert panel.locator("h2").is_visible()
    assert links.evaluate_all("els => els.map(a => a.getAttribute('href'))") == \
        [f"/records/{s['id']}" for s in sources]
    assert links.all_inner_texts() == [s["name"] for s in sources]
    assert page.locator("svg .edge.is-active").count() == 1
    ends = page.locator("svg a.is-end").evaluate_all("els => els.map(a => a.dataset.id)")
    assert sorted(ends) == sorted([edge["from"], edge["to"]])
    # Enter moves into the panel, to the first source; Escape closes the panel and goes back to the link.
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"/records/{sources[0]['id']}"
    page.keyboard.press("Escape")
    assert panel.inner_text() == "" and not panel.is_visible()
    assert page.evaluate("document.activeElement.dataset.from") == edge["from"]
    assert page.locator("svg .is-active, svg .is-end").count() == 0


def test_a_click_on_a_link_opens_its_panel_without_moving_the_view(site: Server, page: Any) -> None:
    page.goto(site.base + LINEAGE)
    page.get_by_role("button", name="Acercar").click()
    before = _view_box(page)
    # (a straight link has no height, which Playwright's own click calls invisible: click its middle)
    box = page.locator("svg .edge").first.evaluate("""e => { const r = e.getBoundingClientRect();
                                                           return [r.x + r.width / 2, r.y + r.height / 2]; }""")
    page.mouse.click(*box)
    assert page.locator("#link-details h2").is_visible()
    assert _view_box(page) == before
    page.get_by_role("button", name="Cerrar").click()
    assert page.locator("#link-details").inner_text() == ""
    assert page.evaluate("document.activeElement.matches('svg .edge')")


def test_the_zoom_buttons_the_wheel_and_a_drag_move_the_view(site: Server, page: Any) -> None:
    page.goto(site.base + LINEAGE)
    start = _view_box(page)
    page.get_by_role("button", name="Acercar").click()
    zoomed = _view_box(page)
    assert zoomed[2] < start[2] and zoomed[3] < start[3], (start, zoomed)
    page.get_by_role("button", name="Alejar").click()
    page.get_by_role("button", name="Alejar").click()
    assert _view_box(page)[2] > zoomed[2]
    page.get_by_role("button", name="Vista inicial").click()
    assert _view_box(page) == start
    # The buttons work from the keyboard too.
    page.get_by_role("button", name="Acercar").focus()
    page.keyboard.press("Enter")
    assert _view_box(page) == zoomed
    box = page.locator(".picture-wrap").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    wheeled = _view_box(page)
    assert wheeled[2] < zoomed[2], (zoomed, wheeled)
    # A drag to the right shows more of the left (the wheel zoomed in at the middle: there is some).
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 20, steps=2)
    page.mouse.move(box["x"] + 60, box["y"] + 20, steps=2)
    page.mouse.up()
    dragged = _view_box(page)
    assert dragged[2:] == wheeled[2:] and dragged[0] < wheeled[0], (wheeled, dragged)


def test_the_lineage_page_with_a_links_panel_open_passes_axe(site: Server, page: Any, axe_source: str,
                                                             artifacts: Any) -> None:
    page.goto(site.base + LINEAGE)
    _tab_to_a_link_with_sources(page)
    page.screenshot(path=str(artifacts / "lineage-link-details.png"), full_page=True)
    bad = _audit(page, axe_source)
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def test_at_200_records_a_focused_link_is_brought_into_view_and_the_page_passes_axe(
        big: str, page: Any, axe_source: str, artifacts: Any) -> None:
    page.goto(f"{big}/records/{ROOT_ID}/lineage?depth=3")
    assert page.locator("svg .edge").count() == 205
    start = _view_box(page)
    edge = page.locator("svg .edge").nth(180)
    edge.focus()
    x, y, w, h = _view_box(page)
    assert (x, y) != tuple(start[:2]) and (w, h) == tuple(start[2:])
    far = edge.evaluate("""e => { const a = e.ownerSVGElement.querySelector(`a[data-id="${e.dataset.to}"]`).getBBox();
                                  return [a.x, a.y, a.width, a.height]; }""")
    assert x <= far[0] and far[0] + far[2] <= x + w and y <= far[1] and far[1] + far[3] <= y + h, (far, (x, y, w, h))
    assert page.locator("#link-details h2").is_visible()
    page.screenshot(path=str(artifacts / "lineage-200.png"))
    bad = _audit(page, axe_source)
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def test_without_javascript_the_picture_keeps_its_titles_and_hides_the_dead_buttons(site: Server,
                                                                                    chromium: Any) -> None:
    context = chromium.new_context(locale="es-PE", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site.base + LINEAGE)
        assert not page.locator(".picture-tools").is_visible()
        titles = page.locator("svg .edge > title").evaluate_all("els => els.map(e => e.textContent)")
        assert titles and all(" → " in t for t in titles)
        assert any("Fuentes: " in t for t in titles)
    finally:
        context.close()
