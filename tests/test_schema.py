"""The schema module is the one source of truth: everything derived agrees with it."""

from __future__ import annotations

import re

from heritage_graph import docs, schema
from heritage_graph.api.enums import ENUMS
from heritage_graph.api.schema import build_schema
from heritage_graph.schema import T


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def test_relation_endpoints_name_real_kinds() -> None:
    for rel in schema.RELATION_TYPES:
        assert rel.endpoints, rel.name
        for f, t in rel.endpoints:
            assert f in schema.KINDS and t in schema.KINDS, (rel.name, f, t)
        assert rel.both_field or (rel.out_field and rel.in_field), rel.name


def test_shared_property_names_have_one_type() -> None:
    cols = schema.node_columns()
    assert len({c.name for c in cols}) == len(cols)


def test_graphql_enums_match_the_schema_values() -> None:
    def walk(p: schema.Prop) -> None:
        if p.allowed:
            assert p.gql, f"{p.name} has allowed values but no GraphQL enum name"
            assert [m.value for m in ENUMS[p.gql]] == list(p.allowed)
        for f in p.fields:
            walk(f)

    for k in schema.NODE_KINDS:
        for p in k.props:
            walk(p)
    for r in schema.RELATION_TYPES:
        for p in r.props:
            walk(p)
    assert [m.value for m in ENUMS["Kind"]] == list(schema.KINDS)
    assert [m.value for m in ENUMS["RelationType"]] == list(schema.RELATIONS)


def test_every_kind_exposes_every_property_and_relation_field() -> None:
    sdl = str(build_schema())
    for kind in schema.NODE_KINDS:
        block = re.search(rf"\ntype {kind.name} implements Node \{{(.*?)\n\}}", sdl, re.S)
        assert block, kind.name
        fields = set(re.findall(r"\n  (\w+)[(:]", block.group(1)))
        for p in kind.props:
            assert _camel(p.name) in fields, (kind.name, p.name)
        for rel in schema.RELATION_TYPES:
            if kind.name in rel.from_kinds:
                assert (rel.both_field or rel.out_field) in fields, (kind.name, rel.name)
            if kind.name in rel.to_kinds:
                assert (rel.both_field or rel.in_field) in fields, (kind.name, rel.name)


def test_struct_properties_become_object_types() -> None:
    sdl = str(build_schema())
    for k in schema.NODE_KINDS:
        for p in k.props:
            if p.type in (T.STRUCT, T.STRUCT_LIST):
                assert f"type {p.gql} {{" in sdl
            if p.type is T.STRUCT_LIST:
                assert re.search(rf"\n  {_camel(p.name)}: \[{p.gql}!\]!", sdl), (k.name, p.name)


def test_docs_schema_md_is_current() -> None:
    assert docs.SCHEMA_MD.read_text(encoding="utf-8") == docs.render_schema(), "run `make docs`"


def test_schema_graphql_matches_the_code() -> None:
    assert docs.SCHEMA_GRAPHQL.read_text(encoding="utf-8") == docs.render_sdl(), "run `make docs`"
