"""Web workspace accounts: the store contract (every adapter), the service, the command line, and
signing in over HTTP (sessions, CSRF, throttling, no user enumeration)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from heritage_graph import accounts
from heritage_graph.accounts import BAD_CREDENTIALS, SessionLimits, Throttle
from heritage_graph.app import create_app
from heritage_graph.cli import main
from heritage_graph.errors import InvalidInput, NotFound, StoreQueryError, Unauthenticated
from heritage_graph.model import Changes, Node
from heritage_graph.settings import Settings
from heritage_graph.store.accounts import AccountStore, SessionRecord, UserRecord
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.store.memory import MemoryStore
from heritage_graph.store.tokens import hash_secret
from heritage_graph.web import routes as web_routes

from . import test_tokens
from .conftest import Client

COMMUNITY = Node(kind="Community", id="comunidad-prueba", name="Comunidad de prueba")
DRAFT = Node(kind="Craft", id="arte-borrador", name="Arte Borrador Invisible", status="draft", version=1)
PASSWORD = "una clave bastante larga"
LIMITS = SessionLimits()


def user(name: str, role: str = "curator", **kw: str | None) -> UserRecord:
    return UserRecord(username=name, password_hash="$argon2id$fake", role=role,
                      created_at=kw.pop("created_at", None) or "2025-01-01T00:00:00.000000Z", **kw)


# --- the store contract -----------------------------------------------------------------------

def test_users_round_trip_through_the_store(store: AccountStore) -> None:
    a, b = user("contract-b", "admin"), user("contract-a", community="comunidad-prueba")
    store.add_user(a)
    store.add_user(b)
    ours = [u for u in store.list_users() if u.username.startswith("contract-")]
    assert ours == [b, a]  # by user name; a null community and dates come back as None
    assert store.user_by_name("contract-a") == b and store.user_by_name("nobody") is None
    with pytest.raises(StoreQueryError):
        store.add_user(user("contract-a", "admin"))
    assert store.user_by_name("contract-a") == b  # the refused one changed nothing

    assert store.set_user_password("contract-a", "$argon2id$new", "2025-02-01T00:00:00.000000Z")
    assert not store.set_user_password("nobody", "x", "2025-02-01T00:00:00.000000Z")
    changed = store.user_by_name("contract-a")
    assert changed and changed.password_hash == "$argon2id$new"
    assert changed.password_changed_at == "2025-02-01T00:00:00.000000Z"

    assert store.set_user_disabled("contract-a", "2025-03-01T00:00:00.000000Z")
    assert not store.set_user_disabled("contract-a", "2025-03-02T00:00:00.000000Z")  # already
    disabled = store.user_by_name("contract-a")
    assert disabled and disabled.disabled and disabled.disabled_at == "2025-03-01T00:00:00.000000Z"
    assert store.set_user_disabled("contract-a", None)
    assert not store.set_user_disabled("contract-a", None)
    enabled = store.user_by_name("contract-a")
    assert enabled and not enabled.disabled


def test_sessions_in_the_store(store: AccountStore) -> None:
    old = "2025-01-01T00:00:00.000000Z"
    new = "2025-06-01T00:00:00.000000Z"
    times = [("contract-u", new, new), ("contract-u", new, new), ("contract-v", new, new), ("contract-v", old, new),
             ("contract-v", new, old)]
    sessions = [SessionRecord(f"s-contract-{i}", *when) for i, when in enumerate(times, 1)]
    for s in sessions:
        store.add_session(s)
    assert store.session_by_id("s-contract-1") == sessions[0] and store.session_by_id("nope") is None
    store.touch_session("s-contract-1", "2025-06-02T00:00:00.000000Z")
    touched = store.session_by_id("s-contract-1")
    assert touched and touched.seen_at == "2025-06-02T00:00:00.000000Z"
    store.end_session("s-contract-2")
    assert store.session_by_id("s-contract-2") is None
    store.end_session("s-contract-2")  # ending an ended session is no error
    # Absolute limit (created before) or idle limit (seen before): 4 and 5 go, 3 stays.
    assert store.end_stale_sessions("2025-03-01T00:00:00.000000Z", "2025-03-01T00:00:00.000000Z") >= 2
    assert [store.session_by_id(f"s-contract-{i}") is not None for i in (3, 4, 5)] == [True, False, False]
    assert store.end_user_sessions("contract-u") == 1
    assert store.end_user_sessions("contract-u") == 0
    assert store.session_by_id("s-contract-1") is None and store.session_by_id("s-contract-3") is not None
    store.end_user_sessions("contract-v")


def test_delete_all_keeps_users_and_sessions(store: AccountStore) -> None:
    store.add_user(user("contract-kept"))
    store.add_session(SessionRecord("s-contract-kept", "contract-kept", "2025-01-01T00:00:00.000000Z",
                                    "2025-01-01T00:00:00.000000Z"))
    store.delete_all()  # type: ignore[attr-defined]
    assert store.user_by_name("contract-kept") is not None
    assert store.session_by_id("s-contract-kept") is not None
    store.end_user_sessions("contract-kept")


# --- the service ------------------------------------------------------------------------------

@pytest.fixture
def memory() -> MemoryStore:
    s = MemoryStore()
    s.write([COMMUNITY], [])
    return s


def test_create_user_checks_everything_and_stores_only_an_argon2id_hash(memory: MemoryStore) -> None:
    made = accounts.create_user(memory, "  Ana.Quispe ", PASSWORD, "curator", community="comunidad-prueba")
    assert made.username == "ana.quispe" and made.community == "comunidad-prueba"
    assert made.password_hash.startswith("$argon2id$") and PASSWORD not in repr(made)
    for name, password, role, community, field in [
        ("a", PASSWORD, "curator", None, "username"),
        ("ana quispe", PASSWORD, "curator", None, "username"),
        ("-ana", PASSWORD, "curator", None, "username"),
        ("ana.quispe", PASSWORD, "curator", None, "username"),  # taken
        ("beto", PASSWORD, "anonymous", None, "role"),
        ("beto", PASSWORD, "owner", None, "role"),
        ("beto", PASSWORD, "curator", "no-such-community", "community"),
        ("beto", "short", "curator", None, "password"),
        ("beto", "x" * 1025, "curator", None, "password"),
        ("beto", "beto-es-mi-clave-larga", "curator", None, "password"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            accounts.create_user(memory, name, password, role, community=community)
        assert caught.value.field == field, (name, role, caught.value)
    assert [u.username for u in memory.list_users()] == ["ana.quispe"]


def test_wrong_password_unknown_user_and_disabled_user_get_the_same_answer(memory: MemoryStore) -> None:
    accounts.create_user(memory, "ana", PASSWORD, "curator")
    accounts.create_user(memory, "beto", PASSWORD, "reviewer")
    accounts.disable_user(memory, "beto")
    assert accounts.verify(memory, " ANA ", PASSWORD).username == "ana"
    messages = set()
    for name, password in [("ana", PASSWORD + "!"), ("nadie", PASSWORD), ("beto", PASSWORD), ("ana", ""),
                           ("ANA ana", PASSWORD), ("ana", "x" * 5000)]:
        with pytest.raises(Unauthenticated) as caught:
            accounts.verify(memory, name, password)
        messages.add(str(caught.value))
    assert messages == {BAD_CREDENTIALS}


def test_a_session_names_its_user_until_it_ends(memory: MemoryStore) -> None:
    ana = accounts.create_user(memory, "ana", PASSWORD, "reviewer", community="comunidad-prueba")
    secret = accounts.start_session(memory, ana, LIMITS)
    principal = accounts.session_principal(memory, secret, LIMITS)
    assert principal
    assert (principal.role, principal.community, principal.actor) == ("reviewer", "comunidad-prueba", "ana")
    # Only the hash is kept.
    assert memory.session_by_id(hash_secret(secret)) and memory.session_by_id(secret) is None
    assert accounts.session_principal(memory, secret + "x", LIMITS) is None
    accounts.end_session(memory, secret)
    assert accounts.session_principal(memory, secret, LIMITS) is None


@pytest.mark.parametrize("ending", ["disable", "password", "role-edited-by-hand"])
def test_disabling_or_a_new_password_ends_every_session_at_once(memory: MemoryStore, ending: str) -> None:
    ana = accounts.create_user(memory, "ana", PASSWORD, "curator")
    secrets_ = [accounts.start_session(memory, ana, LIMITS) for _ in range(2)]
    if ending == "disable":
        accounts.disable_user(memory, "ana")
    elif ending == "password":
        accounts.set_password(memory, "ana", PASSWORD + " nueva")
    else:
        memory._users["ana"] = UserRecord(**{**ana.__dict__, "role": "owner"})
    assert [accounts.session_principal(memory, s, LIMITS) for s in secrets_] == [None, None]


def test_idle_and_absolute_limits_end_a_session(memory: MemoryStore) -> None:
    ana = accounts.create_user(memory, "ana", PASSWORD, "curator")
    idle = accounts.start_session(memory, ana, LIMITS)
    old = accounts.start_session(memory, ana, LIMITS)
    fresh = accounts.start_session(memory, ana, LIMITS)
    hour_ago = accounts._stamp(accounts._parse(accounts.utc_now()) - timedelta(hours=2))
    memory.touch_session(hash_secret(idle), hour_ago)
    record = memory.session_by_id(hash_secret(old))
    assert record
    memory.add_session(SessionRecord(record.id, "ana", "2020-01-01T00:00:00.000000Z", record.seen_at))
    limits = SessionLimits(idle=timedelta(hours=1), absolute=timedelta(hours=12))
    assert accounts.session_principal(memory, idle, limits) is None
    assert accounts.session_principal(memory, old, limits) is None
    assert accounts.session_principal(memory, fresh, limits) is not None
    assert memory.session_by_id(hash_secret(idle)) is None  # ended, not just refused


def test_user_management_errors_name_the_problem(memory: MemoryStore) -> None:
    with pytest.raises(NotFound, match="no user is named 'nadie'"):
        accounts.disable_user(memory, "nadie")
    accounts.create_user(memory, "ana", PASSWORD, "curator")
    with pytest.raises(InvalidInput, match="is not disabled"):
        accounts.enable_user(memory, "ana")
    accounts.disable_user(memory, "ana")
    with pytest.raises(InvalidInput, match="already disabled"):
        accounts.disable_user(memory, "ana")
    with pytest.raises(InvalidInput, match="12 characters"):
        accounts.set_password(memory, "ana", "corta")


def test_the_throttle_doubles_the_wait_after_the_free_failures() -> None:
    now = [1000.0]
    t = Throttle(free=3, free_per_client=10, window=900, max_wait=8, clock=lambda: now[0])
    for _ in range(3):
        assert t.wait("ana", "10.0.0.1") == 0
        t.failed("ana", "10.0.0.1")
    assert t.wait("ANA", "10.0.0.2") == 1  # the user name counts, whatever the address
    now[0] += 1
    assert t.wait("ana", "10.0.0.1") == 0
    t.failed("ana", "10.0.0.1")
    assert t.wait("ana", "10.0.0.1") == 2
    for _ in range(5):
        t.failed("ana", "10.0.0.1")
    assert t.wait("ana", "10.0.0.1") == 8  # capped
    assert t.wait("beto", "10.0.0.3") == 0
    # Many user names from one address: the address is slowed down too.
    for i in range(10):
        t.failed(f"u{i}", "10.0.0.9")
    assert t.wait("otro", "10.0.0.9") > 0
    t.succeeded("ana")
    assert t.wait("ana", "10.0.0.4") == 0
    now[0] += 10_000  # the window passed: counting starts over
    assert t.wait("otro", "10.0.0.9") == 0


# --- the command line -------------------------------------------------------------------------

db = test_tokens.db  # the store the command line opens: a Community in it


def cli(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_cli_user_create_list_disable_enable_password(db: Path) -> None:
    code, out, err = cli("--db", str(db), "user", "create", "--username", "Ana", "--role", "curator",
                         "--community", "comunidad-prueba", input=PASSWORD + "\n")
    assert code == 0, err
    assert "created user ana (curator, community comunidad-prueba)" in out
    code, out, _ = cli("--db", str(db), "user", "list")
    header, row = out.splitlines()
    assert header.split() == ["username", "role", "community", "created", "disabled"]
    assert row.split()[:3] == ["ana", "curator", "comunidad-prueba"] and row.endswith("-")
    for f in (p for p in db.rglob("*") if p.is_file()):
        assert PASSWORD.encode() not in f.read_bytes(), f

    assert cli("--db", str(db), "user", "disable", "ana")[:2] == (0, "disabled user ana\n")
    code, _, err = cli("--db", str(db), "user", "disable", "ana")
    assert code == 1 and "already disabled" in err
    assert cli("--db", str(db), "user", "enable", "ana")[:2] == (0, "enabled user ana\n")
    assert cli("--db", str(db), "user", "password", "ana", input="otra clave bastante larga\n")[0] == 0
    s = LadybugStore(db).open()
    try:
        assert accounts.verify(s, "ana", "otra clave bastante larga").role == "curator"
    finally:
        s.close()


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--username", "ana", "--role", "anonymous"], PASSWORD, "'anonymous' is not one of"),
    (["--username", "a b", "--role", "curator"], PASSWORD, "'a b' is not a user name"),
    (["--username", "ana", "--role", "curator"], "corta", "12 characters at least"),
    (["--username", "ana", "--role", "curator"], "", "no password"),
    (["--username", "ana", "--role", "curator", "--community", "nada"], PASSWORD, "no Community has the id 'nada'"),
])
def test_cli_user_create_refuses_bad_input(db: Path, args: list[str], stdin: str, message: str) -> None:
    code, _, err = cli("--db", str(db), "user", "create", *args, input=stdin + "\n" if stdin else "")
    assert code != 0 and message in err, err
    assert cli("--db", str(db), "user", "list")[1].startswith("no users")


def test_cli_user_commands_say_what_they_do() -> None:
    code, out, _ = cli("user", "--help")
    assert code == 0
    for command in ("create", "list", "disable", "enable", "password"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.M), out


# --- signing in over HTTP ---------------------------------------------------------------------

@pytest.fixture
def site() -> Iterator[tuple[Client, MemoryStore]]:
    store = MemoryStore()
    store.apply(Changes(nodes=[COMMUNITY, DRAFT], expected={("node", COMMUNITY.id): 0, ("node", DRAFT.id): 0}))
    accounts.create_user(store, "ana", PASSWORD, "curator")
    client = Client(create_app(Settings(), store=store))
    yield client, store
    client.close()


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: Client, username: str = "ana", password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    return client.post("/login", data={"csrf": csrf(page.text), "username": username, "password": password, **extra})


def test_signing_in_sets_an_httponly_lax_cookie_whose_secret_the_store_never_sees(
        site: tuple[Client, MemoryStore]) -> None:
    client, store = site
    page = client.get("/login")
    assert page.status_code == 200 and "private" in page.headers["cache-control"] and "etag" not in page.headers
    r = sign_in(client, next="/records/arte-borrador")
    assert r.status_code == 303 and r.headers["location"] == "/records/arte-borrador"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("hg_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    secret = cookie.split(";")[0].split("=", 1)[1]
    assert store.session_by_id(hash_secret(secret)) and store.session_by_id(secret) is None
    # A curator reads drafts: the page shows the draft, says who is signed in, and is private.
    page = client.get("/records/arte-borrador")
    assert page.status_code == 200 and DRAFT.name in page.text
    assert "ana" in page.text and 'action="/logout"' in page.text
    assert "no-store" in page.headers["cache-control"]


def test_the_session_cookie_does_not_authenticate_graphql(site: tuple[Client, MemoryStore]) -> None:
    client, _ = site
    assert sign_in(client).status_code == 303
    r = client.post("/graphql", json={"query": '{ node(id: "arte-borrador") { name } }'})
    assert r.status_code == 200 and r.json()["data"]["node"] is None


def test_signing_out_ends_the_session_at_once(site: tuple[Client, MemoryStore]) -> None:
    client, _ = site
    sign_in(client)
    page = client.get("/records/arte-borrador")
    r = client.post("/logout", data={"csrf": csrf(page.text)})
    assert r.status_code == 303
    assert client.get("/records/arte-borrador").status_code == 404


def test_a_disabled_user_s_open_session_stops_working(site: tuple[Client, MemoryStore]) -> None:
    client, store = site
    sign_in(client)
    assert client.get("/records/arte-borrador").status_code == 200
    accounts.disable_user(store, "ana")
    r = client.get("/records/arte-borrador")
    assert r.status_code == 404
    assert any(c.startswith("hg_session=;") and "Max-Age=0" in c for c in r.headers.get_list("set-cookie"))


def test_failed_sign_ins_say_the_same_thing_whatever_was_wrong(site: tuple[Client, MemoryStore]) -> None:
    client, _ = site
    bodies = set()
    for name, password in [("ana", "wrong password here"), ("nadie", PASSWORD)]:
        r = sign_in(client, name, password)
        assert r.status_code == 401 and not any(c.startswith("hg_session=") for c in r.headers.get_list("set-cookie"))
        alert = re.search(r'<div class="error-summary".*?</div>', r.text, re.S)
        assert alert
        bodies.add(alert.group(0))
    assert len(bodies) == 1


def test_repeated_failures_are_slowed_down_and_logged(site: tuple[Client, MemoryStore],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    client, _ = site
    caplog.set_level(logging.WARNING, logger="heritage_graph.web.sessions")
    for _ in range(5):
        assert sign_in(client, "ana", "not the password!").status_code == 401
    r = sign_in(client, "ana", PASSWORD)  # right, but too soon: refused unchecked
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "hg_session=" not in r.headers.get("set-cookie", "")
    failed = [rec for rec in caplog.records if rec.getMessage() == "sign-in failed"]
    assert len(failed) == 5 and failed[-1].__dict__["username"] == "ana" and failed[-1].__dict__["failures"] == 5
    assert any(rec.getMessage() == "sign-in refused: too many failures" for rec in caplog.records)
    assert not any(PASSWORD in rec.getMessage() or PASSWORD in str(rec.__dict__) for rec in caplog.records)


@pytest.mark.parametrize("case", ["no token", "wrong token", "other site"])
def test_forms_without_the_csrf_token_or_from_another_site_are_refused(site: tuple[Client, MemoryStore],
                                                                       case: str) -> None:
    client, _ = site
    token = csrf(client.get("/login").text)
    data = {"username": "ana", "password": PASSWORD}
    headers = {}
    if case == "wrong token":
        data["csrf"] = "0" * 64
    elif case == "other site":
        data["csrf"], headers = token, {"origin": "https://evil.example"}
    r = client.post("/login", data=data, headers=headers)
    assert r.status_code == 403 and "hg_session=" not in r.headers.get("set-cookie", "")


def test_every_form_route_checks_the_csrf_token(site: tuple[Client, MemoryStore]) -> None:
    """Each route that takes a POST refuses one without the token, signed in or not."""
    client, _ = site
    sign_in(client)
    posted = [r.path for r in web_routes() if "POST" in (getattr(r, "methods", None) or ())]
    assert "/login" in posted and "/logout" in posted
    for path in posted:
        concrete = re.sub(r"\{[^}]+\}", "arte-borrador", path)
        r = client.post(concrete, data={"anything": "x"})
        assert r.status_code == 403, (path, r.status_code)
    assert client.get("/records/arte-borrador").status_code == 200  # the session is still there


def test_next_never_leaves_the_site() -> None:
    from heritage_graph.web.sessions import safe_next

    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""):
        assert safe_next(bad) == "/curate"
    assert safe_next("/records/x?lang=en") == "/records/x?lang=en"
