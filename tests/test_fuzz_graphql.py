"""schemathesis in GraphQL mode against the running service: no 5xx, no masked internal error.

The operations come from the schema the service builds (introspected in process, so collection
needs no server); the cases go over HTTP to a real `heritage-graph serve` on a throw-away seeded
store, anonymously and with curator and admin tokens, so mutations run too. Every field of Query
and Mutation gets its own test, with schemathesis's valid (positive) and schema-breaking
(negative) documents. Arguments that name records draw half the time from the seeds' ids and
small integers, so the fuzz reaches real records, versions and page sizes rather than only
"not found".

What a response may be: a 4xx or a 200 whose errors are either request errors (syntax,
validation, the query limits, variable coercion: no ``path``) or field errors with an expected
code. A 5xx, an ``Internal server error`` (the mask of ErrorCodes) or a field error without a
code is a bug; so is an unexpected error or an uncaught exception in the server's log.

Malformed requests, the second half: hypothesis builds whole request envelopes and sends them to the
app in process (httpx over ASGI, the suite's ``client``): POST bodies that are any JSON value, JSON
nested up to 2,100 levels, bytes that are not JSON or not UTF-8, under any content type; members
(``query``, ``operationName``, ``variables``, ``extensions``) of every JSON type, dropped, repeated
or unknown; the same as GET parameters, or a query string of any bytes; persisted-query extensions
of every shape; ``asOf`` date-times across and past 0001-9999 with offsets to ±23:59, leap seconds
and garbage; ``after`` cursors of any text, and base64 of any bytes, of huge offsets and of digits
int() refuses. Every answer must be under 500 and GraphQL-shaped JSON (or GraphiQL's page, for a
browser's GET); every error must have a string message and a code documented in docs/graphql.md or
docs/operations.md, and no message may show a traceback, an exception's or a Python type's name the
request did not contain; after each request the service must still answer a plain query.
``HERITAGE_FUZZ_HTTP_EXAMPLES`` (default 200 per test) raises the count for a longer hunt, and
``--hypothesis-show-statistics`` shows which statuses and codes the fuzz reached.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes, quote_plus, unquote_plus, urlencode

import httpx
import pytest
import requests
import schemathesis
from graphql import get_introspection_query
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.graphql import nodes

from heritage_graph.api.http import GRAPHQL_RESPONSE_JSON
from heritage_graph.api.persisted import sha256_hex
from heritage_graph.api.query import encode_cursor
from heritage_graph.api.schema import build_schema
from heritage_graph.settings import Settings

from .conftest import Client
from .tools import Server, new_store_with_tokens, running_service

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = 6  # per operation, role and generation mode; the whole module stays around 30 s
ROLES = ("anonymous", "curator", "admin")
# Codes a field error may carry (heritage_graph/errors.py): the client's fault, or a record it may not see.
EXPECTED_CODES = {"BAD_USER_INPUT", "NOT_FOUND", "FORBIDDEN", "CONFLICT", "UNAUTHENTICATED"}
ACCEPTS = ("application/json", GRAPHQL_RESPONSE_JSON, "*/*")
# What the server's log must never show: a resolver error ErrorCodes masked, an exception no handler caught.
# (Expected errors may be logged with their traceback too, so a traceback alone proves nothing.)
LOG_ALARMS = ("unexpected error at", "Exception in ASGI application")


def _seed_ids() -> list[str]:
    ids = []
    for path in sorted((ROOT / "seeds").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and "id" in (obj := json.loads(line)):
                ids.append(obj["id"])
    return ids


SEED_IDS = _seed_ids()
# Registered for schemathesis only (its own scalar table): real ids and small numbers half the time.
schemathesis.graphql.scalar("ID", st.one_of(
    st.sampled_from(SEED_IDS).map(nodes.String), st.text(max_size=40).map(nodes.String), st.integers().map(nodes.Int)))
schemathesis.graphql.scalar("Int", st.one_of(
    st.integers(min_value=-2, max_value=25), st.integers(min_value=-(2**31), max_value=2**31 - 1)).map(nodes.Int))


def _load_schema() -> Any:
    result = build_schema(Settings()).execute_sync(get_introspection_query())
    assert not result.errors, result.errors
    return schemathesis.graphql.from_dict({"data": result.data})


SCHEMA = _load_schema()
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}


@dataclass
class Service:
    server: Server
    headers: dict[str, dict[str, str]]
    session: requests.Session = field(default_factory=requests.Session)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    db = tmp_path_factory.mktemp("fuzz-graphql") / "db"
    headers = {"anonymous": {}, **dict(zip(ROLES[1:], new_store_with_tokens(db, [(r, f"fuzz-{r}") for r in ROLES[1:]]),
                                           strict=True))}
    with running_service(db) as server:
        svc = Service(server, headers)
        yield svc
        svc.session.close()
    text = server.text
    alarms = [line for line in text.splitlines() if any(a in line for a in LOG_ALARMS)]
    assert not alarms, "the server logged errors during the fuzz:\n" + text[-4000:]


def response_problems(status: int, body: Any) -> list[str]:
    """What is wrong with one response, by the rules in the module docstring."""
    if status >= 500:
        return [f"HTTP {status}"]
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        return [f"not a GraphQL response: {str(body)[:300]}"]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if error.get("message") == "Internal server error" or code == "INTERNAL_SERVER_ERROR":
            found.append(f"masked internal error at {error.get('path')}")
        elif error.get("path") is not None and code not in EXPECTED_CODES:
            found.append(f"field error without an expected code: {error}")
    return found


# Negative documents fail validation before any role matters: anonymous and admin cover them.
CASES = [(label, role, mode) for label in sorted(OPERATIONS) for role in ROLES
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if not (role == "curator" and mode is GenerationMode.NEGATIVE)]


@pytest.mark.parametrize(("label", "role", "mode"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2].value}" for c in CASES])
def test_no_server_error(service: Service, label: str, role: str, mode: GenerationMode) -> None:
    operation = OPERATIONS[label]

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=operation.as_strategy(mode), accept=st.sampled_from(ACCEPTS))
    def fuzz(case: Any, accept: str) -> None:
        response = case.call(base_url=f"{service.server.base}/graphql", session=service.session,
                             headers={**service.headers[role], "Accept": accept}, timeout=30)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        found = response_problems(response.status_code, body)
        assert not found, f"{label} as {role}: {found}\n\nquery:\n{case.body}\n\nresponse: {response.text[:2000]}"

    fuzz()


def test_every_root_field_is_fuzzed() -> None:
    """New fields are picked up from the schema, so none escapes the fuzz."""
    schema = build_schema(Settings())
    fields = {f"{root}.{name}" for root, t in (("Query", schema.query), ("Mutation", schema.mutation))
              for name in schema._schema.get_type(t.__strawberry_definition__.name).fields}
    assert set(OPERATIONS) == fields


@pytest.mark.parametrize(("status", "body", "expected"), [
    (200, {"data": {"node": None}}, []),
    (400, {"errors": [{"message": "Syntax Error: Unexpected Name"}]}, []),
    (200, {"data": {"crafts": None}, "errors": [
        {"message": "first must be between 0 and 200", "path": ["crafts"], "extensions": {"code": "BAD_USER_INPUT"}}]},
     []),
    (500, {"errors": [{"message": "boom"}]}, ["HTTP 500"]),
    (502, "Bad Gateway", ["HTTP 502"]),
    (200, "<html>", ["not a GraphQL response: <html>"]),
    (200, {"data": None, "errors": [{"message": "Internal server error", "path": ["node"],
                                     "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]},
     ["masked internal error at ['node']"]),
    (200, {"data": None, "errors": [{"message": "Cannot return null for non-nullable field Query.node",
                                     "path": ["node"]}]},
     ["field error without an expected code: {'message': 'Cannot return null for non-nullable field Query.node', "
      "'path': ['node']}"]),
    (200, {"data": None, "errors": [{"message": "x", "path": ["node"], "extensions": {"code": "STORE_QUERY_ERROR"}}]},
     ["field error without an expected code: {'message': 'x', 'path': ['node'], "
      "'extensions': {'code': 'STORE_QUERY_ERROR'}}"]),
])
def test_the_oracle_tells_bugs_from_expected_errors(status: int, body: Any, expected: list[str]) -> None:
    assert response_problems(status, body) == expected


def test_a_number_too_long_to_read_is_a_bad_request(client: Client) -> None:
    body = b'{"query": "query($n: Int) { nodes(ids: []) { id } }", "variables": {"n": ' + b"9" * 5000 + b"}}"
    r = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and not response_problems(r.status_code, r.json()), r.text



# --- malformed requests: whole envelopes, generated by hypothesis, over the ASGI app -----------

# HERITAGE_FUZZ_HTTP_EXAMPLES raises the count per test for a longer hunt (bench/ or by hand).
HTTP_EXAMPLES = int(os.environ.get("HERITAGE_FUZZ_HTTP_EXAMPLES", "200"))
HTTP_SETTINGS = settings(max_examples=HTTP_EXAMPLES, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.large_base_example, HealthCheck.filter_too_much])
# Every code an error may carry, each documented in docs/graphql.md ("Errors" and after) or in
# docs/operations.md ("Error responses"): the request's fault or a record it may not see, never ours.
DOCUMENTED_CODES = EXPECTED_CODES | {
    "BAD_REQUEST", "METHOD_NOT_ALLOWED", "NOT_ACCEPTABLE", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED",
    "BODY_TOO_LARGE", "QUERY_TOO_LARGE", "QUERY_TOO_COMPLEX", "QUERY_TOO_COSTLY", "RESULT_TOO_LARGE",
    "TIME_BUDGET_EXCEEDED", "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_SUPPORTED",
    "PERSISTED_QUERY_HASH_MISMATCH"}
# What a message must not show unless the request itself said it: a traceback, an exception's or a
# Python type's name, a module path.
LEAKS = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|\b[A-Z]\w*(?:Error|Exception)\b"
                   r"|<class '|object at 0x|\bNoneType\b|\bgot (?:dict|list|str|int|float|bool)\b|\w\.py\b"
                   r"|\b(?:heritage_graph|strawberry|starlette|graphql)\.[a-z_]+\.")
ROOT_ID = "jesus-urbano-rojas"
NORMAL = f'{{ node(id: "{ROOT_ID}") {{ id }} }}'
FRESH = itertools.count()
MEMBERS = ("query", "operationName", "variables", "extensions")
MEDIA = (None, "application/json", GRAPHQL_RESPONSE_JSON, "*/*", "text/html", "", "application/json;q=0, */*",
         f"{GRAPHQL_RESPONSE_JSON};q=0.5, */*;q=0.1")
CONTENT_TYPES = ("application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
                 GRAPHQL_RESPONSE_JSON, "application/graphql", "text/plain", "text/json", "",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-patch+json")


@dataclass(frozen=True)
class Sent:
    """One request of the fuzz, exactly as it goes out: a GET's query string or a POST's bytes."""

    method: str
    query_string: str = ""  # already percent-encoded
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:  # shortened: hypothesis prints the failing example
        body = repr(self.body[:500]) + (f"...({len(self.body):,} bytes)" if len(self.body) > 500 else "")
        query = self.query_string[:500] + (f"...({len(self.query_string):,} characters)"
                                           if len(self.query_string) > 500 else "")
        return f"Sent({self.method!r}, query_string={query!r}, body={body}, headers={self.headers!r})"

    def send(self, client: Client) -> httpx.Response:
        url = "/graphql" + (f"?{self.query_string}" if self.query_string else "")
        return client.request(self.method, url, content=self.body if self.method == "POST" else None,
                              headers=dict(self.headers))

    def text(self) -> str:
        """All the client said, readable: what the server may echo back."""
        return " ".join([unquote_plus(self.query_string, errors="replace"), self.body.decode("utf-8", "replace"),
                         *(v for _, v in self.headers)])

    def asks_for_graphiql(self) -> bool:
        """A browser's visit (strawberry's rule, and ours for persisted queries): the page, not JSON."""
        accept = dict(self.headers).get("accept", "*/*")  # httpx's default
        names = {k for k, _ in parse_qsl(self.query_string, keep_blank_values=True)}
        return self.method == "GET" and ("text/html" in accept or "*/*" in accept) and not names & {
            "query", "extensions"}


def envelope_problems(sent: Sent, response: httpx.Response) -> list[str]:
    """``response_problems``, and: a 4xx or any error says why, in a string, with a documented code, and
    leaks nothing the client did not send."""
    if response.headers.get("content-type", "").startswith("text/html") and sent.asks_for_graphiql():
        return [] if response.status_code == 200 else [f"GraphiQL page with HTTP {response.status_code}"]
    try:
        body = response.json()
    except ValueError:
        body = response.text
    found = response_problems(response.status_code, body)
    if found:
        return found
    errors = body.get("errors")
    if response.status_code >= 400 and not errors:
        found.append(f"HTTP {response.status_code} without errors")
    if errors is not None and not (isinstance(errors, list) and errors):
        return [*found, f"errors is not a non-empty list: {errors!r}"]
    said = sent.text()
    for error in errors or []:
        message = error.get("message")
        code = (error.get("extensions") or {}).get("code")
        if not isinstance(message, str):
            found.append(f"an error without a string message: {error}")
            continue
        if code not in DOCUMENTED_CODES:
            found.append(f"an error without a documented code: {error}")
        found += [f"{m.group(0)!r} leaks in {message!r}" for m in LEAKS.finditer(message) if m.group(0) not in said]
    return found


def check(client: Client, sent: Sent) -> None:
    """The property: no 5xx, a GraphQL-shaped answer, every error coded; and the service still answers."""
    response = sent.send(client)
    found = envelope_problems(sent, response)
    with contextlib.suppress(ValueError, AttributeError):  # what the fuzz reached: --hypothesis-show-statistics
        event(f"{response.status_code} " + " ".join(sorted({(e.get("extensions") or {}).get("code") or "-"
                                                             for e in response.json().get("errors") or []})))
    assert not found, f"{found}\n\nsent: {sent!r}\n\nresponse {response.status_code}: {response.text[:2000]}"
    after = client.post("/graphql", json={"query": f"{NORMAL} # {next(FRESH)}"})  # new text: no cached answer
    assert after.status_code == 200 and after.json() == {"data": {"node": {"id": ROOT_ID}}}, after.text


# Strategies. Text includes lone surrogates, which JSON can escape ("\ud800") and no UTF-8 can hold.
def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each as often as its weight says (``one_of`` drops repeated strategies)."""
    return st.sampled_from([strategy for weight, strategy in options for _ in range(weight)]).flatmap(lambda s: s)


TEXT = weighted((4, st.text(st.characters() | st.sampled_from("\x00\ufeff"), max_size=20)),
                (1, st.text(st.characters() | st.sampled_from("\ud800\udfff"), min_size=1, max_size=20)))
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-(10**30), 10**30) | st.floats() | TEXT,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TEXT, kids, max_size=4), max_leaves=12)


UNITS = (("[", "]"), ('{"a":', "}"), ("[1,", "]"), ('{"k": 0, "v":', "}"), ('{"variables":', "}"))


def _dumps(value: object) -> str:
    return json.dumps(value)


@st.composite
def deep_json(draw: st.DrawFn) -> str:
    """JSON nested ``depth`` levels (recursive strategies seldom go past a few): up to 2,100, around the
    limit of 64 and far beyond; now and then unbalanced."""
    depth = draw(st.one_of(st.integers(1, 70), st.integers(60, 2100), st.sampled_from((63, 64, 65, 1000, 2000))))
    pattern = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=3))
    units = [pattern[i % len(pattern)] for i in range(depth)]
    leaf = draw(st.sampled_from(("1", "null", '""', "[]", "{}", '"\\ud800"')))
    closing = "".join(close for _, close in reversed(units))
    if draw(st.integers(0, 9)) == 0:
        closing = closing[:draw(st.integers(0, len(closing)))]
    return "".join(open_ for open_, _ in units) + leaf + closing


# Raw JSON text of any value: generated, deep, a number too long to read, or not JSON at all.
JSON_TEXTS = weighted((4, JSON_VALUES.map(_dumps)), (2, deep_json()), (1, st.sampled_from(
    ("9" * 5000, "NaN", "", "{", "[1,]", "{'a': 1}", "undefined", '"\\x"', "[" * 3))))


@st.composite
def date_times(draw: st.DrawFn) -> str:
    """asOf values across the valid range and past it: years 0 to 10000, month 13, day 32, hour 24, leap
    seconds, offsets to ±23:59 and beyond, odd separators and fractions."""
    year = draw(st.sampled_from((1, 2, 1970, 2024, 9998, 9999, 0, 10000)) | st.integers(0, 10000))
    month, day = draw(st.integers(1, 12) | st.integers(0, 13)), draw(st.integers(1, 28) | st.integers(0, 32))
    hour, minute = draw(st.integers(0, 23) | st.integers(0, 25)), draw(st.integers(0, 60))
    second = draw(st.sampled_from((0, 59, 60, 61)) | st.integers(0, 59))
    fraction = draw(st.sampled_from(("", ".0", ".999999", ".9999999", ".123456789012", ",5")))
    offset = draw(st.sampled_from(("Z", "z", "", "+14:00", "-14:00", "+23:59", "-23:59", "+24:00", "-00:00",
                                   "+1400", "+14", "+99:99", "+14:00:00.5")) | st.builds(
        "{}{:02}:{:02}".format, st.sampled_from("+-"), st.integers(0, 24), st.integers(0, 60)))
    sep = draw(st.sampled_from("T t"))
    return f"{year:04}-{month:02}-{day:02}{sep}{hour:02}:{minute:02}:{second:02}{fraction}{offset}"


OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
AS_OF = st.one_of(date_times(), st.datetimes(timezones=OFFSETS).map(datetime.isoformat),
                  st.dates().map(date.isoformat), TEXT)


def _b64(data: bytes, urlsafe: bool, padded: bool) -> str:
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()
    return text if padded else text.rstrip("=")


# Every character str.isdigit() takes: 0-9, other scripts' digits, superscripts and circled digits
# (which int() refuses).
DIGITS = "".join(c for c in map(chr, range(0x110000)) if c.isdigit())
CURSOR_BYTES = st.one_of(
    st.binary(max_size=40),
    st.builds(lambda prefix, rest: (prefix + rest).encode("utf-8", "surrogatepass"),
              st.sampled_from(("at:", "id:", "", "AT:", "at")), TEXT),
    st.integers(-(10**40), 10**40).map(lambda n: f"at:{n}".encode()),  # huge offsets
    st.text(st.sampled_from(DIGITS), min_size=1, max_size=10).map(lambda d: f"at:{d}".encode()),
    st.just(b"at:" + b"9" * 5000))
CURSORS = weighted((1, TEXT), (4, st.builds(_b64, CURSOR_BYTES, st.booleans(), st.booleans())),
                   (1, st.sampled_from(SEED_IDS).map(encode_cursor)))
PAGES = ("search(query: $q, first: 2, after: $a)",) * 5 + (
    "traditions(first: 2, after: $a)", "stories(first: 2, after: $a)", "practitioners(first: 2, after: $a)",
    "places(first: 2, after: $a)", "sources(first: 2, after: $a)")


@st.composite
def edge_requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A well-formed query and its variables, with an asOf or a cursor at the edges, sent as a variable
    or written into the query (as JSON, whose strings are GraphQL's)."""
    if draw(st.booleans()):
        name, kind, value = "t", "DateTime", draw(weighted((4, AS_OF), (1, JSON_VALUES)))
        selection = f"node(id: {_dumps(draw(st.sampled_from(SEED_IDS)))}, asOf: $t) {{ id name }}"
    else:
        name, kind, value = "a", "String", draw(weighted((4, CURSORS), (1, JSON_VALUES)))
        selection = draw(st.sampled_from(PAGES)).replace("$q", _dumps(draw(st.sampled_from(("danza", "a")) | TEXT)))
        selection += " { totalCount }"
    if draw(st.integers(0, 3)) == 0:
        return "query Q { " + selection.replace(f"${name}", _dumps(value)) + " }", {}
    return f"query Q(${name}: {kind}) {{ {selection} }}", {name: value}


def _persisted(query: str) -> st.SearchStrategy[Any]:
    """``extensions`` with a persisted query of every shape: right, wrong types, bad hashes."""
    hashes = st.one_of(st.just(sha256_hex(query)), st.just(sha256_hex(query).upper()), st.text("0123456789abcdef",
                       min_size=63, max_size=65), st.binary(min_size=32, max_size=32).map(bytes.hex), TEXT, JSON_VALUES)
    shape = st.fixed_dictionaries({}, optional={"version": st.just(1) | JSON_VALUES, "sha256Hash": hashes})
    return st.one_of(st.fixed_dictionaries({"persistedQuery": shape | JSON_VALUES}),
                     st.dictionaries(TEXT, JSON_VALUES, max_size=2))


@st.composite
def envelopes(draw: st.DrawFn) -> list[tuple[str, str]]:
    """The members of a request (name, raw JSON text): a well-formed one at the edges, then a member or
    two dropped or replaced by a value of any type; now and then a repeated or an unknown member."""
    query, variables = draw(edge_requests())
    good = {"query": _dumps(query), "operationName": _dumps(draw(weighted((4, st.just("Q")), (1, TEXT)))),
            "variables": _dumps(variables),
            "extensions": _dumps(draw(_persisted(query))) if draw(st.integers(0, 2)) == 0 else None}
    spoilt = draw(st.lists(st.sampled_from(MEMBERS), max_size=2, unique=True))
    members = [(name, draw(JSON_TEXTS) if name in spoilt else good[name]) for name in MEMBERS
               if good[name] is not None and not (name in spoilt and draw(st.integers(0, 3)) == 0)]
    extra = draw(weighted((4, st.just([])), (1, st.lists(st.tuples(st.sampled_from(MEMBERS) | TEXT, JSON_TEXTS),
                                                           min_size=1, max_size=2))))
    return members + extra if draw(st.booleans()) else extra + members


def _object(members: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{_dumps(name)}: {value}" for name, value in members) + "}"


def _headers(draw: st.DrawFn, content_type: bool) -> tuple[tuple[str, str], ...]:
    """Accept, Content-Type (POST) and Authorization: mostly what clients send, now and then anything."""
    accept = draw(weighted((6, st.sampled_from(MEDIA[:4])), (1, st.sampled_from(MEDIA)), (1, HEADER_TEXT)))
    headers = [("accept", accept)] if accept is not None else []
    if content_type:
        headers.append(("content-type", draw(weighted((6, st.sampled_from(CONTENT_TYPES[:2])),
                                                      (1, st.sampled_from(CONTENT_TYPES)), (1, HEADER_TEXT)))))
    authorization = draw(weighted((8, st.none()), (1, st.sampled_from(("Bearer x", "Bearer ", "Basic eDp5"))),
                                  (1, HEADER_TEXT)))
    return (*headers, *([("authorization", authorization)] if authorization is not None else []))


@st.composite
def post_requests(draw: st.DrawFn) -> Sent:
    """A POST whose body is an envelope (in UTF-8 or another encoding, perhaps cut short or with a tail),
    any other JSON value, deep JSON, or bytes."""
    kind = draw(st.sampled_from(("envelope",) * 3 + ("value", "bytes")))
    if kind == "envelope":
        text = _object(draw(envelopes()))
        encoding = draw(st.sampled_from(("utf-8",) * 6 + ("utf-8-sig", "utf-16", "utf-32", "latin-1")))
        body = text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")
        if draw(st.integers(0, 7)) == 0:
            body = body[:draw(st.integers(0, len(body)))] + draw(st.binary(max_size=8))
    elif kind == "value":
        body = draw(JSON_TEXTS).encode()
    else:
        body = draw(weighted((9, st.binary(max_size=200)),
                             (1, st.just(b'{"query": "{ __typename }"' + b" " * (1 << 20) + b"}"))))
    return Sent("POST", body=body, headers=_headers(draw, content_type=True))


def _param(name: str, raw: str) -> str:
    """A member's value as a GET parameter: the text of a JSON string, else the raw JSON."""
    if name in ("query", "operationName"):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return raw
        return value if isinstance(value, str) else raw
    return raw


@st.composite
def get_requests(draw: st.DrawFn) -> Sent:
    """A GET with an envelope's members as parameters (variables and extensions as deep or broken JSON),
    some repeated; or a query string of any bytes."""
    if draw(st.integers(0, 5)) == 0:
        query_string = quote_from_bytes(draw(st.binary(max_size=80)), safe="=&")
    else:
        params = [(name, _param(name, raw)) for name, raw in draw(envelopes())]
        params += draw(st.lists(st.sampled_from(params), max_size=2)) if params else []
        query_string = "&".join(f"{quote_plus(k, errors='surrogatepass')}={quote_plus(v, errors='surrogatepass')}"
                                for k, v in params)
    assume(len(query_string) < 60_000)  # httpx's limit on URLs, and more than servers take
    return Sent("GET", query_string=query_string, headers=_headers(draw, content_type=False))


def _post(body: str) -> Sent:
    return Sent("POST", body=body.encode(), headers=(("content-type", "application/json"),))


AS_OF_QUERY = 'query Q($t: DateTime) { node(id: "' + ROOT_ID + '", asOf: $t) { id } }'
DEEP = "[" * 1000 + "]" * 1000


@HTTP_SETTINGS
@given(sent=post_requests())
@example(sent=_post("null"))
@example(sent=_post("5"))
@example(sent=_post('"x"'))
@example(sent=_post(DEEP))
@example(sent=_post(_object([("query", _dumps(NORMAL)), ("variables", DEEP)])))
@example(sent=_post(_object([("query", _dumps(NORMAL)), ("operationName", "5")])))
def test_malformed_posts_are_answered_with_coded_errors(client: Client, sent: Sent) -> None:
    check(client, sent)


@HTTP_SETTINGS
@given(sent=get_requests())
@example(sent=Sent("GET", query_string=urlencode({"query": NORMAL, "variables": DEEP})))
@example(sent=Sent("GET", query_string=urlencode({"query": NORMAL, "extensions": DEEP})))
@example(sent=Sent("GET", query_string=urlencode({"extensions": '{"persistedQuery": {"version": 1}}'})))
def test_malformed_gets_are_answered_with_coded_errors(client: Client, sent: Sent) -> None:
    check(client, sent)


@HTTP_SETTINGS
@given(request=edge_requests(), method=st.sampled_from(("POST", "GET")))
@example(request=(AS_OF_QUERY, {"t": "0001-01-01T00:00:00+14:00"}), method="POST")
@example(request=(AS_OF_QUERY, {"t": "9999-12-31T23:59:59-23:59"}), method="GET")
@example(request=('query Q($a: String) { search(query: "danza", after: $a) { totalCount } }',
                  {"a": encode_cursor("9" * 40, "at:")}), method="POST")
def test_as_of_and_cursors_at_the_edges_are_answered_with_coded_errors(
        client: Client, request: tuple[str, dict[str, Any]], method: str) -> None:
    query, variables = request
    if method == "POST":
        check(client, _post(_dumps({"query": query, "variables": variables})))
    else:
        check(client, Sent("GET", query_string=urlencode({"query": query, "variables": _dumps(variables)}),
                           headers=(("accept", "application/json"),)))


def test_every_code_the_fuzz_accepts_is_documented() -> None:
    docs = "".join((ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("graphql.md", "operations.md"))
    assert not {c for c in DOCUMENTED_CODES if f"`{c}`" not in docs and f'"{c}"' not in docs}


@pytest.mark.parametrize(("sent", "status", "body", "expected"), [
    (_post("5"), 400, {"errors": [{"message": "must be an object", "extensions": {"code": "BAD_REQUEST"}}]}, []),
    (_post("5"), 400, {"errors": [{"message": "no code"}]},
     ["an error without a documented code: {'message': 'no code'}"]),
    (_post("5"), 400, {"errors": [{"message": 5, "extensions": {"code": "BAD_REQUEST"}}]},
     ["an error without a string message: {'message': 5, 'extensions': {'code': 'BAD_REQUEST'}}"]),
    (_post("5"), 400, {"errors": []}, ["HTTP 400 without errors", "errors is not a non-empty list: []"]),
    (_post("5"), 400, {"errors": [{"message": "body must be an object, got int: ValueError",
                                   "extensions": {"code": "BAD_REQUEST"}}]},
     ["'got int' leaks in 'body must be an object, got int: ValueError'",
      "'ValueError' leaks in 'body must be an object, got int: ValueError'"]),
    (_post('"ValueError"'), 200, {"errors": [{"message": "ValueError is no query", "path": ["x"],
                                              "extensions": {"code": "BAD_USER_INPUT"}}]}, []),
    (_post("5"), 500, {"errors": [{"message": "Internal server error"}]}, ["HTTP 500"]),
    (Sent("GET"), 200, "<html>", []),
    (Sent("GET", query_string="query=x"), 200, "<html>", ["not a GraphQL response: <html>"]),
])
def test_the_envelope_oracle(sent: Sent, status: int, body: Any, expected: list[str]) -> None:
    response = httpx.Response(status, text=body, headers={"content-type": "text/html"}) if isinstance(
        body, str) else httpx.Response(status, json=body)
    assert envelope_problems(sent, response) == expected
