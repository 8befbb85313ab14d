"""The browser tests' fixtures: the service as it ships (`heritage-graph serve` on the Peru demo), and
Debian's Chromium driven headless by Playwright (never a downloaded browser: `executable_path`).

Without Chromium (a contributor's laptop) these tests skip, saying why; with HERITAGE_TEST_REQUIRE_BROWSER=1
(CI, .ci/run, which installs Debian's `chromium` when missing) a missing browser fails the run instead.
Screenshots go to $HERITAGE_TEST_ARTIFACTS/screenshots (default test-artifacts/, git-ignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import ROOT
from ..tools import Server, running_service

CHROMIUM = os.environ.get("HERITAGE_TEST_CHROMIUM", "/usr/bin/chromium")
VENDOR = Path(__file__).resolve().parent / "vendor"


def _require() -> None:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    why = f"no Chromium at {CHROMIUM} (apt install chromium, or set HERITAGE_TEST_CHROMIUM)"
    if os.environ.get("HERITAGE_TEST_REQUIRE_BROWSER"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("HERITAGE_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core as vendored by `make assets`, checked against its manifest."""
    manifest = json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))["axe.min.js"]
    data = (VENDOR / "axe.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"], "tests/browser/vendor/axe.min.js was changed"
    return data.decode("utf-8")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require()
    with running_service(tmp_path_factory.mktemp("browser") / "db") as server:
        yield server


# Per module, not per session: Playwright's sync API keeps an event loop running in this thread while it
# is open, and the other tests' asyncio clients cannot start their own under it.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    _require()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="es-PE", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()
