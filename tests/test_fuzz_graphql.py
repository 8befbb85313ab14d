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
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from graphql import get_introspection_query
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.graphql import nodes

from heritage_graph.api.http import GRAPHQL_RESPONSE_JSON
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

