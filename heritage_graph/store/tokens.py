"""API tokens in the store: the record, the port, and its implementations.

A store keeps only the SHA-256 hash of a token's secret, never the secret. The
secrets are 32 random bytes (``secrets.token_urlsafe(32)``), so nobody can guess
one or search a dictionary for it: a fast, unsalted hash is the right tool here
(it is what makes a lookup by hash possible), unlike passwords, which need a slow,
salted one. Tokens live apart from the inventory: ``delete_all`` keeps them.

- ``CypherTokens``: for the Cypher stores, on top of their ``_q`` (reads) and
  ``_write_q`` (a small write in its own transaction), with the named queries of
  ``cypher/<dialect>/tokens.cypher``;
- ``MemoryTokens``: a dict, for the in-memory store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ..errors import StoreQueryError


def hash_secret(secret: str) -> str:
    """The hex SHA-256 of a token's secret: what the store keeps and looks tokens up by."""
    # A fast hash is right for high-entropy random secrets (see the module docstring).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenRecord:
    id: str
    hash: str
    role: str
    created_at: str
    name: str | None = None
    community: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = None  # reserved: nothing records a token's use yet

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class TokenStore(Protocol):
    def add_token(self, token: TokenRecord) -> None:
        """Store a new token (its id and hash must be new)."""

    def list_tokens(self) -> list[TokenRecord]:
        """Every token, revoked ones included, oldest first."""

    def token_by_hash(self, hash: str) -> TokenRecord | None:
        """The token whose secret has this hash, revoked or not; None if there is none."""

    def revoke_token(self, id: str, at: str) -> bool:
        """Mark a token revoked at ``at``; False if no token has that id or it was already revoked."""


_COLUMNS = ("id", "hash", "role", "created_at", "name", "community", "revoked_at", "last_used_at")


def _record(row: Mapping[str, Any]) -> TokenRecord:
    return TokenRecord(**{c: row.get(c) for c in _COLUMNS})


class CypherTokens:
    """Mix-in: ``TokenStore`` for adapters that provide ``_q`` and ``_write_q``."""

    def _q(self, name: str, params: dict[str, Any] | None = None, **binding: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _write_q(self, name: str, params: dict[str, Any] | None = None, **binding: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def add_token(self, token: TokenRecord) -> None:
        self._write_q("add_token", {"id": token.id, "hash": token.hash, "name": token.name, "role": token.role,
                                    "community": token.community, "created_at": token.created_at})

    def list_tokens(self) -> list[TokenRecord]:
        return [_record(r) for r in self._q("list_tokens")]

    def token_by_hash(self, hash: str) -> TokenRecord | None:
        rows = self._q("token_by_hash", {"hash": hash})
        return _record(rows[0]) if rows else None

    def revoke_token(self, id: str, at: str) -> bool:
        return bool(self._write_q("revoke_token", {"id": id, "at": at}))


class MemoryTokens:
    """Mix-in: ``TokenStore`` in a dict, for the in-memory store."""

    @property
    def _token_table(self) -> dict[str, TokenRecord]:
        # Created on first use: the store's own __init__ knows nothing of tokens.
        table: dict[str, TokenRecord] | None = self.__dict__.get("_tokens")
        if table is None:
            table = self.__dict__["_tokens"] = {}
        return table

    def add_token(self, token: TokenRecord) -> None:
        table = self._token_table
        if token.id in table or any(t.hash == token.hash for t in table.values()):
            raise StoreQueryError(f"a token with id {token.id!r} or the same hash already exists")
        table[token.id] = token

    def list_tokens(self) -> list[TokenRecord]:
        return sorted(self._token_table.values(), key=lambda t: (t.created_at, t.id))

    def token_by_hash(self, hash: str) -> TokenRecord | None:
        return next((t for t in self._token_table.values() if t.hash == hash), None)

    def revoke_token(self, id: str, at: str) -> bool:
        table = self._token_table
        token = table.get(id)
        if token is None or token.revoked:
            return False
        table[id] = replace(token, revoked_at=at)
        return True
