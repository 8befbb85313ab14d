"""The admins' part of the workspace: users and API tokens, managed while the service runs.

The same services as ``heritage-graph user …`` and ``heritage-graph token …`` (``accounts.py``,
``tokens.py``), so the same checks and messages. A new token's secret is shown once, on the page that
answers its creation, and never again.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from .. import accounts
from ..auth import TOKEN_ROLES
from ..errors import InvalidInput
from ..tokens import create_token, revoke_token
from .curate import Staff, back, staff_action, staff_page
from .render import render

ADMIN_DONE = ("user-created", "user-disabled", "user-enabled", "token-revoked")


def _users(s: Staff, **extra: Any) -> dict[str, Any]:
    return {"users": s.store.list_users(), "roles": TOKEN_ROLES, "problems": [], "values": {},
            "admin_done": s.request.query_params.get("done") if s.request.query_params.get("done") in ADMIN_DONE
            else None, **extra}


async def users(request: Request) -> Response:
    return await staff_page(request, "curate/users.html", _users, role="admin")


def _admin(s: Staff) -> Response | None:
    if s.principal.role != "admin":
        return render(s.request, "forbidden.html", {"principal": s.principal, "message": "only admins manage users "
                                                    "and tokens"}, status=403)
    return None


async def create_user(request: Request) -> Response:
    def act(s: Staff, form: FormData) -> Response:
        if (refused := _admin(s)) is not None:
            return refused
        values = {k: str(form.get(k, "")).strip() for k in ("username", "role", "community")}
        try:
            accounts.create_user(s.store, values["username"], str(form.get("password", "")), values["role"],
                                 community=values["community"] or None)
        except InvalidInput as exc:
            return render(s.request, "curate/users.html", {"principal": s.principal, **_users(
                s, problems=[(exc.field or "", str(exc))], values=values)}, status=400)
        return back("/curate/users", "user-created")

    return await staff_action(request, act)


async def switch_user(request: Request) -> Response:
    username, op = request.path_params["username"], request.path_params["op"]

    def act(s: Staff, form: FormData) -> Response:
        if (refused := _admin(s)) is not None:
            return refused
        if op not in ("disable", "enable") or (op == "disable" and username == s.principal.actor):
            return render(s.request, "curate/users.html", {"principal": s.principal, **_users(
                s, problems=[("username", "an admin cannot disable the account it is signed in with")])},
                status=400)
        try:
            (accounts.disable_user if op == "disable" else accounts.enable_user)(s.store, username)
        except InvalidInput as exc:
            return render(s.request, "curate/users.html", {"principal": s.principal, **_users(
                s, problems=[(exc.field or "", str(exc))])}, status=400)
        return back("/curate/users", f"user-{op}d")

    return await staff_action(request, act)


def _tokens(s: Staff, **extra: Any) -> dict[str, Any]:
    done = s.request.query_params.get("done")
    return {"tokens": s.store.list_tokens(), "roles": TOKEN_ROLES, "problems": [], "values": {}, "secret": None,
            "admin_done": done if done in ADMIN_DONE else None, **extra}


async def tokens(request: Request) -> Response:
    return await staff_page(request, "curate/tokens.html", _tokens, role="admin")


async def create_api_token(request: Request) -> Response:
    def act(s: Staff, form: FormData) -> Response:
        if (refused := _admin(s)) is not None:
            return refused
        values = {k: str(form.get(k, "")).strip() for k in ("name", "role", "community")}
        try:
            secret, record = create_token(s.store, values["role"], community=values["community"] or None,
                                          name=values["name"] or None)
        except InvalidInput as exc:
            return render(s.request, "curate/tokens.html", {"principal": s.principal, **_tokens(
                s, problems=[(exc.field or "", str(exc))], values=values)}, status=400)
        # Shown on this answer only: it is never stored, and the page is not cached.
        return render(s.request, "curate/tokens.html", {"principal": s.principal, **_tokens(
            s, secret=secret, created=record)}, status=201)

    return await staff_action(request, act)


async def revoke_api_token(request: Request) -> Response:
    token_id = request.path_params["token_id"]

    def act(s: Staff, form: FormData) -> Response:
        if (refused := _admin(s)) is not None:
            return refused
        try:
            revoke_token(s.store, token_id)
        except InvalidInput as exc:
            return render(s.request, "curate/tokens.html", {"principal": s.principal, **_tokens(
                s, problems=[("id", str(exc))])}, status=400)
        return back("/curate/tokens", "token-revoked")

    return await staff_action(request, act)
