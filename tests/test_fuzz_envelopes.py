"""Malformed HTTP envelopes, fuzzed: whatever a client sends, the answer is a GraphQL answer.

test_fuzz_graphql.py fuzzes documents inside well-formed requests; this fuzzes the request around
them — bodies that are any JSON value or none, JSON nested far deeper than any parser's recursion,
envelopes whose ``query``, ``operationName``, ``variables`` and ``extensions`` have every wrong type,
the same over GET, persisted-query extensions of every shape, ``asOf`` values across and beyond the
dates a time can be read in, and cursors that no page ever gave. Property, for every request:

- the status is below 500 and the body is JSON;
- every error has a string ``message`` and an ``extensions.code`` from the documented set, and no
  message shows a traceback or a Python class name;
- the service answers a plain query correctly afterwards.

HERITAGE_FUZZ_EXAMPLES raises the number of examples per strategy (default 60) for a longer hunt.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Client

EXAMPLES = int(os.environ.get("HERITAGE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# The codes of docs/graphql.md "Errors" that a malformed request may earn.
CODES = {"BAD_REQUEST", "BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "NOT_FOUND",
         "METHOD_NOT_ALLOWED", "NOT_ACCEPTABLE", "BODY_TOO_LARGE", "QUERY_TOO_LARGE", "QUERY_TOO_COMPLEX",
         "QUERY_TOO_COSTLY", "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_HASH_MISMATCH",
         "PERSISTED_QUERY_NOT_SUPPORTED", "UNAUTHENTICATED", "FORBIDDEN"}
LEAKS = ("Traceback", "File \"", "Error(", "Exception(", "object at 0x", "<class ")
PLAIN = '{ node(id: "retablo-ayacuchano") { id } }'

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
# Recursive strategies rarely nest deep: depth is drawn on its own, up to far past any recursion limit.
depths = st.integers(min_value=1, max_value=2500)
wrong_types = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                        st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                             max_size=3))


def deep(depth: int, leaf: str = "1", brackets: str = "[]") -> str:
    return brackets[0] * depth + leaf + brackets[1] * depth


def deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def check(r: Any) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), r.text[:300]
    if r.status_code >= 400:
        assert body.get("errors"), r.text[:300]
    for error in body.get("errors") or []:
        assert isinstance(error.get("message"), str), error
        assert (error.get("extensions") or {}).get("code") in CODES, error
        assert not any(leak in error["message"] for leak in LEAKS), error


def still_answers(client: Client) -> None:
    r = client.post("/graphql", json={"query": PLAIN})
    assert r.status_code == 200 and r.json() == {"data": {"node": {"id": "retablo-ayacuchano"}}}, r.text


def post(client: Client, content: bytes | str, content_type: str = "application/json") -> Any:
    return client.post("/graphql", content=content, headers={"content-type": content_type})


def get(client: Client, params: Any) -> Any:
    # A browser's GET without a query gets GraphiQL; an API client says it wants JSON.
    return client.get("/graphql", params=params, headers={"accept": "application/json"})


@FUZZ
@given(body=json_values)
def test_any_json_value_as_the_body(client: Client, body: Any) -> None:
    check(post(client, json.dumps(body)))


@FUZZ
@given(depth=depths, brackets=st.sampled_from(["[]", "{}"]), where=st.sampled_from(["body", "variables",
                                                                                      "extensions"]))
def test_json_nested_deeper_than_any_parser_recurses(client: Client, depth: int, brackets: str, where: str) -> None:
    nested = deep_object(depth) if brackets == "{}" else deep(depth)
    if where == "body":
        check(post(client, nested))
        return
    check(post(client, f'{{"query": {json.dumps(PLAIN)}, "{where}": {nested}}}'))
    check(get(client, {"query": PLAIN, where: nested}))


@FUZZ
@given(raw=st.binary(max_size=200), content_type=st.sampled_from(
    ["application/json", "text/plain", "application/graphql", "application/x-www-form-urlencoded",
     "multipart/form-data", "application/json; charset=latin-1", ""]))
def test_bodies_that_are_not_json_or_not_utf8(client: Client, raw: bytes, content_type: str) -> None:
    check(post(client, raw, content_type))


@FUZZ
@given(query=wrong_types | st.just(PLAIN), operation=wrong_types | st.text(max_size=10),
       variables=wrong_types | json_values, extensions=wrong_types | json_values)
def test_envelope_members_of_every_type(client: Client, query: Any, operation: Any, variables: Any,
                                        extensions: Any) -> None:
    check(post(client, json.dumps({"query": query, "operationName": operation, "variables": variables,
                                   "extensions": extensions})))


@FUZZ
@given(params=st.lists(st.tuples(st.sampled_from(["query", "operationName", "variables", "extensions", "x"]),
                                 st.text(max_size=60) | json_values.map(json.dumps)), max_size=6))
def test_get_parameters_of_every_shape_and_repeated(client: Client, params: list[tuple[str, str]]) -> None:
    check(get(client, params))


persisted = st.fixed_dictionaries({}, optional={
    "version": wrong_types | st.sampled_from([1, 2, "1"]),
    "sha256Hash": wrong_types | st.text(alphabet="0123456789abcdefABCDEF", min_size=0, max_size=70),
})


@FUZZ
@given(persisted_query=persisted | wrong_types, with_query=st.booleans(), over_get=st.booleans())
def test_persisted_query_extensions_of_every_shape(client: Client, persisted_query: Any, with_query: bool,
                                                  over_get: bool) -> None:
    extensions = {"persistedQuery": persisted_query}
    if over_get:
        params = {"extensions": json.dumps(extensions), **({"query": PLAIN} if with_query else {})}
        check(get(client, params))
    else:
        check(post(client, json.dumps({"extensions": extensions, **({"query": PLAIN} if with_query else {})})))


instants = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.builds(lambda y, h, m, sign: f"{y:04d}-01-01T00:00:00{sign}{h:02d}:{m:02d}",
              st.sampled_from([1, 2, 1970, 9999]), st.integers(0, 23), st.integers(0, 59), st.sampled_from("+-")),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2016-12-31T23:59:60Z",
                     "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "2020-02-30T00:00:00Z", "now", ""]),
    st.text(max_size=30))


@FUZZ
@given(when=instants)
def test_as_of_across_and_beyond_the_dates_a_time_can_be_read_in(client: Client, when: str) -> None:
    check(client.post("/graphql", json={"query": "query($t: DateTime) { node(id: \"retablo-ayacuchano\", "
                                                 "asOf: $t) { id } }", "variables": {"t": when}}))


cursors = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    st.integers(min_value=-(10**30), max_value=10**30).map(
        lambda n: base64.urlsafe_b64encode(f"at:{n}".encode()).decode()),
    st.text(max_size=30).map(lambda t: base64.urlsafe_b64encode(f"id:{t}".encode("utf-8", "surrogatepass")).decode()))


@FUZZ
@given(cursor=cursors, argument=st.sampled_from(["after", "before"]),
       field=st.sampled_from(["search(query: \"danza\", {arg}: $c)", "traditions({arg}: $c)",
                              "stories({arg}: $c)"]))
def test_cursors_no_page_ever_gave(client: Client, cursor: str, argument: str, field: str) -> None:
    selection = field.format(arg=argument)
    check(client.post("/graphql", json={"query": f"query($c: String) {{ {selection} {{ totalCount }} }}",
                                        "variables": {"c": cursor}}))


def test_the_service_still_answers_after_the_fuzz(client: Client) -> None:
    for body in (deep(3000), "null", '"x"', "5", "{"):
        check(post(client, body))
    still_answers(client)
