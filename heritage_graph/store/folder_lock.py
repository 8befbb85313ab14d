"""The embedded store's own lock: one process at a time owns a store folder.

LadybugDB locks its database file with a POSIX ``fcntl`` lock, and POSIX drops every such lock a
process holds on a file as soon as the process closes *any* descriptor of that file. Copying the
file for an online backup (or hashing it, or a library opening it for a moment) therefore released
the serving process's lock, after which a second process could open the live store and both
acknowledged writes that one of them later lost.

This lock does not share that fault: it is a BSD ``flock`` on a dedicated file, ``store.lock``, taken
through one descriptor that nothing else opens and held for the whole life of the store. ``flock``
locks belong to the open file description, so closing other descriptors (of this file or any other)
leaves it in place; the kernel releases it only when that descriptor is closed or the process dies,
so a killed process never leaves a stale lock behind. The file itself is never removed: removing it
would let a second process lock a new file of the same name while the first still holds the old one.

Writers take it exclusively and read-only openers shared, so a read-only look at a served store is
refused as well: the writer may be half-way through a checkpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from ..errors import StoreLocked

LOCK_FILE = "store.lock"
# Folders made beside a store while its owner works on it (backups being sent, restores being checked,
# a replaced store being removed, a large import being loaded into a copy of the graph); a killed
# process leaves them behind, and the next owner removes them.
SIBLING_PURPOSES = ("backup", "restore", "replaced", "import")


def sibling_prefix(folder: Path, purpose: str) -> str:
    return f".{Path(folder).name}.{purpose}-"


def sweep_siblings(folder: Path) -> list[Path]:
    """Remove what a killed owner of ``folder`` left beside it; call only while holding its lock."""
    folder = Path(folder)
    removed = []
    for purpose in SIBLING_PURPOSES:
        for path in folder.parent.glob(sibling_prefix(folder, purpose) + "*"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


class FolderLock:
    """An exclusive (or shared) ``flock`` on ``folder/store.lock``, held until ``release``."""

    def __init__(self, folder: Path, *, shared: bool = False) -> None:
        self.path = Path(folder) / LOCK_FILE
        self.shared = shared
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> FolderLock:
        if self._fd is not None:
            return self
        if self.shared:
            # A reader creates nothing: a copy it checks (a backup) stays as it was made. With no lock
            # file, no writer of this version has the folder, and LadybugDB's own lock covers the rest.
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                return self
        else:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreLocked(
                f"the embedded store at {self.path.parent} is open in another process{holder}: stop "
                "`heritage-graph serve` (or the other command) first, or ask the running service instead "
                "(the commands that can take --url URL do)") from None
        except BaseException:
            os.close(fd)
            raise
        if not self.shared:
            # Who holds it, for the message a second opener gets; the lock, not this text, is the guard.
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {' '.join(sys.argv[:3])}\n".encode(errors="replace"), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 512, 0).decode(errors="replace").strip()
    except OSError:
        return ""
    pid, _, command = text.partition(" ")
    return f" (process {pid}: {command})" if pid.isdigit() else ""


@contextlib.contextmanager
def held(folder: Path) -> Iterator[FolderLock]:
    """The folder's exclusive lock for the length of a block (a restore into it, say)."""
    lock = FolderLock(folder).acquire()
    try:
        yield lock
    finally:
        lock.release()


__all__ = ["LOCK_FILE", "FolderLock", "held", "sibling_prefix", "sweep_siblings"]
