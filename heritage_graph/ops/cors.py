"""CORS for browser apps on other origins: off unless ``HERITAGE_CORS_ORIGINS`` names them.

Tokens travel in the ``Authorization`` header, never in cookies, so credentials stay disallowed and
``*`` (any origin) is safe to offer for a public read API.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from ..errors import ConfigError

METHODS = ("GET", "POST")
HEADERS = ("Content-Type", "Authorization", "X-Request-ID")
EXPOSE = ("ETag", "X-Request-ID")
MAX_AGE = 600  # seconds a browser may cache a preflight answer
_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")


def parse_origins(text: str, *, name: str = "HERITAGE_CORS_ORIGINS") -> tuple[str, ...]:
    """Comma-separated origins (``https://app.example.org``, ``http://localhost:5173``) or ``*``;
    empty means CORS is off. An origin is scheme, host and optional port: no path, no trailing slash."""
    origins = tuple(dict.fromkeys(o.strip() for o in text.split(",") if o.strip()))
    for origin in origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise ConfigError(f"{name}: {origin!r} is not an origin; write scheme://host[:port] with no path "
                              "(e.g. https://app.example.org), or * for any origin")
    if "*" in origins and len(origins) > 1:
        raise ConfigError(f"{name}: * already allows every origin; give either * or a list of origins")
    return origins


def cors_middleware(origins: Sequence[str]) -> list[Middleware]:
    """The CORS middleware for these origins; none when there are none (CORS off)."""
    if not origins:
        return []
    return [Middleware(CORSMiddleware, allow_origins=list(origins), allow_methods=list(METHODS),
                       allow_headers=list(HEADERS), expose_headers=list(EXPOSE), max_age=MAX_AGE)]
