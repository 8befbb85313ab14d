"""A national import on the embedded store: loaded into a copy of the graph file, swapped into place.

LadybugDB 0.22 keeps every row a transaction writes in its page cache until the commit and spills
none of them (docs/interchange.md, "Large imports"): a million nodes and five million relations,
with their revisions, in one transaction need several GiB. Its ``COPY FROM`` of a whole table into
an empty table, outside an explicit transaction, is different: it writes the table's pages directly
and commits on its own, so memory stays bounded by the page cache (1.5 GiB resident for that
inventory). A large import that only creates records therefore goes this way:

1. the records are spooled, a chunk at a time, into Parquet files per table beside the store (only
   one chunk is ever in memory);
2. the graph file is checkpointed and copied, and the spooled parts are copied into the copy, one
   committed ``COPY FROM`` per table of all its parts, then checkpointed and synced;
3. the copy replaces the graph file in one rename (``os.replace``), and the store reopens it.

Until the rename the store's own file is untouched, so a failure (or a killed process) leaves it
as it was: the import is still all or nothing. What a killed process leaves beside the store is
removed by the next process that opens it (``folder_lock.sweep_siblings``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import folder_lock

# Records from which a creates-only stream is loaded into a copy rather than in one transaction on
# the live file: the copy of the graph file costs a read and a write of the store, and one
# transaction costs page cache for every row (about 160 records per MiB, measured).
SWAP_MIN = 100_000
# Rows per spooled file: bounds what one Parquet writer holds; a table's files are copied together.
PART_ROWS = 250_000
# The page cache of the copy being loaded, in MiB: enough for LadybugDB's copy into empty tables
# (1,000,000 nodes and 5,000,000 relations with their revisions peaked at 1.5 GiB resident with it).
COPY_POOL_MB = 1024
PURPOSE = "import"
# The order parts are copied in: nodes before what links them, revisions before their links.
_ORDER = {"copy_nodes": 0, "copy_relations": 1, "copy_revisions": 2, "copy_revision_links": 3}

Key = tuple[str, str | None]  # (the copy query, the relation type it is rendered with)


@contextlib.contextmanager
def spool_folder(store: Path) -> Iterator[Path]:
    """A fresh folder beside the store (same file system, so the final rename is atomic), removed
    when the block ends whatever happened."""
    folder = Path(tempfile.mkdtemp(prefix=folder_lock.sibling_prefix(store, PURPOSE), dir=store.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Spool:
    """Parquet files per copy query (and relation type), ``PART_ROWS`` rows each at most."""

    def __init__(self, folder: Path, part_rows: int | None = None) -> None:
        self.folder = folder
        self.part_rows = part_rows or PART_ROWS
        self._open: dict[Key, tuple[Any, Path, int]] = {}
        self._done: dict[Key, list[Path]] = {}
        self.rows = 0

    def write(self, key: Key, table: Any) -> None:
        import pyarrow.parquet as pq  # only a large import needs it

        if table.num_rows == 0:
            return
        writer, path, rows = self._open.get(key) or (None, Path(), 0)
        if writer is not None and rows + table.num_rows > self.part_rows:
            self._finish(key)
            writer = None
        if writer is None:
            path = self.folder / f"{key[0]}-{key[1] or ''}-{len(self._done.get(key, []))}.parquet"
            writer, rows = pq.ParquetWriter(path, table.schema, compression="snappy"), 0
        writer.write_table(table)
        self._open[key] = (writer, path, rows + table.num_rows)
        self.rows += table.num_rows

    def _finish(self, key: Key) -> None:
        writer, path, _ = self._open.pop(key)
        writer.close()
        self._done.setdefault(key, []).append(path)

    def parts(self) -> list[tuple[Key, list[Path]]]:
        """Close every file; each table's parts, tables in the order they must be copied."""
        for key in list(self._open):
            self._finish(key)
        return sorted(self._done.items(), key=lambda kv: (_ORDER[kv[0][0]], kv[0][1] or ""))

    def close(self) -> None:
        for writer, _, _ in self._open.values():
            with contextlib.suppress(Exception):
                writer.close()
        self._open.clear()


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["COPY_POOL_MB", "PART_ROWS", "SWAP_MIN", "Spool", "fsync_file", "fsync_folder", "spool_folder"]
