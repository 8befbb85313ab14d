"""The interactive lineage picture over HTTP, on both stores, and its layout at 200 records.

A practitioner with 206 teachers over three steps (5, 25, then 175), each link citing a public source
and some a restricted one, and one restricted teacher: every link of the picture can be focused and
carries its relation, confidence and the sources the reader may see as data; a visitor never meets
the restricted source or teacher (an administrator does); the download is a plain SVG file; the
picture of 200 records has no overlapping boxes and no column thousands of pixels tall.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from itertools import combinations, pairwise

import pytest

from heritage_graph.app import create_app
from heritage_graph.model import Changes, Node, Relation
from heritage_graph.settings import Settings
from heritage_graph.tokens import create_token
from heritage_graph.web import pictures

from .conftest import PERSISTENT, Client, consented, fresh_store

SVG = "{http://www.w3.org/2000/svg}"
ROOT_ID = "lin-root"
PUBLIC_SOURCE, SECRET_SOURCE = "lin-src-public", "lin-src-secret"
SECRET_NAME = "Cuaderno Reservado del Taller"
HIDDEN_TEACHER = "Maestro Oculto Restringido"
FAN_OUT = (5, 5, 7)  # teachers of each record, step by step: 5 + 25 + 175 records


def _teacher_name(step: int, i: int) -> str:
    return f"Maestra {step}-{i:03d} de la tradición del retablo de Ayacucho"  # longer than a box holds


def lineage_world() -> tuple[list[Node], list[Relation]]:
    root = Node("Practitioner", ROOT_ID, "Aprendiz Principal", properties=consented(), version=1)
    nodes = [root, Node("Source", PUBLIC_SOURCE, "Archivo Público del Taller", version=1),
             Node("Source", SECRET_SOURCE, SECRET_NAME, sensitivity="restricted", version=1),
             Node("Practitioner", "lin-hidden", HIDDEN_TEACHER, sensitivity="restricted", version=1)]
    relations = [Relation("LEARNED_FROM", ROOT_ID, "lin-hidden", sources=(PUBLIC_SOURCE,), version=1)]
    students, count = [root], 0
    for step, fan in enumerate(FAN_OUT, start=1):
        teachers = []
        for student in students:
            for _ in range(fan):
                count += 1
                teacher = Node("Practitioner", f"lin-{step}-{count:03d}", _teacher_name(step, count),
                               properties=consented(), version=1)
                cited = (PUBLIC_SOURCE, SECRET_SOURCE) if count % 3 == 0 else (PUBLIC_SOURCE,)
                relations.append(Relation("LEARNED_FROM", student.id, teacher.id, sources=cited,
                                          confidence="high" if count % 2 else "medium", version=1))
                teachers.append(teacher)
        nodes += teachers
        students = teachers
    return nodes, relations


@pytest.fixture(scope="module", params=PERSISTENT)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, str]]:
    with fresh_store(request, tmp_path_factory.mktemp("web-lineage")) as store:
        nodes, relations = lineage_world()
        store.apply(Changes(nodes=nodes, relations=relations, expected={("node", n.id): 0 for n in nodes}))
        admin, _ = create_token(store, "admin", name="lineage-test")
        client = Client(create_app(Settings(), store=store))
        try:
            yield client, admin
        finally:
            client.close()


def _picture(page: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg .*?</svg>", page, re.S).group(0))  # type: ignore[union-attr]


def _edges(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"]


def test_every_link_can_be_focused_and_carries_its_relation_confidence_and_sources(
        site: tuple[Client, str]) -> None:
    client, _ = site
    svg = _picture(client.get(f"/records/{ROOT_ID}/lineage?depth=3").text)
    names = {a.get("data-id"): a.find(f"{SVG}title").text for a in svg.iter(f"{SVG}a")}  # type: ignore[union-attr]
    edges = _edges(svg)
    assert len(names) == 1 + 5 + 25 + 175 and len(edges) == 5 + 25 + 175
    for g in edges:
        assert g.get("tabindex") == "0" and g.get("data-relation") == "LEARNED_FROM"
        assert g.get("data-confidence") in ("high", "medium")
        assert g.get("data-confidence-label") in ("alta", "media")
        title = g.find(f"{SVG}title").text or ""  # type: ignore[union-attr]
        # The accessible name: both ends, the relation and its confidence (Spanish), the sources.
        assert title.startswith(f"{names[g.get('data-from')]} → {names[g.get('data-to')]}: Aprendió de, confianza ")
        assert json.loads(g.get("data-sources") or "") == [{"id": PUBLIC_SOURCE, "name": "Archivo Público del Taller"}]
        assert title.endswith(". Fuentes: Archivo Público del Taller")
    english = _picture(client.get(f"/records/{ROOT_ID}/lineage?depth=1", headers={"accept-language": "en"}).text)
    assert all(", confidence " in (g.find(f"{SVG}title").text or "") for g in _edges(english))  # type: ignore[union-attr]


def test_a_visitor_never_meets_the_restricted_source_or_teacher_an_administrator_does(
        site: tuple[Client, str]) -> None:
    client, admin = site
    for url in (f"/records/{ROOT_ID}/lineage?depth=3", f"/records/{ROOT_ID}/lineage.svg?depth=3",
                f"/records/{ROOT_ID}", "/records/lin-1-003/lineage?direction=descendants"):
        body = client.get(url).text
        for secret in (SECRET_SOURCE, SECRET_NAME, HIDDEN_TEACHER, "lin-hidden"):
            assert secret not in body, (url, secret)
    seen = client.get(f"/records/{ROOT_ID}/lineage?depth=3", headers={"authorization": f"Bearer {admin}"}).text
    edges = _edges(_picture(seen))
    cited = [json.loads(g.get("data-sources") or "") for g in edges]
    assert sum({"id": SECRET_SOURCE, "name": SECRET_NAME} in c for c in cited) == 205 // 3
    assert HIDDEN_TEACHER in seen


def test_the_download_is_a_standalone_svg_without_script(site: tuple[Client, str]) -> None:
    client, _ = site
    answer = client.get(f"/records/{ROOT_ID}/lineage.svg?depth=3")
    assert answer.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(answer.text)
    assert svg.tag == f"{SVG}svg" and svg.get("viewBox")
    assert not [e for e in svg.iter() if e.tag.endswith("script") or any(a.startswith("on") for a in e.attrib)]
    assert len(_edges(svg)) == 205 and "lineage.js" not in answer.text


def test_only_the_lineage_page_loads_the_script_and_hands_it_its_words(site: tuple[Client, str]) -> None:
    client, _ = site
    page = client.get(f"/records/{ROOT_ID}/lineage?depth=2").text
    assert '<script src="/static/web/lineage.js" defer></script>' in page
    assert re.search(r'<div class="picture-tools" hidden>', page)
    panel = re.search(r'<div id="link-details"[^>]*>', page, re.S).group(0)  # type: ignore[union-attr]
    assert 'aria-live="polite"' in panel and 'data-sources="Fuentes"' in panel and 'data-close="Cerrar"' in panel
    english = client.get(f"/records/{ROOT_ID}/lineage?depth=2", headers={"accept-language": "en"}).text
    assert 'data-close="Close"' in english and ">Zoom in</button>" in english
    assert "lineage.js" not in client.get(f"/records/{ROOT_ID}").text
    script = client.get("/static/web/lineage.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_the_picture_of_200_records_stays_a_few_screens_high(site: tuple[Client, str]) -> None:
    client, _ = site
    svg = _picture(client.get(f"/records/{ROOT_ID}/lineage?depth=3").text)
    height, width = int(svg.get("height") or 0), int(svg.get("width") or 0)
    assert height <= 2 * pictures.PAD + pictures.MAX_ROWS * (pictures.BOX_H + pictures.GAP_Y)
    assert width < 6 * height, (width, height)
    labels = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert all(len(label) <= pictures.MAX_LABEL for label in labels) and any(label.endswith("…") for label in labels)


# -- the layout, without a store ---------------------------------------------------------------------
def _layout_of_the_world() -> tuple[dict[str, pictures.Placed], list[list[Node]]]:
    nodes, relations = lineage_world()
    by_id = {n.id: n for n in nodes if n.kind == "Practitioner" and n.sensitivity == "public"}
    depths = {ROOT_ID: 0}
    for step in range(len(FAN_OUT)):
        for r in relations:
            if depths.get(r.from_id) == step and r.to_id in by_id:
                depths[r.to_id] = step + 1
    del depths[ROOT_ID]
    columns = pictures.lineage_columns(by_id[ROOT_ID], depths, by_id, relations)
    return pictures.layout(columns), columns


def test_the_layout_of_200_records_has_no_overlapping_boxes_and_wraps_tall_columns() -> None:
    placed, columns = _layout_of_the_world()
    assert len(placed) == 206 and [len(c) for c in columns] == [1, 5, 25, 175]
    for a, b in combinations(placed.values(), 2):
        apart_x = abs(a.x - b.x) >= pictures.BOX_W + min(pictures.SUB_GAP, pictures.GAP_X)
        apart_y = abs(a.y - b.y) >= pictures.BOX_H + pictures.GAP_Y
        assert apart_x or apart_y, (a.node.id, b.node.id)
    rows = {p.y for p in placed.values()}
    assert len(rows) <= pictures.MAX_ROWS
    # A column's sub-columns lie right of the column before and left of the column after.
    for before, after in pairwise(columns):
        assert max(placed[n.id].x for n in before) < min(placed[n.id].x for n in after)


def test_each_column_keeps_the_teachers_of_one_record_together() -> None:
    _, columns = _layout_of_the_world()
    _, relations = lineage_world()
    student = {r.to_id: r.from_id for r in relations}
    for before, column in pairwise(columns):
        order = {n.id: i for i, n in enumerate(before)}
        assert [order[student[n.id]] for n in column] == sorted(order[student[n.id]] for n in column)


def test_a_long_name_is_cut_in_its_box_and_whole_in_its_title() -> None:
    placed, _ = _layout_of_the_world()
    drawn = pictures.svg(placed, [], {}, "t")
    name = _teacher_name(1, 1)
    assert f"<title>{name}</title>" in drawn and f">{name[: pictures.MAX_LABEL - 1]}…</text>" in drawn
