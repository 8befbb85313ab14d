"""The curation workspace in a real browser, on the service as it ships: users are created with the
command line before `serve` starts (as the README says to), then each person has a browser context of
their own. A curator creates a record with a relation and a new source and submits it; a reviewer
rejects it with a comment; the curator fixes it and submits again; the reviewer approves; an anonymous
visitor then finds it. Two contexts editing one record get the conflict page; a disabled user's open
session stops working. Every workspace template passes the axe audit, with screenshots."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..tools import Server, running_service
from .conftest import _require
from .test_explorer import _audit

PASSWORD = "una clave bastante larga"
USERS = {"cura": "curator", "cura2": "curator", "revi": "reviewer", "jefa": "admin"}
TEACHER = "jesus-urbano-rojas"


def heritage(db: Path, *args: str, stdin: str = "") -> None:
    done = subprocess.run([sys.executable, "-m", "heritage_graph.cli", "--db", str(db), *args], input=stdin,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require()
    db = tmp_path_factory.mktemp("workspace") / "db"
    heritage(db, "init")
    for name, role in USERS.items():
        heritage(db, "user", "create", "--username", name, "--role", role, stdin=PASSWORD + "\n")
    with running_service(db) as server:
        yield server


@pytest.fixture
def person(chromium: Any, workspace: Server) -> Iterator[Any]:
    """``person("cura")``: a signed-in browser tab of its own; ``person(None)``: an anonymous visitor."""
    contexts: list[Any] = []

    def open_as(name: str | None) -> Any:
        context = chromium.new_context(locale="es-PE", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        tab = context.new_page()
        if name is not None:
            tab.goto(workspace.base + "/login")
            tab.fill("#username", name)
            tab.fill("#password", PASSWORD)
            tab.click("form[action='/login'] button[type=submit]")
            tab.wait_for_url("**/curate")
        return tab

    yield open_as
    for context in contexts:
        context.close()


def record_id(tab: Any) -> str:
    found = re.search(r"/curate/records/([^/?]+)", tab.url)
    assert found, tab.url
    return found.group(1)


def workflow(tab: Any, op: str, comment: str = "") -> None:
    form = tab.locator(f"form.action:has(input[name=op][value={op}])")
    if comment:
        form.locator("[name=comment]").fill(comment)
    form.locator("button[type=submit]").click()
    tab.wait_for_url(f"**done={op}")


def test_create_relate_cite_submit_reject_fix_approve_and_a_visitor_finds_it(workspace: Server, person: Any,
                                                                            artifacts: Any) -> None:
    cura, revi = person("cura"), person("revi")
    # The curator creates a practitioner with a new source, from the form generated from the schema.
    cura.goto(workspace.base + "/curate/new?kind=Practitioner")
    cura.fill("#f-name", "Teodora Navegador Quispe")
    cura.fill("#f-names-qu", "Teodora Navegador")
    cura.fill("#f-properties-birth_year", "1958")
    cura.fill("#f-properties-roles", "tejedora\nmaestra")
    cura.fill("#f-source-title", "Entrevista a Teodora (navegador)")
    cura.fill("#f-source-url", "https://example.org/teodora")
    cura.click("form.record-form button[type=submit]")
    cura.wait_for_url("**/curate/records/**done=created")
    node_id = record_id(cura)
    assert "Entrevista a Teodora (navegador)" in cura.locator("#h-sources + ul").inner_text()
    # A relation: the picker suggests records of the kinds the chosen relation allows, as one types.
    cura.select_option("#rel-type", "out:LEARNED_FROM")
    cura.locator("#rel-other").press_sequentially("Urbano", delay=30)
    cura.wait_for_function("document.querySelectorAll('#rel-other-list option').length > 0")
    suggested = cura.locator("#rel-other-list option").evaluate_all("os => os.map(o => o.value)")
    assert TEACHER in suggested
    cura.fill("#rel-other", TEACHER)
    cura.select_option("#f-LEARNED_FROM-confidence", "high")
    assert cura.locator("fieldset[data-for='out:PRACTITIONER_OF']").is_hidden()
    cura.click("form.relation-editor button[type=submit]")
    cura.wait_for_url("**done=relation-added")
    assert "Jesús Urbano Rojas" in cura.locator("ul.relations").inner_text()
    workflow(cura, "submit")

    # The reviewer finds it in the queue and sends it back with a comment.
    revi.goto(workspace.base + "/curate")
    revi.screenshot(path=str(artifacts / "curate-queue.png"), full_page=True)
    revi.locator("table.queue a", has_text="Teodora Navegador Quispe").click()
    assert revi.locator("table.diff").count() == 1  # what would be published
    revi.screenshot(path=str(artifacts / "curate-review.png"))  # the first screenful: actions and the difference
    workflow(revi, "reject", "Falta el consentimiento y el año de la entrevista.")

    # The curator sees the comment, fixes the record and submits again.
    cura.goto(workspace.base + "/curate")
    returned = cura.locator("section[aria-labelledby=h-returned]")
    assert "Falta el consentimiento y el año de la entrevista." in returned.inner_text()
    returned.locator("a", has_text="Teodora Navegador Quispe").click()
    cura.locator("a.button[href$='/edit']").click()
    cura.fill("#f-summary-es", "Tejedora de Taquile; entrevistada en 2023.")
    # A living person is public only with a consent basis (docs/outline.md).
    cura.select_option("#f-properties-consent-basis", "given")
    cura.fill("#f-properties-consent-evidence", "Acta de consentimiento firmada, 2023")
    cura.click("form.record-form button[type=submit]")
    cura.wait_for_url("**done=saved")
    workflow(cura, "submit")

    # The reviewer approves; an anonymous visitor then finds it by searching.
    revi.goto(f"{workspace.base}/curate/records/{node_id}")
    workflow(revi, "approve")
    visitor = person(None)
    visitor.goto(workspace.base + "/")
    visitor.fill("#home-q", "Teodora Navegador")
    visitor.press("#home-q", "Enter")
    visitor.get_by_role("link", name="Teodora Navegador Quispe", exact=True).first.click()
    visitor.wait_for_url(f"**/records/{node_id}")
    assert "Jesús Urbano Rojas" in visitor.locator("main").inner_text()


def test_two_editors_of_one_record_get_the_conflict_page_and_merge(workspace: Server, person: Any,
                                                                   axe_source: str, artifacts: Any) -> None:
    a, b = person("cura"), person("cura2")
    a.goto(workspace.base + "/curate/new?kind=Craft")
    a.fill("#f-name", "Cestería en conflicto")
    a.click("form.record-form button[type=submit]")
    a.wait_for_url("**done=created")
    edit = f"{workspace.base}/curate/records/{record_id(a)}/edit"
    a.goto(edit)
    b.goto(edit)
    b.fill("#f-summary-es", "Resumen de la segunda curadora.")
    b.click("form.record-form button[type=submit]")
    b.wait_for_url("**done=saved")
    a.fill("#f-name", "Cestería en conflicto (revisada)")
    a.click("form.record-form button[type=submit]")
    a.wait_for_load_state()
    assert a.locator("form.merge").count() == 1
    a.screenshot(path=str(artifacts / "curate-conflict.png"), full_page=True)
    assert not _audit(a, axe_source)
    rows = a.locator("form.merge tbody tr")
    assert rows.count() == 2  # the name (changed here) and the summary (changed there)
    assert a.locator("input[name='pick.name'][value=mine]").is_checked()
    assert a.locator("input[name='pick.summary'][value=theirs]").is_checked()
    a.click("form.merge button[type=submit]")
    a.wait_for_url("**done=merged")
    assert a.locator("h1").inner_text() == "Cestería en conflicto (revisada)"
    a.goto(f"{workspace.base}/curate/records/{record_id(a)}/edit")
    assert a.locator("#f-summary-es").input_value() == "Resumen de la segunda curadora."


def test_a_disabled_user_s_open_session_stops_working(workspace: Server, person: Any) -> None:
    cura2, jefa = person("cura2"), person("jefa")
    cura2.goto(workspace.base + "/curate")
    assert cura2.url.endswith("/curate")
    jefa.goto(workspace.base + "/curate/users")
    jefa.locator("form[action='/curate/users/cura2/disable'] button").click()
    jefa.wait_for_url("**done=user-disabled")
    cura2.goto(workspace.base + "/curate")
    assert "/login" in cura2.url
    jefa.locator("form[action='/curate/users/cura2/enable'] button").click()
    jefa.wait_for_url("**done=user-enabled")


WORKSPACE_PAGES = [("curate-login", None, "/login"), ("curate-dashboard", "revi", "/curate"),
                   ("curate-kinds", "cura", "/curate/new"), ("curate-new", "cura", "/curate/new?kind=Tradition"),
                   ("curate-record", "cura", "/curate/records/retablo-ayacuchano"),
                   ("curate-edit", "cura", "/curate/records/jesus-urbano-rojas/edit"),
                   ("curate-users", "jefa", "/curate/users"), ("curate-tokens", "jefa", "/curate/tokens"),
                   ("curate-import", "jefa", "/curate/import")]


@pytest.mark.parametrize(("name", "who", "path"), WORKSPACE_PAGES)
def test_every_workspace_page_passes_axe_and_is_photographed(workspace: Server, person: Any, axe_source: str,
                                                             artifacts: Any, name: str, who: str | None,
                                                             path: str) -> None:
    tab = person(who)
    tab.goto(workspace.base + path)
    tab.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    bad = _audit(tab, axe_source)
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def test_a_form_with_problems_lists_them_and_passes_axe(workspace: Server, person: Any, axe_source: str,
                                                        artifacts: Any) -> None:
    cura = person("cura")
    cura.goto(workspace.base + "/curate/new?kind=Practitioner")
    cura.fill("#f-name", "Con problemas")
    cura.fill("#f-properties-birth_year", "3000")
    cura.fill("#f-properties-consent-date", "20")
    cura.click("form.record-form button[type=submit]")
    cura.wait_for_load_state()
    summary = cura.locator(".error-summary")
    assert summary.count() == 1 and summary.locator("li").count() >= 2
    summary.locator("a[href='#f-properties-birth_year']").click()
    assert cura.evaluate("document.activeElement.id") == "f-properties-birth_year"
    cura.screenshot(path=str(artifacts / "curate-problems.png"), full_page=True)
    assert not _audit(cura, axe_source)
