"""The command line's client for a running service (``--url URL``), for what must not wait for
``serve`` to stop: on the embedded store only one process may open the store, so while the service
runs, the commands that administer it (tokens, history, export, backup) ask the service instead.

No proxy is used: the admin token goes to the service named, and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import IO, Any

from .errors import ConfigError, Forbidden, InvalidInput, NotFound, StoreUnavailable, Unauthenticated

TIMEOUT = 3600.0


class Service:
    def __init__(self, url: str, token: str | None, *, timeout: float = TIMEOUT) -> None:
        if not token:
            raise ConfigError("--url needs an admin token: --token TOKEN, or HERITAGE_TOKEN in the environment")
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"--url: {url!r} is not an http(s) URL of a service, e.g. http://127.0.0.1:8000")
        self.base = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @contextlib.contextmanager
    def open(self, path: str, *, method: str = "GET", body: bytes | None = None,
             accept: str = "application/json", doing: str = "the request") -> Iterator[IO[bytes]]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": accept}
        if body:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, method=method, data=body, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                yield response
        except urllib.error.HTTPError as exc:
            raise failure(self.base + path, exc, doing) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise StoreUnavailable(
                f"cannot reach the service at {self.base + path}: {getattr(exc, 'reason', exc)}") from exc

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a GraphQL request; its first error raised as the project's own error."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode("utf-8")
        with self.open("/graphql", method="POST", body=body) as response:
            answer = json.loads(response.read().decode("utf-8"))
        errors = answer.get("errors") or []
        if errors:
            raise _as_error(errors[0])
        return answer["data"]


def _as_error(error: dict[str, Any]) -> Exception:
    message = error.get("message", "the service refused the request")
    code = (error.get("extensions") or {}).get("code")
    if code == "FORBIDDEN":
        return Forbidden(message)
    if code == "NOT_FOUND":
        return NotFound(message)
    if code == "UNAUTHENTICATED":
        return Unauthenticated(message)
    return InvalidInput(message)


def failure(endpoint: str, exc: urllib.error.HTTPError, doing: str = "the request") -> Exception:
    try:
        message = json.loads(exc.read().decode("utf-8"))["errors"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
        message = exc.reason
    if exc.code in (401, 403):
        return InvalidInput(f"the service refused {doing} ({exc.code}): {message}")
    if exc.code in (404, 405):
        return StoreUnavailable(f"{endpoint} answered {exc.code}: is it a Heritage Graph service of this version?")
    if exc.code < 500:
        return InvalidInput(f"the service refused {doing} ({exc.code}): {message}")
    return StoreUnavailable(f"the service could not take {doing} ({exc.code} from {endpoint}): {message}")


def unwrap_result(result: dict[str, Any]) -> dict[str, Any]:
    """A mutation's union result: the success, or its typed failure raised."""
    kind = result.get("__typename", "")
    if kind == "ForbiddenError":
        raise Forbidden(result["message"])
    if kind == "NotFoundError":
        raise NotFound(result["message"])
    if kind.endswith("Error") or kind == "VersionConflict":
        raise InvalidInput(result["message"])
    return result


__all__ = ["Service", "failure", "unwrap_result"]
