"""Store adapters behind one port; ``open_store`` picks one from the settings."""

from __future__ import annotations

from ..settings import Settings
from .base import Store


def open_store(settings: Settings, *, init: bool = True) -> Store:
    """Open (and by default initialise) the store the settings name.

    Nothing connects at import time: the driver modules load here.
    """
    store: Store
    if settings.neo4j_uri:
        from .neo4j import Neo4jStore

        store = Neo4jStore(
            settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database
        ).open()
    else:
        from .ladybug import LadybugStore

        store = LadybugStore(settings.db_path).open()
    if init:
        try:
            store.init()
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["Store", "open_store"]
