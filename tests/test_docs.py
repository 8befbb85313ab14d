"""Documentation that is tested: GraphQL examples run against the seeds, the
interchange examples import, and every setting and command is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from heritage_graph.errors import ImportRejected
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.memory import MemoryStore

from .conftest import GraphQLClient

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"```([\w-]+)\n(.*?)```", re.S)


def blocks(path: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(path.read_text(encoding="utf-8"))]


def examples(path: Path) -> list[tuple[str, str, str | None]]:
    """(language, text, the json block right after it or None)."""
    found = blocks(path)
    out = []
    for i, (lang, text) in enumerate(found):
        if lang in ("graphql", "graphql-error"):
            nxt = found[i + 1] if i + 1 < len(found) else None
            out.append((lang, text, nxt[1] if nxt and nxt[0] == "json" else None))
    return out


GRAPHQL_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CASES = [(p.name, i, ex) for p in GRAPHQL_DOCS for i, ex in enumerate(examples(p))]


def test_the_guides_have_examples() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize(("doc", "index", "example"), CASES, ids=[f"{d}#{i}" for d, i, _ in CASES])
def test_graphql_example(gql: GraphQLClient, doc: str, index: int, example: tuple[str, str, str | None]) -> None:
    lang, query, expected = example
    if lang == "graphql-error":
        errors = gql.errors(query)
        got = [{"message": e["message"], **e.get("extensions", {})} for e in errors]
    else:
        got = gql(query)
    if expected is not None:
        assert got == json.loads(expected)


def test_interchange_examples_import_and_errors_match(tmp_path: Path) -> None:
    doc = ROOT / "docs" / "interchange.md"
    found = blocks(doc)
    good = "".join(text for lang, text in found if lang == "jsonl")
    store = MemoryStore()
    f = tmp_path / "good.jsonl"
    f.write_text(good, encoding="utf-8")
    report = run_import(store, [f])
    shown = [text for lang, text in found if lang == "text"]
    assert any(report.summary() in t for t in shown), report.summary()

    i = next(i for i, (lang, _) in enumerate(found) if lang == "jsonl-invalid")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(found[i][1], encoding="utf-8")
    with pytest.raises(ImportRejected) as err:
        run_import(store, [bad])
    assert str(err.value).replace(str(tmp_path) + "/", "").strip() == found[i + 1][1].strip()


def test_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    source = (ROOT / "heritage_graph" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"((?:HERITAGE|NEO4J)_[A-Z_]+)"', source))
    assert len(names) >= len([f for f in Settings.__dataclass_fields__]) - 0
    missing = [n for n in sorted(names) if f"`{n}`" not in readme]
    assert missing == [], f"undocumented settings: {missing}"


def test_readme_opens_with_the_two_commands() -> None:
    first = blocks(ROOT / "README.md")[0][1].strip().splitlines()
    assert [line.split("#")[0].strip() for line in first] == ["make serve", "make test"]


def test_every_command_is_in_the_readme() -> None:
    from heritage_graph.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert re.search(rf"^\s+{name}\b", readme, re.M), f"command {name} is not in the README"


def test_mutation_examples_are_valid_against_the_schema() -> None:
    from graphql import parse, validate

    from heritage_graph.api.schema import build_schema

    schema = build_schema()._schema
    found = 0
    for doc in GRAPHQL_DOCS:
        for lang, text in blocks(doc):
            if lang == "graphql-mutation":
                found += 1
                errors = validate(schema, parse(text))
                assert not errors, f"{doc.name}: {errors}"
    assert found >= 5


def test_the_tests_neo4j_is_the_version_line_deployed() -> None:
    pom = (ROOT / "tools" / "neo4j" / "pom.xml").read_text(encoding="utf-8")
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    tested = re.search(r"<neo4j.version>([0-9.]+)</neo4j.version>", pom)
    image = re.search(r"image: neo4j:([0-9.]+)", compose)
    assert tested and image
    assert tested.group(1).startswith(image.group(1) + "."), (tested.group(1), image.group(1))
