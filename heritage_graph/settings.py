"""Typed settings, read once from the environment (and overridden by the CLI)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import ConfigError


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("data/heritage")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    host: str = "127.0.0.1"
    port: int = 8000
    max_depth: int = 20
    max_page_size: int = 200
    # GraphQL query limits (heritage_graph/api/limits.py), checked before a query runs.
    max_query_depth: int = 15
    max_aliases: int = 20
    max_tokens: int = 2000

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
        ):
            if env.get(key):
                try:
                    changes[attr] = int(env[key])
                except ValueError:
                    raise ConfigError(f"{key} must be a whole number, got {env[key]!r}") from None
        return replace(s, **changes)  # type: ignore[arg-type]

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
