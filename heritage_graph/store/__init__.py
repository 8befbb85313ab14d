"""Store adapters behind one port; ``open_store`` picks one from the settings."""

from __future__ import annotations

import os

from ..settings import Settings
from .base import Store

SERVING_BUFFER_POOL_MB = 1024


def command_buffer_pool_mb() -> int:
    """The page cache of a command such as ``import``: a quarter of the machine's memory, at most
    8 GiB. Ladybug's own default (most of the memory) leaves a national import, which holds its
    records in Python until they are written, nothing to live on."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2048
    return max(256, min(8192, total // 4 >> 20))


def open_store(settings: Settings, *, init: bool = True, serving: bool = False) -> Store:
    """Open (and by default initialise) the store the settings name.

    Nothing connects at import time: the driver modules load here. A serving process bounds the
    embedded store's page cache (``HERITAGE_BUFFER_POOL_MB``, by default 1 GiB when serving); other
    commands, such as a national import, get ``command_buffer_pool_mb()``.
    """
    store: Store
    if settings.neo4j_uri:
        from .neo4j import Neo4jStore

        store = Neo4jStore(
            settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database,
            connection_timeout=settings.neo4j_connection_timeout, max_retry_time=settings.neo4j_max_retry_time,
            cache_check_ms=settings.cache_check_ms,
        ).open()
    else:
        from .ladybug import LadybugStore

        pool = settings.buffer_pool_mb or (SERVING_BUFFER_POOL_MB if serving else command_buffer_pool_mb())
        timeout = round(max(settings.time_budget, settings.time_budget_anonymous) * 1000) if serving else 0
        store = LadybugStore(settings.db_path, buffer_pool_mb=pool, query_timeout_ms=timeout).open()
    if init:
        try:
            store.init()
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["Store", "open_store"]
