"""Who is asking for a page: the one rule every page uses.

A principal set on the request scope by a middleware (``scope["principal"]``: the sign-in sessions of
the curation workspace) comes first; otherwise the same ``Authorization: Bearer`` API token the GraphQL
endpoint accepts, checked by the same code; otherwise anonymous. A page then reads through the same
services and the same visibility gate as GraphQL, so it never shows what the API would hide from the
same principal.
"""

from __future__ import annotations

from starlette.requests import Request

from ..auth import ANONYMOUS, Principal
from ..tokens import authenticate


def page_principal(request: Request) -> Principal:
    given = request.scope.get("principal")
    if isinstance(given, Principal):
        return given
    authorization = request.headers.get("authorization")
    if authorization is None:
        return ANONYMOUS
    return authenticate(request.app.state.store, authorization)
