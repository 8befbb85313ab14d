"""Web workspace accounts: users with passwords, sign-in sessions, and the throttle on failed sign-ins.

A user has a user name (lower case: letters, digits, ``.``, ``_``, ``-``), a role (the roles of API
tokens, ``auth.TOKEN_ROLES``) and optionally the community it is scoped to, as a token has. Passwords are
hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile) and must be
``MIN_PASSWORD`` characters at least: length is what makes a password strong (NIST SP 800-63B), so there
are no composition rules.

Signing in creates a session: a random secret for the cookie, of which the store keeps only the SHA-256
hash. Each request with the cookie reads the session and its user again, so that signing out, disabling
the user or changing its password ends the session at once; a session also ends when it has been idle
longer than the idle limit, or lived longer than the absolute one (``SessionLimits``).

A failed sign-in never says whether the user name exists, whether the password was wrong or whether the
user is disabled: one message for all (``BAD_CREDENTIALS``), and an unknown name costs the same Argon2
work as a wrong password, so the timing does not tell either.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .auth import TOKEN_ROLES, Principal
from .clock import utc_now
from .errors import InvalidInput, NotFound, Unauthenticated
from .store.accounts import AccountStore, SessionRecord, UserRecord
from .store.tokens import hash_secret
from .tokens import NodeStore, check_community

log = logging.getLogger("heritage_graph.accounts")

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte would be a cheap way to keep the service busy
BAD_CREDENTIALS = "the user name or the password is not right"


class AccountAndNodeStore(AccountStore, NodeStore, Protocol):
    pass


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4


@cache
def _decoy_hash() -> str:
    # Verified against when the user name is unknown, so that it costs what a wrong password costs.
    return hasher().hash(secrets.token_urlsafe(16))


def username_of(text: str) -> str:
    """A user name as stored: trimmed and in lower case; InvalidInput if it is not one."""
    name = text.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidInput(f"{text!r} is not a user name: 2 to 64 characters, lower-case letters, digits, "
                           "'.', '_' or '-', starting with a letter or a digit", field="username")
    return name


def check_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have {MIN_PASSWORD} characters at least; it has {len(password)}",
                           field="password")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password must have {MAX_PASSWORD} characters at most", field="password")
    if username in password.lower():
        raise InvalidInput("the password must not contain the user name", field="password")


def create_user(store: AccountAndNodeStore, username: str, password: str, role: str,
                community: str | None = None) -> UserRecord:
    name = username_of(username)
    if role not in TOKEN_ROLES:
        raise InvalidInput(f"{role!r} is not a role; choose one of: {', '.join(TOKEN_ROLES)}", field="role")
    check_community(store, community)
    check_password(password, name)
    if store.user_by_name(name) is not None:
        raise InvalidInput(f"a user named {name!r} already exists", field="username")
    user = UserRecord(username=name, password_hash=hasher().hash(password), role=role, created_at=utc_now(),
                      community=community)
    store.add_user(user)
    return user


def _existing(store: AccountStore, username: str) -> UserRecord:
    user = store.user_by_name(username.strip().lower())
    if user is None:
        raise NotFound(f"no user is named {username!r} (`heritage-graph user list` shows them)", field="username")
    return user


def disable_user(store: AccountStore, username: str) -> UserRecord:
    """Disable a user and end its sessions at once."""
    user = _existing(store, username)
    if user.disabled:
        raise InvalidInput(f"user {user.username} was already disabled at {user.disabled_at}", field="username")
    at = utc_now()
    store.set_user_disabled(user.username, at)
    ended = store.end_user_sessions(user.username)
    log.info("user disabled", extra={"username": user.username, "sessions_ended": ended})
    return replace(user, disabled_at=at)


def enable_user(store: AccountStore, username: str) -> UserRecord:
    user = _existing(store, username)
    if not user.disabled:
        raise InvalidInput(f"user {user.username} is not disabled", field="username")
    store.set_user_disabled(user.username, None)
    return replace(user, disabled_at=None)


def set_password(store: AccountStore, username: str, password: str) -> UserRecord:
    """A new password; every session of the user ends (whoever knew the old one is signed out)."""
    user = _existing(store, username)
    check_password(password, user.username)
    at = utc_now()
    new_hash = hasher().hash(password)
    store.set_user_password(user.username, new_hash, at)
    store.end_user_sessions(user.username)
    return replace(user, password_hash=new_hash, password_changed_at=at)


def verify(store: AccountStore, username: str, password: str) -> UserRecord:
    """The user these credentials are right for, enabled; Unauthenticated(BAD_CREDENTIALS) otherwise."""
    name = username.strip().lower()
    user = store.user_by_name(name) if USERNAME.fullmatch(name) and len(password) <= MAX_PASSWORD else None
    try:
        hasher().verify(user.password_hash if user else _decoy_hash(), password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise Unauthenticated(BAD_CREDENTIALS) from None
    if user is None or user.disabled or user.role not in TOKEN_ROLES:
        raise Unauthenticated(BAD_CREDENTIALS)
    if hasher().check_needs_rehash(user.password_hash):  # the parameters were raised since it was hashed
        store.set_user_password(user.username, hasher().hash(password), utc_now())
    return user


# -- sessions --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta = timedelta(minutes=60)
    absolute: timedelta = timedelta(hours=12)
    touch: timedelta = timedelta(minutes=1)  # how stale the "seen" time may get: not a write per request


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


def start_session(store: AccountStore, user: UserRecord, limits: SessionLimits) -> str:
    """A new session for a user who just proved who they are: the secret for the cookie."""
    now = _parse(utc_now())
    # Sessions nobody signed out of would pile up: the ended ones go whenever someone signs in.
    store.end_stale_sessions(_stamp(now - limits.absolute), _stamp(now - limits.idle))
    secret = secrets.token_urlsafe(32)
    store.add_session(SessionRecord(id=hash_secret(secret), username=user.username, created_at=_stamp(now),
                                    seen_at=_stamp(now)))
    return secret


def session_principal(store: AccountStore, secret: str, limits: SessionLimits) -> Principal | None:
    """Who holds this session secret, or None: unknown, ended, past a limit, or its user disabled."""
    session = store.session_by_id(hash_secret(secret))
    if session is None:
        return None
    now = _parse(utc_now())
    if now - _parse(session.created_at) > limits.absolute or now - _parse(session.seen_at) > limits.idle:
        store.end_session(session.id)
        return None
    user = store.user_by_name(session.username)
    if user is None or user.disabled or user.role not in TOKEN_ROLES:
        store.end_session(session.id)
        return None
    if now - _parse(session.seen_at) > limits.touch:
        store.touch_session(session.id, _stamp(now))
    return Principal(role=user.role, community=user.community, name=user.username)


def end_session(store: AccountStore, secret: str) -> None:
    store.end_session(hash_secret(secret))


def csrf_token(secret: str) -> str:
    """The CSRF token of a session (or of a visitor's pre-session cookie): only its holder can know it."""
    return hmac.new(secret.encode("utf-8"), b"heritage-graph csrf", hashlib.sha256).hexdigest()


# -- failed sign-ins -------------------------------------------------------------------------------
class Throttle:
    """Slows down guessing: after ``free`` failures for one user name (or ``free_per_client`` from one
    address) within ``window`` seconds, each further attempt must wait twice as long as the one before
    (1, 2, 4 … seconds, at most ``max_wait``) after the last failure, and is refused, unchecked, until
    then. A success clears the user name's count. Kept in this process: a service with several replicas
    throttles per replica, which still bounds guessing to a few attempts a second in all."""

    def __init__(self, free: int = 5, free_per_client: int = 20, window: float = 900.0, max_wait: float = 900.0,
                 capacity: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.free_per_client, self.window, self.max_wait = free, free_per_client, window, max_wait
        self._capacity, self._clock = capacity, clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key: (count, last failure)
        self._lock = threading.Lock()

    def _wait(self, key: str, free: int, now: float) -> float:
        count, last = self._failures.get(key, (0, 0.0))
        if count == 0 or now - last > self.window:
            return 0.0
        if count < free:
            return 0.0
        return max(0.0, last + min(2.0 ** (count - free), self.max_wait) - now)

    def wait(self, username: str, client: str) -> float:
        """Seconds before this user name may be tried again from this client (0: now)."""
        now = self._clock()
        with self._lock:
            return max(self._wait("u:" + username.strip().lower(), self.free, now),
                       self._wait("c:" + client, self.free_per_client, now))

    def failed(self, username: str, client: str) -> None:
        now = self._clock()
        with self._lock:
            for key in ("u:" + username.strip().lower(), "c:" + client):
                count, last = self._failures.pop(key, (0, 0.0))
                self._failures[key] = (1 if now - last > self.window else count + 1, now)
            while len(self._failures) > self._capacity:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop("u:" + username.strip().lower(), None)

    def failures(self, username: str) -> int:
        with self._lock:
            return self._failures.get("u:" + username.strip().lower(), (0, 0.0))[0]


__all__ = ["BAD_CREDENTIALS", "SessionLimits", "Throttle", "create_user", "csrf_token", "disable_user",
           "enable_user", "end_session", "session_principal", "set_password", "start_session", "username_of",
           "verify"]
