"""Running the app under uvicorn: graceful shutdown, and an exit status that says it was graceful.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections, lets in-flight requests finish for up to
``shutdown_timeout`` seconds, then runs the lifespan's shutdown, which closes the store. uvicorn then
re-raises the signal it caught, so the process would die of it (status 143 in a container) after a
perfectly clean stop; this server ends with status 0 instead, as process managers expect.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from ..settings import Settings

STARTUP_FAILED = 3  # the CLI's "the store failed or could not be opened"


class GracefulServer(uvicorn.Server):
    signals: tuple[int, ...] = ()

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            try:
                yield
            finally:
                # Emptied before uvicorn's own exit code reads it: the signal was handled, not fatal.
                captured = getattr(self, "_captured_signals", [])
                self.signals = tuple(captured)
                captured.clear()


M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter
TRIM_THRESHOLD = 64 << 20


def steady_heap() -> str:
    """Raise glibc's heap trim threshold to 64 MiB; says what was done.

    With the default, the heap holding Ladybug's per-query buffers is shrunk and grown again around
    queries, and the same calls take up to three times as long, depending on the heap's layout
    (bench/floor.py: `node` 10.6 vs 3.7 ms, `lineage` 29 vs 12 ms, `search` 6.2 vs 2.0 ms; served
    end to end, `node` 13.8 vs 7.2 ms). The cost is at most 64 MiB of freed heap kept for reuse."""
    name = ctypes.util.find_library("c")
    try:
        ok = bool(name) and ctypes.CDLL(name).mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    except (OSError, AttributeError):
        ok = False
    return f"M_TRIM_THRESHOLD={TRIM_THRESHOLD >> 20} MiB" if ok else "allocator defaults (no glibc mallopt)"


def run_server(app: Starlette, settings: Settings) -> int:
    """Serve until stopped; the exit status: 0, or 3 when the app could not start (the store failed)."""
    config = uvicorn.Config(app, host=settings.host, port=settings.port, lifespan="on", log_config=None,
                            access_log=False, timeout_graceful_shutdown=settings.shutdown_timeout)
    server = GracefulServer(config)
    server.run()
    return 0 if server.started else STARTUP_FAILED
