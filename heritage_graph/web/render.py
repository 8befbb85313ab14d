"""Pages from templates: one Jinja2 environment, one ``render`` every page goes through.

``render`` gives each template the interface's gettext functions (``_``, ``ngettext``), the language,
the principal and the CSRF token of the session (empty until a session middleware sets
``scope["csrf_token"]``). An anonymous visitor's page is cacheable as the API's answers are: a strong
ETag of the body, ``304 Not Modified`` for a matching ``If-None-Match`` and the same ``Cache-Control``
(``HERITAGE_CACHE_MAX_AGE``); anyone else's is ``private, no-store``, since it may hold what others
may not see.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import Response

from .. import __version__, schema
from ..api.response_cache import PRIVATE, etag_of, none_match, public_cache_control
from ..resources import resource
from . import i18n

HTML = "text/html; charset=utf-8"
LANG_COOKIE_AGE = 365 * 24 * 3600


@cache
def terms() -> frozenset[str]:
    """The schema's words a page shows translated where they stand as values (a status, a kind...)."""
    words = {*schema.KINDS, *schema.STATUSES, *schema.CONFIDENCE, *schema.SENSITIVITY}
    words |= {v for k in schema.NODE_KINDS for p in k.props for q in (p, *p.fields) if q.allowed
              and q.allowed not in (schema.LICENCES, schema.MEDIA_TYPES) for v in q.allowed if isinstance(v, str)}
    return frozenset(words)


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(resource("templates"))),
                       autoescape=select_autoescape(("html", "svg")), trim_blocks=True, lstrip_blocks=True)


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200,
           shared: bool = True) -> Response:
    """The page; ``shared=False`` for one that is the visitor's own even when anonymous (a form's token)."""
    lang, chosen = i18n.negotiate(request)
    tr = i18n.translations(lang)
    principal = context.get("principal") or request.scope.get("principal")
    anonymous = principal is None or principal.role == "anonymous"
    body = environment().get_template(template).render(
        _=tr.gettext, ngettext=tr.ngettext, lang=lang, languages=i18n.NAMES, request=request,
        csrf_token=request.scope.get("csrf_token", ""), version=__version__, anonymous=anonymous, terms=terms(),
        **context,
    ).encode("utf-8")
    headers = {"content-language": lang, "vary": "Accept-Language, Cookie, Authorization"}
    # A page that sets the language cookie is the visitor's own: a shared cache must not keep it.
    if anonymous and shared and status == 200 and not chosen:
        etag = etag_of(body, HTML)
        headers |= {"etag": etag, "cache-control": public_cache_control(request.app.state.settings.cache_max_age)}
        if none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
    else:
        headers["cache-control"] = PRIVATE
    response = Response(body, status_code=status, media_type=HTML, headers=headers)
    if chosen:
        response.set_cookie(i18n.COOKIE, lang, max_age=LANG_COOKIE_AGE, samesite="lax", httponly=True)
    return response
