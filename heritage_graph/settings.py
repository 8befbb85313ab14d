"""Typed settings, read once from the environment (and overridden by the CLI)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from . import schema
from .errors import ConfigError

if TYPE_CHECKING:
    from .accounts import SessionLimits


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("data/heritage")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    # The Neo4j driver (store/neo4j.py): seconds to open a connection, and to retry a transaction that
    # failed on a lost connection or a transient error before the request fails with STORE_UNAVAILABLE.
    neo4j_connection_timeout: float = 5.0
    neo4j_max_retry_time: float = 2.0
    host: str = "127.0.0.1"
    port: int = 8000
    max_depth: int = 20
    max_page_size: int = 200
    # GraphQL query limits (heritage_graph/api/limits.py), checked before a query runs.
    max_query_depth: int = 15
    max_aliases: int = 20
    max_tokens: int = 2000
    # The estimated cost of an operation, per role (api/cost.py), and the time a query may take (api/http.py).
    max_cost_anonymous: int = 50_000
    max_cost_researcher: int = 200_000
    max_cost_staff: int = 1_000_000
    heavy_cost: int = 5_000  # queries estimated above it run HERITAGE_HEAVY_CONCURRENCY at a time
    heavy_concurrency: int = 1
    time_budget_anonymous: float = 10.0
    time_budget: float = 30.0  # for requests with a token
    # HTTP size limits (api/request_limits.py), persisted queries (api/persisted.py), HTTP and
    # in-process caching of anonymous reads (api/response_cache.py); 0 turns a cache off.
    max_body_bytes: int = 1 << 20
    max_query_bytes: int = 64 << 10
    max_result_bytes: int = 8 << 20
    cache_max_age: int = 60
    cache_entries: int = 2000
    cache_bytes: int = 64 << 20
    # Neo4j: how often (ms) the data version other replicas move is read again, the bound on how late
    # their writes are seen by this process's caches; 0: no in-process caching on Neo4j.
    cache_check_ms: int = 500
    apq_entries: int = 2000
    apq_bytes: int = 16 << 20
    # Operations (heritage_graph/ops/, docs/operations.md).
    log_format: str | None = None  # json | text; None: text on a terminal, json otherwise
    log_level: str = "INFO"
    log_flush_ms: int = 200  # request log lines written together at most this often; 0: each at once
    cors_origins: tuple[str, ...] = ()  # origins allowed by CORS; empty: CORS off
    public_url: str | None = None  # where clients reach the service (linked data's @context); None: relative
    shutdown_timeout: float = 30.0  # seconds in-flight requests get to finish on SIGTERM
    max_line_bytes: int = 1 << 20  # one line of an import file (interchange.read_lines)
    # Field sizes a write may have, imports and mutations alike (schema.FieldLimits).
    max_name_chars: int = schema.MAX_NAME_CHARS
    max_string_chars: int = schema.MAX_STRING_CHARS
    max_text_chars: int = schema.MAX_TEXT_CHARS
    max_list_items: int = schema.MAX_LIST_ITEMS
    buffer_pool_mb: int = 0  # the embedded store's page cache; 0: 1024 when serving, store.command_buffer_pool_mb()
    session_idle_minutes: int = 60  # a web workspace session ends after this long unused
    session_hours: int = 12  # and this long after signing in, used or not

    @property
    def field_limits(self) -> schema.FieldLimits:
        return schema.FieldLimits(self.max_name_chars, self.max_string_chars, self.max_text_chars,
                                  self.max_list_items)

    @property
    def session_limits(self) -> SessionLimits:
        from .accounts import SessionLimits

        return SessionLimits(idle=timedelta(minutes=self.session_idle_minutes),
                             absolute=timedelta(hours=self.session_hours))

    @property
    def store_kind(self) -> str:
        return "neo4j" if self.neo4j_uri else "ladybug"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        s = cls()
        changes: dict[str, object] = {}
        if env.get("HERITAGE_DB"):
            changes["db_path"] = Path(env["HERITAGE_DB"])
        if env.get("NEO4J_URI"):
            changes["neo4j_uri"] = env["NEO4J_URI"]
        for key, attr in (
            ("NEO4J_USER", "neo4j_user"),
            ("NEO4J_PASSWORD", "neo4j_password"),
            ("NEO4J_DATABASE", "neo4j_database"),
            ("HERITAGE_HOST", "host"),
        ):
            if env.get(key):
                changes[attr] = env[key]
        for key, attr in (
            ("HERITAGE_PORT", "port"),
            ("HERITAGE_MAX_DEPTH", "max_depth"),
            ("HERITAGE_MAX_PAGE_SIZE", "max_page_size"),
            ("HERITAGE_MAX_QUERY_DEPTH", "max_query_depth"),
            ("HERITAGE_MAX_ALIASES", "max_aliases"),
            ("HERITAGE_MAX_TOKENS", "max_tokens"),
            ("HERITAGE_MAX_COST_ANONYMOUS", "max_cost_anonymous"),
            ("HERITAGE_MAX_COST_RESEARCHER", "max_cost_researcher"),
            ("HERITAGE_MAX_COST_STAFF", "max_cost_staff"),
            ("HERITAGE_HEAVY_COST", "heavy_cost"),
            ("HERITAGE_HEAVY_CONCURRENCY", "heavy_concurrency"),
            ("HERITAGE_MAX_BODY_BYTES", "max_body_bytes"),
            ("HERITAGE_MAX_QUERY_BYTES", "max_query_bytes"),
            ("HERITAGE_MAX_RESULT_BYTES", "max_result_bytes"),
            ("HERITAGE_CACHE_MAX_AGE", "cache_max_age"),
            ("HERITAGE_CACHE_ENTRIES", "cache_entries"),
            ("HERITAGE_CACHE_BYTES", "cache_bytes"),
            ("HERITAGE_CACHE_CHECK_MS", "cache_check_ms"),
            ("HERITAGE_LOG_FLUSH_MS", "log_flush_ms"),
            ("HERITAGE_APQ_ENTRIES", "apq_entries"),
            ("HERITAGE_APQ_BYTES", "apq_bytes"),
            ("HERITAGE_BUFFER_POOL_MB", "buffer_pool_mb"),
            ("HERITAGE_MAX_LINE_BYTES", "max_line_bytes"),
            ("HERITAGE_MAX_NAME_CHARS", "max_name_chars"),
            ("HERITAGE_MAX_STRING_CHARS", "max_string_chars"),
            ("HERITAGE_MAX_TEXT_CHARS", "max_text_chars"),
            ("HERITAGE_MAX_LIST_ITEMS", "max_list_items"),
            ("HERITAGE_SESSION_IDLE_MINUTES", "session_idle_minutes"),
            ("HERITAGE_SESSION_HOURS", "session_hours"),
        ):
            if env.get(key):
                try:
                    changes[attr] = int(env[key])
                except ValueError:
                    raise ConfigError(f"{key} must be a whole number, got {env[key]!r}") from None
                low, high = _RANGES.get(attr, (None, None))
                if (low is not None and changes[attr] < low) or (high is not None and changes[attr] > high):  # type: ignore[operator]
                    raise ConfigError(f"{key} must be between {low} and {high}, got {env[key]!r}")
        changes.update(_operations_from_env(env))
        return replace(s, **changes)  # type: ignore[arg-type]

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


# Whole-number settings whose nonsense values would only fail later, on a request or at bind time.
_RANGES: dict[str, tuple[int, int]] = {
    "port": (1, 65535),
    "max_depth": (1, 100),
    "max_page_size": (1, 10_000),
    "max_query_depth": (1, 1_000),
    "max_aliases": (1, 10_000),
    "max_tokens": (1, 1_000_000),
    "max_cost_anonymous": (1, 10**12),
    "max_cost_researcher": (1, 10**12),
    "max_cost_staff": (1, 10**12),
    "heavy_cost": (0, 10**12),
    "heavy_concurrency": (1, 1_000),
    "buffer_pool_mb": (0, 1 << 20),
    "cache_check_ms": (0, 3_600_000),
    "log_flush_ms": (0, 60_000),
    "max_line_bytes": (1024, 1 << 30),
    "max_name_chars": (1, 1 << 20),
    "max_string_chars": (1, 1 << 20),
    "max_text_chars": (1, 1 << 24),
    "max_list_items": (1, 1 << 20),
    "session_idle_minutes": (1, 7 * 24 * 60),
    "session_hours": (1, 30 * 24),
}


def _operations_from_env(env: Mapping[str, str]) -> dict[str, object]:
    from .ops.cors import parse_origins
    from .ops.logs import LOG_FORMATS, LOG_LEVELS

    changes: dict[str, object] = {}
    if env.get("HERITAGE_LOG_FORMAT"):
        fmt = env["HERITAGE_LOG_FORMAT"].strip().lower()
        if fmt not in LOG_FORMATS:
            raise ConfigError(f"HERITAGE_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
        changes["log_format"] = fmt
    if env.get("HERITAGE_LOG_LEVEL"):
        level = env["HERITAGE_LOG_LEVEL"].strip().upper()
        if level not in LOG_LEVELS:
            raise ConfigError(f"HERITAGE_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        changes["log_level"] = level
    if env.get("HERITAGE_PUBLIC_URL"):
        changes["public_url"] = _public_url(env["HERITAGE_PUBLIC_URL"])
    if env.get("HERITAGE_CORS_ORIGINS"):
        changes["cors_origins"] = parse_origins(env["HERITAGE_CORS_ORIGINS"])
    for key, attr in (("HERITAGE_SHUTDOWN_TIMEOUT", "shutdown_timeout"),
                      ("NEO4J_CONNECTION_TIMEOUT", "neo4j_connection_timeout"),
                      ("NEO4J_MAX_RETRY_TIME", "neo4j_max_retry_time"),
                      ("HERITAGE_TIME_BUDGET_ANONYMOUS", "time_budget_anonymous"),
                      ("HERITAGE_TIME_BUDGET", "time_budget")):
        if env.get(key):
            changes[attr] = _seconds(key, env[key])
    return changes


def _public_url(text: str) -> str:
    from urllib.parse import urlsplit

    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"HERITAGE_PUBLIC_URL must be an http(s) URL without query or fragment, such as "
                          f"https://patrimonio.example.org, got {text!r}")
    return url


def _seconds(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{key} must be a number of seconds above 0, got {text!r}")
    return value
