"""Signing in to the web workspace: the session middleware, CSRF protection, /login and /logout.

``SessionMiddleware`` reads the session cookie on every page request and puts who holds it on the request
scope (``scope["principal"]``, which ``identity.page_principal`` honours first) with the CSRF token of the
session (``scope["csrf_token"]``, which every form of ``render`` carries). A cookie whose session has ended
is cleared in the response. GraphQL never reads the cookie: the API takes API tokens only, so no page of
another site can make a signed-in browser call it.

Every form that changes something is posted with the CSRF token and checked by ``form_of`` (synchroniser
token, plus the ``Origin`` header when the browser sends one); the sign-in form, used before there is a
session, takes its token from a random pre-session cookie (double submit). The cookies are ``HttpOnly``,
``SameSite=Lax``, and ``Secure`` when the service is reached over HTTPS or its public address is HTTPS.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import accounts
from ..auth import ANONYMOUS
from ..errors import HeritageGraphError, Unauthenticated
from .render import render

log = logging.getLogger("heritage_graph.web.sessions")

COOKIE = "hg_session"
PRE_COOKIE = "hg_csrf"  # the sign-in form's CSRF secret, before there is a session
CSRF_FIELD = "csrf"
# Requests that never need to know who asks: no session lookup for them.
_SKIP = ("/graphql", "/static/", "/healthz", "/readyz", "/metrics", "/ld/", "/export/", "/admin/")


class SessionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SKIP):
            await self.app(scope, receive, send)
            return
        cookies = HTTPConnection(scope).cookies
        secret = cookies.get(COOKIE)
        ended = False
        if secret:
            app = scope["app"]
            try:
                principal = await run_in_threadpool(accounts.session_principal, app.state.store, secret,
                                                    app.state.settings.session_limits)
            except HeritageGraphError as exc:  # the store is down: not the same as "signed out"
                log.warning("session lookup failed", extra={"error": str(exc)})
                await PlainTextResponse("the store is unavailable; try again shortly", 503)(scope, receive, send)
                return
            if principal is not None:
                scope["principal"], scope["session"] = principal, secret
                scope["csrf_token"] = accounts.csrf_token(secret)
            else:
                ended = True
        if "csrf_token" not in scope and cookies.get(PRE_COOKIE):
            scope["csrf_token"] = accounts.csrf_token(cookies[PRE_COOKIE])
        if not ended:
            await self.app(scope, receive, send)
            return

        async def clearing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", _cookie(COOKIE, "", scope, max_age=0).encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, clearing)


def _secure(scope: Scope) -> bool:
    public = scope["app"].state.settings.public_url or ""
    return scope.get("scheme") == "https" or public.startswith("https://")


def _cookie(name: str, value: str, scope: Scope, max_age: int | None = None) -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if _secure(scope):
        parts.append("Secure")
    return "; ".join(parts)


def set_cookie(response: Response, name: str, value: str, scope: Scope, max_age: int | None = None) -> None:
    response.headers.append("set-cookie", _cookie(name, value, scope, max_age))


class Forbidden(Exception):
    """A form that cannot be trusted: no or a wrong CSRF token, or posted from another site."""


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # older browsers and some privacy settings send none: the token decides
    allowed = {request.headers.get("host", "")}
    public = request.app.state.settings.public_url
    if public:
        allowed.add(urlsplit(public).netloc)
    return urlsplit(origin).netloc in allowed


async def form_of(request: Request) -> FormData:
    """The posted form, once its CSRF token and origin are checked; ``Forbidden`` otherwise."""
    form = await request.form()
    expected = request.scope.get("csrf_token", "")
    given = form.get(CSRF_FIELD, "")
    if not _same_origin(request):
        raise Forbidden("this form was posted from another site")
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise Forbidden("this form has expired or was not sent by this site; reload the page and try again")
    return form


def forbidden(request: Request, exc: Forbidden) -> Response:
    log.warning("form refused", extra={"path": request.url.path, "reason": str(exc)})
    return render(request, "forbidden.html", {"principal": request.scope.get("principal", ANONYMOUS),
                                              "message": str(exc)}, status=403)


def safe_next(target: str | None, default: str = "/curate") -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, context: dict[str, Any], status: int = 200,
                headers: dict[str, str] | None = None) -> Response:
    pre = None
    if not request.scope.get("csrf_token"):
        pre = secrets.token_urlsafe(32)
        request.scope["csrf_token"] = accounts.csrf_token(pre)
    response = render(request, "login.html", {"principal": ANONYMOUS, **context}, status=status, shared=False)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    if pre is not None:
        set_cookie(response, PRE_COOKIE, pre, request.scope)
    return response


async def login(request: Request) -> Response:
    if request.method == "GET":
        if "session" in request.scope:
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        return _login_page(request, {"next": safe_next(request.query_params.get("next")), "username": ""})
    try:
        form = await form_of(request)
    except Forbidden as exc:
        return forbidden(request, exc)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    context = {"next": target, "username": username}
    throttle = login_throttle(request)
    client = _client(request)
    wait = throttle.wait(username, client)
    if wait > 0:
        log.warning("sign-in refused: too many failures",
                    extra={"username": username[:64], "client": client, "wait_seconds": round(wait, 1)})
        return _login_page(request, {**context, "error": "throttled", "wait": int(wait) + 1}, status=429,
                           headers={"retry-after": str(int(wait) + 1)})
    store, settings = request.app.state.store, request.app.state.settings
    try:
        user = await run_in_threadpool(accounts.verify, store, username, password)
    except Unauthenticated:
        throttle.failed(username, client)
        log.warning("sign-in failed", extra={"username": username[:64], "client": client,
                                             "failures": throttle.failures(username)})
        return _login_page(request, {**context, "error": "credentials"}, status=401)
    throttle.succeeded(username)
    secret = await run_in_threadpool(accounts.start_session, store, user, settings.session_limits)
    log.info("signed in", extra={"username": user.username, "client": client})
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, COOKIE, secret, request.scope)
    set_cookie(response, PRE_COOKIE, "", request.scope, max_age=0)
    return response


async def logout(request: Request) -> Response:
    try:
        await form_of(request)
    except Forbidden as exc:
        return forbidden(request, exc)
    secret = request.scope.get("session")
    if secret:
        await run_in_threadpool(accounts.end_session, request.app.state.store, secret)
        log.info("signed out", extra={"username": getattr(request.scope.get("principal"), "name", None)})
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, COOKIE, "", request.scope, max_age=0)
    return response


def login_throttle(request: Request) -> accounts.Throttle:
    state = request.app.state
    throttle = getattr(state, "login_throttle", None)
    if throttle is None:
        throttle = state.login_throttle = accounts.Throttle()
    return throttle
