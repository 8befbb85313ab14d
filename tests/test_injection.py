"""Nothing a client sends can build Cypher text.

Label- and relation-injection strings go through every string argument of every Query and Mutation
field (found by introspecting the schema the service builds, so a new field or argument is covered
without touching this file), through the string arguments of the node types' own fields, the
Accept-Language header, the importer (ids, kinds, relation types, property names and values) and
the search. Each request must get an answer without a 5xx or an internal error; a mutation is
either refused, and the store is unchanged (no write was committed), or saved, and the string is
stored verbatim as data. And structurally: every text the Ladybug connection (and a recording Neo4j
driver) is handed during the run is one of the named queries of cypher/ rendered from the schema,
so no request data can be in any query text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.utils.str_converters import to_camel_case

from heritage_graph import schema
from heritage_graph.api.inputs import owner_field
from heritage_graph.api.schema import build_schema
from heritage_graph.api.vocabulary import gql_name
from heritage_graph.app import create_app
from heritage_graph.errors import ImportRejected, InvalidInput
from heritage_graph.interchange import node_to_json, relation_to_json
from heritage_graph.search.sqlite import fts_expression
from heritage_graph.search.text import parse_query
from heritage_graph.services.exporter import export_lines
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.cypher import QueryBook
from heritage_graph.store.ladybug import EXPANSIONS as LADYBUG_EXPANSIONS
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.store.neo4j import Neo4jStore, lucene_expression
from heritage_graph.tokens import create_token

from .conftest import Client
from .test_fuzz_graphql import response_problems
from .test_neo4j_adapter import FakeDriver, FakeRecord

COMBINED = ("x`) DETACH DELETE n // }) MATCH (n) DETACH DELETE n // Node:Admin `DROP` $ids {{REL}} "
            "{{KIND}} ]->(m) DELETE m WITH 1 AS x MATCH (n ' OR 1=1 -- \" OR \"\"=\" \\' \\\" \\\\ "
            "\\u0027); DROP TABLE Node; --")
PAYLOADS = (
    COMBINED,
    "x`) DETACH DELETE n //",
    "Node:Admin",
    "`DROP`",
    "}) MATCH (n) DETACH DELETE n //",
    "$ids",
    "{{REL}}",
    "back\\slash\\ and 'single' and \"double\" quotes",
    "Ñandú 🦙 قاموس 中文 \u200b\u202egnp.exe \x00 nul\ttab\r\nnew line",
)
# Transaction control the Ladybug adapter sends as is; every other text is a rendered named query.
TRANSACTION = frozenset({"BEGIN TRANSACTION", "COMMIT", "ROLLBACK"})
SAVED = ("NodeSaved", "RelationSaved")
# Free-text arguments a mutation must accept and store verbatim, for every payload (so the
# "saved means verbatim" half of the property cannot hold vacuously).
def free_text(props: tuple[schema.Prop, ...], prefix: str) -> Iterator[str]:
    """Where a typed properties input takes text of the client's own (no allowed values, no form)."""
    for p in props:
        name = f"{prefix}.{gql_name(p)}"
        if p.type is schema.T.STRING and not p.allowed and p.pattern is None:
            yield name
        elif p.type is schema.T.STRING_LIST and not p.allowed and p.check is None:  # a check: not free text
            yield f"{name}[]"
        elif p.type is schema.T.TEXT_MAP:
            yield f"{name}[].text"
        elif p.type is schema.T.STRUCT:
            yield from free_text(p.fields, name)


def typed_field(owner: schema.NodeKind | schema.RelationType) -> str:
    return to_camel_case(owner_field(owner))


# The kind a createNode case creates when its payload is in a kind's typed properties.
TYPED_KINDS = {typed_field(k): k.name for k in schema.NODE_KINDS}
MUST_SAVE = (
    "createNode input.name", "createNode input.names[].text", "createNode input.properties{value}",
    "createNode reason", "updateNode patch.name", "updateNode patch.summary[].text", "updateNode reason",
    "updateNode patch.properties{value}", "setConsent consent.note", "setConsent consent.givenBy",
    "addRelation input.note", "addRelation input.properties{value}", "updateRelation patch.note",
    "updateRelation patch.properties{value}", "updateRelation reason", "removeRelation reason",
    # The typed properties, found from the schema: every kind's on createNode; on the others, those of what
    # they change (a Tradition, a LEARNED_FROM relation).
    *(f"createNode {path}" for k in schema.NODE_KINDS for path in free_text(k.props, f"input.{typed_field(k)}")),
    *(f"updateNode {path}" for path in free_text(schema.KINDS["Tradition"].props, "patch.tradition")),
    *(f"{field} {path}" for field, arg in (("addRelation", "input"), ("updateRelation", "patch"))
      for path in free_text(schema.RELATIONS["LEARNED_FROM"].props, f"{arg}.learnedFrom")),
)


def rendered(dialect: str) -> frozenset[str]:
    """Every text an adapter may send: each named query of cypher/<dialect>/ with each binding the schema
    allows, rendered by a QueryBook of its own (so nothing a request did can be in it)."""
    book = QueryBook(dialect, LADYBUG_EXPANSIONS if dialect == "ladybug" else None)
    # A large import's copies name its own spool files (never a client's text): rendered with one here.
    files = {name: ("/spool/part.parquet",) for name in book.names() if "FILES" in book.query(name).placeholders}
    return frozenset(book.render(name, rel=rel, kind=kind, files=files.get(name)) for name in book.names()
                     for rel, kind in book.instances(name)) | TRANSACTION


class Recorder:
    """Stands in for the Ladybug connection and keeps every query text handed to it."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.texts: list[str] = []

    def execute(self, text: str, *args: Any, **kwargs: Any) -> Any:
        self.texts.append(text)
        return self._conn.execute(text, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def committed_writes(texts: list[str], writes: frozenset[str]) -> int:
    """How many write queries among ``texts`` took effect: in a transaction that committed, or outside one."""
    done = pending = 0
    in_tx = False
    for text in texts:
        if text == "BEGIN TRANSACTION":
            in_tx, pending = True, 0
        elif text == "COMMIT":
            in_tx, done = False, done + pending
        elif text == "ROLLBACK":
            in_tx, pending = False, 0
        elif text in writes:
            if in_tx:
                pending += 1
            else:
                done += 1
    return done


def assert_named_queries(texts: list[str], allowed: frozenset[str]) -> None:
    """The structural proof: each text sent is one of the named queries, byte for byte."""
    strays = sorted({t for t in texts if t not in allowed})
    assert not strays, "query texts that are not rendered named queries:\n" + "\n---\n".join(strays[:10])
    for payload in PAYLOADS:  # the same, said of the payloads: none is in a text unless a named query holds it
        if not any(payload in t for t in allowed):
            assert not any(payload in t for t in texts), payload


# -- the world ----------------------------------------------------------------------------------
PAIRS = 320  # practitioner pairs: each relation mutation case gets its own
STATUS_FOR = {"submitForReview": "draft", "approve": "in_review", "reject": "in_review", "restoreNode": "retired"}


def world_lines(mutations: list[str]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [
        {"kind": "Source", "id": "src-a", "name": "A", "properties": {"type": "book", "title": "A"}},
        {"kind": "Source", "id": "src-b", "name": "B", "properties": {"type": "web"}},
        {"kind": "Place", "id": "pe", "name": "Perú", "properties": {"level": "country"}},
        {"kind": "Place", "id": "pe-cusco", "name": "Cusco", "properties": {"level": "department"}},
        {"kind": "Tradition", "id": "fiesta", "name": "Fiesta", "names": {"es": "Fiesta"}, "summary": {"es": "Una"},
         "sources": ["src-a"]},
        {"kind": "Craft", "id": "tejido", "name": "Tejido"},
        {"kind": "Recipe", "id": "comida", "name": "Comida"},
        {"kind": "Community", "id": "comunidad", "name": "Comunidad"},
        {"kind": "Organization", "id": "org", "name": "Org", "properties": {"type": "ngo"}},
        {"kind": "Story", "id": "cuento", "name": "Cuento",
         "properties": {"titles": {"es": "Cuento"}, "body": {"es": "Había una vez."}}},
        {"rel": "LOCATED_IN", "from": "pe-cusco", "to": "pe"},
        {"rel": "LOCATED_IN", "from": "fiesta", "to": "pe-cusco"},
        {"rel": "PRACTICES", "from": "comunidad", "to": "fiesta"},
        {"rel": "COVER_PLACE", "from": "cuento", "to": "pe"},
        {"rel": "FEATURES", "from": "cuento", "to": "fiesta"},
    ]
    for i in range(2 * PAIRS):
        lines.append({"kind": "Practitioner", "id": f"p{i}", "name": f"P{i}"})
    for k in range(PAIRS):
        lines.append({"rel": "LEARNED_FROM", "from": f"p{2 * k + 1}", "to": f"p{2 * k}", "note": "n"})
    for name in mutations:
        lines.append({"kind": "Tradition", "id": target_of(name), "name": name, "sources": ["src-a"],
                      "status": STATUS_FOR.get(name, "published")})
    return lines


def target_of(mutation: str) -> str:
    return f"t-{mutation.lower()}"


@pytest.fixture(scope="module")
def gql_schema() -> GraphQLSchema:
    """graphql-core's view of the schema the service serves."""
    return build_schema(Settings())._schema


@dataclass
class World:
    store: LadybugStore
    recorder: Recorder
    client: Client
    headers: dict[str, str]
    allowed: frozenset[str]
    writes: frozenset[str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, gql_schema: GraphQLSchema) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("injection")
    store = LadybugStore(folder / "db").open()
    store.init()
    f = folder / "world.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                         for r in world_lines(list(gql_schema.mutation_type.fields))), encoding="utf-8")
    run_import(store, [f])
    secret, _ = create_token(store, "admin", name="injection-admin")
    recorder = Recorder(store._conn)
    store._conn = recorder
    allowed = rendered("ladybug")
    writes = frozenset(t for t in allowed if re.search(r"\b(CREATE|MERGE|SET|DELETE|COPY)\b", t))
    client = Client(create_app(Settings(), store=store))
    try:
        yield World(store, recorder, client, {"Authorization": f"Bearer {secret}"}, allowed, writes)
    finally:
        client.close()
        store.close()


# -- building requests from the schema ------------------------------------------------------------
# Where a case puts its payload: the argument, then input fields; "[]" steps into a list; "{key}" is a
# key of a JSON argument, "{value}" the value of a free-text property in it.
ArgPath = tuple[str, ...]


def string_paths(t: GraphQLInputType, prefix: ArgPath) -> Iterator[ArgPath]:
    """Every place in an argument of type ``t`` where a client puts a string of its own."""
    named = get_named_type(t)
    inner = t.of_type if isinstance(t, GraphQLNonNull) else t
    if isinstance(inner, GraphQLList):
        yield from string_paths(inner.of_type, (*prefix, "[]"))
    elif isinstance(named, GraphQLScalarType) and named.name in ("String", "ID"):
        yield prefix
    elif isinstance(named, GraphQLScalarType) and named.name == "JSON":
        yield (*prefix, "{key}")
        yield (*prefix, "{value}")
    elif isinstance(named, GraphQLInputObjectType):
        for name, fld in named.fields.items():
            yield from string_paths(fld.type, (*prefix, name))


def free_text_property(kind_or_rel: str) -> str:
    props = schema.KINDS[kind_or_rel].props if kind_or_rel in schema.KINDS else schema.RELATIONS[kind_or_rel].props
    return next(p.name for p in props if p.type is schema.T.STRING and not p.allowed and p.pattern is None)


@dataclass
class Case:
    root: str  # "query" or "mutation"
    field: str
    path: ArgPath
    payload: str
    n: int  # the case's number within its field: picks the practitioner pair a relation mutation uses

    @property
    def label(self) -> str:
        shown = ".".join(self.path).replace(".[]", "[]").replace(".{", "{")
        return f"{self.field} {shown}"


class Builder:
    """The variables of a case: the payload at the end of its path, sane values everywhere else."""

    def __init__(self, world: World, case: Case) -> None:
        self.world, self.case = world, case
        # What createNode creates (the kind whose typed properties hold the payload, else a Tradition);
        # the mutations' targets are Traditions.
        typed = case.path[1] if case.field == "createNode" and len(case.path) > 1 else None
        self.kind = TYPED_KINDS.get(typed or "", "Tradition")
        self.rel = "LEARNED_FROM"  # what the relation mutations add, change and remove

    @property
    def owner(self) -> str:
        """The kind or relation type a JSON `properties` argument belongs to."""
        return self.rel if "Relation" in self.case.field else self.kind

    def arguments(self, args: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, arg in args.items():
            if self.case.path[0] == name:
                out[name] = self.place(arg.type, self.case.path[1:])
            elif isinstance(arg.type, GraphQLNonNull):
                out[name] = self.value(arg.type, name)
        return out

    def place(self, t: GraphQLInputType, path: ArgPath) -> Any:
        """A value of type ``t`` with the payload where ``path`` leads."""
        if isinstance(t, GraphQLNonNull):
            t = t.of_type
        if isinstance(t, GraphQLList):
            return [self.place(t.of_type, path[1:])]
        if not path:
            return self.case.payload
        step, rest = path[0], path[1:]
        if step == "{key}":
            return {self.case.payload: "x"}
        if step == "{value}":
            return {free_text_property(self.owner): self.case.payload}
        assert isinstance(t, GraphQLInputObjectType), (t, path)
        out = {}
        for fname, fld in t.fields.items():
            if fname == step:
                out[fname] = self.place(fld.type, rest)
            elif isinstance(fld.type, GraphQLNonNull):
                out[fname] = self.value(fld.type, fname)
        if t.name == "ConsentInput" and "status" not in out and "basis" not in out:
            out["basis"] = "GIVEN"  # a consent says where it stands or what it rests on (schema._consent_check)
        return out

    def value(self, t: GraphQLInputType, name: str) -> Any:
        """A valid value for an argument or input field the payload does not go through."""
        if isinstance(t, GraphQLNonNull):
            t = t.of_type
        if isinstance(t, GraphQLList):
            return [self.value(t.of_type, name)]
        if isinstance(t, GraphQLInputObjectType):
            out = {f: self.value(fld.type, f) for f, fld in t.fields.items() if isinstance(fld.type, GraphQLNonNull)}
            # A patch of optional fields only: change its first text field, so the change is not empty.
            first_text = next((f for f, fld in t.fields.items() if get_named_type(fld.type).name == "String"), None)
            if not out and first_text:
                out[first_text] = f"{first_text} {self.case.n}"
            return out
        if isinstance(t, GraphQLEnumType):
            chosen = {"Kind": self.kind.upper(), "RelationType": self.rel, "ConsentStatus": "GRANTED"}.get(t.name)
            return chosen or next(iter(t.values))
        assert isinstance(t, GraphQLScalarType), t
        if t.name == "ID":
            return self.id_for(name)
        if t.name == "String":
            return {"lang": "es", "language": "es", "query": "fiesta", "comment": "ok", "text": "texto"}.get(name, "x")
        if t.name == "Int":
            return self.version() if name == "expectedVersion" else {"first": 5, "maxDepth": 3}.get(name, 1)
        if t.name == "Boolean":
            return False
        if t.name == "Float":
            return 1.0
        raise AssertionError(f"no value for a required {t.name} ({name}): teach Builder.value one")

    def id_for(self, name: str) -> str:
        c = self.case
        if c.field in ("addRelation", "updateRelation", "removeRelation") and name in ("from", "to"):
            # addRelation adds p2n -> p2n+1; the others change or remove the stored p2n+1 -> p2n.
            a, b = f"p{2 * c.n}", f"p{2 * c.n + 1}"
            ends = (a, b) if c.field == "addRelation" else (b, a)
            return ends[0] if name == "from" else ends[1]
        if c.root == "mutation" and name == "id":
            return f"new-{c.n}" if c.field == "createNode" else target_of(c.field)
        return {"sourceId": "src-b" if c.field == "attachSource" else "src-a", "region": "pe", "from": "p1",
                "to": "p0", "sources": "src-b"}.get(name, "fiesta")

    def version(self) -> int:
        """The version a mutation's target is at now, so that the change is not a conflict."""
        store = self.world.store
        if "Relation" in self.case.field:
            frm, to = self.id_for("from"), self.id_for("to")
            found = [r for r in store.relations([frm], "out", [self.rel]) if r.to_id == to]
            return found[0].version if found else 1
        nodes = store.get_nodes([target_of(self.case.field)])
        return nodes[0].version if nodes else 1


SAVED_SELECTION = {"NodeSaved": "node { id } revision { id }", "RelationSaved": "relation { from } revision { id }"}


def document(gql: GraphQLSchema, case: Case, variables: dict[str, Any]) -> str:
    root = gql.query_type if case.root == "query" else gql.mutation_type
    fld = root.fields[case.field]
    decls = ", ".join(f"${n}: {fld.args[n].type}" for n in variables)
    passed = ", ".join(f"{n}: ${n}" for n in variables)
    named = get_named_type(fld.type)
    selection = ""
    if not isinstance(named, GraphQLScalarType | GraphQLEnumType):
        members = gql.get_possible_types(named) if not isinstance(named, GraphQLObjectType) else [named]
        spreads = " ".join(f"... on {m.name} {{ {SAVED_SELECTION[m.name]} }}" for m in members
                           if m.name in SAVED_SELECTION)
        selection = f"{{ __typename {spreads} }}"
    head = f"{case.root}({decls})" if decls else case.root
    return f"{head} {{ {case.field}{f'({passed})' if passed else ''} {selection} }}"


def cases(gql: GraphQLSchema) -> list[Case]:
    out = []
    for root, t in (("query", gql.query_type), ("mutation", gql.mutation_type)):
        for fname, fld in t.fields.items():
            n = 0
            for aname, arg in fld.args.items():
                for path in string_paths(arg.type, (aname,)):
                    for payload in PAYLOADS:
                        out.append(Case(root, fname, path, payload, n))
                        n += 1
    return out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


# -- the tests ------------------------------------------------------------------------------------
def test_every_string_argument_is_covered(gql_schema: GraphQLSchema) -> None:
    """The sweep below reaches every String, ID and JSON argument and input field of the schema."""
    labels = {c.label for c in cases(gql_schema)}
    assert {"search query", "node id", "createNode input.properties{key}", "nodes ids[]",
            "traditions filter.region", "updateRelation from", "createNode input.tradition.unesco.elementNo",
            "updateNode patch.craft.materials[]", "addRelation input.certifiedBy.title"} <= labels
    assert set(MUST_SAVE) <= labels
    # Each relation mutation case has a practitioner pair of its own.
    assert max(c.n for c in cases(gql_schema) if "Relation" in c.field) < PAIRS


def _stored(world: World, builder: Builder, result: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(the strings of the revision a mutation recorded, those of the record as the store holds it now)."""
    if result["__typename"] == "NodeSaved":
        node_id = result["node"]["id"]
        record = list(_strings(node_to_json(world.store.get_nodes([node_id])[0])))
    else:
        node_id, to = builder.id_for("from"), builder.id_for("to")
        rels = [r for r in world.store.relations([node_id], "out", [builder.rel]) if r.to_id == to]
        record = list(_strings(relation_to_json(rels[0]))) if rels else []
    revision = next(v for v in world.store.revisions([node_id]) if v.id == result["revision"]["id"])
    return [revision.reason or "", *_strings(revision.after)], record


def test_injection_strings_through_every_argument(world: World, gql_schema: GraphQLSchema) -> None:
    start = len(world.recorder.texts)
    saved: dict[str, int] = {}
    failures: list[str] = []
    for case in cases(gql_schema):
        builder = Builder(world, case)
        root = gql_schema.query_type if case.root == "query" else gql_schema.mutation_type
        variables = builder.arguments(root.fields[case.field].args)
        mark = len(world.recorder.texts)
        # json.dumps escapes what httpx would refuse to encode; the service reads the same text.
        r = world.client.post("/graphql", headers={**world.headers, "content-type": "application/json"},
                              content=json.dumps({"query": document(gql_schema, case, variables),
                                                  "variables": variables}))
        what = f"{case.label} <- {case.payload!r}"
        body = r.json()
        # The documents and variables are built to be valid: an error before execution is this test's bug.
        found = response_problems(r.status_code, body) + [
            f"request error: {e['message']}" for e in body.get("errors") or [] if e.get("path") is None]
        if found:
            failures.append(f"{what}: {found}")
            continue
        result = (body.get("data") or {}).get(case.field)
        committed = committed_writes(world.recorder.texts[mark:], world.writes)
        typename = result.get("__typename") if case.root == "mutation" and isinstance(result, dict) else None
        if typename == "TokenCreated":
            # a token's name is free text kept verbatim, like a record's
            if not any(t.name == case.payload for t in world.store.list_tokens()):
                failures.append(f"{what}: a token was created, but none holds the name verbatim")
            elif not committed:
                failures.append(f"{what}: a token was created, yet nothing was committed")
            continue
        is_saved = typename in SAVED
        if not is_saved:
            if committed:
                failures.append(f"{what}: nothing was saved ({result}), yet {committed} writes were committed")
            continue
        revision, record = _stored(world, builder, result)
        if case.payload not in revision:
            failures.append(f"{what}: saved, but the revision does not hold it verbatim: {revision}")
        elif case.payload != revision[0] and case.field != "removeRelation" and case.payload not in record:
            failures.append(f"{what}: the revision holds it, the stored record does not: {record}")
        else:
            saved[case.label] = saved.get(case.label, 0) + 1
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
    assert len(world.recorder.texts) - start > 1000
    assert_named_queries(world.recorder.texts[start:], world.allowed)
    unsaved = {m: saved.get(m, 0) for m in MUST_SAVE if saved.get(m) != len(PAYLOADS)}
    assert not unsaved, f"free text refused (saved count of {len(PAYLOADS)} payloads): {unsaved}"


def test_a_change_to_nothing_is_refused_and_writes_nothing(world: World) -> None:
    """Found by the sweep: a relation patch with the values it has bumped the version and recorded a revision."""
    rel = next(r for r in world.store.relations(["p219"], "out", ["LEARNED_FROM"]) if r.to_id == "p218")
    node = world.store.get_nodes(["fiesta"])[0]
    start = len(world.recorder.texts)
    for query in (
        f'mutation {{ updateRelation(type: LEARNED_FROM, from: "p219", to: "p218", expectedVersion: {rel.version}, '
        f'patch: {{note: {json.dumps(rel.note)}}}) {{ __typename ... on InvalidInputError {{ message }} }} }}',
        f'mutation {{ updateNode(id: "fiesta", expectedVersion: {node.version}, '
        f'patch: {{name: {json.dumps(node.name)}}}) {{ __typename ... on InvalidInputError {{ message }} }} }}',
    ):
        r = world.client.post("/graphql", json={"query": query}, headers=world.headers)
        result = next(iter(r.json()["data"].values()))
        assert result["__typename"] == "InvalidInputError" and "nothing to change" in result["message"], r.text
    assert not committed_writes(world.recorder.texts[start:], world.writes)


def test_set_consent_without_consent_is_refused(world: World) -> None:
    """Found by the sweep: leaving the nullable `consent` argument out was an internal error (and must not clear)."""
    node = world.store.get_nodes(["fiesta"])[0]
    r = world.client.post("/graphql", headers=world.headers, json={"query": (
        f'mutation {{ setConsent(id: "fiesta", expectedVersion: {node.version}) '
        f'{{ __typename ... on InvalidInputError {{ problems {{ field message }} }} }} }}')})
    assert r.json()["data"]["setConsent"] == {"__typename": "InvalidInputError", "problems": [
        {"field": "consent", "message": "consent: give the consent to record, or null to clear it"}]}, r.text


@pytest.mark.parametrize("header", [p for p in PAYLOADS if p.isascii() and "\n" not in p and "\x00" not in p])
def test_injection_strings_in_accept_language(world: World, header: str) -> None:
    start = len(world.recorder.texts)
    r = world.client.post("/graphql", json={"query": '{ node(id: "fiesta") { name summary } }'},
                          headers={"Accept-Language": header})
    assert r.status_code == 200 and r.json()["data"]["node"]["name"] == "Fiesta", r.text
    assert_named_queries(world.recorder.texts[start:], world.allowed)


def test_node_fields_with_string_arguments(world: World, gql_schema: GraphQLSchema) -> None:
    """name(lang:), summary(lang:), title(lang:), body(lang:) and any later one, on every kind's type."""
    start = len(world.recorder.texts)
    ids = {"Tradition": "fiesta", "Craft": "tejido", "Recipe": "comida", "Community": "comunidad",
           "Practitioner": "p0", "Place": "pe", "Organization": "org", "Source": "src-a", "Story": "cuento"}
    asked = 0
    for kind, node_id in ids.items():
        t = gql_schema.get_type(kind)
        assert isinstance(t, GraphQLObjectType)
        for fname, fld in t.fields.items():
            for aname, arg in fld.args.items():
                if get_named_type(arg.type).name not in ("String", "ID"):
                    continue
                for payload in PAYLOADS:
                    query = (f"query($p: {arg.type}) {{ node(id: \"{node_id}\") {{ ... on {kind} "
                             f"{{ {fname}({aname}: $p) }} }} }}")
                    r = world.client.post("/graphql", content=json.dumps({"query": query, "variables": {"p": payload}}),
                                          headers={"content-type": "application/json"})
                    assert not response_problems(r.status_code, r.json()), (kind, fname, payload, r.text)
                    asked += 1
    assert asked >= len(PAYLOADS) * 9 * 2
    assert_named_queries(world.recorder.texts[start:], world.allowed)


def test_importer_keeps_injection_strings_as_data(world: World, tmp_path: Path) -> None:
    """Ids, kinds and relation types are refused at their line; property names are refused; free text is
    stored as it was written."""
    start = len(world.recorder.texts)
    bad = []
    for p in PAYLOADS:
        bad += [{"kind": "Place", "id": p, "name": "X"}, {"kind": p, "id": "x", "name": "X"},
                {"rel": p, "from": "p0", "to": "p1"}, {"rel": "LEARNED_FROM", "from": p, "to": "p1"},
                {"kind": "Place", "id": "y", "name": "Y", "properties": {p: "x"}},
                {"kind": "Place", "id": "z", "name": "Z", "properties": {"level": p}}]
    f = tmp_path / "bad.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in bad), encoding="utf-8")
    mark = len(world.recorder.texts)
    with pytest.raises(ImportRejected) as err:
        run_import(world.store, [f])
    assert {p.line for p in err.value.problems} == set(range(1, len(bad) + 1))
    assert not committed_writes(world.recorder.texts[mark:], world.writes)

    good = [{"kind": "Source", "id": f"src-inj-{i}", "name": p, "names": {"es": p},
             "properties": {"title": p, "publisher": p, "type": "web"}} for i, p in enumerate(PAYLOADS)]
    good += [{"rel": "LEARNED_FROM", "from": "p1", "to": "p0", "note": p, "properties": {"period": p}}
             for p in PAYLOADS[:1]]
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in good), encoding="utf-8")
    run_import(world.store, [f])
    for i, p in enumerate(PAYLOADS):
        node = world.store.get_nodes([f"src-inj-{i}"])[0]
        assert (node.name, node.names["es"], node.properties["title"], node.properties["publisher"]) == (p, p, p, p)
    rel = next(r for r in world.store.relations(["p1"], "out", ["LEARNED_FROM"]) if r.to_id == "p0")
    assert (rel.note, rel.properties["period"]) == (PAYLOADS[0], PAYLOADS[0])
    exported = "".join(export_lines(world.store))
    assert all(json.dumps(p, ensure_ascii=False) in exported for p in PAYLOADS)
    assert_named_queries(world.recorder.texts[start:], world.allowed)


class EmptyNeo4j(FakeDriver):
    """A Neo4j that holds nothing (so every write creates), and answers counts and writes as the adapter expects."""

    def _answer(self, text: str, params: dict[str, Any]) -> list[FakeRecord]:
        if "n.version AS version" in text or "r.version AS version" in text:
            self.sent.append((text, params))
            return []
        return super()._answer(text, params)


def test_neo4j_query_texts_are_named_queries(tmp_path: Path) -> None:
    """The same through the Neo4j adapter, on a recording fake driver: the importer (refused and accepted
    lines), the search and the read API with every payload."""
    store = Neo4jStore("bolt://fake:7687", "neo4j", "x")
    driver = EmptyNeo4j()
    store._driver = driver
    f = tmp_path / "inj.jsonl"
    lines = [{"kind": "Source", "id": f"src-{i}", "name": p, "properties": {"title": p, "type": "web"}}
             for i, p in enumerate(PAYLOADS)]
    lines += [{"kind": "Practitioner", "id": "ana", "name": "Ana"}, {"kind": "Practitioner", "id": "beto", "name": "B"},
              {"rel": "LEARNED_FROM", "from": "beto", "to": "ana", "note": PAYLOADS[0],
               "properties": {"period": PAYLOADS[1]}}]
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    run_import(store, [f])
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in
                         [{"kind": p, "id": "x", "name": "X"} for p in PAYLOADS]
                         + [{"rel": p, "from": "ana", "to": "beto"} for p in PAYLOADS]), encoding="utf-8")
    with pytest.raises(ImportRejected):
        run_import(store, [f])
    client = Client(create_app(Settings(), store=store))
    try:
        for p in PAYLOADS:
            for query in ('query($p: String!) { search(query: $p) { totalCount } }',
                          'query($p: ID!) { node(id: $p) { id } lineage(id: $p) { root { id } } '
                          'history(id: $p) { id } provenance(id: $p) { node { id } } }',
                          'query($p: ID) { traditions(filter: {region: $p}) { totalCount } '
                          'stories(region: $p) { totalCount } }'):
                r = client.post("/graphql", content=json.dumps({"query": query, "variables": {"p": p}}),
                                headers={"content-type": "application/json"})
                assert not response_problems(r.status_code, r.json()), (query, p, r.text)
    finally:
        client.close()
    sent = [text for text, _ in driver.sent]
    assert len(sent) > 50
    assert_named_queries(sent, rendered("neo4j"))
    # What the client sent travels as parameters.
    assert any(PAYLOADS[0] in _strings(params) for _, params in driver.sent)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), st.sampled_from(PAYLOADS)))
def test_search_expressions_hold_only_words(text: str) -> None:
    """The FTS5 and Lucene expressions travel as parameters, but are a query language of their own: they
    are made of lowercase words and the operators the service writes, whatever the client typed."""
    try:
        q = parse_query(text)
    except InvalidInput:
        return  # no word to search for, or too many: refused before any store sees it
    # Phrases first (a quoted word followed by * is an FTS5 prefix, a term below): replacing the words
    # first would leave a Lucene phrase as "W W", which no longer reads as a phrase.
    phrase = r'"[a-z0-9]+(?: [a-z0-9]+)*"(?!\*)'
    # A word as written, a prefix; a spelling key (after KEY_MARK), a prefix or a whole word.
    for expr, term in ((fts_expression(q), r'"_?[a-z0-9]+"\*?'), (lucene_expression(q), r"_?[a-z0-9]+\*?")):
        skeleton = re.sub(term, "W", re.sub(phrase, "W", expr))
        assert re.fullmatch(r"(?:W|AND|OR|[() ])+", skeleton), (text, expr)


def test_lone_surrogates_are_refused_before_the_store(world: World, gql_schema: GraphQLSchema) -> None:
    failures = []
    for case in cases(gql_schema):
        if case.payload != PAYLOADS[0]:
            continue
        case.payload = "pre\ud800post"
        root = gql_schema.query_type if case.root == "query" else gql_schema.mutation_type
        variables = Builder(world, case).arguments(root.fields[case.field].args)
        r = world.client.post("/graphql", headers={**world.headers, "content-type": "application/json"},
                              content=json.dumps({"query": document(gql_schema, case, variables),
                                                  "variables": variables}))
        found = response_problems(r.status_code, r.json())
        if found:
            failures.append(f"{case.label}: {found}")
    assert not failures, "\n".join(failures)
