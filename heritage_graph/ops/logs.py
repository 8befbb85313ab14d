"""Logs: one JSON object per line (or readable text on a terminal), each tagged with the request it
belongs to.

The request id lives in a context variable set by the request middleware, so every line logged while
a request runs carries it: the service's own lines, strawberry's, uvicorn's, and those of store calls
made in worker threads (anyio copies the context into them).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import threading
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# A client's X-Request-ID is kept when it is short and plain (UUIDs, hex, base64, dotted trace ids),
# so it can neither bloat log lines nor smuggle anything into them; anything else is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._~:+/=@-]{1,128}")
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # built once: json.dumps with options builds one a call
# The LogRecord attributes every record has; anything else on a record was passed as `extra`
# (but uvicorn's color_message: its message again, with terminal colours).
_RECORD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_STANDARD = _RECORD | {"message", "asctime", "request_id", "color_message"}


@dataclass
class RequestInfo:
    """What the middleware and the GraphQL extension learn about the request being served."""

    id: str
    operation: str | None = None  # the GraphQL operation's name ("anonymous" when it has none)
    outcome: str | None = None  # ok | error | rejected, set once strawberry ran the operation
    role: str | None = None  # the principal's role, once authenticated


CURRENT: ContextVar[RequestInfo | None] = ContextVar("heritage_graph_request", default=None)


def request_id_from(header: bytes | None) -> str:
    """The client's request id when it is sane, else a new one."""
    if header:
        try:
            text = header.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if _SANE_REQUEST_ID.fullmatch(text):
            return text
    return os.urandom(16).hex()  # 128 random bits, as a uuid4 has, at a fifth of its cost


def current_request_id() -> str | None:
    info = CURRENT.get()
    return info.id if info else None


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


FIELDS = "_fields"  # on a record made by ``record``: its extra fields, as given (no scan of the record)
_TEMPLATE = {k: v for k, v in vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).items()
             if k not in ("created", "msecs", "relativeCreated")}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    given = record.__dict__.get(FIELDS)
    if given is not None:
        return given  # type: ignore[no-any-return]
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class _Direct:
    """The handler ``configure_logging`` installed, when it is JSON and the only one a record of the
    request log reaches: then ``emit_line`` writes that record's line itself (see there)."""

    handler: LineHandler | None = None
    formatter: JsonFormatter | None = None


def _only_to(logger: logging.Logger, handler: logging.Handler, level: int) -> bool:
    """Whether a record of ``logger`` at ``level`` reaches ``handler`` alone, through no filter but its own
    (the request id's): what ``Logger.handle`` would do with it is then only that handler's emit."""
    if logging.root.handlers != [handler] or level < handler.level or len(handler.filters) != 1:
        return False
    at: logging.Logger | None = logger
    while at is not None and at is not logging.root:
        if at.handlers or at.filters or at.disabled or not at.propagate:
            return False
        at = at.parent
    return True


def emit_line(logger: logging.Logger, level: int, msg: str, args: tuple[Any, ...], fields: dict[str, Any]) -> None:
    """Log one record of the request log (one a request): the very line ``JsonFormatter`` writes for it,
    written straight to the stream when the JSON handler of ``configure_logging`` is the only handler it
    would reach (no LogRecord, no walk up the loggers: a tenth of a cached answer's cost); through
    ``logger.handle`` otherwise (another handler or filter is attached, text format, tests)."""
    handler, formatter = _Direct.handler, _Direct.formatter
    if handler is None or formatter is None or not _only_to(logger, handler, level):
        logger.handle(record(logger.name, level, msg, args, fields))
        return
    entry: dict[str, Any] = {"time": formatter._time(time.time()), "level": logging.getLevelName(level),
                             "logger": logger.name, "message": msg % args}
    request_id = current_request_id()
    if request_id:
        entry["request_id"] = request_id
    entry.update(fields)
    line = _ENCODER.encode(entry) + handler.terminator
    try:
        handler.add_line(line)
    except Exception:  # as Handler.emit does: a broken log stream must not break the request
        handler.handleError(record(logger.name, level, msg, args, fields))


def record(name: str, level: int, msg: str, args: tuple[Any, ...], fields: dict[str, Any]) -> logging.LogRecord:
    """A record as ``Logger.makeRecord(name, level, "", 0, msg, args, None, extra=fields)`` makes it, for
    the one line per request: built from a template, not attribute by attribute (LogRecord.__init__ looks
    up the thread, the process and the time zone each time), with its extra fields kept together."""
    made = logging.LogRecord.__new__(logging.LogRecord)
    attrs = made.__dict__
    attrs.update(_TEMPLATE)
    attrs.update(fields)
    now = time.time()
    attrs.update(name=name, msg=msg, args=args, levelno=level, levelname=logging.getLevelName(level),
                 created=now, msecs=int((now - int(now)) * 1000) + 0.0,
                 relativeCreated=(now - logging._startTime) * 1000)  # type: ignore[attr-defined]
    attrs[FIELDS] = fields
    return made


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra fields, "exception"}``, one line."""

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._stamp = ""

    def _time(self, created: float) -> str:
        """UTC, ISO 8601, milliseconds; the part down to the second is reused within a second."""
        second = int(created)
        if second != self._second:
            self._stamp = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = second
        return f"{self._stamp}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(entry)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [request id] message key=value ...`` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        rid = f" [{request_id}]" if request_id else ""
        fields = "".join(f" {k}={v}" for k, v in _extras(record).items())
        text = f"{record.getMessage()}{fields}".replace("\r", "\\r").replace("\n", "\\n")  # one line per record
        line = f"{self.formatTime(record)} {record.levelname:<7} {record.name}{rid} {text}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The service's one handler. Lines of the request log (``emit_line``) are written together at most
    every ``flush_ms`` by a daemon thread: one write a request is a system call a request (stderr flushes
    each line, even to a file or a pipe), an eighth of a cached answer's cost. Any other record first
    writes the lines waiting before it, so the log keeps its order; ``flush`` (called at exit by
    ``logging.shutdown``) writes them too. A crash loses at most ``flush_ms`` of request lines, as a web
    server's buffered access log does. ``flush_ms`` 0: each line written at once."""

    def __init__(self, stream: TextIO, flush_ms: int = 0) -> None:
        super().__init__(stream)
        self.interval = flush_ms / 1000
        self._pending: deque[str] = deque()
        self._flusher: threading.Thread | None = None

    def add_line(self, line: str) -> None:
        if self.interval <= 0:
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(line)
                super().flush()
            return
        self._pending.append(line)  # deque.append and popleft are thread-safe: no lock on the request's path
        if self._flusher is None:
            self._start()

    def _start(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._run, name="log-flush", daemon=True)
                self._flusher.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            with contextlib.suppress(Exception):  # a broken stream is reported by the next emit, not here
                self.flush()

    def _drain(self) -> None:
        """Write the lines waiting (call with the lock held)."""
        taken: list[str] = []
        pending = self._pending
        while pending:
            taken.append(pending.popleft())
        if taken:
            self.stream.write("".join(taken))

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._drain()
        super().flush()

    def emit(self, record: logging.LogRecord) -> None:
        if self._pending:
            with self.lock:  # type: ignore[union-attr]
                self._drain()
        super().emit(record)


def default_format(stream: TextIO) -> str:
    """JSON for log collectors; text when a person watches the terminal."""
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def configure_logging(fmt: str | None = None, level: str = "INFO", stream: TextIO | None = None, *,
                      flush_ms: int = 0) -> None:
    """Send every logger (the service's, uvicorn's, strawberry's) through one handler on ``stream``.

    uvicorn's own access log is left off: the request middleware writes one richer line per request,
    written with others at most every ``flush_ms`` (``LineHandler``).
    """
    stream = stream if stream is not None else sys.stderr
    # Neither format shows the thread or process of a record: do not spend each record's time on them.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    fmt = fmt or default_format(stream)
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
    handler = LineHandler(stream, flush_ms)
    handler.addFilter(RequestIdFilter())
    formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    handler.setFormatter(formatter)
    _Direct.handler, _Direct.formatter = (handler, formatter) if isinstance(formatter, JsonFormatter) else (None, None)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
