"""Size limits of the GraphQL endpoint: the request body, the query text and the result, each
refused with a GraphQL-shaped error that names the limit and the setting that changes it.

- The body is refused before it is read when its ``Content-Length`` says it is too large, and
  otherwise counted while it streams in, so a client without ``Content-Length`` (chunked) cannot
  make the service buffer more than the limit: 413, code ``BODY_TOO_LARGE``.
- The query text (POST body or GET parameter, or the text a persisted query stands for) is a
  GraphQL request error, like the other query limits: 400 with ``application/graphql-response+json``,
  200 with ``application/json``, no ``data``; code ``QUERY_TOO_LARGE``.
- The result is measured once encoded, before anything is sent, so no part of an oversized result
  ever leaves: it is replaced by ``{"data": null, "errors": [...]}`` with code ``RESULT_TOO_LARGE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive

from ..errors import ConfigError
from ..settings import Settings


class RequestRefused(Exception):
    """A request answered with a GraphQL-shaped error before it runs: ``status`` with
    ``application/graphql-response+json``, ``json_status`` (default: the same) with ``application/json``."""

    def __init__(self, message: str, code: str, *, status: int = 400, json_status: int | None = None,
                 headers: Mapping[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.json_status = status if json_status is None else json_status
        self.headers = dict(headers or {})
        self.extensions = extensions

    def status_for(self, graphql_response_json: bool) -> int:
        return self.status if graphql_response_json else self.json_status

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code, **self.extensions}}]}


def _size(n: int) -> str:
    return f"{n:,} bytes"


@dataclass(frozen=True)
class RequestLimits:
    max_body: int
    max_query: int
    max_result: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        for name, value in (("HERITAGE_MAX_BODY_BYTES", settings.max_body_bytes),
                            ("HERITAGE_MAX_QUERY_BYTES", settings.max_query_bytes),
                            ("HERITAGE_MAX_RESULT_BYTES", settings.max_result_bytes)):
            if value < 1:
                raise ConfigError(f"{name} must be at least 1, got {value}")
        return cls(settings.max_body_bytes, settings.max_query_bytes, settings.max_result_bytes)

    def body_too_large(self, found: int | None) -> RequestRefused:
        size = f"{_size(found)}, more than" if found is not None else "more than"
        return RequestRefused(
            f"Request body too large: it is {size} the limit of {_size(self.max_body)} "
            f"(HERITAGE_MAX_BODY_BYTES). Send less, or ask the operator to raise HERITAGE_MAX_BODY_BYTES.",
            "BODY_TOO_LARGE", status=413, limit="body", max=self.max_body,
            **({"found": found} if found is not None else {}))

    def check_content_length(self, value: str | None) -> None:
        """Refuse a body whose declared length is over the limit, before reading any of it."""
        if value is not None and value.strip().isdigit() and int(value) > self.max_body:
            raise self.body_too_large(int(value))

    def counting(self, receive: Receive) -> Receive:
        """``receive`` that refuses the body as soon as more than the limit has arrived."""
        seen = 0
        limit = self.max_body

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self.body_too_large(None)
            return message

        return limited

    async def read_body(self, receive: Receive) -> bytes:
        """The whole body, refused as soon as more than the limit has arrived."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body:
                raise self.body_too_large(None)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def check_query(self, query: str) -> None:
        # len() counts characters, at most 4 bytes each in UTF-8: encode only when it could matter.
        if len(query) * 4 <= self.max_query:
            return
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > self.max_query:
            raise RequestRefused(
                f"Query too large: the query text is {_size(size)}, more than the limit of "
                f"{_size(self.max_query)} (HERITAGE_MAX_QUERY_BYTES). Move values into variables, or use "
                f"fragments to share repeated selections.",
                "QUERY_TOO_LARGE", status=400, json_status=200, limit="query", max=self.max_query, found=size)

    def result_too_large(self, size: int, *, mutation: bool) -> dict[str, Any]:
        """The body that replaces a result of ``size`` bytes."""
        done = " The mutation was carried out; only its result was withheld." if mutation else ""
        message = (f"Result too large: it is {_size(size)}, more than the limit of {_size(self.max_result)} "
                   f"(HERITAGE_MAX_RESULT_BYTES), so none of it was sent. Ask for less: a smaller page "
                   f"(`first`, then `after` the page's end cursor), a smaller `maxDepth`, or fewer fields.{done}")
        return {"data": None, "errors": [{"message": message, "extensions": {
            "code": "RESULT_TOO_LARGE", "limit": "result", "max": self.max_result, "found": size}}]}
