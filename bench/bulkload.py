"""The bulk-load baseline: the rows an import writes, loaded by LadybugDB's own `COPY FROM`.

    .venv/bin/python bench/bulkload.py --data INVENTORY_DIR --db NEW_STORE_DIR [--csv CSV_DIR]

Creates a fresh store with the project's own DDL (`LadybugStore(path).open(); .init()`), converts the
generated JSON Lines into CSV files — one for the Node table and one per relation table, the
DOCUMENTED_BY links from each node's `sources` included, every row exactly what `codec` makes of the
record once the import has stamped it (recorded_by, recorded_at, updated_at, version 1) — and times
`COPY FROM` on them, CHECKPOINT included. Prints one JSON object: rows, seconds, rows per second.

The CSV files are kept in CSV_DIR (default INVENTORY_DIR/csv) with the table columns they were
written for, and rebuilt when those change. Rows holding a line break go to a second file per table
loaded with PARALLEL=FALSE: Ladybug's parallel CSV reader refuses quoted line breaks (story bodies
have paragraphs). CSV lists have no escape, so a list value with a comma, quote or bracket is refused
with an error naming it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from heritage_graph import schema
from heritage_graph.interchange import parse_record, read_lines
from heritage_graph.model import Node, Relation
from heritage_graph.store import codec
from heritage_graph.store.ladybug import GRAPH_FILE, LadybugStore

STAMP = {"recorded_by": "bench", "recorded_at": "2026-01-01T00:00:00+00:00",
         "updated_at": "2026-01-01T00:00:00+00:00", "version": 1}
COLUMNS_FILE = "columns.json"
CSV_OPTIONS = "HEADER=true, DELIM=',', QUOTE='\"', ESCAPE='\"'"
# Ladybug splits a CSV list on commas, reads brackets and braces as nesting and a quote at either end
# of an element as quoting; an apostrophe inside a word (ch'uño) is kept as it is.
_LIST_FORBIDDEN = set(',[]{}"\n\r')

Columns = dict[str, list[tuple[str, str]]]


def table_columns(conn: Any) -> Columns:
    """The Node table's and every relation table's columns (name, type), in storage order."""
    out: Columns = {}
    for table in ("Node", *schema.RELATIONS):
        result = conn.execute(f"CALL table_info('{table}') RETURN name, type")
        rows = []
        while result.has_next():
            name, kind = result.get_next()
            rows.append((str(name), str(kind)))
        out[table] = rows
    return out


def _cell(value: Any, kind: str, where: str) -> str:
    if value is None:
        return ""
    if kind.endswith("[]"):
        for item in value:
            if not item or set(item) & _LIST_FORBIDDEN or item != item.strip() or "'" in (item[0], item[-1]):
                raise ValueError(f"{where}: the list value {item!r} cannot be written as a CSV list")
        return "[" + ",".join(value) + "]"
    if kind == "DOUBLE":
        return repr(float(value))
    return str(value)


def _records(data: Path, files: list[str]) -> Iterator[Node | Relation]:
    for name in files:
        with (data / name).open("rb") as stream:
            for lineno, obj, problem in read_lines(stream, name):
                record, errors = (None, [problem]) if problem else parse_record(obj)
                if record is None:
                    raise ValueError(f"{name}:{lineno}: {'; '.join(e for e in errors if e)}")
                yield record


class _Tables:
    """One CSV writer per table and per reader (parallel, or serial for rows with line breaks)."""

    def __init__(self, folder: Path, columns: Columns) -> None:
        self.folder, self.columns = folder, columns
        self.writers: dict[tuple[str, bool], tuple[Any, Any]] = {}
        self.rows: dict[str, int] = {}

    def file(self, table: str, serial: bool) -> str:
        return f"{table}{'-serial' if serial else ''}.csv"

    def write(self, table: str, lead: list[str], row: dict[str, Any], where: str) -> None:
        cells = lead + [_cell(row.get(name), kind, where) for name, kind in self.columns[table]]
        serial = any("\n" in c or "\r" in c for c in cells)
        key = (table, serial)
        if key not in self.writers:
            f = (self.folder / self.file(table, serial)).open("w", encoding="utf-8", newline="", buffering=1 << 20)
            w = csv.writer(f, lineterminator="\n")
            w.writerow([*(("from", "to") if lead else ()), *(n for n, _ in self.columns[table])])
            self.writers[key] = (f, w)
        self.writers[key][1].writerow(cells)
        self.rows[table] = self.rows.get(table, 0) + 1

    def close(self) -> list[tuple[str, str, bool]]:
        for f, _ in self.writers.values():
            f.close()
        return [(table, self.file(table, serial), serial) for table, serial in sorted(self.writers)]


def convert(data: Path, files: list[str], folder: Path, columns: Columns) -> dict[str, Any]:
    """Write the CSV files for ``files`` of ``data`` into ``folder``; returns what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    (folder / COLUMNS_FILE).unlink(missing_ok=True)
    tables = _Tables(folder, columns)
    try:
        for rec in _records(data, files):
            if isinstance(rec, Node):
                node = replace(rec, **STAMP)
                tables.write("Node", [], codec.node_row(node), node.id)
                for source in node.sources:
                    tables.write("DOCUMENTED_BY", [node.id, source], {}, node.id)
            else:
                rel = replace(rec, **STAMP)
                row = codec.relation_row(rel)
                tables.write(rel.rel, [rel.from_id, rel.to_id], row, f"{rel.rel} {rel.from_id}->{rel.to_id}")
    finally:
        loads = tables.close()
    done = {"columns": columns, "loads": loads, "rows": tables.rows}
    (folder / COLUMNS_FILE).write_text(json.dumps(done, indent=1) + "\n", encoding="utf-8")
    return done


def converted(data: Path, files: list[str], folder: Path, columns: Columns) -> tuple[dict[str, Any], bool]:
    """The CSV files for these columns, reused when already written for them: (what, reused)."""
    marker = folder / COLUMNS_FILE
    if marker.exists():
        done = json.loads(marker.read_text(encoding="utf-8"))
        if done.get("columns") == json.loads(json.dumps(columns)):
            return done, True
    return convert(data, files, folder, columns), False


def copy_all(conn: Any, folder: Path, loads: list[list[Any]]) -> dict[str, Any]:
    """COPY every file, nodes first (relations need their ends); returns seconds per table and in all."""
    order = sorted(loads, key=lambda x: (x[0] != "Node", x[0], x[2]))
    per_table: dict[str, float] = {}
    started = time.perf_counter()
    for table, name, serial in order:
        t = time.perf_counter()
        options = CSV_OPTIONS + (", PARALLEL=false" if serial else "")
        conn.execute(f"COPY {table} FROM '{folder / name}' ({options})")
        per_table[table] = per_table.get(table, 0.0) + time.perf_counter() - t
    conn.execute("CHECKPOINT")
    return {"seconds": time.perf_counter() - started, "per_table": {k: round(v, 3) for k, v in per_table.items()}}


def count_rows(conn: Any) -> int:
    total = 0
    for query in ("MATCH (n:Node) RETURN count(n)", "MATCH ()-[e]->() RETURN count(e)"):
        result = conn.execute(query)
        total += int(result.get_next()[0])
    return total


def run(data: Path, db: Path, csv_dir: Path) -> dict[str, Any]:
    import ladybug

    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    if db.exists() and any(db.iterdir()):
        raise SystemExit(f"error: {db} is not empty; the baseline needs a fresh store")
    store = LadybugStore(db).open()
    try:
        store.init()
    finally:
        store.close()
    database = ladybug.Database(str(db / GRAPH_FILE))
    conn = ladybug.Connection(database)
    try:
        columns = table_columns(conn)
        t = time.perf_counter()
        done, reused = converted(data, manifest["files"], csv_dir, columns)
        conversion = time.perf_counter() - t
        timing = copy_all(conn, csv_dir, done["loads"])
        loaded = count_rows(conn)
    finally:
        conn.close()
        database.close()
    expected = manifest["nodes"] + manifest["relations"]
    if loaded != expected:
        raise SystemExit(f"error: COPY loaded {loaded} rows, the inventory has {expected}")
    return {"rows": loaded, "seconds": round(timing["seconds"], 3),
            "rows_per_s": round(loaded / timing["seconds"], 1), "per_table": timing["per_table"],
            "csv_reused": reused, "csv_seconds": round(conversion, 2),
            "csv_bytes": sum(p.stat().st_size for p in csv_dir.glob("*.csv"))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder bench/generate.py wrote")
    parser.add_argument("--db", type=Path, required=True, help="the store folder to create (must be new or empty)")
    parser.add_argument("--csv", type=Path, help="where the CSV files go [default DATA/csv]")
    args = parser.parse_args(argv)
    result = run(args.data, args.db, args.csv or args.data / "csv")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
