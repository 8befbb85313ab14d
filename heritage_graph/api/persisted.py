"""Automatic persisted queries, in Apollo's protocol (APQ), over POST and GET.

A client sends ``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}`` (in the JSON
body, or as the URL-encoded JSON ``extensions`` parameter of a GET):

- with the hash alone: the query stored under it runs; an unknown hash is answered, as Apollo Server
  does, with HTTP 200, ``Cache-Control: private, no-cache, must-revalidate`` and
  ``{"errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}``,
  which makes Apollo clients send the request again with the query text;
- with the hash and the query text: the hash must be the SHA-256 of the text (else 400,
  ``PERSISTED_QUERY_HASH_MISMATCH``); the query runs, and is stored once it has parsed and
  validated, so garbage does not take the place of real queries.

The store is in memory, per process, least recently used first out, bounded by
``HERITAGE_APQ_ENTRIES`` and ``HERITAGE_APQ_BYTES``; a replica that does not know a hash yet simply
asks for the text once. With ``HERITAGE_APQ_ENTRIES=0`` the service answers
``PERSISTED_QUERY_NOT_SUPPORTED`` (HTTP 200), and Apollo clients stop sending hashes.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..settings import Settings
from .lru import BoundedLRU
from .request_limits import RequestRefused

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
# Apollo's: the next identical request may succeed (the client is about to send the text), so
# nothing on the way may keep this answer.
UNCACHED = {"cache-control": "private, no-cache, must-revalidate"}
_HEX = frozenset(string.hexdigits.lower())


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


def _bad(message: str) -> RequestRefused:
    return RequestRefused(message, "BAD_REQUEST", status=400)


@dataclass(frozen=True)
class Resolved:
    """The query to run, the persisted hash the request named (None: a plain request), and whether
    the text should be stored under it once it has validated."""

    query: str | None
    sha256: str | None = None
    register: bool = False


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The hash of ``extensions.persistedQuery``, checked; None without one."""
    pq = extensions.get("persistedQuery") if extensions else None
    if pq is None:
        return None
    if not isinstance(pq, dict):
        raise _bad("extensions.persistedQuery must be an object: {\"version\": 1, \"sha256Hash\": \"<hex>\"}")
    if pq.get("version") != 1:
        raise _bad(f"Unsupported persisted query version {pq.get('version')!r}: this service speaks version 1")
    digest = pq.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64 or not _HEX.issuperset(digest.lower()):
        raise _bad("extensions.persistedQuery.sha256Hash must be the SHA-256 of the query, as 64 hexadecimal digits")
    return digest.lower()


class PersistedQueries:
    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self._queries: BoundedLRU[str] = BoundedLRU(max_entries, max_bytes)
        self.enabled = max_entries > 0 and max_bytes > 0

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedQueries:
        for name, value in (("HERITAGE_APQ_ENTRIES", settings.apq_entries),
                            ("HERITAGE_APQ_BYTES", settings.apq_bytes)):
            if value < 0:
                raise ConfigError(f"{name} must be 0 (off) or more, got {value}")
        return cls(settings.apq_entries, settings.apq_bytes)

    def __len__(self) -> int:
        return len(self._queries)

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> Resolved:
        """What a request with this ``query`` (None: absent) and these ``extensions`` runs."""
        digest = requested_hash(extensions)
        if digest is None:
            return Resolved(query)
        if not self.enabled:
            raise RequestRefused("PersistedQueryNotSupported", NOT_SUPPORTED, status=200, headers=UNCACHED)
        if query is None:
            stored = self._queries.get(digest)
            if stored is None:
                raise RequestRefused("PersistedQueryNotFound", NOT_FOUND, status=200, headers=UNCACHED)
            return Resolved(stored, digest)
        actual = sha256_hex(query)
        if actual != digest:
            raise RequestRefused(
                f"extensions.persistedQuery.sha256Hash does not match the query: the query's SHA-256 is {actual}",
                MISMATCH, status=400)
        return Resolved(query, digest, register=self._queries.get(digest) is None)

    def register(self, resolved: Resolved) -> None:
        """Remember the query of a request ``resolve`` marked for it, once it has parsed and validated."""
        if resolved.register and resolved.sha256 is not None and resolved.query is not None:
            size = len(resolved.query.encode("utf-8", "surrogatepass")) + len(resolved.sha256)
            self._queries.put(resolved.sha256, resolved.query, size)
