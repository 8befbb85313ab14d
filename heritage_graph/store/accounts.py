"""People who sign in to the web workspace, and their sessions: the records, the port, its implementations.

A user is named by a user name (its key) and holds an Argon2id hash of the password, never the password.
A session is kept by the SHA-256 hash of the random secret its cookie carries, never by the secret: the
secret is 32 random bytes, so a fast hash is right for it, as for API tokens (``store/tokens.py``). Users
and sessions live apart from the inventory: ``delete_all`` keeps them, and writing them does not change
the store's ``data_version`` (nothing cached about the inventory goes stale when someone signs in).

- ``CypherAccounts``: for the Cypher stores, with the named queries of ``cypher/<dialect>/accounts.cypher``;
- ``MemoryAccounts``: dicts, for the in-memory store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ..errors import StoreQueryError


@dataclass(frozen=True)
class UserRecord:
    username: str
    password_hash: str
    role: str
    created_at: str
    community: str | None = None
    disabled_at: str | None = None
    password_changed_at: str | None = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(frozen=True)
class SessionRecord:
    id: str  # the SHA-256 hash of the cookie's secret
    username: str
    created_at: str
    seen_at: str


class AccountStore(Protocol):
    def add_user(self, user: UserRecord) -> None:
        """Store a new user; StoreQueryError if the user name is taken."""

    def list_users(self) -> list[UserRecord]:
        """Every user, disabled ones included, by user name."""

    def user_by_name(self, username: str) -> UserRecord | None:
        """The user with this user name, disabled or not."""

    def set_user_password(self, username: str, password_hash: str, at: str) -> bool:
        """Replace a user's password hash; False if there is no such user."""

    def set_user_disabled(self, username: str, at: str | None) -> bool:
        """Disable a user (``at``: when) or enable it (None); False if nothing changed."""

    def add_session(self, session: SessionRecord) -> None:
        """Store a new session."""

    def session_by_id(self, id: str) -> SessionRecord | None:
        """The session with this id (hash), if it has not ended."""

    def touch_session(self, id: str, at: str) -> None:
        """Record that the session was used at ``at``."""

    def end_session(self, id: str) -> None:
        """End one session (logout)."""

    def end_user_sessions(self, username: str) -> int:
        """End every session of a user (disabled, password changed); how many there were."""

    def end_stale_sessions(self, created_before: str, seen_before: str) -> int:
        """End the sessions past their absolute or idle limit; how many there were."""


_USER = ("username", "password_hash", "role", "created_at", "community", "disabled_at", "password_changed_at")
_SESSION = ("id", "username", "created_at", "seen_at")


def _user(row: Mapping[str, Any]) -> UserRecord:
    return UserRecord(**{c: row.get(c) for c in _USER})


def _session(row: Mapping[str, Any]) -> SessionRecord:
    return SessionRecord(**{c: row.get(c) for c in _SESSION})


class CypherAccounts:
    """Mix-in: ``AccountStore`` for adapters that provide ``_q`` and ``_write_q``."""

    def _q(self, name: str, params: dict[str, Any] | None = None, **binding: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _write_q(self, name: str, params: dict[str, Any] | None = None, **binding: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def add_user(self, user: UserRecord) -> None:
        if self.user_by_name(user.username) is not None:  # also enforced by the key or constraint
            raise StoreQueryError(f"a user named {user.username!r} already exists")
        self._write_q("add_user", {c: getattr(user, c) for c in _USER})

    def list_users(self) -> list[UserRecord]:
        return [_user(r) for r in self._q("list_users")]

    def user_by_name(self, username: str) -> UserRecord | None:
        rows = self._q("user_by_name", {"username": username})
        return _user(rows[0]) if rows else None

    def set_user_password(self, username: str, password_hash: str, at: str) -> bool:
        return bool(self._write_q("set_user_password", {"username": username, "hash": password_hash, "at": at}))

    def set_user_disabled(self, username: str, at: str | None) -> bool:
        name = "disable_user" if at is not None else "enable_user"
        return bool(self._write_q(name, {"username": username, "at": at} if at else {"username": username}))

    def add_session(self, session: SessionRecord) -> None:
        self._write_q("add_session", {c: getattr(session, c) for c in _SESSION})

    def session_by_id(self, id: str) -> SessionRecord | None:
        rows = self._q("session_by_id", {"id": id})
        return _session(rows[0]) if rows else None

    def touch_session(self, id: str, at: str) -> None:
        self._write_q("touch_session", {"id": id, "at": at})

    def end_session(self, id: str) -> None:
        self._write_q("end_session", {"id": id})

    def end_user_sessions(self, username: str) -> int:
        return int(self._write_q("end_user_sessions", {"username": username})[0]["ended"])

    def end_stale_sessions(self, created_before: str, seen_before: str) -> int:
        rows = self._write_q("end_stale_sessions", {"created_before": created_before, "seen_before": seen_before})
        return int(rows[0]["ended"])


class MemoryAccounts:
    """Mix-in: ``AccountStore`` in dicts, for the in-memory store."""

    def _table(self, name: str) -> dict[str, Any]:
        # Created on first use: the store's own __init__ knows nothing of accounts.
        return self.__dict__.setdefault(name, {})  # type: ignore[no-any-return]

    @property
    def _users(self) -> dict[str, UserRecord]:
        return self._table("_account_users")

    @property
    def _sessions(self) -> dict[str, SessionRecord]:
        return self._table("_account_sessions")

    def add_user(self, user: UserRecord) -> None:
        if user.username in self._users:
            raise StoreQueryError(f"a user named {user.username!r} already exists")
        self._users[user.username] = user

    def list_users(self) -> list[UserRecord]:
        return [self._users[k] for k in sorted(self._users)]

    def user_by_name(self, username: str) -> UserRecord | None:
        return self._users.get(username)

    def set_user_password(self, username: str, password_hash: str, at: str) -> bool:
        user = self._users.get(username)
        if user is None:
            return False
        self._users[username] = replace(user, password_hash=password_hash, password_changed_at=at)
        return True

    def set_user_disabled(self, username: str, at: str | None) -> bool:
        user = self._users.get(username)
        if user is None or (user.disabled_at is None) == (at is None):
            return False
        self._users[username] = replace(user, disabled_at=at)
        return True

    def add_session(self, session: SessionRecord) -> None:
        self._sessions[session.id] = session

    def session_by_id(self, id: str) -> SessionRecord | None:
        return self._sessions.get(id)

    def touch_session(self, id: str, at: str) -> None:
        if id in self._sessions:
            self._sessions[id] = replace(self._sessions[id], seen_at=at)

    def end_session(self, id: str) -> None:
        self._sessions.pop(id, None)

    def end_user_sessions(self, username: str) -> int:
        ended = [k for k, s in self._sessions.items() if s.username == username]
        for k in ended:
            del self._sessions[k]
        return len(ended)

    def end_stale_sessions(self, created_before: str, seen_before: str) -> int:
        ended = [k for k, s in self._sessions.items() if s.created_at < created_before or s.seen_at < seen_before]
        for k in ended:
            del self._sessions[k]
        return len(ended)
