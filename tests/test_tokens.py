"""API tokens: the store contract (every adapter), the service, the command line and HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from click.testing import CliRunner
from starlette.requests import Request

from heritage_graph.api.http import HeritageGraphQL
from heritage_graph.app import create_app
from heritage_graph.auth import ANONYMOUS, ROLES, TOKEN_ROLES, Principal
from heritage_graph.cli import main
from heritage_graph.errors import InvalidInput, NotFound, Unauthenticated
from heritage_graph.model import Node
from heritage_graph.ops.timing import unwrap
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.store.memory import MemoryStore
from heritage_graph.store.tokens import TokenRecord, TokenStore, hash_secret
from heritage_graph.tokens import authenticate, create_token, revoke_token

from .conftest import Client

COMMUNITY = Node(kind="Community", id="comunidad-prueba", name="Comunidad de prueba")
CRAFT = Node(kind="Craft", id="arte-prueba", name="Arte de prueba")
SECRET = re.compile(r"hg_[A-Za-z0-9_-]{43}")


def record(id: str, secret: str, created_at: str = "2025-01-01T00:00:00Z", **kw: str | None) -> TokenRecord:
    return TokenRecord(id=id, hash=hash_secret(secret), role=kw.pop("role", None) or "researcher",
                       created_at=created_at, **kw)


# --- the store contract -----------------------------------------------------------------------

def test_tokens_round_trip_through_the_store(store: TokenStore) -> None:
    # A Neo4j test database may keep tokens from earlier runs (delete_all keeps tokens): look at ours only.
    a = record("tok_contract_a", "secret-a", name="Ana", community="comunidad-prueba")
    b = record("tok_contract_b", "secret-b", created_at="2025-01-02T00:00:00Z", role="admin")
    store.add_token(b)
    store.add_token(a)
    ours = [t for t in store.list_tokens() if t.id in (a.id, b.id)]
    assert ours == [a, b]  # oldest first; a null name and community come back as None
    assert store.token_by_hash(hash_secret("secret-b")) == b
    assert store.token_by_hash(hash_secret("nobody")) is None


def test_revoking_a_token_in_the_store(store: TokenStore) -> None:
    t = record("tok_contract_r", "secret-r")
    store.add_token(t)
    assert store.revoke_token(t.id, "2025-02-01T00:00:00Z") is True
    assert store.revoke_token(t.id, "2025-03-01T00:00:00Z") is False  # already revoked
    assert store.revoke_token("tok_nobody", "2025-03-01T00:00:00Z") is False
    found = store.token_by_hash(t.hash)
    assert found is not None and found.revoked_at == "2025-02-01T00:00:00Z" and found.revoked


def test_delete_all_keeps_the_tokens(store: TokenStore) -> None:
    t = record("tok_contract_d", "secret-d")
    store.add_token(t)
    cast(Store, store).delete_all()
    assert store.token_by_hash(t.hash) == t


# --- the service ------------------------------------------------------------------------------

@pytest.fixture
def memory() -> MemoryStore:
    s = MemoryStore()
    s.write([COMMUNITY, CRAFT], [])
    return s


def test_create_token_stores_only_a_hash(memory: MemoryStore) -> None:
    secret, rec = create_token(memory, "curator", name="  Rosa  ")
    assert SECRET.fullmatch(secret), secret
    assert re.fullmatch(r"tok_[0-9a-f]{12}", rec.id)
    assert rec.hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (rec.role, rec.name, rec.community, rec.revoked_at) == ("curator", "Rosa", None, None)
    assert memory.list_tokens() == [rec]
    assert secret not in repr(memory.list_tokens())


def test_every_token_is_new(memory: MemoryStore) -> None:
    made = [create_token(memory, "researcher") for _ in range(20)]
    assert len({s for s, _ in made}) == len({r.id for _, r in made}) == 20


@pytest.mark.parametrize("role", ["anonymous", "boss", "Admin", ""])
def test_a_token_role_must_be_a_token_role(memory: MemoryStore, role: str) -> None:
    with pytest.raises(InvalidInput) as err:
        create_token(memory, role)
    assert all(r in str(err.value) for r in TOKEN_ROLES) and err.value.field == "role"
    assert memory.list_tokens() == []


def test_a_token_community_must_be_a_community(memory: MemoryStore) -> None:
    with pytest.raises(InvalidInput, match="no Community has the id 'nowhere'"):
        create_token(memory, "researcher", community="nowhere")
    with pytest.raises(InvalidInput, match="'arte-prueba' is a Craft, not a Community"):
        create_token(memory, "researcher", community="arte-prueba")
    assert memory.list_tokens() == []
    _, rec = create_token(memory, "researcher", community="comunidad-prueba")
    assert rec.community == "comunidad-prueba"


def test_authenticate(memory: MemoryStore) -> None:
    secret, rec = create_token(memory, "researcher", community="comunidad-prueba", name="Ana")
    expected = Principal(role="researcher", community="comunidad-prueba", name="Ana", token_id=rec.id)
    assert authenticate(memory, f"Bearer {secret}") == expected
    assert authenticate(memory, f"bearer   {secret}  ") == expected  # the scheme is case-insensitive
    assert authenticate(memory, None) is ANONYMOUS


@pytest.mark.parametrize("header", ["", "   ", "Bearer", "Bearer ", "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
                                    "hg_abc", "Bearer a b", "Token hg_abc"])
def test_a_malformed_header_is_refused(memory: MemoryStore, header: str) -> None:
    with pytest.raises(Unauthenticated, match="malformed Authorization header") as err:
        authenticate(memory, header)
    assert err.value.code == "UNAUTHENTICATED"


def test_an_unknown_or_revoked_token_is_refused(memory: MemoryStore) -> None:
    secret, rec = create_token(memory, "admin")
    with pytest.raises(Unauthenticated, match="unknown API token"):
        authenticate(memory, "Bearer hg_" + "x" * 43)
    with pytest.raises(Unauthenticated, match="unknown API token"):
        authenticate(memory, f"Bearer {rec.hash}")  # the stored hash is no credential
    revoked = revoke_token(memory, rec.id)
    assert revoked.revoked_at is not None and memory.list_tokens() == [revoked]
    with pytest.raises(Unauthenticated, match="revoked"):
        authenticate(memory, f"Bearer {secret}")
    with pytest.raises(InvalidInput, match="already revoked"):
        revoke_token(memory, rec.id)
    with pytest.raises(NotFound, match="tok_nobody"):
        revoke_token(memory, "tok_nobody")


# --- the command line -------------------------------------------------------------------------

def cli(*args: str) -> tuple[int, str, str]:
    # --db is ignored when NEO4J_URI is set: these tests are about the embedded store's folder.
    result = CliRunner().invoke(main, list(args), env={"NEO4J_URI": None}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    folder = tmp_path / "db"
    s = LadybugStore(folder).open()
    try:
        s.init()
        s.write([COMMUNITY, CRAFT], [])
    finally:
        s.close()
    return folder


def test_cli_create_list_revoke(db: Path) -> None:
    code, out, err = cli("--db", str(db), "token", "create", "--role", "researcher",
                         "--community", "comunidad-prueba", "--name", "Ana Quispe")
    assert code == 0, err
    secrets_shown = SECRET.findall(out)
    assert len(secrets_shown) == 1 and "not shown again" in err
    secret = secrets_shown[0]
    found = re.search(r"^id\s+(tok_[0-9a-f]{12})$", out, re.M)
    assert found, out
    token_id = found.group(1)
    assert re.search(r"^role\s+researcher$", out, re.M) and re.search(r"^community\s+comunidad-prueba$", out, re.M)

    code, out, _ = cli("--db", str(db), "token", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["id", "name", "role", "community", "created", "revoked"]
    assert row.split()[:5] == [token_id, "Ana", "Quispe", "researcher", "comunidad-prueba"] and row.endswith("-")
    assert secret not in out and hash_secret(secret) not in out

    # The secret is nowhere in the store's files; its hash is what the token row holds.
    for f in (p for p in db.rglob("*") if p.is_file()):
        assert secret.encode() not in f.read_bytes(), f
    s = LadybugStore(db).open()
    try:
        (rec,) = s.list_tokens()
        assert rec.hash == hash_secret(secret) and secret not in repr(rec)
        assert authenticate(s, f"Bearer {secret}").token_id == token_id
    finally:
        s.close()

    code, out, _ = cli("--db", str(db), "token", "revoke", token_id)
    assert code == 0 and f"revoked token {token_id} (Ana Quispe)" in out
    code, _, err = cli("--db", str(db), "token", "revoke", token_id)
    assert code == 1 and "already revoked" in err
    code, _, err = cli("--db", str(db), "token", "revoke", "tok_000000000000")
    assert code == 1 and "no token has the id 'tok_000000000000'" in err
    code, out, _ = cli("--db", str(db), "token", "list")
    assert not out.splitlines()[1].endswith("-")  # the revocation time
    s = LadybugStore(db).open()
    try:
        with pytest.raises(Unauthenticated, match="revoked"):
            authenticate(s, f"Bearer {secret}")
    finally:
        s.close()


def test_cli_refuses_bad_roles_and_communities(db: Path) -> None:
    code, _, err = cli("--db", str(db), "token", "create", "--role", "anonymous")
    assert code == 2 and "'researcher', 'curator', 'reviewer', 'admin'" in err
    code, _, err = cli("--db", str(db), "token", "create", "--role", "admin", "--community", "arte-prueba")
    assert code == 1 and "is a Craft, not a Community" in err
    code, out, _ = cli("--db", str(db), "token", "list")
    assert code == 0 and out.startswith("no tokens")


@pytest.mark.parametrize("args", [(), ("create",), ("list",), ("revoke",)])
def test_cli_token_help(args: tuple[str, ...]) -> None:
    code, out, _ = cli("token", *args, "--help")
    assert code == 0 and out.startswith("Usage: ")


# --- HTTP ---------------------------------------------------------------------------------------

@pytest.fixture
def http(memory: MemoryStore) -> Iterator[Client]:
    c = Client(create_app(Settings(), store=memory))
    yield c
    c.close()


QUERY = "{ __typename }"


def ask(client: Client, method: str, authorization: str | None, accept: str | None = None) -> httpx.Response:
    headers = {k: v for k, v in (("authorization", authorization), ("accept", accept)) if v is not None}
    if method == "GET":
        return client.get("/graphql", params={"query": QUERY}, headers=headers)
    return client.post("/graphql", json={"query": QUERY}, headers=headers)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_http_without_a_header_or_with_a_good_token(http: Client, memory: MemoryStore, method: str) -> None:
    secret, _ = create_token(memory, "reviewer")
    for authorization in (None, f"Bearer {secret}"):
        r = ask(http, method, authorization)
        assert r.status_code == 200 and r.json() == {"data": {"__typename": "Query"}}, r.text


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("case", ["malformed", "unknown", "revoked"])
def test_http_401_for_a_bad_token(http: Client, memory: MemoryStore, method: str, case: str) -> None:
    secret, rec = create_token(memory, "admin")
    if case == "revoked":
        revoke_token(memory, rec.id)
    header = {"malformed": f"Basic {secret}", "unknown": "Bearer hg_unknown", "revoked": f"Bearer {secret}"}[case]
    message = {"malformed": "malformed Authorization header", "unknown": "unknown API token",
               "revoked": "revoked"}[case]
    r = ask(http, method, header)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["www-authenticate"] == ("Bearer" if case == "malformed" else 'Bearer error="invalid_token"')
    body = r.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert message in body["errors"][0]["message"] and secret not in r.text


def test_http_401_speaks_the_negotiated_media_type(http: Client) -> None:
    r = ask(http, "POST", "Bearer hg_unknown", accept="application/graphql-response+json")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/graphql-response+json")
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_http_a_token_is_checked_on_every_request(http: Client, memory: MemoryStore) -> None:
    secret, rec = create_token(memory, "curator")
    assert ask(http, "POST", f"Bearer {secret}").status_code == 200
    revoke_token(memory, rec.id)
    assert ask(http, "POST", f"Bearer {secret}").status_code == 401  # nothing cached


def _request(app: object, authorization: str | None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization is not None else []
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": headers, "app": app,
                    "query_string": b""})


def test_get_context_puts_the_principal_on_the_context(memory: MemoryStore) -> None:
    secret, rec = create_token(memory, "researcher", community="comunidad-prueba", name="Ana")
    app = create_app(Settings(), store=memory)
    view = next(getattr(r, "endpoint", None) for r in app.routes if getattr(r, "path", None) == "/graphql")
    assert isinstance(view, HeritageGraphQL)

    context = asyncio.run(view.get_context(_request(app, f"Bearer {secret}")))
    assert context.principal == Principal("researcher", "comunidad-prueba", "Ana", rec.id)
    assert unwrap(context.store) is memory  # behind the metrics' timing proxy
    assert asyncio.run(view.get_context(_request(app, None))).principal is ANONYMOUS
    with pytest.raises(Unauthenticated):
        asyncio.run(view.get_context(_request(app, "Bearer hg_unknown")))


def test_linked_data_stays_anonymous(http: Client) -> None:
    # /ld/ routes do not authenticate: a bad token changes nothing there.
    plain = http.get("/ld/comunidad-prueba")
    with_bad_token = http.get("/ld/comunidad-prueba", headers={"authorization": "Bearer hg_unknown"})
    assert with_bad_token.status_code == plain.status_code != 401


def test_the_readme_has_every_role_in_order() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## API tokens and roles"):]
    assert re.findall(r"^\| `([a-z]+)` \|", section, re.M) == list(ROLES)
