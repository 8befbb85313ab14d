"""`heritage-graph backup` and `restore`: a consistent copy of the embedded store, taken while it is
in use (directly, or through the running service's POST /admin/backup), checked, and brought back."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner, Result

from heritage_graph.api import admin
from heritage_graph.app import create_app
from heritage_graph.auth import Principal
from heritage_graph.cli import SEED_ACTOR, main, seed_files
from heritage_graph.errors import StoreLocked
from heritage_graph.search.model import SearchQuery
from heritage_graph.search.text import parse_query
from heritage_graph.services import backup as backup_service
from heritage_graph.services.backup import MANIFEST, Manifest
from heritage_graph.services.curation import Curation
from heritage_graph.services.exporter import export_to
from heritage_graph.services.importer import run_import
from heritage_graph.settings import Settings
from heritage_graph.store.ladybug import GRAPH_FILE, SEARCH_FILE, LadybugStore
from heritage_graph.store.memory import MemoryStore
from heritage_graph.tokens import create_token, revoke_token

from .tools import new_store_with_tokens, running_service, serving_in_thread

EDITOR = Principal(role="reviewer", name="Ana Quispe")


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"NEO4J_URI": None, "HERITAGE_DB": None, "HERITAGE_TOKEN": None},
                              catch_exceptions=False)


def export_text(store: LadybugStore) -> str:
    out = io.StringIO()
    export_to(store, out)
    return out.getvalue()


def state_of(db: Path) -> tuple[str, list[tuple[str, ...]], list[tuple[object, ...]]]:
    """A store as a reader sees it: its export, its tokens (revoked ones included) and the history of
    every node."""
    store = LadybugStore(db).open()
    try:
        nodes = [line for line in export_text(store).splitlines() if '"kind"' in line]
        ids = [json.loads(line)["id"] for line in nodes]
        history = [(v.id, v.target, v.op, v.actor, v.at, v.version, json.dumps(v.before), json.dumps(v.after))
                   for v in store.revisions(ids)]
        tokens = [(t.id, t.hash, t.role, t.name or "", t.created_at, t.revoked_at or "") for t in store.list_tokens()]
        return export_text(store), tokens, sorted(history)
    finally:
        store.close()


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed store with the seeds, tokens (one revoked) and curated history."""
    db = tmp_path_factory.mktemp("inventory") / "db"
    store = LadybugStore(db).open()
    store.init()
    run_import(store, seed_files(), actor=SEED_ACTOR)
    create_token(store, "admin", name="ops")
    _, old = create_token(store, "curator", name="former curator")
    revoke_token(store, old.id)
    curation = Curation(store, EDITOR)
    curation.create_node({"kind": "Tradition", "id": "fiesta-de-prueba", "name": "Fiesta de prueba"}, "survey")
    curation.update_node("fiesta-de-prueba", 1, {"name": "Fiesta de la prueba"}, "spelling")
    store.close()
    return db


@pytest.fixture(scope="module")
def a_backup(inventory: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backups") / "b"
    assert cli("--db", str(inventory), "backup", str(path)).exit_code == 0
    return path


def test_backup_then_restore_gives_back_the_same_store(inventory: Path, tmp_path: Path) -> None:
    before = state_of(inventory)
    result = cli("--db", str(inventory), "backup", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    assert f"written to {tmp_path / 'b'}" in result.output
    manifest = Manifest.read(tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [GRAPH_FILE, MANIFEST, SEARCH_FILE]
    assert manifest.counts["tokens"] == 2 and manifest.counts["nodes"] == before[0].count('"kind"')
    assert manifest.source["online"] is False

    result = cli("--db", str(tmp_path / "restored"), "restore", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    after = state_of(tmp_path / "restored")
    assert after[0] == before[0]  # the export, byte for byte
    assert after[1] == before[1]  # every token, the revoked one too
    assert after[2] == before[2]  # every revision
    assert any(op == "update" and "Ana Quispe" in actor for _, _, op, actor, *_ in after[2])
    # The search index came along, current: the restored store serves search without a rebuild.
    store = LadybugStore(tmp_path / "restored").open()
    try:
        assert "fiesta-de-prueba" in {n.id for n, _ in store.search(SearchQuery(parse_query("fiesta prueba"))).hits}
    finally:
        store.close()


def test_restore_refuses_a_store_with_data_unless_forced(a_backup: Path, inventory: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    store = LadybugStore(other).open()
    store.init()
    create_token(store, "researcher", name="keep me")
    store.close()
    kept = state_of(other)

    result = cli("--db", str(other), "restore", str(a_backup))
    assert result.exit_code == 1
    assert "not empty" in result.output and "--force" in result.output
    assert state_of(other) == kept

    result = cli("--db", str(other), "restore", str(a_backup), "--force")
    assert result.exit_code == 0, result.output
    assert state_of(other) == state_of(inventory)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # nothing left aside


def test_restore_never_replaces_a_folder_that_is_not_a_store(a_backup: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.txt").write_text("years of fieldwork")
    result = cli("--db", str(home), "restore", str(a_backup), "--force")
    assert result.exit_code == 1
    assert "not part of a store" in result.output and "thesis.txt" in result.output
    assert sorted(p.name for p in home.iterdir()) == ["thesis.txt"]


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def test_restore_refuses_a_damaged_backup(a_backup: Path, tmp_path: Path) -> None:
    damaged = _copy(a_backup, tmp_path / "damaged")
    data = bytearray((damaged / GRAPH_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (damaged / GRAPH_FILE).write_bytes(bytes(data))
    result = cli("--db", str(tmp_path / "db"), "restore", str(damaged))
    assert result.exit_code == 1
    assert f"{GRAPH_FILE} does not match the SHA-256 in its manifest" in result.output
    assert not (tmp_path / "db").exists()

    (damaged / MANIFEST).unlink()
    result = cli("--db", str(tmp_path / "db"), "restore", str(damaged))
    assert result.exit_code == 1 and "not a Heritage Graph backup" in result.output


def test_restore_refuses_a_backup_of_another_storage_version(a_backup: Path, tmp_path: Path) -> None:
    old = _copy(a_backup, tmp_path / "old")
    manifest = json.loads((old / MANIFEST).read_text())
    manifest["ladybug"] = {"version": "0.11.0", "storage_version": 39}
    (old / MANIFEST).write_text(json.dumps(manifest))
    result = cli("--db", str(tmp_path / "db"), "restore", str(old))
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "written by LadybugDB 0.11.0 (storage version 39)" in message
    assert "pip install ladybug==0.11.0" in message and "EXPORT DATABASE" in message
    assert "docs/operations.md" in message
    assert not (tmp_path / "db").exists()


def test_backup_refuses_to_overwrite(inventory: Path, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "something").write_text("x")
    result = cli("--db", str(inventory), "backup", str(tmp_path / "b"))
    assert result.exit_code == 1 and "not an empty folder" in result.output
    result = cli("--db", str(inventory), "backup", str(inventory / "backups"))
    assert result.exit_code == 1 and "inside the store's folder" in result.output
    assert not (inventory / "backups").exists()


def test_on_neo4j_the_commands_point_to_neo4js_tools(tmp_path: Path) -> None:
    for args in (["backup", str(tmp_path / "b")], ["restore", str(tmp_path)]):
        result = CliRunner().invoke(main, args, env={"NEO4J_URI": "bolt://localhost:7687"})
        assert result.exit_code == 1, result.output
        assert "neo4j-admin database dump and load" in result.output and "docs/operations.md" in result.output


def test_a_served_store_is_backed_up_through_the_service_and_never_restored_over(
        inventory: Path, a_backup: Path, tmp_path: Path) -> None:
    # Another process holds the store, as `serve` does.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from heritage_graph.store.ladybug import LadybugStore; "
         "s = LadybugStore(sys.argv[1]).open(); print('open', flush=True); time.sleep(60)", str(inventory)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        result = cli("--db", str(inventory), "backup", str(tmp_path / "b"))
        assert result.exit_code == 3
        assert "--url http://127.0.0.1:8000" in result.output and "HERITAGE_TOKEN" in result.output
        assert not (tmp_path / "b").exists()

        result = cli("--db", str(inventory), "restore", str(a_backup), "--force")
        assert result.exit_code == 3 and "stop `heritage-graph serve`" in result.output
    finally:
        holder.kill()
        holder.communicate()


# -- through the running service ---------------------------------------------------------------
@dataclass
class LiveService:
    base: str
    store: LadybugStore
    admin: str
    curator: str
    server: uvicorn.Server = field(repr=False)


@pytest.fixture
def live(inventory: Path, tmp_path: Path) -> Iterator[LiveService]:
    """The GraphQL service over a copy of the inventory, in this process, with the admin routes."""
    db = tmp_path / "live"
    db.mkdir()
    for name in (GRAPH_FILE, SEARCH_FILE):
        (db / name).write_bytes((inventory / name).read_bytes())
    store = LadybugStore(db).open()
    store.init()
    admin_secret, _ = create_token(store, "admin", name="backup operator")
    curator_secret, _ = create_token(store, "curator", name="field curator")
    app = create_app(Settings(), store=store)
    app.router.routes.extend(admin.routes())  # as heritage_graph/app.py registers them
    try:
        with serving_in_thread(app) as (base, server):
            yield LiveService(base, store, admin_secret, curator_secret, server)
    finally:
        store.close()


def test_the_backup_route_wants_an_admin(live: LiveService, tmp_path: Path) -> None:
    result = cli("backup", str(tmp_path / "b"), "--url", live.base, "--token", live.curator)
    assert result.exit_code == 1 and "refused the backup (403)" in result.output
    result = cli("backup", str(tmp_path / "b"), "--url", live.base)
    assert result.exit_code == 1 and "--url needs an admin token" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["live"]  # the service's store; no backup, no partial one

    url = f"{live.base}{admin.BACKUP_PATH}"
    r = httpx.post(url)
    assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = httpx.post(url, headers={"Authorization": f"Bearer {live.curator}"})
    assert r.status_code == 403 and "admin" in r.json()["errors"][0]["message"]
    r = httpx.post(url, headers={"Authorization": f"Bearer {live.admin}"}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(r.content)) as tar:
        assert tar.getnames() == [GRAPH_FILE, SEARCH_FILE, MANIFEST]  # the manifest last
    assert not [p for p in live.store.path.parent.iterdir() if ".backup-" in p.name]  # the service cleaned up


def test_a_neo4j_service_is_sent_to_neo4js_tools() -> None:
    store = MemoryStore()
    secret, _ = create_token(store, "admin")
    app = create_app(Settings(), store=store)
    app.router.routes.extend(admin.routes())

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.post(admin.BACKUP_PATH, headers={"Authorization": f"Bearer {secret}"})

    r = asyncio.run(call())
    assert r.status_code == 501 and "neo4j-admin database dump" in r.json()["errors"][0]["message"]


CREATE = """mutation($id: ID!, $name: String!) { createNode(input: {kind: TRADITION, id: $id, name: $name}) {
  __typename ... on NodeSaved { node { version } } } }"""
UPDATE = """mutation($id: ID!, $v: Int!, $name: String!) { updateNode(id: $id, expectedVersion: $v,
  patch: {name: $name}) { __typename ... on NodeSaved { node { version } } } }"""


@dataclass
class Sent:
    node: str
    version: int
    sent: float
    acked: float | None = None


class Writer(threading.Thread):
    """Creates and renames its own records, one mutation at a time, and logs when each was sent and
    answered."""

    def __init__(self, number: int, live: LiveService, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.number, self.live, self.stop = number, live, stop
        self.log: list[Sent] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.live.base, timeout=60,
                              headers={"Authorization": f"Bearer {self.live.curator}"}) as http:
                serial = 0
                while not self.stop.is_set():
                    serial += 1
                    node = f"live-{self.number}-{serial}"
                    for version in (1, 2, 3):
                        entry = Sent(node, version, time.monotonic())
                        self.log.append(entry)
                        query, variables = (CREATE, {"id": node}) if version == 1 else (UPDATE, {"id": node,
                                                                                                 "v": version - 1})
                        r = http.post("/graphql", json={"query": query, "variables": {
                            **variables, "name": f"{node} v{version}"}})
                        data = next(iter(r.json()["data"].values()))
                        assert data["__typename"] == "NodeSaved" and data["node"]["version"] == version, r.text
                        entry.acked = time.monotonic()
        except BaseException as exc:
            self.error = exc


def test_a_backup_taken_while_writes_run_restores_to_one_consistent_state(live: LiveService, tmp_path: Path) -> None:
    stop = threading.Event()
    writers = [Writer(i, live, stop) for i in range(2)]
    for w in writers:
        w.start()
    while sum(e.acked is not None for w in writers for e in w.log) < 10:
        assert all(w.is_alive() for w in writers), [w.error for w in writers]
        time.sleep(0.01)
    began = time.monotonic()
    result = cli("backup", str(tmp_path / "b"), "--url", live.base, "--token", live.admin)
    ended = time.monotonic()
    print(f"writes acknowledged while the backup was taken: "
          f"{sum(e.acked is not None and began < e.acked < ended for w in writers for e in w.log)}")
    while sum(e.acked is not None and e.acked > ended for w in writers for e in w.log) < 4:
        assert all(w.is_alive() for w in writers), [w.error for w in writers]  # the service kept serving
        time.sleep(0.01)
    stop.set()
    for w in writers:
        w.join(timeout=60)
        assert w.error is None, w.error
    assert result.exit_code == 0, result.output
    assert Manifest.read(tmp_path / "b").source["online"] is True

    assert cli("--db", str(tmp_path / "restored"), "restore", str(tmp_path / "b")).exit_code == 0
    store = LadybugStore(tmp_path / "restored").open()
    try:
        log = [e for w in writers for e in w.log]
        nodes = {n.id: n for n in store.get_nodes(sorted({e.node for e in log}))}
        history = {}
        for v in store.revisions(list(nodes)):
            history.setdefault(v.target, []).append((v.op, v.version, v.after["name"] if v.after else None))
        for e in log:
            node = nodes.get(e.node)
            have = node.version if node else 0
            if e.acked is not None and e.acked < began:
                assert have >= e.version, f"{e.node} v{e.version} was saved before the backup began, it has v{have}"
            if e.sent > ended:
                assert have < e.version, f"{e.node} v{e.version} was sent after the backup ended, yet is in it"
        for node_id, node in nodes.items():
            # Each record whole: its name and its history as of one and the same moment.
            assert node.name == f"{node_id} v{node.version}"
            assert history[node_id] == [("create" if i == 1 else "update", i, f"{node_id} v{i}")
                                        for i in range(1, node.version + 1)]
        with store.frozen() as counts:
            generation = counts["generation"]
        assert Manifest.read(tmp_path / "b").generation == generation
    finally:
        store.close()


# -- the store lock survives everything the service does (issue 10) -----------------------------
def _refused_while_served(db: Path, a_backup: Path, tmp_path: Path) -> None:
    """Every way in that does not go through the service is refused, and nothing is changed."""
    for args in (("token", "list"), ("export", str(tmp_path / "out.jsonl")),
                 ("import", str(seed_files()[0])), ("restore", str(a_backup), "--force")):
        result = cli("--db", str(db), *args)
        assert result.exit_code == 3, (args, result.output)
        assert "open in another process" in result.output, (args, result.output)
    with pytest.raises(StoreLocked):
        LadybugStore(db).open()
    with pytest.raises(StoreLocked):
        LadybugStore(db, read_only=True).open()


def test_the_served_store_stays_locked_after_backup_export_and_refused_restore(
        a_backup: Path, tmp_path: Path) -> None:
    db = tmp_path / "served"
    (admin_header,) = new_store_with_tokens(db, [("admin", "ops")])
    secret = admin_header["Authorization"].removeprefix("Bearer ")
    with running_service(db) as server:
        _refused_while_served(db, a_backup, tmp_path)
        # The online backup copies (and so opens and closes) the store's files inside the service:
        # with a POSIX fcntl lock, that released the service's hold on its store.
        result = cli("backup", str(tmp_path / "b1"), "--url", server.base, "--token", secret)
        assert result.exit_code == 0, result.output
        _refused_while_served(db, a_backup, tmp_path)
        r = httpx.get(f"{server.base}{admin.EXPORT_PATH}", headers=admin_header, timeout=60)
        assert r.status_code == 200 and '"kind"' in r.text
        _refused_while_served(db, a_backup, tmp_path)
        r = httpx.post(f"{server.base}/graphql", headers=admin_header, timeout=60, json={
            "query": CREATE, "variables": {"id": "after-the-backup", "name": "written after the backup"}})
        assert r.json()["data"]["createNode"]["__typename"] == "NodeSaved", r.text
    # Acknowledged while served, so there after the restart; the refused restore replaced nothing.
    store = LadybugStore(db).open()
    try:
        assert [n.name for n in store.get_nodes(["after-the-backup"])] == ["written after the backup"]
        assert store.search(SearchQuery(parse_query("after the backup"), limit=5)).total == 1
    finally:
        store.close()


def test_a_second_opener_in_the_same_process_is_refused_too(tmp_path: Path) -> None:
    # flock locks belong to the open file, not the process: the guard holds within one process as well.
    first = LadybugStore(tmp_path / "db").open()
    try:
        with pytest.raises(StoreLocked, match="open in another process"):
            LadybugStore(tmp_path / "db").open()
        shutil.copyfile(tmp_path / "db" / GRAPH_FILE, tmp_path / "copy")  # what fcntl's lock did not survive
        with pytest.raises(StoreLocked):
            LadybugStore(tmp_path / "db").open()
    finally:
        first.close()
    LadybugStore(tmp_path / "db").open().close()  # released with the store


def test_an_aborted_backup_leaves_no_copy(live: LiveService, monkeypatch: pytest.MonkeyPatch) -> None:
    def endless(folder: Path, names: list[str]) -> Iterator[bytes]:
        while True:  # a store larger than the client is willing to read
            yield b"\0" * 65536

    monkeypatch.setattr(backup_service, "tar_stream", endless)
    copies = lambda: [p for p in live.store.path.parent.iterdir() if ".backup-" in p.name]  # noqa: E731
    with httpx.stream("POST", f"{live.base}{admin.BACKUP_PATH}", timeout=60,
                      headers={"Authorization": f"Bearer {live.admin}"}) as r:
        assert r.status_code == 200
        next(r.iter_bytes())
        assert copies()  # the copy exists while it is being sent
    deadline = time.monotonic() + 30
    while copies() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not copies(), "the client went away and the service kept a copy of the store"


def test_a_copy_failing_half_way_leaves_nothing(live: LiveService, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_service, "_copy_index", broken)
    r = httpx.post(f"{live.base}{admin.BACKUP_PATH}", headers={"Authorization": f"Bearer {live.admin}"}, timeout=60)
    assert r.status_code >= 500
    assert not [p for p in live.store.path.parent.iterdir() if ".backup-" in p.name]


def test_copies_left_by_a_killed_process_are_removed_by_the_next_owner(tmp_path: Path) -> None:
    db = tmp_path / "db"
    LadybugStore(db).open().close()
    for purpose in ("backup", "restore", "replaced"):
        left = tmp_path / f".db.{purpose}-x1y2"
        left.mkdir()
        (left / GRAPH_FILE).write_bytes(b"restricted records")
    (tmp_path / ".other.backup-x1y2").mkdir()  # another store's: not ours to remove
    LadybugStore(db).open().close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.backup-x1y2", "db"]


def test_shutdown_removes_copies_being_sent(tmp_path: Path) -> None:
    folder = tmp_path / ".db.backup-abc"
    folder.mkdir()
    (folder / GRAPH_FILE).write_bytes(b"x")
    admin._copies.add(folder)
    admin.discard_copies()
    assert not folder.exists() and not admin._copies


# -- administration while the service runs (issue 10) ------------------------------------------
def test_tokens_history_and_export_through_the_running_service(tmp_path: Path) -> None:
    db = tmp_path / "served"
    admin_header, curator_header = new_store_with_tokens(db, [("admin", "ops"), ("curator", "field curator")])
    secret = admin_header["Authorization"].removeprefix("Bearer ")
    with running_service(db) as server:
        url = ("--url", server.base, "--token", secret)
        locked = cli("--db", str(db), "token", "list")
        assert locked.exit_code == 3 and "token list … --url http://" in locked.output

        created = cli("token", "create", "--role", "researcher", "--name", "Lima university", *url)
        assert created.exit_code == 0, created.output
        new_secret = created.output.split()[1]
        new_id = next(line.split()[1] for line in created.output.splitlines() if line.startswith("id "))
        r = httpx.post(f"{server.base}/graphql", json={"query": "{ __typename }"},
                       headers={"Authorization": f"Bearer {new_secret}"})
        assert r.status_code == 200  # the service knows the new token at once

        listed = cli("token", "list", *url)
        assert listed.exit_code == 0 and new_id in listed.output and "Lima university" in listed.output
        revoked = cli("token", "revoke", new_id, *url)
        assert revoked.exit_code == 0 and f"revoked token {new_id}" in revoked.output
        r = httpx.post(f"{server.base}/graphql", json={"query": "{ __typename }"},
                       headers={"Authorization": f"Bearer {new_secret}"})
        assert r.status_code == 401
        again = cli("token", "revoke", new_id, *url)
        assert again.exit_code == 1 and "already revoked" in again.output

        curator = cli("token", "list", "--url", server.base, "--token",
                      curator_header["Authorization"].removeprefix("Bearer "))
        assert curator.exit_code == 1 and "admin" in curator.output
        assert cli("token", "list", "--url", server.base).exit_code == 1  # no token: refused before asking

        history = cli("history", "jesus-urbano-rojas", "--json", *url)
        assert history.exit_code == 0, history.output
        assert json.loads(history.output.splitlines()[0])["op"] == "import"
        assert cli("history", "no-such-record", *url).exit_code == 1

        out = tmp_path / "export.jsonl"
        exported = cli("export", str(out), *url)
        assert exported.exit_code == 0, exported.output
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) > 900 and f"exported {len(lines)} records" in exported.output
        refused = cli("export", str(tmp_path / "no.jsonl"), "--url", server.base, "--token",
                      curator_header["Authorization"].removeprefix("Bearer "))
        assert refused.exit_code == 1 and not (tmp_path / "no.jsonl").exists()
        assert not (tmp_path / "no.jsonl.tmp").exists()
    # The service's export is the store's export.
    store = LadybugStore(db).open()
    try:
        assert export_text(store).splitlines() == lines
    finally:
        store.close()


@pytest.mark.parametrize("role", ["anonymous", "researcher", "curator", "reviewer"])
def test_only_admins_manage_tokens_in_graphql(role: str) -> None:
    store = MemoryStore()
    admin_secret, _ = create_token(store, "admin")
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {create_token(store, role)[0]}"}
    app = create_app(Settings(), store=store)

    async def call(query: str, h: dict[str, str]) -> dict[str, object]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return (await client.post("/graphql", json={"query": query}, headers=h)).json()

    create = 'mutation { createApiToken(role: CURATOR, name: "x") { __typename ... on ForbiddenError { message } } }'
    answer = asyncio.run(call(create, headers))
    assert answer["data"]["createApiToken"]["__typename"] == "ForbiddenError"  # type: ignore[index]
    listed = asyncio.run(call("{ apiTokens { id } }", headers))
    assert listed["data"] is None and listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]
    assert len(store.list_tokens()) == (1 if role == "anonymous" else 2)  # nothing created
    done = asyncio.run(call(create.replace("message", "message } ... on TokenCreated { secret"),
                            {"Authorization": f"Bearer {admin_secret}"}))
    assert done["data"]["createApiToken"]["secret"].startswith("hg_")  # type: ignore[index]
