"""Backups of the embedded store: a consistent copy of a live store, checked, and its restore.

A backup is a folder of three files:

- ``graph.lbdb``: the LadybugDB file (nodes, relations, revisions, tokens, store values), copied while
  the store is held still (``LadybugStore.frozen``: no call runs, every committed write checkpointed
  into the file), so the copy is one committed state;
- ``search.sqlite``: the search index, copied under the same hold with SQLite's backup API. It is
  derived data and could be rebuilt from the graph, but a rebuild of a national inventory takes
  minutes; copying it costs a file copy, and a restore still rebuilds it if its generation ever
  disagrees with the graph's;
- ``manifest.json``: the format, the versions that wrote it, the graph's write generation, the counts
  (nodes, relations, revisions, tokens) and each file's size and SHA-256.

The copy is checked before it is called a backup: it is opened and its counts must equal the live
store's, taken under the hold. A restore checks the manifest (format, LadybugDB storage version,
every file's hash), copies the files into a folder beside the target, opens that and checks its counts
again, and only then renames it into place.

The hold blocks every call on the store (Ladybug serves all of them through one connection) for the
time of a checkpoint and a local file copy; requests wait, none fails. A running service takes the
backup itself (``POST /admin/backup``, admin token), since LadybugDB lets one process open a store:
the route streams the checked backup as a tar archive, and ``heritage-graph backup --url`` unpacks it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..clock import utc_now
from ..errors import InvalidInput, StoreError, StoreLocked
from ..store import command_buffer_pool_mb, folder_lock
from ..store.ladybug import GRAPH_FILE, SEARCH_FILE, LadybugStore

FORMAT = 1
BACKUP_PATH = "/admin/backup"  # the service's route that takes a backup (heritage_graph/api/admin.py)
MANIFEST = "manifest.json"
KIND = "heritage-graph backup"
COUNTED = ("nodes", "relations", "revisions", "tokens")
_CHUNK = 1 << 20
# Page cache of a store opened only to count what it holds (a copy, in the service's process too).
CHECK_POOL_MB = 256
# Files a store folder may hold: the graph, its write-ahead log and checkpoint files, the index and its WAL.
_STORE_FILES = (GRAPH_FILE, SEARCH_FILE)


class BackupError(InvalidInput):
    """A backup that cannot be used: missing, damaged, of another format or LadybugDB storage version."""


@dataclass
class Manifest:
    created_at: str
    heritage_graph: str
    ladybug: dict[str, Any]
    generation: int
    counts: dict[str, int]
    files: dict[str, dict[str, Any]]
    search_index: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT
    kind: str = KIND

    def summary(self) -> str:
        c = self.counts
        size = sum(f["size"] for f in self.files.values())
        return (f"{c['nodes']} nodes, {c['relations']} relations, {c['revisions']} revisions, {c['tokens']} tokens "
                f"(generation {self.generation}, {size / 1e6:.1f} MB)")

    def write(self, folder: Path) -> None:
        _write_atomic(folder / MANIFEST, json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupError(f"{folder} is not a Heritage Graph backup: it has no {MANIFEST}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError(f"{path} cannot be read: {exc}") from exc
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise BackupError(f"{path} is not a Heritage Graph backup manifest")
        if data.get("format") != FORMAT:
            raise BackupError(f"{path} is in backup format {data.get('format')!r}; this version reads format {FORMAT}")
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError as exc:
            raise BackupError(f"{path} lacks a field: {exc}") from exc


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def _fsync_folder(folder: Path) -> None:
    """Flush every file of a folder, and the folder itself, to disk: a backup must outlive a power cut."""
    for path in folder.iterdir():
        with path.open("rb") as f:
            os.fsync(f.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- versions ------------------------------------------------------------------------------------
def ladybug_versions() -> dict[str, Any]:
    import ladybug

    return {"version": ladybug.__version__, "storage_version": int(ladybug.Database.get_storage_version())}


def check_compatible(manifest: Manifest) -> str | None:
    """Refuse a backup this LadybugDB cannot open; a note when only the library version differs."""
    here = ladybug_versions()
    made = manifest.ladybug
    if made.get("storage_version") != here["storage_version"]:
        raise BackupError(
            f"this backup was written by LadybugDB {made.get('version')} (storage version "
            f"{made.get('storage_version')}); this installation has LadybugDB {here['version']} (storage version "
            f"{here['storage_version']}), which cannot open it. Restore it with the version that wrote it "
            f"(pip install ladybug=={made.get('version')} in another environment), export it there and import "
            "the export here: LadybugDB's EXPORT DATABASE and IMPORT DATABASE keep the history and the tokens, "
            "`heritage-graph export` and `import` the inventory alone. See docs/operations.md, upgrading the "
            "embedded store")
    if made.get("version") != here["version"]:
        return (f"note: the backup was written by LadybugDB {made.get('version')}, this is {here['version']} "
                "(same storage version)")
    return None


# -- taking a backup ----------------------------------------------------------------------------
def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_index(source: Path, target: Path) -> None:
    """SQLite's online backup of the index, as one self-contained file (no WAL beside it)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()


def _index_meta(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the search index {path} is damaged: {check}")
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the search index {path} cannot be read: {exc}") from exc
    finally:
        conn.close()


def counts_of(folder: Path) -> dict[str, int]:
    """Open a store folder read-only and count what it holds (with its generation)."""
    store = LadybugStore(folder, read_only=True, buffer_pool_mb=CHECK_POOL_MB).open()
    try:
        with store.frozen() as counts:
            return dict(counts)
    finally:
        store.close()


def snapshot(store: LadybugStore, folder: Path, *, online: bool) -> Manifest:
    """Copy the open ``store`` into the empty ``folder``, check the copy and write its manifest."""
    with store.frozen() as counts:
        counts = dict(counts)
        shutil.copyfile(store.path / GRAPH_FILE, folder / GRAPH_FILE)
        # A checkpoint leaves no log to replay; were one left, it belongs to the same still state.
        wal = store.path / (GRAPH_FILE + ".wal")
        if wal.is_file() and wal.stat().st_size:
            shutil.copyfile(wal, folder / wal.name)
        _copy_index(store.path / SEARCH_FILE, folder / SEARCH_FILE)
    index = _index_meta(folder / SEARCH_FILE)
    copied = counts_of(folder)  # outside the hold: the service carries on meanwhile
    if copied != counts:
        raise StoreError(f"the copy holds {copied}, the store held {counts}: the backup is not consistent")
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    manifest = Manifest(
        created_at=utc_now(), heritage_graph=__version__, ladybug=ladybug_versions(),
        generation=counts.pop("generation"), counts=counts,
        files={name: {"size": (folder / name).stat().st_size, "sha256": sha256_of(folder / name)} for name in files},
        search_index={"format": index.get("format"), "generation": index.get("generation")},
        source={"path": str(store.path.resolve()), "online": online},
    )
    manifest.write(folder)
    _fsync_folder(folder)
    return manifest


def verify(folder: Path) -> Manifest:
    """The backup's manifest, once every file it lists is there with its size and hash."""
    manifest = Manifest.read(folder)
    if GRAPH_FILE not in manifest.files:
        raise BackupError(f"{folder / MANIFEST} lists no {GRAPH_FILE}")
    for name, meta in manifest.files.items():
        path = folder / name
        if Path(name).name != name or name == MANIFEST:
            raise BackupError(f"{folder / MANIFEST} lists a file it may not: {name!r}")
        if not path.is_file():
            raise BackupError(f"the backup is incomplete: {path} is missing")
        if path.stat().st_size != meta.get("size") or sha256_of(path) != meta.get("sha256"):
            raise BackupError(f"the backup is damaged: {path} does not match the SHA-256 in its manifest")
    extra = sorted(p.name for p in folder.iterdir() if p.name not in manifest.files and p.name != MANIFEST)
    if extra:
        raise BackupError(f"the backup folder {folder} holds files its manifest does not list: {', '.join(extra)}")
    return manifest


@contextlib.contextmanager
def new_folder_for(target: Path, purpose: str) -> Iterator[Path]:
    """A fresh folder beside ``target`` (same file system, so the final rename is atomic), removed
    unless the block renamed it away."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder_lock.sibling_prefix(target, purpose), dir=target.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_backup_target(target: Path, store: Path | None = None) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(f"{target} already exists and is not an empty folder: choose a new path for the backup")
    if store is not None and target.resolve().is_relative_to(store.resolve()):
        raise InvalidInput(f"{target} is inside the store's folder {store}: keep backups outside it")


def move_into_place(tmp: Path, target: Path) -> None:
    check_backup_target(target)
    if target.exists():
        target.rmdir()
    tmp.rename(target)


def backup_local(store: LadybugStore, target: Path) -> Manifest:
    """``heritage-graph backup PATH`` on a store this process opened."""
    check_backup_target(target, store.path)
    with new_folder_for(target, "partial") as tmp:
        manifest = snapshot(store, tmp, online=False)
        move_into_place(tmp, target)
    return manifest


# -- a backup over HTTP: the service's side streams a tar, the command's side unpacks it -------
def tar_stream(folder: Path, names: list[str]) -> Iterator[bytes]:
    """A plain tar of these files, produced as it is sent (no second copy on disk)."""
    for name in names:
        path = folder / name
        info = tarfile.TarInfo(name)
        info.size = path.stat().st_size
        info.mtime = int(path.stat().st_mtime)
        info.mode = 0o644
        yield info.tobuf(format=tarfile.PAX_FORMAT)
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk
        if info.size % tarfile.BLOCKSIZE:
            yield tarfile.NUL * (tarfile.BLOCKSIZE - info.size % tarfile.BLOCKSIZE)
    yield tarfile.NUL * (2 * tarfile.BLOCKSIZE)


def unpack(stream: IO[bytes], folder: Path) -> None:
    """Unpack a backup's tar into ``folder``: plain files with plain names only."""
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if not member.isfile() or Path(member.name).name != member.name or member.name.startswith("."):
                    raise BackupError(f"the service sent an unexpected entry in the backup: {member.name!r}")
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                with (folder / member.name).open("wb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)
    except tarfile.TarError as exc:
        raise BackupError(f"the backup the service sent is not a complete tar archive: {exc}") from exc


def backup_remote(url: str, token: str, target: Path, timeout: float = 3600) -> Manifest:
    """``heritage-graph backup PATH --url URL``: the service takes the backup, this side checks it."""
    from ..remote import Service

    service = Service(url, token, timeout=timeout)
    check_backup_target(target)
    with new_folder_for(target, "partial") as tmp:
        with service.open(BACKUP_PATH, method="POST", body=b"", accept="application/x-tar",
                          doing="the backup") as response:
            unpack(response, tmp)
        manifest = verify(tmp)
        _fsync_folder(tmp)
        move_into_place(tmp, target)
    return manifest


# -- restoring ------------------------------------------------------------------------------------
def _store_entries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name != folder_lock.LOCK_FILE]


def _is_store_file(name: str) -> bool:
    return name == folder_lock.LOCK_FILE or any(
        name == base or name.startswith(base + ".") or name.startswith(base + "-") for base in _STORE_FILES)


def check_restore_target(target: Path) -> bool:
    """Refuse a target that is a file or holds anything but a store; whether it holds a store."""
    if not target.exists():
        return False
    if not target.is_dir():
        raise InvalidInput(f"{target} is a file; the embedded store is a folder")
    entries = _store_entries(target)
    strangers = sorted(n for n in entries if not _is_store_file(n))
    if strangers:
        raise InvalidInput(f"{target} holds files that are not part of a store ({', '.join(strangers[:5])}): "
                           "restore into a new folder, or into the folder of a store")
    return bool(entries)


def check_replaceable(target: Path, force: bool) -> None:
    """Refuse a store that holds data unless ``force``; the caller holds the target's lock."""
    held = counts_of_writable(target)
    if any(held[k] for k in COUNTED) and not force:
        raise InvalidInput(
            f"the store at {target} is not empty ({held['nodes']} nodes, {held['revisions']} revisions, "
            f"{held['tokens']} tokens): pass --force to replace it with the backup")


def counts_of_writable(folder: Path) -> dict[str, int]:
    """Counts of a store folder whose lock the caller holds, opened as a writer."""
    store = LadybugStore(folder, buffer_pool_mb=CHECK_POOL_MB, locked=False).open()
    try:
        with store.frozen() as counts:
            return dict(counts)
    finally:
        store.close()


def restore(backup: Path, target: Path, *, force: bool = False) -> tuple[Manifest, str | None]:
    """Bring the backup at ``backup`` back as the store at ``target``; the manifest and a version note."""
    manifest = verify(backup)
    note = check_compatible(manifest)
    has_store = check_restore_target(target)
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    # The target's lock, held from the check to the swap: a store that a live service or command holds
    # is never replaced, and no process can open the target half-way through.
    lock = folder_lock.FolderLock(target)
    try:
        lock.acquire()
    except StoreLocked as exc:
        raise StoreLocked(f"{exc}. A restore never replaces a store that a running process holds") from None
    try:
        if has_store:
            check_replaceable(target, force)
        _restore_into(backup, manifest, target)
    except BaseException:
        if created:  # leave no empty folder behind a restore that did not happen
            shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        lock.release()
    return manifest, note


def _restore_into(backup: Path, manifest: Manifest, target: Path) -> None:
    with new_folder_for(target, "restore") as tmp:
        for name in manifest.files:
            shutil.copyfile(backup / name, tmp / name)
        store = LadybugStore(tmp, buffer_pool_mb=command_buffer_pool_mb()).open()
        try:
            store.init()  # rebuilds the search index if its generation disagrees with the graph's
            with store.frozen() as counts:
                found = dict(counts)
        finally:
            store.close()
        want = {**manifest.counts, "generation": manifest.generation}
        if found != want:
            raise BackupError(f"the restored store holds {found}, the manifest says {want}: it was not restored")
        _fsync_folder(tmp)
        _swap(tmp, target)


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` in ``target``'s place: one rename, or two when a store is replaced (the old one is
    moved aside first and removed once the new one is in place)."""
    if target.exists() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        new.rename(target)
        return
    aside = Path(tempfile.mkdtemp(prefix=folder_lock.sibling_prefix(target, "replaced"), dir=target.parent))
    aside.rmdir()
    target.rename(aside)
    new.rename(target)
    shutil.rmtree(aside, ignore_errors=True)


__all__ = ["BackupError", "Manifest", "backup_local", "backup_remote", "restore", "snapshot", "tar_stream",
           "verify"]
