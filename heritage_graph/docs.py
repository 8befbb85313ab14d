"""Generate ``docs/schema.md`` and ``schema.graphql`` from the code (``make docs``).

A test fails when the committed file differs from what this renders, so the
reference can never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import schema
from .schema import Prop, T

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCHEMA_MD = DOCS / "schema.md"
SCHEMA_GRAPHQL = ROOT / "schema.graphql"


def render_sdl() -> str:
    """The GraphQL schema in SDL, as clients and code generators read it."""
    from .api.schema import build_schema

    return str(build_schema()).rstrip() + "\n"


def generated() -> dict[Path, str]:
    return {SCHEMA_MD: render_schema(), SCHEMA_GRAPHQL: render_sdl()}


def _type(p: Prop) -> str:
    if p.type in (T.STRUCT, T.STRUCT_LIST):
        head = "object" if p.type is T.STRUCT else f"list of objects (at most {schema.MAX_OBJECT_ITEMS})"
        return f"{head}: " + ", ".join(f"`{f.name}` ({_type(f)}{', required' if f.required else ''})"
                                        for f in p.fields)
    text = p.type.value
    if p.allowed:
        text += ": " + " \\| ".join(f"`{v}`" for v in p.allowed)
    if p.minimum is not None and p.maximum is not None:
        text += f" ({p.minimum:g} to {p.maximum:g})"
    elif p.minimum is not None:
        text += f" (at least {p.minimum:g})"
    return text


def _table(props: tuple[Prop, ...]) -> list[str]:
    if not props:
        return ["No properties of its own.", ""]
    rows = ["| property | type and allowed values | meaning |", "|---|---|---|"]
    rows += [f"| `{p.name}` | {_type(p)} | {p.doc} |" for p in props]
    return [*rows, ""]


def render_schema() -> str:
    out = [
        "# Schema reference",
        "",
        "<!-- Generated from heritage_graph/schema.py by `make docs`; do not edit by hand. -->",
        "",
        "Heritage Graph stores **nodes** of the kinds below, linked by typed **relations**. Every node and",
        "every relation may cite sources. In the interchange format ([interchange.md](interchange.md)) the",
        "common fields sit at the top level of a line and the kind's own properties under `properties`.",
        "GraphQL names each property in camelCase (`element_no` reads and writes as `elementNo`) and spells",
        "each allowed value as its enum member (`social-practices` as `SOCIAL_PRACTICES`); see",
        "[curation.md](curation.md#writing-properties).",
        "",
        "## Fields every node has",
        "",
        *_table(schema.NODE_COMMON_PROPS),
        "Plus `sources`: ids of the Source nodes that document the record (stored as `DOCUMENTED_BY`",
        "relations; a Source itself cites none).",
        "",
        "## Node kinds",
        "",
    ]
    for kind in schema.NODE_KINDS:
        out += [f"### {kind.name}", "", kind.doc, "", *_table(kind.props)]
    out += [
        "## Relation types",
        "",
        "Every relation is identified by its type and its two ends (at most one relation of a type from one",
        "node to another) and may carry:",
        "",
        *_table(schema.RELATION_COMMON_PROPS),
        "| relation | from → to | own properties | GraphQL fields |",
        "|---|---|---|---|",
    ]
    for rel in schema.RELATION_TYPES:
        props = ", ".join(f"`{p.name}` ({_type(p)})" for p in rel.props) or "—"
        if rel.both_field:
            fields = f"`{rel.both_field}` (both directions)"
        else:
            fields = f"`{rel.out_field}` on the from side, `{rel.in_field}` on the to side"
        ends = schema.endpoint_summary(rel).replace(" | ", " \\| ")
        out.append(f"| `{rel.name}` | {ends} | {props} | {fields} |")
    out += ["", "Relation meanings:", ""]
    out += [f"- `{rel.name}`: {rel.doc}" + (" A hierarchy: no cycles." if rel.acyclic else "")
            for rel in schema.RELATION_TYPES]
    out += ["", "No relation links a record to itself, and a relation of a hierarchy type that would close a "
            "cycle is refused (by an import, naming its file and line, and by `addRelation`)."]
    out += [
        "",
        "## Ids",
        "",
        f"An id matches `^{schema.ID_PATTERN.pattern}$` and is unique across all kinds.",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    stale = 0
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == text:
            continue
        if "--check" in args:
            print(f"{path} is out of date: run `make docs`", file=sys.stderr)
            stale += 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
