"""Update the interface's gettext catalogs (``make messages``).

1. Extract every ``_()``/``ngettext()`` string of the templates and the web package (babel.cfg).
2. Add the schema's vocabulary the pages show through ``_(value)``: node kinds, relation types,
   property names, UNESCO domains, statuses and confidence levels, read from heritage_graph/schema.py
   (so a new kind or relation reaches the catalogs without anyone listing it).
3. Merge into heritage_graph/locale/{es,en}/LC_MESSAGES/messages.po, keeping existing translations;
   a new string starts untranslated (the page shows its English msgid until it is translated), and
   the command lists what is missing in Spanish.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from heritage_graph import schema  # noqa: E402

LOCALE = ROOT / "heritage_graph" / "locale"
METHODS = [("heritage_graph/web/**.py", "python"), ("heritage_graph/templates/**.html", "jinja2")]


def _walk(props: tuple[schema.Prop, ...]) -> list[schema.Prop]:
    """Properties and the fields of their objects (consent's status, a UNESCO inscription's year...)."""
    return [q for p in props for q in (p, *_walk(p.fields))]


# Allowed values that are codes rather than words: shown as they are, in every language.
CODES = {schema.LICENCES, schema.MEDIA_TYPES}


def vocabulary() -> list[str]:
    every = _walk(tuple(p for k in schema.NODE_KINDS for p in k.props)
                  + tuple(p for r in schema.RELATION_TYPES for p in r.props))
    props = {p.name for p in every}
    allowed = {v for p in every if p.allowed and p.allowed not in CODES for v in p.allowed}
    sides = {f for r in schema.RELATIONS.values() for f in (r.out_field, r.in_field) if f}
    fields = [f for f in schema.COMMON_FIELDS if f not in schema.SYSTEM_FIELDS]  # the history's field names
    return [*schema.KINDS, *schema.RELATIONS, *sorted(sides), *fields, *sorted(props), *sorted(allowed),
            *schema.STATUSES, *schema.CONFIDENCE, *schema.SENSITIVITY]


def template() -> Catalog:
    pot = Catalog(project="heritage-graph", msgid_bugs_address="")
    for filename, lineno, message, comments, context in extract_from_dir(str(ROOT), METHODS):
        pot.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    for word in vocabulary():
        if word not in pot:
            pot.add(word, locations=[("heritage_graph/schema.py", 0)])
    return pot


def main() -> int:
    pot = template()
    missing = 0
    for lang in ("es", "en"):
        path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="heritage-graph")
        catalog.update(pot, no_fuzzy_matching=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, ignore_obsolete=True)
        if lang == "es":
            todo = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
            missing = len(todo)
            for m in todo:
                print(f"es: untranslated: {m!r}")
    print(f"{len(pot)} messages; {missing} untranslated in Spanish")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
