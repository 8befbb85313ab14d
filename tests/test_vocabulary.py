"""One vocabulary in and out: what a read returns about a record's properties can be written back as it is.

Every case is generated from the schema module: a property added there is read, written back and
compared without touching this file. Records are made with a value for every property (each in
the stored vocabulary, through an import), read through GraphQL, written to new records through
the typed inputs (`tradition`, `learnedFrom`, ...) and through the deprecated JSON `properties`
in the read vocabulary, and read back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)
from graphql import build_schema as schema_from_sdl
from graphql.execution.values import get_variable_values
from strawberry.utils.str_converters import to_camel_case

from heritage_graph import schema
from heritage_graph.api.enums import member
from heritage_graph.api.inputs import owner_field
from heritage_graph.api.schema import build_schema
from heritage_graph.api.vocabulary import gql_name, read_spelling
from heritage_graph.app import create_app
from heritage_graph.interchange import parse_record
from heritage_graph.schema import NodeKind, Prop, RelationType, T
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.tokens import create_token

from .conftest import PERSISTENT, Client, fresh_store

ROOT = Path(__file__).resolve().parent.parent
KINDS = [k for k in schema.NODE_KINDS if k.props]
RELATIONS = [r for r in schema.RELATION_TYPES if r.props]


def sample(p: Prop) -> Any:
    """A valid stored value for ``p``: every allowed value of a list, a spelled-out one (a hyphen or an
    underscore, if any value has one) of a single choice, a value inside any range."""
    if p.allowed:
        spelled = [v for v in p.allowed if v != member(v).lower()]
        return list(p.allowed) if p.type is T.STRING_LIST else (spelled or list(p.allowed))[-1]
    if p.type is T.STRUCT:
        return {f.name: sample(f) for f in p.fields}
    if p.type is T.STRUCT_LIST:
        return [{f.name: sample(f) for f in p.fields}]
    if p.type is T.TEXT_MAP:
        return {"en": f"{p.name} in English", "es": f"{p.name} en español"}
    if p.type is T.INT:
        return 1987
    if p.type is T.FLOAT:
        return round((p.maximum or 100) * 0.1375, 4)
    if p.type is T.STRING_LIST:
        return [f"{p.name} one", f"{p.name} two ñ"]
    if p.name == "url":
        return "https://example.org/media/item-ñ.pdf"
    if p.pattern is not None:  # a date, a language, a currency, an id: whichever the pattern takes
        return next(v for v in ("2024-05-01", "qu", "PEN", "src-ejemplo") if p.pattern.fullmatch(v))
    return f"{p.name}: «texto» ñ"


def kind_sample(p: Prop, kind: NodeKind) -> Any:
    """``sample``, for the properties whose values name other fields of the record's kind."""
    if p.name == "restricted_fields":
        return [q.name for q in kind.props if q.name not in ("consent", "access_rules", p.name)][:1]
    if p.name == "field_sources":
        return [{**item, "field": "name"} for item in sample(p)]
    return sample(p)


def selection(props: tuple[Prop, ...]) -> str:
    """Every property field, as a read asks for it."""
    parts = []
    for p in props:
        if p.type in (T.STRUCT, T.STRUCT_LIST):
            parts.append(f"{gql_name(p)} {{ {selection(p.fields)} }}")
        elif p.type is T.TEXT_MAP:
            parts.append(f"{gql_name(p)} {{ lang text }}")
        else:
            parts.append(gql_name(p))
    return " ".join(parts)


def typed_field(owner: NodeKind | RelationType) -> str:
    return to_camel_case(owner_field(owner))


def ends(rel: RelationType, i: int) -> tuple[str, str]:
    return f"{rel.name.lower()}-from-{i}", f"{rel.name.lower()}-to-{i}"


def world_lines() -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for k in KINDS:
        lines.append({"kind": k.name, "id": f"orig-{k.name.lower()}", "name": k.name,
                      "properties": {p.name: kind_sample(p, k) for p in k.props}})
        lines += [{"kind": k.name, "id": f"bare-{k.name.lower()}-{i}", "name": k.name} for i in range(3)]
    for r in RELATIONS:
        from_kind, to_kind = r.endpoints[0]
        for i in range(4):
            a, b = ends(r, i)
            lines += [{"kind": from_kind, "id": a, "name": a}, {"kind": to_kind, "id": b, "name": b}]
        for i in (0, 3):
            a, b = ends(r, i)
            lines.append({"rel": r.name, "from": a, "to": b,
                          "properties": {p.name: sample(p) for p in r.props} if i == 0 else {}})
    return lines


class Api:
    def __init__(self, client: Client, secret: str, store: LadybugStore) -> None:
        self.client, self.store = client, store
        self.headers = {"Authorization": f"Bearer {secret}"}

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        r = self.client.post("/graphql", json={"query": query, "variables": variables}, headers=self.headers)
        body = r.json()
        assert r.status_code == 200 and "errors" not in body, r.text
        return next(iter(body["data"].values()))

    def properties(self, kind: NodeKind, node_id: str) -> dict[str, Any]:
        node = self(f'query($id: ID!) {{ node(id: $id) {{ ... on {kind.name} {{ {selection(kind.props)} }} }} }}',
                    id=node_id)
        assert node is not None, node_id
        return node  # type: ignore[no-any-return]

    def relation(self, rel: RelationType, i: int) -> dict[str, Any]:
        a, _ = ends(rel, i)
        found = self(f'query($id: ID!) {{ node(id: $id) {{ relations(types: [{rel.name}], direction: OUT) '
                     f'{{ {selection(rel.props)} }} }} }}', id=a)["relations"]
        assert len(found) == 1, found
        return found[0]  # type: ignore[no-any-return]

    def version(self, node_id: str) -> int:
        return self.store.get_nodes([node_id])[0].version

    def change(self, rel: RelationType, i: int, patch: dict[str, Any]) -> dict[str, Any]:
        """updateRelation of the relation between the i-th ends of ``rel``, at its current version."""
        a, b = ends(rel, i)
        v = next(r.version for r in self.store.relations([a], "out", [rel.name]) if r.to_id == b)
        return self(CHANGE, type=rel.name, **{"from": a}, to=b, v=v, patch=patch)


@pytest.fixture(scope="module", params=PERSISTENT)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("vocabulary")
    with fresh_store(request, folder) as store:
        yield from _api(store, folder)


def _api(store: Store, folder: Path) -> Iterator[Api]:
    f = folder / "world.jsonl"
    f.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in world_lines()), encoding="utf-8")
    run_import(store, [f])
    secret, _ = create_token(store, "admin", name="vocabulary-admin")
    client = Client(create_app(Settings(), store=store))
    try:
        yield Api(client, secret, store)
    finally:
        client.close()


RESULT = "{ __typename ... on InvalidInputError { problems { field message } } }"
CREATE = "mutation($input: NodeInput!) { createNode(input: $input) " + RESULT + " }"
UPDATE = ("mutation($id: ID!, $v: Int!, $patch: NodePatch!) { updateNode(id: $id, expectedVersion: $v, "
          "patch: $patch) " + RESULT + " }")
ADD = "mutation($input: RelationInput!) { addRelation(input: $input) " + RESULT + " }"
CHANGE = ("mutation($type: RelationType!, $from: ID!, $to: ID!, $v: Int!, $patch: RelationPatch!) { updateRelation("
          "type: $type, from: $from, to: $to, expectedVersion: $v, patch: $patch) " + RESULT + " }")


def saved(result: dict[str, Any]) -> None:
    assert result["__typename"] in ("NodeSaved", "RelationSaved"), result


def problems(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "InvalidInputError", result
    return {p["field"]: p["message"] for p in result["problems"]}


# -- the round trip -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_a_record_read_is_written_back_verbatim(api: Api, kind: NodeKind) -> None:
    """Through the typed input, the JSON `properties` in the read vocabulary, and a typed patch: the
    record reads back as it was read, and is stored as the original is."""
    low = kind.name.lower()
    read = api.properties(kind, f"orig-{low}")
    assert all(v is not None for v in read.values()), read  # the sample sets every property
    original = api.store.get_nodes([f"orig-{low}"])[0].properties
    for i, given in enumerate(({typed_field(kind): read}, {"properties": read})):
        new_id = f"bare-{low}-{i}-new"
        saved(api(CREATE, input={"kind": member(kind.name), "id": new_id, "name": kind.name, **given}))
        assert api.properties(kind, new_id) == read, given
        assert api.store.get_nodes([new_id])[0].properties == original
    patched = f"bare-{low}-2"
    saved(api(UPDATE, id=patched, v=api.version(patched), patch={typed_field(kind): read}))
    assert api.properties(kind, patched) == read
    assert api.store.get_nodes([patched])[0].properties == original


@pytest.mark.parametrize("rel", RELATIONS, ids=[r.name for r in RELATIONS])
def test_a_relation_read_is_written_back_verbatim(api: Api, rel: RelationType) -> None:
    read = api.relation(rel, 0)
    assert all(v is not None for v in read.values()), read
    for i, given in ((1, {typed_field(rel): read}), (2, {"properties": read})):
        a, b = ends(rel, i)
        saved(api(ADD, input={"type": rel.name, "from": a, "to": b, **given}))
        assert api.relation(rel, i) == read, given
    saved(api.change(rel, 3, {typed_field(rel): read}))
    assert api.relation(rel, 3) == read


def test_the_stored_spellings_still_work_in_json_properties(api: Api) -> None:
    saved(api(CREATE, input={"kind": "TRADITION", "id": "old-spellings", "name": "Old", "properties": {
        "domains": ["social-practices", "oral-traditions"], "category": "oral-tradition",
        "unesco": {"list": "urgent-safeguarding", "element_no": "00166"}}}))
    tradition = schema.KINDS["Tradition"]
    read = api.properties(tradition, "old-spellings")
    assert read["domains"] == ["SOCIAL_PRACTICES", "ORAL_TRADITIONS"] and read["category"] == "ORAL_TRADITION"
    assert read["unesco"] == {"list": "URGENT_SAFEGUARDING", "year": None, "elementNo": "00166", "decision": None,
                              "states": None, "formerNames": None}
    # ... in a patch too, and mixed with the read spelling
    saved(api(UPDATE, id="old-spellings", v=api.version("old-spellings"),
              patch={"properties": {"domains": ["performing-arts", "SOCIAL_PRACTICES"], "category": None}}))
    read = api.properties(tradition, "old-spellings")
    assert read["domains"] == ["PERFORMING_ARTS", "SOCIAL_PRACTICES"] and read["category"] is None


def test_a_typed_patch_keeps_what_it_leaves_out_and_removes_what_it_sets_to_null(api: Api) -> None:
    kind = schema.KINDS["Tradition"]
    saved(api(CREATE, input={"kind": "TRADITION", "id": "patched", "name": "P", "tradition": {
        "viability": "alive", "category": "FESTIVAL", "unesco": {"list": "REPRESENTATIVE", "year": 2005}}}))
    saved(api(UPDATE, id="patched", v=1, patch={"tradition": {"category": None, "unesco": {"elementNo": "1"}}}))
    read = api.properties(kind, "patched")
    assert read["viability"] == "alive" and read["category"] is None
    assert read["unesco"] == {"list": None, "year": None, "elementNo": "1", "decision": None, "states": None,
                              "formerNames": None}  # an object is replaced whole

    rel = schema.RELATIONS["LEARNED_FROM"]
    saved(api.change(rel, 3, {"learnedFrom": {"period": "1950s", "setting": "workshop"}}))
    saved(api.change(rel, 3, {"learnedFrom": {"setting": None}}))
    read = api.relation(rel, 3)
    assert {k: read[k] for k in ("period", "setting")} == {"period": "1950s", "setting": None}


def test_a_consent_needs_its_status_or_its_basis() -> None:
    """Else a record could hold a consent that says nothing of where it stands."""
    record, errors = parse_record({"kind": "Practitioner", "id": "p", "name": "P",
                                   "properties": {"consent": {"given_by": "the assembly"}}})
    assert record is None
    assert errors == [f"properties.consent: needs its status ({', '.join(schema.CONSENT_STATUSES)}) or its basis "
                      f"({', '.join(schema.CONSENT_BASES)})"]
    for consent in ({"basis": "published-source"}, {"status": "granted"}):
        assert parse_record({"kind": "Practitioner", "id": "p", "name": "P",
                             "properties": {"consent": consent}})[0] is not None


# -- problems, in the client's vocabulary ---------------------------------------------------------
def test_problems_name_the_field_as_the_client_wrote_it(api: Api) -> None:
    new = {"kind": "TRADITION", "id": "refused", "name": "R"}
    assert set(problems(api(CREATE, input={**new, "properties": {"unesco": {"elementNo": 5}}}))) == {
        "properties.unesco.elementNo"}
    assert set(problems(api(CREATE, input={**new, "properties": {"unesco": {"element_no": 5}}}))) == {
        "properties.unesco.element_no"}
    assert set(problems(api(CREATE, input={**new, "tradition": {"unesco": {"year": 9999}}}))) == {
        "tradition.unesco.year"}
    category = schema.KINDS["Tradition"].prop("category")
    assert category is not None
    found = problems(api(CREATE, input={**new, "properties": {"category": "party", "colour": "red"}}))
    assert found["properties.category"] == f'"party" is not allowed; allowed values: {read_spelling(category)}'
    assert "FESTIVAL, DANCE" in found["properties.category"]
    assert found["properties.colour"].startswith(
        "unknown property for Tradition; allowed: altNames, domains, languages")
    found = problems(api(CREATE, input={**new, "properties": {"unesco": {"elementNo": "1", "element_no": "2"}}}))
    assert "names the same property as elementNo" in found["properties.unesco.element_no"]
    consent = api("mutation { setConsent(id: \"orig-tradition\", expectedVersion: 1, consent: {status: GRANTED, "
                  "date: \"May 2024\"}) " + RESULT + " }")
    assert set(problems(consent)) == {"consent.date"}


def test_the_properties_of_another_kind_or_type_are_refused_by_field(api: Api) -> None:
    new = {"kind": "TRADITION", "id": "refused", "name": "R"}
    found = problems(api(CREATE, input={**new, "craft": {"materials": ["wool"]}}))
    assert found == {"craft": "holds the properties of a Craft, but this is a Tradition: give them in `tradition`"}
    found = problems(api(CREATE, input={**new, "kind": "COMMUNITY", "place": {"lat": 1.5}}))
    assert found["place"] == "holds the properties of a Place, but this is a Community: give them in `community`"
    found = problems(api(CREATE, input={**new, "tradition": {"viability": "x"}, "properties": {"viability": "x"}}))
    assert set(found) == {"properties"}
    found = problems(api(UPDATE, id="orig-tradition", v=1, patch={"recipe": {"occasion": "x"}}))
    assert set(found) == {"recipe"}
    found = problems(api.change(schema.RELATIONS["LEARNED_FROM"], 3, {"kinOf": {"kinship": "PARENT"}}))
    assert found == {"kinOf": "holds the properties of a KIN_OF relation, but this is a LEARNED_FROM relation: "
                              "give them in `learnedFrom`"}


# -- the schema -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served() -> GraphQLSchema:
    return build_schema()._schema


def shape(t: Any, only: Any = None) -> Any:
    """A type as reads and writes share it: input objects and object types by their fields (an input
    named as its object type plus `Input`; an object type by the fields of the input ``only``, as it
    may compute more, such as a media item's thumbnail), lists and enums and scalars as they are;
    non-null aside."""
    if isinstance(t, GraphQLNonNull):
        return shape(t.of_type, only)
    if isinstance(only, GraphQLNonNull | GraphQLList):
        return shape(t, only.of_type)
    if isinstance(t, GraphQLList):
        return [shape(t.of_type, only)]
    if isinstance(t, GraphQLInputObjectType | GraphQLObjectType):
        names = list(only.fields) if isinstance(only, GraphQLInputObjectType) else [
            n for n, f in t.fields.items() if not getattr(f, "args", None)]
        fields = {n: shape(t.fields[n].type, only.fields[n].type if only is not None else None) if n in t.fields
                  else None for n in names}
        return t.name.removesuffix("Input"), fields
    assert isinstance(t, GraphQLEnumType | GraphQLScalarType)
    return t.name


@pytest.mark.parametrize("owner", [*KINDS, *RELATIONS], ids=[o.name for o in (*KINDS, *RELATIONS)])
def test_each_typed_input_names_and_types_properties_as_reads_do(served: GraphQLSchema,
                                                                 owner: NodeKind | RelationType) -> None:
    read = served.get_type(owner.name if isinstance(owner, NodeKind) else "Relation")
    assert isinstance(read, GraphQLObjectType)
    for holder in ("NodeInput", "NodePatch") if isinstance(owner, NodeKind) else ("RelationInput", "RelationPatch"):
        outer = served.get_type(holder)
        assert isinstance(outer, GraphQLInputObjectType)
        typed = outer.fields[typed_field(owner)].type
        assert isinstance(typed, GraphQLInputObjectType)
        assert list(typed.fields) == [gql_name(p) for p in owner.props]
        for name, fld in typed.fields.items():
            assert shape(fld.type) == shape(read.fields[name].type, fld.type), (owner.name, holder, name)
        assert outer.fields["properties"].deprecation_reason, holder


def test_client_side_validation_catches_misspelled_fields_and_values() -> None:
    """A client that validates against schema.graphql (as code generators and IDEs do) finds a mistake in
    typed properties before sending anything; in the JSON `properties` nothing could."""
    sdl = schema_from_sdl((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    mutation = ('mutation { createNode(input: {kind: TRADITION, id: "x", name: "X", tradition: {'
                'domains: [SOCIAL_PRACTICES], unesco: {list: REPRESENTATIVE, elementNo: "00166"}}}) '
                '{ __typename } }')
    assert validate(sdl, parse(mutation)) == []
    for right, wrong, found in (
            ("elementNo", "element_no", "not to include unknown field 'element_no'. Did you mean 'elementNo'?"),
            ("[SOCIAL_PRACTICES]", "[SOCIAL_PRACTICE]", "Value 'SOCIAL_PRACTICE' does not exist in 'Domain' enum"),
            ("[SOCIAL_PRACTICES]", '["social-practices"]', "Enum 'Domain' cannot represent non-enum value")):
        errors = validate(sdl, parse(mutation.replace(right, wrong)))
        assert any(found in e.message for e in errors), [e.message for e in errors]
    json_typo = mutation.replace("tradition: {", "properties: {").replace("elementNo", "elemntNo")
    assert validate(sdl, parse(json_typo)) == []

    # The same for variables, as a client checks them before sending.
    doc = parse("mutation($input: NodeInput!) { createNode(input: $input) { __typename } }")
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    good = {"kind": "TRADITION", "id": "x", "name": "X", "tradition": {"category": "FESTIVAL"}}
    assert not isinstance(get_variable_values(sdl, op.variable_definitions, {"input": good}), list)  # no errors
    for typo in ({"category": "festival"}, {"categroy": "FESTIVAL"}):
        errors = get_variable_values(sdl, op.variable_definitions, {"input": {**good, "tradition": typo}})
        assert isinstance(errors, list) and errors, typo
