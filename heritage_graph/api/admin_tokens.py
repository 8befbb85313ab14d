"""API tokens in GraphQL, for admins: list, create and revoke them while the service runs.

On the embedded store the running service is the only process that may open the store, so these are
also what ``heritage-graph token … --url URL`` calls. Anyone but an admin is refused (a
``ForbiddenError``), and a token's secret is shown once, in the result that creates it.
"""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from ..auth import TOKEN_ROLES
from ..errors import Forbidden, InvalidInput, NotFound
from ..store.tokens import TokenRecord
from ..tokens import create_token, revoke_token
from .context import Context
from .results import FieldProblem, ForbiddenError, InvalidInputError, NotFoundError

ApiTokenRole = strawberry.enum(enum.Enum("ApiTokenRole", {r.upper(): r for r in TOKEN_ROLES}),  # type: ignore[misc]
                               description="What a token may do (roles: README, 'API tokens and roles').")


@strawberry.type(description="An API token, without its secret (the store keeps only its SHA-256 hash).")
class ApiToken:
    id: strawberry.ID
    name: str | None
    role: str
    community: str | None
    created_at: str
    revoked_at: str | None

    @classmethod
    def of(cls, t: TokenRecord) -> ApiToken:
        return cls(id=strawberry.ID(t.id), name=t.name, role=t.role, community=t.community,
                   created_at=t.created_at, revoked_at=t.revoked_at)


@strawberry.type(description="A new token. `secret` is shown this once: send it as `Authorization: Bearer …`.")
class TokenCreated:
    secret: str
    token: ApiToken


@strawberry.type
class TokenRevoked:
    token: ApiToken


TokenResult = Annotated[TokenCreated | TokenRevoked | InvalidInputError | NotFoundError | ForbiddenError,
                        strawberry.union("TokenResult")]


def _admin(info: Info[Context, None], doing: str) -> None:
    role = info.context.principal.role
    if role != "admin":
        raise Forbidden(f"{doing} needs an admin token; this request's role is {role}")


async def api_tokens(info: Info[Context, None]) -> list[ApiToken]:
    """Every API token, revoked ones included. Admins only."""
    _admin(info, "listing API tokens")
    return [ApiToken.of(t) for t in await info.context.call(info.context.store.list_tokens)]


async def _token_result(info: Info[Context, None], work: object) -> TokenResult:
    try:
        return await info.context.call(work)  # type: ignore[arg-type]
    except Forbidden as exc:
        return ForbiddenError(message=str(exc))
    except NotFound as exc:
        return NotFoundError(message=str(exc))
    except InvalidInput as exc:
        return InvalidInputError(message=str(exc), problems=[FieldProblem(field=exc.field, message=str(exc))])


@strawberry.type
class TokenMutations:
    @strawberry.mutation(description="Create an API token. Admins only; the secret is in the result, once.")
    async def create_api_token(self, info: Info[Context, None], role: ApiTokenRole,  # type: ignore[valid-type]
                               name: str | None = None, community: strawberry.ID | None = None) -> TokenResult:
        def work() -> TokenCreated:
            _admin(info, "creating an API token")
            secret, record = create_token(info.context.store, role.value,  # type: ignore[arg-type]
                                          community=None if community is None else str(community), name=name)
            return TokenCreated(secret=secret, token=ApiToken.of(record))

        return await _token_result(info, work)

    @strawberry.mutation(description="Revoke an API token by id; it stays listed, and is refused. Admins only.")
    async def revoke_api_token(self, info: Info[Context, None], id: strawberry.ID) -> TokenResult:
        def work() -> TokenRevoked:
            _admin(info, "revoking an API token")
            return TokenRevoked(token=ApiToken.of(revoke_token(info.context.store, str(id))))

        return await _token_result(info, work)


__all__ = ["ApiToken", "TokenMutations", "api_tokens"]
