"""API tokens: create, revoke, and authenticate a request's ``Authorization`` header.

A token is a random secret shown once, when it is created (``hg_`` and 32 random bytes,
URL-safe base64), and an id that names it in listings and logs (``tok_`` and 12 hex
digits). The store keeps the secret's SHA-256 hash, never the secret; a token carries a
role (one of ``auth.TOKEN_ROLES``), optionally the community it is scoped to, and a name
for people. A revoked token stays listed, and is refused.

``authenticate`` answers with the request's ``Principal``: anonymous without an
``Authorization`` header, the token's role and scope with ``Bearer <secret>`` for a
known, unrevoked token; anything else raises ``Unauthenticated`` (HTTP 401), so a
client with a bad token learns it at once instead of silently reading as anonymous.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import replace
from typing import Protocol

from .auth import ANONYMOUS, TOKEN_ROLES, Principal
from .clock import utc_now
from .errors import InvalidInput, NotFound, Unauthenticated
from .model import Node
from .store.tokens import TokenRecord, TokenStore, hash_secret

SECRET_PREFIX = "hg_"
ID_PREFIX = "tok_"
COMMUNITY = "Community"


class NodeStore(Protocol):
    def get_nodes(self, ids: list[str]) -> list[Node]: ...


class TokenAndNodeStore(TokenStore, NodeStore, Protocol):
    pass


def create_token(store: TokenAndNodeStore, role: str, community: str | None = None,
                 name: str | None = None) -> tuple[str, TokenRecord]:
    """A new token: its secret (to hand over once; the store never sees it) and its record."""
    if role not in TOKEN_ROLES:
        raise InvalidInput(f"{role!r} is not a token role; choose one of: {', '.join(TOKEN_ROLES)}", field="role")
    check_community(store, community)
    name = (name or "").strip() or None
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    record = TokenRecord(id=ID_PREFIX + secrets.token_hex(6), hash=hash_secret(secret), role=role,
                         created_at=utc_now(), name=name, community=community)
    store.add_token(record)
    return secret, record


def check_community(store: NodeStore, community: str | None) -> None:
    """A scope must name a Community that exists (tokens and users alike)."""
    if community is None:
        return
    found = [n for n in store.get_nodes([community]) if n.id == community]
    if not found:
        raise InvalidInput(f"no Community has the id {community!r}", field="community")
    if found[0].kind != COMMUNITY:
        raise InvalidInput(f"{community!r} is a {found[0].kind}, not a Community", field="community")


def revoke_token(store: TokenStore, token_id: str) -> TokenRecord:
    """Revoke a token by id; its record as revoked. NotFound if unknown, InvalidInput if already revoked."""
    token = next((t for t in store.list_tokens() if t.id == token_id), None)
    if token is None:
        raise NotFound(f"no token has the id {token_id!r} (`heritage-graph token list` shows them)")
    if token.revoked:
        raise InvalidInput(f"token {token_id} was already revoked at {token.revoked_at}", field="id")
    at = utc_now()
    if not store.revoke_token(token_id, at):  # revoked by someone else in between
        raise InvalidInput(f"token {token_id} was already revoked", field="id")
    return replace(token, revoked_at=at)


def bearer_secret(authorization: str) -> str:
    """The credentials of a ``Bearer`` Authorization header (RFC 6750); Unauthenticated otherwise."""
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials or any(c.isspace() for c in credentials):
        raise Unauthenticated("malformed Authorization header: expected 'Bearer <token>'")
    return credentials


def authenticate(store: TokenStore, authorization: str | None) -> Principal:
    """The principal of a request with this ``Authorization`` header (None: no header)."""
    if authorization is None:
        return ANONYMOUS
    digest = hash_secret(bearer_secret(authorization))
    token = store.token_by_hash(digest)
    # The lookup is by hash, so its timing tells nothing about the secret; the comparison is
    # constant-time all the same, and makes sure the store answered for this very hash.
    if token is None or not hmac.compare_digest(token.hash, digest):
        raise Unauthenticated("unknown API token")
    if token.revoked:
        raise Unauthenticated("this API token has been revoked")
    if token.role not in TOKEN_ROLES:  # a row edited by hand; never grant a role we do not know
        raise Unauthenticated(f"this API token has an unknown role {token.role!r}")
    return Principal(role=token.role, community=token.community, name=token.name, token_id=token.id)


__all__ = ["authenticate", "bearer_secret", "check_community", "create_token", "revoke_token"]
