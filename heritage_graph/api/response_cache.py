"""HTTP caching of anonymous reads: ``Cache-Control``, ``ETag`` and ``304 Not Modified``, and an
in-process cache of whole responses that any write empties.

- An anonymous query that succeeds (no errors) is ``Cache-Control: public, max-age=N``
  (``HERITAGE_CACHE_MAX_AGE``; 0 gives ``public, no-cache``: caches keep it but ask every time) with a
  strong ``ETag``: a hash of the response's media type and bytes. The ETag changes exactly when
  the bytes do, so it agrees across restarts and replicas, and a write that does not change this
  response leaves it valid. ``If-None-Match`` (a list, ``*``, weak tags compared weakly, RFC 9110
  13.1.2) that matches is answered ``304 Not Modified`` without a body, for GET and for POST alike: a
  query sent by POST changes nothing, so the precondition is the client's "only if it changed".
- Anything else (errors, mutations) is ``no-store``; with an ``Authorization`` header
  ``private, no-store``. Every answer carries ``Vary: Accept, Accept-Language, Authorization``: the
  response depends on the media type, the language and the reader, and a shared cache must never
  hand an anonymous copy to a client with a token.
- The in-process cache keeps the bytes of successful anonymous queries, keyed by (persisted hash
  or query text, operation name, variables, language, media type), valid for one data version of
  the store (``Store.data_version``): a hit skips parsing, validation and execution. Its front keys
  the same responses by the request's own bytes (method, query string or body, and the headers
  the answer varies on, as sent), so a repeated request is answered before anything is parsed,
  not even its JSON; sizes are counted once per key. A response
  is kept only when the data version did not move while it was computed, and the first request to
  see a new version empties the cache, so a write is visible to the very next request. On Neo4j,
  shared by several processes, the version is a counter in the store that each process reads again
  at most every ``HERITAGE_CACHE_CHECK_MS`` (store/neo4j.py): another replica's write is seen within
  that interval. A store with no version (None) is not cached in process.
- A repeated anonymous GET is answered before the middleware (app.py, ``HeritageGraphQL.front_door``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, get_operation_ast, parse
from starlette.types import Receive, Scope, Send

from ..errors import ConfigError
from ..settings import Settings
from .lru import BoundedLRU

VARY = "Accept, Accept-Language, Authorization"
NO_STORE = "no-store"
PRIVATE = "private, no-store"
_TAG = re.compile(r'(?:W/)?("[^"]*")')
_ENTRY_OVERHEAD = 512  # headers, key and bookkeeping of a cached response, roughly


def public_cache_control(max_age: int) -> str:
    return f"public, max-age={max_age}" if max_age > 0 else "public, no-cache"


def etag_of(body: bytes, media: str) -> str:
    digest = hashlib.blake2b(media.encode("ascii"), digest_size=16)
    digest.update(b"\n")
    digest.update(body)
    return f'"{digest.hexdigest()}"'


def none_match(if_none_match: str | None, etag: str) -> bool:
    """True when an ``If-None-Match`` header matches ``etag`` (a strong tag): ``*``, or any listed
    tag equal to it by weak comparison."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(m.group(1) == etag for m in _TAG.finditer(if_none_match))


def cache_key(query: str, sha256: str | None, operation_name: str | None, variables: dict[str, Any] | None,
              lang: str | None, media: str) -> Hashable:
    # Sorted keys: the same variables in another order are the same request.
    values = json.dumps(variables, sort_keys=True, separators=(",", ":"), ensure_ascii=False) if variables else ""
    return (sha256 is not None, sha256 or query, operation_name, values, lang, media)


_KINDS: BoundedLRU[str | None] = BoundedLRU(1024, 4 << 20)


def operation_kind(query: str, operation_name: str | None) -> str | None:
    """``query``, ``mutation`` or ``subscription``: what the request's operation is; None when the
    document does not say (it would not have run). Remembered per text: a query seen before costs a
    dictionary look-up."""
    key = (query, operation_name)
    if (kind := _KINDS.get(key)) is not None:
        return kind
    try:
        op = get_operation_ast(parse(query, no_location=True), operation_name)
    except GraphQLError:
        return None
    kind = op.operation.value if op is not None else None
    if kind is not None:
        _KINDS.put(key, kind, len(query) + len(operation_name or ""))
    return kind


class RawResponse:
    """A response whose status, headers and body are all known: sent as two ASGI messages. The
    header list is copied per send, since middleware (CORS) may append to it."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
        self.status = status
        self.headers = headers
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": self.body})


@dataclass(frozen=True, slots=True)
class CachedResponse:
    etag: str
    ok: RawResponse
    not_modified: RawResponse
    operation: str | None = None  # the operation's name, for the request log
    size: int = field(default=0)

    @classmethod
    def of(cls, body: bytes, content_type: str, etag: str, cache_control: str,
           operation: str | None = None) -> CachedResponse:
        common = [(b"etag", etag.encode("ascii")), (b"cache-control", cache_control.encode("ascii")),
                  (b"vary", VARY.encode("ascii"))]
        ok = RawResponse(200, [(b"content-type", content_type.encode("ascii")),
                               (b"content-length", str(len(body)).encode("ascii")), *common], body)
        return cls(etag, ok, RawResponse(304, common), operation, len(body) + len(etag) + _ENTRY_OVERHEAD)

    def answer(self, if_none_match: str | None) -> RawResponse:
        return self.not_modified if none_match(if_none_match, self.etag) else self.ok


# The request headers an answer depends on (besides Authorization, whose absence is what makes a
# request anonymous): the Vary list, and the media type of a POST body.
_KEYED = frozenset({b"accept", b"accept-language", b"content-type"})


@dataclass(frozen=True, slots=True)
class AnonymousRequest:
    fingerprint: tuple[tuple[bytes, bytes], ...]  # the _KEYED headers, as sent, in order
    if_none_match: str | None
    content_length: str | None


def anonymous_request(scope: Scope) -> AnonymousRequest | None:
    """What the front of the cache needs from a request's raw headers; None when it has an
    ``Authorization`` header. One pass over the header list, no parsing."""
    fingerprint: list[tuple[bytes, bytes]] = []
    if_none_match = content_length = None
    for name, value in scope["headers"]:
        if name in _KEYED:
            fingerprint.append((name, value))
        elif name == b"if-none-match":
            if_none_match = value.decode("latin-1")
        elif name == b"content-length":
            content_length = value.decode("latin-1")
        elif name == b"authorization":
            return None
    return AnonymousRequest(tuple(fingerprint), if_none_match, content_length)


class ResponseCache:
    """Cached responses for one data version at a time; touched from the event loop only."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self._entries: BoundedLRU[CachedResponse] = BoundedLRU(max_entries, max_bytes)
        self._version: str | None = None
        self.enabled = max_entries > 0 and max_bytes > 0
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> ResponseCache:
        for name, value in (("HERITAGE_CACHE_ENTRIES", settings.cache_entries),
                            ("HERITAGE_CACHE_BYTES", settings.cache_bytes)):
            if value < 0:
                raise ConfigError(f"{name} must be 0 (off) or more, got {value}")
        return cls(settings.cache_entries, settings.cache_bytes)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._entries.size

    def _adopt(self, version: str) -> None:
        if version != self._version:
            self._entries.clear()
            self._version = version

    def get(self, key: Hashable, version: str, *, count_miss: bool = True) -> CachedResponse | None:
        """The response kept for ``key`` at ``version``; ``count_miss`` False for a look-up that hands a
        miss on to another ``get`` (the app's front door), so that a miss is counted once."""
        self._adopt(version)
        found = self._entries.get(key)
        if found is None:
            self.misses += count_miss
        else:
            self.hits += 1
        return found

    def put(self, key: Hashable, response: CachedResponse, computed_at: str, version_now: str | None,
            key_size: int = 0) -> None:
        """Keep a response computed from data version ``computed_at``, unless the version has
        moved since (a write may have landed half-way through). ``key_size``: the bytes the key
        holds (query text, request body)."""
        if version_now is None or computed_at != version_now:
            return
        self._adopt(version_now)
        self._entries.put(key, response, response.size + key_size)


def check_max_age(settings: Settings) -> int:
    if settings.cache_max_age < 0:
        raise ConfigError(f"HERITAGE_CACHE_MAX_AGE must be 0 or more seconds, got {settings.cache_max_age}")
    return settings.cache_max_age
