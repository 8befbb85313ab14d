"""Crash safety: `heritage-graph import` and `heritage-graph serve` killed with SIGKILL at random
points, the store reopened and checked after every kill (bench/crash.py holds the harness and its
checks, and runs the longer version: `.venv/bin/python bench/crash.py --points 100`).

The seed is fixed, so a failure replays; it is printed, and HERITAGE_CRASH_SEED=N runs another.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from bench.crash import reopen, run_import_points, run_serve_points, summary
from heritage_graph.store.ladybug import GRAPH_FILE

SEED = int(os.environ.get("HERITAGE_CRASH_SEED", "20261127"))
# Kills per scenario: 24 in all, within the suite's time budget (a kill costs a process start, a run
# and a reopen); HERITAGE_CRASH_POINTS raises it, bench/crash.py runs 100 of each.
POINTS = int(os.environ.get("HERITAGE_CRASH_POINTS", "12"))
# Lines per import batch: 600 new practitioners, enough for the store's bulk path (COPY FROM).
RECORDS = 1200


def test_an_import_killed_anywhere_is_all_or_nothing(tmp_path: Path) -> None:
    print(f"crash seed {SEED} (HERITAGE_CRASH_SEED={SEED} replays it)")
    reports = run_import_points(tmp_path, POINTS, RECORDS, random.Random(SEED))
    print(summary(reports))
    assert len(reports) == POINTS
    # Kills aimed at every phase: some before the commit, some after it.
    assert {r.outcome for r in reports} == {"before", "after"}, summary(reports)


def test_a_service_killed_mid_stream_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    print(f"crash seed {SEED} (HERITAGE_CRASH_SEED={SEED} replays it)")
    reports = run_serve_points(tmp_path, POINTS, random.Random(SEED), mutations=10)
    print(summary(reports))
    assert len(reports) == POINTS
    # Writes were acknowledged, and kills landed with mutations in flight, whose fate the checks pinned down.
    assert sum(r.acked for r in reports) > 0 and sum(r.in_flight for r in reports) > 0, summary(reports)


WRITE_TWO_TOKENS_THEN_DIE = """
import os, signal, sys
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.tokens import create_token
store = LadybugStore(sys.argv[1]).open()
store.init()
store.close()
store = LadybugStore(sys.argv[1]).open()  # both writes stay in the write-ahead log: too small to checkpoint
create_token(store, "admin", name="first")
create_token(store, "admin", name="second")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_write_cut_short_in_the_log_is_dropped_and_the_store_opens(tmp_path: Path) -> None:
    """A kill while a commit is being written leaves the last record of the write-ahead log cut short
    (the harness meets it now and then; here it is made on purpose): the store must open, without
    that write and with every one before it."""
    db = tmp_path / "db"
    subprocess.run([sys.executable, "-c", WRITE_TWO_TOKENS_THEN_DIE, str(db)], check=False, timeout=120)
    wal = db / (GRAPH_FILE + ".wal")
    assert wal.stat().st_size > 100, sorted(p.name for p in db.iterdir())
    whole = tmp_path / "whole"
    shutil.copytree(db, whole)
    with wal.open("r+b") as f:
        f.truncate(wal.stat().st_size - 40)

    for folder, names in ((whole, ["first", "second"]), (db, ["first"])):
        with reopen(folder) as r:
            assert sorted(t.name or "" for t in r.store.list_tokens()) == names
