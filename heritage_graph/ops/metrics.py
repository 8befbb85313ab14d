"""Prometheus metrics, one registry per application (tests build many apps in one process).

Label values are bounded: routes are the app's route templates (``/ld/{id}``, never a raw path),
methods a fixed list, and GraphQL operation names, which clients choose, are capped in number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from starlette.requests import Request
from starlette.responses import Response

from .. import __version__
from ..errors import InvalidInput

# No `_created` series: they double the number of series and Prometheus needs none of them.
disable_created_metrics()

# Requests answer in a millisecond or two; the buckets resolve that range and still catch the slow tail.
REQUEST_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_OPERATIONS = 200  # distinct GraphQL operation names kept as labels; later ones count as "other"
OTHER = "other"


class ImportMetrics:
    """Fed by ``run_import``'s callbacks: lines read, records written, progress of the running write."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.lines = Counter("heritage_import_lines_read", "Interchange lines read and validated by imports "
                             "run in this process.", registry=registry)
        self.records = Counter("heritage_import_records", "Records (nodes and relations) written by imports "
                               "run in this process.", registry=registry)
        self.progress_ratio = Gauge("heritage_import_progress_ratio", "Share of the running (or last) import's "
                                    "records written so far, 0 to 1.", registry=registry)
        self.imports = Counter("heritage_imports", "Imports run in this process, by outcome (ok: written or "
                               "nothing to change, rejected: invalid input, failed: the store failed).",
                               ["outcome"], registry=registry)
        self._lock = threading.Lock()
        self._expected = 0
        self._done = 0

    def read(self, lines: int) -> None:
        self.lines.inc(lines)

    def writing(self, total: int) -> Callable[[int], None]:
        """``run_import``'s ``on_write``: the callback told of each batch of the ``total`` records."""
        with self._lock:
            self._expected, self._done = max(total, 1), 0
        self.progress_ratio.set(0)

        def wrote(count: int) -> None:
            self.records.inc(count)
            with self._lock:
                self._done += count
                ratio = min(self._done / self._expected, 1.0)
            self.progress_ratio.set(ratio)

        return wrote

    @contextmanager
    def run(self) -> Iterator[None]:
        """Counts the import's outcome; ``rejected`` for invalid input, ``failed`` for anything else."""
        try:
            yield
        except InvalidInput:
            self.imports.labels("rejected").inc()
            raise
        except BaseException:
            self.imports.labels("failed").inc()
            raise
        self.progress_ratio.set(1)
        self.imports.labels("ok").inc()


class Metrics:
    def __init__(self, store_kind: str) -> None:
        self.registry = registry = CollectorRegistry()
        process_collector.ProcessCollector(registry=registry)
        platform_collector.PlatformCollector(registry=registry)
        gc_collector.GCCollector(registry=registry)
        Gauge("heritage_info", "The service's version and store kind (always 1).", ["version", "store"],
              registry=registry).labels(__version__, store_kind).set(1)
        self.requests = Counter("heritage_http_requests", "HTTP requests answered, by route template, method "
                                "and status.", ["route", "method", "status"], registry=registry)
        self.duration = Histogram("heritage_http_request_duration_seconds", "Time to answer an HTTP request, "
                                  "by route template and method.", ["route", "method"], buckets=REQUEST_BUCKETS,
                                  registry=registry)
        self.in_progress = Gauge("heritage_http_requests_in_progress", "HTTP requests being answered.",
                                 registry=registry)
        self.operations = Counter("heritage_graphql_operations", "GraphQL operations, by operation name and "
                                  "outcome (ok, error, rejected).", ["operation", "outcome"], registry=registry)
        self.operation_duration = Histogram("heritage_graphql_operation_duration_seconds", "Time to answer a "
                                            "GraphQL request, by operation name.", ["operation"],
                                            buckets=REQUEST_BUCKETS, registry=registry)
        self.store_calls = Histogram("heritage_store_call_duration_seconds", "Time spent in each store call, "
                                     "by call (the Store method).", ["call"], buckets=STORE_BUCKETS,
                                     registry=registry)
        self.store_errors = Counter("heritage_store_errors", "Store calls that raised, by call and error code.",
                                    ["call", "code"], registry=registry)
        self.imports = ImportMetrics(registry)
        self._operations: set[str] = set()
        self._operations_lock = threading.Lock()
        # Labelled children, looked up once: prometheus_client's labels() costs more than the update.
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._operation_children: dict[tuple[str, str], tuple[Any, Any]] = {}

    def operation(self, name: str) -> str:
        """The label for an operation name: itself while fewer than MAX_OPERATIONS names were seen."""
        if name in self._operations:
            return name
        with self._operations_lock:
            if len(self._operations) < MAX_OPERATIONS:
                self._operations.add(name)
                return name
        return OTHER

    def observe_request(self, route: str, method: str, status: int, seconds: float,
                        operation: str | None, outcome: str | None) -> None:
        # Keys are label values, so these dicts stay as small as the label sets (clients choose methods
        # and operation names).
        key = (route, method if method in METHODS else OTHER, status)
        children = self._request_children.get(key)
        if children is None:
            children = self._request_children[key] = (self.requests.labels(key[0], key[1], str(status)),
                                                      self.duration.labels(key[0], key[1]))
        children[0].inc()
        children[1].observe(seconds)
        if operation is not None and outcome is not None:
            op_key = (self.operation(operation), outcome)
            op_children = self._operation_children.get(op_key)
            if op_children is None:
                op_children = self._operation_children[op_key] = (self.operations.labels(*op_key),
                                                                  self.operation_duration.labels(op_key[0]))
            op_children[0].inc()
            op_children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the Prometheus text exposition of this app's registry."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
