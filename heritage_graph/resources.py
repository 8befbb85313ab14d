"""The folders of files the program reads at run time, found alike in a checkout and in an installed wheel.

``resource("cypher")`` is the folder of named queries, ``resource("seeds")`` the Peru demo inventory,
``resource("static")`` the files served as they are (GraphiQL, the JSON-LD context). In the repository
``cypher/`` and ``seeds/`` sit at the top, beside the package; the wheel carries them inside it, under
``heritage_graph/_data/`` (pyproject.toml's ``force-include`` maps them there at build time), so an
installed copy needs no checkout. The installed place is tried first, then the checkout's.

A new kind of run-time file (templates, message catalogs) is one entry in ``RESOURCES``, plus a
``force-include`` line in pyproject.toml when its folder lies outside the package;
tests/test_packaging.py fails if the wheel lacks any file of a registered folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Resource:
    installed: str  # in an installed package, relative to the package folder
    checkout: str  # in a checkout, relative to the repository's top


RESOURCES: dict[str, Resource] = {
    "cypher": Resource("_data/cypher", "cypher"),
    "seeds": Resource("_data/seeds", "seeds"),
    "static": Resource("static", "heritage_graph/static"),
    "templates": Resource("templates", "heritage_graph/templates"),
    "locale": Resource("locale", "heritage_graph/locale"),
}


def places(name: str) -> tuple[Path, Path]:
    """Where the folder ``name`` is looked for: installed, then in a checkout."""
    entry = RESOURCES[name]
    return PACKAGE / entry.installed, PACKAGE.parent / entry.checkout


def resource(name: str) -> Path:
    """The folder of run-time files registered as ``name``; ConfigError when neither place has it."""
    if name not in RESOURCES:
        raise KeyError(f"no resource named {name!r}; the registered ones are {', '.join(sorted(RESOURCES))}")
    found = next((folder for folder in places(name) if folder.is_dir()), None)
    if found is None:
        installed, checkout = places(name)
        raise ConfigError(f"the {name!r} folder is missing from this installation (looked in {installed} and "
                          f"{checkout}): reinstall heritage-graph from its wheel")
    return found
