"""Running the app under uvicorn: graceful shutdown, and an exit status that says it was graceful.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections, lets in-flight requests finish for up to
``shutdown_timeout`` seconds, then runs the lifespan's shutdown, which closes the store. uvicorn then
re-raises the signal it caught, so the process would die of it (status 143 in a container) after a
perfectly clean stop; this server ends with status 0 instead, as process managers expect.
"""

from __future__ import annotations

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


def run_server(app: Starlette, settings: Settings) -> int:
    """Serve until stopped; the exit status: 0, or 3 when the app could not start (the store failed)."""
    config = uvicorn.Config(app, host=settings.host, port=settings.port, lifespan="on", log_config=None,
                            access_log=False, timeout_graceful_shutdown=settings.shutdown_timeout)
    server = GracefulServer(config)
    server.run()
    return 0 if server.started else STARTUP_FAILED
