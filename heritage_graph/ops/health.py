"""``/healthz``: the process answers. ``/readyz``: it can serve, because the store answers a trivial
query (on Neo4j, a read on NEO4J_DATABASE) and (embedded store) the search index reflects the graph's
last write.

Readiness only reads: it never rebuilds an index or reconnects, and a check that cannot finish
quickly (the embedded store is held by a long write, or hung) answers 503 instead of piling up threads.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import StoreError
from ..search.sqlite import FORMAT_VERSION
from .logs import current_request_id
from .timing import unwrap

log = logging.getLogger("heritage_graph.ops.health")
READY_TIMEOUT = 2.0  # seconds a readiness check may take before it answers "not ready"

FIX = {
    "ladybug": "check the service's log and the store folder (HERITAGE_DB: its disk, its permissions); "
               "restarting the service reopens the store",
    "neo4j": "check that Neo4j is running and reachable, and NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and "
             "NEO4J_DATABASE; the driver reconnects by itself once Neo4j answers",
}
STALE_FIX = ("restart the service (opening the store rebuilds a stale search index from the graph), or stop it "
             "and run `heritage-graph init`")


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    fix: str | None = None


def check_ladybug(store: Any) -> Readiness:
    # Both generations are read under the store's lock, which a write holds from its graph commit to
    # its index update: read apart, a write between the two reads would look like a stale index.
    with store._lock:
        generation = store._generation()
        index_format, indexed = store._index.state()
    if (index_format, indexed) != (FORMAT_VERSION, generation):
        return Readiness(False, {"store": "ok", "search_index": "stale"},
                         reason=f"the search index is stale: it reflects graph generation {indexed} "
                                f"(index format {index_format}), the graph is at generation {generation} "
                                f"(format {FORMAT_VERSION})",
                         fix=STALE_FIX)
    return Readiness(True, {"store": "ok", "search_index": f"current (generation {generation})"})


def check_neo4j(store: Any) -> Readiness:
    # A trivial read on NEO4J_DATABASE, not just a handshake: a server that answers while its database
    # is still starting (or missing) cannot serve yet. Raises StoreUnavailable.
    store.ping()
    # Neo4j's full-text index is written in the graph's own transactions: it cannot lag behind.
    return Readiness(True, {"store": "ok", "search_index": "in Neo4j"})


def check_store(store: Any) -> Readiness:
    """Readiness of any adapter (raises StoreError when the store does not answer)."""
    store = unwrap(store)
    dialect = getattr(store, "dialect", "")
    if dialect == "ladybug":
        return check_ladybug(store)
    if dialect == "neo4j":
        return check_neo4j(store)
    store.count_nodes()
    return Readiness(True, {"store": "ok"})


class ReadinessProbe:
    """``endpoint`` answers ``/readyz``. At most one check runs at a time: while one is stuck, the others
    answer 503 at once."""

    def __init__(self, timeout: float = READY_TIMEOUT) -> None:
        self.timeout = timeout
        self._busy = threading.Lock()

    def _run(self, store: Any) -> Readiness:
        if not self._busy.acquire(blocking=False):
            return Readiness(False, reason="the previous readiness check has not finished: the store is busy "
                                           "(a long write holds it) or does not answer")
        try:
            return check_store(store)
        except StoreError as exc:
            return Readiness(False, {"store": "failed"}, reason=str(exc).splitlines()[0],
                             fix=FIX.get(getattr(unwrap(store), "dialect", "")))
        except Exception:
            log.exception("the readiness check failed")
            return Readiness(False, {"store": "failed"}, reason="the readiness check failed unexpectedly (see the "
                             f"service's log, request id {current_request_id()})")
        finally:
            self._busy.release()

    async def endpoint(self, request: Request) -> Response:
        store = getattr(request.app.state, "store", None)
        dialect = getattr(unwrap(store), "dialect", None)
        if store is None:
            result = Readiness(False, reason="the store is not open: the service is starting or stopping")
        else:
            result = Readiness(False, reason=f"the store did not answer within {self.timeout:g} s",
                               fix=FIX.get(dialect or ""))
            with anyio.move_on_after(self.timeout):
                result = await to_thread.run_sync(self._run, store, abandon_on_cancel=True)
        body: dict[str, Any] = {"status": "ready" if result.ready else "not ready", "store": dialect}
        if result.checks:
            body["checks"] = result.checks
        if not result.ready:
            body["reason"] = result.reason
            if result.fix:
                body["fix"] = result.fix
            log.warning("not ready: %s", result.reason)
        return JSONResponse(body, status_code=200 if result.ready else 503,
                            headers={"cache-control": "no-store"})


async def healthz(request: Request) -> Response:
    """Alive: the process runs its event loop. Touches no store (that is /readyz's job)."""
    store = getattr(request.app.state, "store", None)
    return JSONResponse({"status": "ok", "store": getattr(unwrap(store), "dialect", None)},
                        headers={"cache-control": "no-store"})
