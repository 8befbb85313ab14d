"""The interface's language: Spanish first, English second, chosen per request.

``?lang=`` picks one and is remembered in a cookie; without it the cookie decides, then the browser's
``Accept-Language``, then Spanish. Messages come from gettext catalogs (``heritage_graph/locale``,
kept up to date with ``make messages``). The ``.po`` files are what ships: they are compiled in memory
on first use, so an installed wheel needs no build step and a catalog can never lag its source.
Record content (names, summaries) follows the same language with the API's fallback (es, en, any).
"""

from __future__ import annotations

import gettext
import io
from functools import cache

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request

from ..api.context import preferred_language
from ..resources import resource

LANGUAGES = ("es", "en")
DEFAULT = "es"
COOKIE = "hg_lang"
NAMES = {"es": "Español", "en": "English"}


def negotiate(request: Request) -> tuple[str, bool]:
    """The request's language, and whether it was asked for explicitly (``?lang=``: then remembered)."""
    asked = request.query_params.get("lang", "").lower()
    if asked in LANGUAGES:
        return asked, True
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGUAGES:
        return cookie, False
    browser = preferred_language(request.headers.get("accept-language"))
    return (browser if browser in LANGUAGES else DEFAULT), False


@cache
def translations(lang: str) -> gettext.NullTranslations:
    path = resource("locale") / lang / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def localized(texts: dict[str, str], lang: str) -> str:
    """A text in ``lang``, else Spanish, English, then any language (the API's fallback)."""
    for key in (lang, "es", "en"):
        if texts.get(key):
            return texts[key]
    return next((t for t in texts.values() if t), "")
