"""The named Cypher queries: both dialects agree, every query renders, and
Neo4j's own parser accepts every Neo4j query."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from heritage_graph.errors import StoreQueryError
from heritage_graph.store import ladybug
from heritage_graph.store.cypher import DIALECT_ONLY_FILES, PLACEHOLDER, QueryBook, parse_file

from . import tools

ROOT = Path(__file__).resolve().parent.parent
LINT = ROOT / "tools" / "cypher-lint"


def books() -> dict[str, QueryBook]:
    return {"ladybug": QueryBook("ladybug", ladybug.EXPANSIONS), "neo4j": QueryBook("neo4j")}


def _shared(book: QueryBook) -> dict[str, frozenset[str]]:
    return {n: book.params(n) for n in book.names() if book.query(n).file not in DIALECT_ONLY_FILES}


def test_dialects_define_the_same_queries_with_the_same_parameters() -> None:
    b = books()
    lb, neo = _shared(b["ladybug"]), _shared(b["neo4j"])
    assert sorted(lb) == sorted(neo), f"only in ladybug: {set(lb) - set(neo)}; only in neo4j: {set(neo) - set(lb)}"
    for name in lb:
        assert lb[name] == neo[name], f"{name}: ladybug takes {sorted(lb[name])}, neo4j {sorted(neo[name])}"


def test_every_query_renders_for_every_binding() -> None:
    for book in books().values():
        for name in book.names():
            files = ("/spool/a.parquet", "/spool/b.parquet") if "FILES" in book.query(name).placeholders else None
            for rel, kind in book.instances(name):
                text = book.render(name, rel=rel, kind=kind, files=files)
                assert not PLACEHOLDER.search(text), (book.dialect, name, text)


def test_placeholders_only_take_schema_names() -> None:
    book = books()["neo4j"]
    with pytest.raises(StoreQueryError, match="not a relation type"):
        book.render("upsert_relations", rel="KNOWS]->() DETACH DELETE (n")
    with pytest.raises(StoreQueryError, match="not a node kind"):
        book.render("upsert_nodes", kind="Tradition SET n.x = 1")
    ladybug = books()["ladybug"]
    assert ladybug.render("copy_nodes_files", files=("/s p/a.parquet",)) == "COPY Node FROM ['/s p/a.parquet']"
    for bad in ("/tmp/x' RETURN 1 //", "relative.parquet", "/tmp/a\\b", "/tmp/a\n"):
        with pytest.raises(StoreQueryError, match="cannot be named to COPY FROM"):
            ladybug.render("copy_nodes_files", files=(bad,))
    with pytest.raises(StoreQueryError, match="needs the files"):
        ladybug.render("copy_nodes_files")


def test_parser_reports_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.cypher"
    f.write_text("MATCH (n) RETURN n\n// name: ok\nRETURN 1\n", encoding="utf-8")
    with pytest.raises(StoreQueryError, match=r"bad.cypher:1: text before"):
        parse_file(f)


def _lint_installed() -> Path:
    tools.npm_ci(LINT, "@neo4j-cypher/language-support")
    return tools.node()


def _lint(queries: list[dict[str, str]]) -> list[dict]:
    node = _lint_installed()
    out = subprocess.run([str(node), str(LINT / "lint.mjs")], input=json.dumps(queries), capture_output=True,
                         text=True, timeout=600, check=True)
    return json.loads(out.stdout)


def test_every_neo4j_query_passes_neo4js_parser() -> None:
    book = books()["neo4j"]
    queries = []
    for name in book.names():
        for rel, kind in book.instances(name):
            label = "/".join(x for x in (name, rel, kind) if x)
            queries.append({"name": label, "text": book.render(name, rel=rel, kind=kind)})
    results = _lint(queries)
    assert len(results) == len(queries)
    errors = [(r["name"], d) for r in results for d in r["diagnostics"] if d["severity"] == "error"]
    assert not errors, "\n".join(f"{n}: {d['line']}:{d['column']} {d['message']}" for n, d in errors)


def test_the_linter_does_catch_errors() -> None:
    # Guards the test above against a linter that silently accepts everything.
    results = _lint([{"name": "broken", "text": "MATCH (n RETURN n"}, {"name": "fine", "text": "RETURN 1 AS one"}])
    assert [bool(r["diagnostics"]) for r in results] == [True, False]
