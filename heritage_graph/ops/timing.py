"""A timing proxy around any store adapter: each public call's duration goes to
``heritage_store_call_duration_seconds{call}``, each failure to ``heritage_store_errors_total``.

It wraps the adapter the app serves from, so every adapter is measured the same way and none of them
knows about metrics. A wrapped method is built once per name and cached on the proxy, so a call costs
two clock reads and one histogram update. Calls an adapter makes on itself (``search`` reading
nodes) are not counted apart: the proxy sees what the services ask for.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from time import perf_counter
from typing import Any

from ..errors import HeritageGraphError
from .metrics import Metrics


class TimedStore:
    def __init__(self, store: Any, metrics: Metrics) -> None:
        self.__dict__["wrapped"] = store
        self.__dict__["_metrics"] = metrics

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not cached on the proxy yet.
        attr = getattr(self.wrapped, name)
        if name.startswith("_") or not callable(attr):
            return attr
        timed = self._timed(name, attr)
        self.__dict__[name] = timed
        return timed

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.wrapped, name, value)

    def _timed(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        observe = self._metrics.store_calls.labels(name).observe
        errors = self._metrics.store_errors

        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = perf_counter()
            try:
                return method(*args, **kwargs)
            except Exception as exc:
                errors.labels(name, exc.code if isinstance(exc, HeritageGraphError) else "UNEXPECTED").inc()
                raise
            finally:
                observe(perf_counter() - start)

        return timed

    def __repr__(self) -> str:
        return f"TimedStore({self.wrapped!r})"


def unwrap(store: Any) -> Any:
    """The adapter behind a TimedStore (or the store itself)."""
    return store.wrapped if isinstance(store, TimedStore) else store
