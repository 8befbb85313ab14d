"""Crash harness: SIGKILL `heritage-graph import` and `heritage-graph serve` at random points, then
reopen the store and check that nothing committed was lost and nothing uncommitted shows.

    .venv/bin/python bench/crash.py --points 100 --records 20000 [--seed N] [--only import|serve]

tests/test_crash.py runs a short version of both in the suite. After every kill the store is opened
as the service opens it (open, then init, which rebuilds the search index when it lags the graph);
that must work with no repair, and then:

- import: the counts of nodes, relations, revisions and tokens are exactly those from before the
  import or exactly those after it; its new records are all there or none, its updates of existing
  nodes and relations all at the new version or all at the old one, with one revision per version,
  and search finds a record under its new name if and only if the graph holds it;
- serve: every mutation a client saw answered as saved is there at the version it was told; one
  still in flight at the kill is there at its version or not at all; nothing else is there; every
  node has one revision per version (create, then updates), every relation its add-relation
  revision, the store's revision count adds up exactly, and search finds each node under its current
  name and not under its previous one; the curator token survives;
- both: the search index is current and holds one document per node; at the end of a run it equals,
  document for document, an index rebuilt from scratch.

Kill times follow the measured timeline of an uninterrupted run, so they land in every phase of the
work: for an import, reading and validating / writing the graph (commit and checkpoint) / updating
the search index / anywhere; for the service, while it starts (recovering from the kill before) or
while clients send mutations. The seed is printed; `--seed` replays a run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from heritage_graph.search.model import SearchQuery
from heritage_graph.search.sqlite import FORMAT_VERSION
from heritage_graph.search.text import SearchText, parse_query
from heritage_graph.store.ladybug import GRAPH_FILE, SEARCH_FILE, LadybugStore
from heritage_graph.tokens import create_token

POLL = 0.002  # seconds between looks at the store folder while timing a run


class CrashCheckFailed(AssertionError):
    """What a kill lost, or let through half-done."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise CrashCheckFailed(message)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "heritage_graph.cli", *args]


def clean_env() -> dict[str, str]:
    """The environment without store settings, so a developer's NEO4J_URI cannot redirect a run."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HERITAGE_"))}


def kill(proc: subprocess.Popen[Any]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


# -- reopening and the checks both scenarios share -----------------------------------------------
def index_state(db: Path) -> tuple[str | None, str | None]:
    """(format, graph generation) the search index says it reflects, read from its file."""
    with _sqlite(db) as conn:
        rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    return rows.get("format"), rows.get("generation")


@contextmanager
def _sqlite(db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db / SEARCH_FILE}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


@dataclass
class Reopened:
    store: LadybugStore
    counts: dict[str, int]
    index_was_stale: bool


@contextmanager
def reopen(db: Path) -> Iterator[Reopened]:
    """The store after a kill, opened as the service opens it; any error here is a failed check."""
    try:
        store = LadybugStore(db).open()
    except Exception as exc:
        raise CrashCheckFailed(f"the store does not open after the kill: {exc}") from exc
    try:
        with store.frozen() as counts:
            pass
        stale = index_state(db) != (FORMAT_VERSION, str(counts["generation"]))
        try:
            store.init()
        except Exception as exc:
            raise CrashCheckFailed(f"init (and the index rebuild it runs when stale) failed: {exc}") from exc
        check(index_state(db) == (FORMAT_VERSION, str(counts["generation"])),
              f"the search index is at {index_state(db)}, the graph at generation {counts['generation']}, "
              "after init")
        with _sqlite(db) as conn:
            docs = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
        check(docs == counts["nodes"], f"the search index holds {docs} documents for {counts['nodes']} nodes")
        yield Reopened(store, counts, stale)
    finally:
        store.close()


def index_fingerprint(db: Path) -> dict[str, tuple[Any, ...]]:
    """Every search document, by node id, independent of row ids (which a rebuild renumbers)."""
    fields = ", ".join(f"f.{name}" for name in SearchText.FIELDS)
    out: dict[str, tuple[Any, ...]] = {}
    with _sqlite(db) as conn:
        extra: dict[str, dict[int, list[str]]] = {}
        for table, column in (("doc_places", "place || ':' || department || ':' || public"),
                              ("doc_domains", "domain"), ("doc_communities", "community")):
            extra[table] = {}
            for rowid, value in conn.execute(f"SELECT rowid, {column} FROM {table}"):
                extra[table].setdefault(rowid, []).append(value)
        for row in conn.execute(f"SELECT d.rowid, d.id, d.kind, d.unesco, d.sensitivity, d.status, "
                                f"d.consent_status, {fields} FROM docs d JOIN fts f ON f.rowid = d.rowid"):
            rowid, node_id, *rest = row
            out[node_id] = (*rest, *(tuple(sorted(extra[t].get(rowid, []))) for t in extra))
    return out


def final_index_check(db: Path) -> None:
    """The index the kills and rebuilds left equals one built from scratch."""
    with reopen(db) as r:
        kept = index_fingerprint(db)
        r.store.rebuild_search()
        fresh = index_fingerprint(db)
    differ = sorted(k for k in kept.keys() | fresh.keys() if kept.get(k) != fresh.get(k))
    check(not differ, f"{len(differ)} search documents differ from a rebuilt index, e.g. {differ[:5]}")


def found_by_search(store: LadybugStore, word: str) -> set[str]:
    page = store.search(SearchQuery(parse_query(word), limit=50))
    return {node.id for node, _ in page.hits}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- (a) a large import ------------------------------------------------------------------------
BASE_NODES = 40  # existing practitioners every batch updates (the UNWIND path, versions, revisions)


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def base_id(j: int) -> str:
    return f"crash-base-{j}"


def base_name(j: int, batch: int) -> str:
    # `u{batch}w{batch}y{batch}z`: one search word that no other batch's is a prefix of, and at least
    # three edits from any other batch's, beyond the typos search forgives (docs/search.md).
    return f"Base {j} u{batch}w{batch}y{batch}z"


def new_name(batch: int, k: int) -> str:
    return f"Crash x{batch}y{k}z"


@dataclass(frozen=True)
class Batch:
    number: int
    path: Path
    new_ids: list[str]
    # With updates of the base records the import is written row by row; without, it only creates
    # and the embedded store copies it (COPY FROM, durable at the checkpoint after the commit).
    updates: bool = True

    @property
    def expected_delta(self) -> dict[str, int]:
        """What the import adds when it commits: nodes, LEARNED_FROM and DOCUMENTED_BY relations,
        one revision per new node and relation and per updated base node and base relation."""
        n = len(self.new_ids) - 1  # practitioners; the batch's Source is the other new node
        base = BASE_NODES + (BASE_NODES - 1) if self.updates else 0
        return {"nodes": n + 1, "relations": (n - 1) + n, "revisions": (n + 1) + (n - 1) + base,
                "tokens": 0, "generation": 1}


def write_base(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(_line({"kind": "Source", "id": "crash-base-src", "name": "Crash base source"}))
        for j in range(BASE_NODES):
            out.write(_line({"kind": "Practitioner", "id": base_id(j), "name": base_name(j, 0),
                             "sources": ["crash-base-src"]}))
        for j in range(1, BASE_NODES):
            out.write(_line({"rel": "LEARNED_FROM", "from": base_id(j), "to": base_id(0), "note": "batch 0"}))


def write_batch(folder: Path, number: int, records: int, updates: bool = True) -> Batch:
    """About ``records`` lines: new practitioners in a teacher tree citing a new source, then (with
    ``updates``) an update of every base node (new name) and base relation (new note)."""
    n = max(2, records // 2)
    src = f"crash-src-{number}"
    ids = [f"crash-{number}-{k}" for k in range(n)]
    path = folder / f"batch-{number}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        out.write(_line({"kind": "Source", "id": src, "name": f"Crash source {number}"}))
        for k, node_id in enumerate(ids):
            out.write(_line({"kind": "Practitioner", "id": node_id, "name": new_name(number, k), "sources": [src]}))
        for k in range(1, n):
            out.write(_line({"rel": "LEARNED_FROM", "from": ids[k], "to": ids[(k - 1) // 2]}))
        for j in range(BASE_NODES if updates else 0):
            out.write(_line({"kind": "Practitioner", "id": base_id(j), "name": base_name(j, number),
                             "sources": ["crash-base-src"]}))
        for j in range(1, BASE_NODES if updates else 0):
            out.write(_line({"rel": "LEARNED_FROM", "from": base_id(j), "to": base_id(0), "note": f"batch {number}"}))
    return Batch(number, path, [src, *ids], updates)


# Phases of an import as seen from outside, by the graph's extra files (write-ahead log, checkpoint
# files): none yet (reading and validating), there (writing the graph: the transaction, its commit
# and the checkpoint after it), gone again (committed; the search index is being updated), ended.
PHASES = ("validating", "graph write", "search index", "finished")


@dataclass
class Timeline:
    """When each phase of a run began, in seconds from its start (None: not reached)."""

    graph: float | None = None
    index: float | None = None
    end: float | None = None

    def phase_at(self, moment: float) -> str:
        if self.end is not None and moment >= self.end:
            return "finished"
        if self.index is not None and moment >= self.index:
            return "search index"
        if self.graph is not None and moment >= self.graph:
            return "graph write"
        return "validating"


@dataclass(frozen=True)
class KillPlan:
    """Kill ``delay`` seconds after the run reaches phase ``anchor`` (or never, if it does not)."""

    anchor: str  # "validating" (the start), "graph write" or "search index"
    delay: float


def plan_kill(phase: str, t: Timeline, rng: random.Random) -> KillPlan:
    """A kill point in ``phase`` of a run like ``t`` (an uninterrupted one), anchored on the phase's
    start so that a run slower or faster than the measured one is still killed in that phase."""
    assert t.graph is not None and t.index is not None and t.end is not None
    if phase == "validating":
        return KillPlan("validating", rng.uniform(0, t.graph))
    if phase == "graph write":
        # Skewed towards the phase's start, where the commit is written and checkpointed: the
        # moments a kill can tear most.
        return KillPlan("graph write", (t.index - t.graph) * rng.random() ** 3)
    if phase == "search index":
        return KillPlan("search index", rng.uniform(0, t.end - t.index))
    return KillPlan("validating", rng.uniform(0, t.end))  # anywhere


def run_watched(args: list[str], db: Path, plan: KillPlan | None = None) -> tuple[Timeline, float | None]:
    """Run a command while watching the store folder, killing it as ``plan`` says; the run's
    timeline, and when it was killed (None: it ended by itself)."""
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=clean_env())
    t = Timeline()
    killed: float | None = None
    while proc.poll() is None:
        now = time.monotonic() - start
        extra = any(name.startswith(GRAPH_FILE + ".") for name in os.listdir(db))
        if extra and t.graph is None:
            t.graph = now
        if t.graph is not None and not extra and t.index is None:
            t.index = now
        if plan is not None:
            began = {"validating": 0.0, "graph write": t.graph, "search index": t.index}[plan.anchor]
            if began is not None and now >= began + plan.delay:
                kill(proc)
                killed = now
                break
        time.sleep(POLL)
    if killed is None:
        t.end = time.monotonic() - start
    out = proc.communicate()[0].decode(errors="replace")
    if killed is None and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{out}")
    return t, killed


@dataclass
class ImportState:
    """What the store holds, as the harness knows it: counts, and how far the base records got."""

    counts: dict[str, int]
    base_batch: int = 0  # the batch whose names the base nodes carry
    base_version: int = 1  # their version (and the base relations')


@dataclass
class KillReport:
    scenario: str
    point: int
    phase: str  # where the kill landed (for an import: what the store folder showed then)
    kill_at: float  # seconds from the process's start
    outcome: str  # import: "before" or "after"; serve: what the clients had sent
    index_was_stale: bool
    acked: int = 0  # serve: mutations answered as saved in this round
    in_flight: int = 0  # serve: mutations sent and not answered when the service was killed


def check_import(db: Path, batch: Batch, state: ImportState) -> tuple[str, bool]:
    """The store after a killed import of ``batch``: exactly before or exactly after it."""
    with reopen(db) as r:
        store, counts = r.store, r.counts
        after = {k: state.counts[k] + batch.expected_delta[k] for k in state.counts}
        # A copied import killed between its commit and the checkpoint after it loses every copied row
        # while its one logged statement, the store's write generation, replays: no record of it is
        # there, and the index, now behind that generation, is rebuilt. That is "before" for the data.
        lost_copy = not batch.updates and counts == {**state.counts, "generation": state.counts["generation"] + 1}
        check(counts in (state.counts, after) or lost_copy,
              f"batch {batch.number}: counts {counts} are neither those before {state.counts} nor after {after}")
        done = counts == after
        present = {n.id: n for n in store.get_nodes(batch.new_ids)}
        check(len(present) == (len(batch.new_ids) if done else 0),
              f"batch {batch.number}: {len(present)} of its {len(batch.new_ids)} new nodes are there "
              f"({'after' if done else 'before'} by the counts)")
        moved = done and batch.updates
        version = state.base_version + 1 if moved else state.base_version
        name_batch = batch.number if moved else state.base_batch
        bases = {n.id: n for n in store.get_nodes([base_id(j) for j in range(BASE_NODES)])}
        for j in range(BASE_NODES):
            node = bases.get(base_id(j))
            check(node is not None and node.version == version and node.name == base_name(j, name_batch),
                  f"batch {batch.number}: {base_id(j)} is {node and (node.version, node.name)}, "
                  f"expected version {version} named {base_name(j, name_batch)!r}")
        rels = {r.from_id: r for r in store.relations([base_id(j) for j in range(1, BASE_NODES)], "out",
                                                       ["LEARNED_FROM"])}
        for j in range(1, BASE_NODES):
            rel = rels.get(base_id(j))
            check(rel is not None and rel.version == version and rel.note == f"batch {name_batch}",
                  f"batch {batch.number}: the base relation from {base_id(j)} is {rel and (rel.version, rel.note)}")
        for node_id in (base_id(0), base_id(BASE_NODES - 1)):
            history = [v.version for v in store.revisions([node_id]) if v.target == node_id]
            check(history == list(range(1, version + 1)),
                  f"batch {batch.number}: {node_id} has revisions {history}, expected 1..{version}")
        sample = [batch.new_ids[1], batch.new_ids[-1]]
        for node_id in sample:
            history = [(v.op, v.version) for v in store.revisions([node_id]) if v.target == node_id]
            check(history == ([("import", 1)] if done else []),
                  f"batch {batch.number}: {node_id} has revisions {history} ({'after' if done else 'before'})")
        first_new = new_name(batch.number, 0).split()[-1]
        check((batch.new_ids[1] in found_by_search(store, first_new)) == done,
              f"batch {batch.number}: search for {first_new!r} disagrees with the graph")
        renamed = base_name(0, batch.number).split()[-1]
        check((base_id(0) in found_by_search(store, renamed)) == moved,
              f"batch {batch.number}: search for the base node's new name {renamed!r} disagrees with the graph")
        state.counts = counts
        if moved:
            state.base_batch, state.base_version = batch.number, version
        return ("after" if done else "before"), r.index_was_stale


def run_import_points(work: Path, points: int, records: int, rng: random.Random,
                      say: Callable[[str], None] = print) -> list[KillReport]:
    """Kill ``points`` imports of fresh batches into one store, each at a random point of its run."""
    db = work / "db"
    subprocess.run(command("--db", str(db), "init"), check=True, capture_output=True, env=clean_env())
    base = work / "base.jsonl"
    write_base(base)
    run_watched(command("--db", str(db), "import", str(base)), db)
    with reopen(db) as r:
        state = ImportState(dict(r.counts))

    # One uninterrupted batch of each shape on a copy times the phases and checks the expected counts.
    timelines = {}
    for updates in (True, False):
        trial = work / "trial"
        shutil.copytree(db, trial)
        sample = write_batch(work, 999_999, records, updates)  # a number no kill point uses
        timelines[updates], _ = run_watched(command("--db", str(trial), "import", str(sample.path)), trial)
        with reopen(trial) as r:
            measured = {k: r.counts[k] - state.counts[k] for k in state.counts}
        check(measured == sample.expected_delta,
              f"an uninterrupted import added {measured}, the harness expected {sample.expected_delta}")
        shutil.rmtree(trial)
    t = timelines[True]
    say(f"import: {records} lines per batch; an uninterrupted run took {t.end:.2f} s: validating until "
        f"{t.graph:.2f} s, writing the graph until {t.index:.2f} s, then the search index")

    # As many kills aimed at each phase (and anywhere), in a random order.
    aims = [("validating", "graph write", "search index", "anywhere")[i % 4] for i in range(points)]
    rng.shuffle(aims)
    reports = []
    for point, aim in enumerate(aims, 1):
        # Every other batch only creates: the embedded store's copied write path, which must be as atomic.
        batch = write_batch(work, point, records, updates=point % 2 == 1)
        run, killed = run_watched(command("--db", str(db), "import", str(batch.path)), db,
                                  plan_kill(aim, timelines[batch.updates], rng))
        kill_at = killed if killed is not None else run.end or 0.0
        phase = run.phase_at(kill_at) if killed is not None else "finished"
        try:
            outcome, stale = check_import(db, batch, state)
            # What the folder showed at the kill bounds the outcome: no graph file yet means nothing
            # was committed; graph files come and gone means the commit and its checkpoint were done.
            check(outcome == "before" or phase != "validating",
                  f"batch {batch.number}: killed before the graph was touched, yet the import is there")
            check(outcome == "after" or phase not in ("search index", "finished"),
                  f"batch {batch.number}: killed after the graph was written ({phase}), yet the import is gone")
        except CrashCheckFailed as exc:
            raise CrashCheckFailed(f"import kill {point} ({phase}, {kill_at:.2f} s after the start): {exc}") from None
        batch.path.unlink()
        reports.append(KillReport("import", point, phase, kill_at, outcome, stale))
        say(f"  import kill {point:3}/{points} ({'rows' if batch.updates else 'copy'}): {phase:<12} at "
            f"{kill_at:5.2f} s -> {outcome:<6}"
            f"{'  (search index was stale: rebuilt)' if stale else ''}")
    final_index_check(db)
    return reports


# -- (b) a stream of mutations against the service -----------------------------------------------
CREATE = """mutation($input: NodeInput!) { createNode(input: $input) { __typename
  ... on NodeSaved { node { id version } } } }"""
UPDATE = """mutation($id: ID!, $v: Int!, $name: String!) { updateNode(id: $id, expectedVersion: $v,
  patch: {name: $name}) { __typename ... on NodeSaved { node { id version } } } }"""
RELATE = """mutation($from: ID!, $to: ID!) { addRelation(input: {type: LEARNED_FROM, from: $from, to: $to}) {
  __typename ... on RelationSaved { relation { version } } } }"""


def node_name(serial: int, version: int) -> str:
    # The version three times: two versions' words are three edits apart or more, so a search for the
    # old word does not find the new one as a typo of it (docs/search.md).
    return f"Crash q{serial}v{version}w{version}y{version}z"


@dataclass
class NodeLog:
    id: str
    serial: int
    acked: int = 0  # the last version a client was told was saved (0: none)
    pending: int | None = None  # the version a request without an answer would have made


@dataclass
class RelLog:
    from_id: str
    to_id: str
    acked: bool = False
    pending: bool = False


@dataclass
class Ledger:
    """The clients' log: what each mutation was told. Each record belongs to one client thread."""

    nodes: dict[str, NodeLog] = field(default_factory=dict)
    rels: dict[tuple[str, str], RelLog] = field(default_factory=dict)
    serial: int = 0
    acks: int = 0
    refused: list[str] = field(default_factory=list)  # answers other than "saved": none expected
    lock: threading.Lock = field(default_factory=threading.Lock)

    def dump(self, path: Path) -> None:
        """The log as JSON, to read after a failed check."""
        path.write_text(json.dumps({
            "nodes": [vars(n) for n in self.nodes.values()],
            "relations": [vars(r) for r in self.rels.values()],
            "acknowledged": self.acks, "refused": self.refused}, indent=1), encoding="utf-8")

    def ack(self) -> None:
        with self.lock:
            self.acks += 1

    def new_serial(self) -> int:
        with self.lock:
            self.serial += 1
            return self.serial


class Client(threading.Thread):
    """Sends mutations one at a time until told to stop or the service goes away."""

    def __init__(self, number: int, base: str, token: str, ledger: Ledger, rng: random.Random,
                 stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.number, self.base, self.ledger, self.rng, self.stop = number, base, ledger, rng, stop
        self.headers = {"Authorization": f"Bearer {token}"}
        with ledger.lock:
            self.own = [n for n in ledger.nodes.values() if n.id.startswith(f"c{number}-")]
        self.error: BaseException | None = None

    def mine(self) -> list[NodeLog]:
        return [n for n in self.own if n.acked]

    def run(self) -> None:
        try:
            with httpx.Client(timeout=30) as http:
                while not self.stop.is_set():
                    self.step(http)
        except httpx.TransportError:
            pass  # the service was killed: the request in flight stays pending
        except BaseException as exc:  # reported by the harness after join()
            self.error = exc

    def post(self, http: httpx.Client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        r = http.post(f"{self.base}/graphql", json={"query": query, "variables": variables}, headers=self.headers)
        body = r.json()
        if r.status_code != 200 or body.get("errors"):
            raise CrashCheckFailed(f"the service answered {r.status_code}: {body}")
        return next(iter(body["data"].values()))

    def step(self, http: httpx.Client) -> None:
        mine, roll = self.mine(), self.rng.random()
        if not mine or roll < 0.3:
            serial = self.ledger.new_serial()
            log = NodeLog(f"c{self.number}-{serial}", serial, pending=1)
            with self.ledger.lock:
                self.ledger.nodes[log.id] = log
            self.own.append(log)
            answer = self.post(http, CREATE, {"input": {"kind": "PRACTITIONER", "id": log.id,
                                                        "name": node_name(serial, 1)}})
            self.settle(log, answer, 1)
        elif roll < 0.8 or len(mine) < 2:
            log = self.rng.choice(mine)
            log.pending = log.acked + 1
            answer = self.post(http, UPDATE, {"id": log.id, "v": log.acked, "name": node_name(log.serial, log.pending)})
            self.settle(log, answer, log.pending)
        else:
            a, b = self.rng.sample(mine, 2)
            key = (max(a, b, key=lambda n: n.serial).id, min(a, b, key=lambda n: n.serial).id)
            with self.ledger.lock:
                if key in self.ledger.rels:
                    return
                rel = self.ledger.rels[key] = RelLog(*key, pending=True)
            answer = self.post(http, RELATE, {"from": key[0], "to": key[1]})
            if answer["__typename"] == "RelationSaved" and answer["relation"]["version"] == 1:
                rel.acked, rel.pending = True, False
                self.ledger.ack()
            else:
                rel.pending = False
                self.ledger.refused.append(f"addRelation {key}: {answer}")

    def settle(self, log: NodeLog, answer: dict[str, Any], version: int) -> None:
        if answer["__typename"] == "NodeSaved" and answer["node"]["version"] == version:
            log.acked, log.pending = version, None
            self.ledger.ack()
        else:
            log.pending = None
            self.ledger.refused.append(f"{log.id} v{version}: {answer}")


def check_serve(db: Path, ledger: Ledger) -> tuple[int, bool]:
    """Every acknowledged write there at its version; in-flight ones there or not; nothing else."""
    check(not ledger.refused, f"mutations were refused: {ledger.refused[:3]}")
    with reopen(db) as r:
        store, counts = r.store, r.counts
        stored = {n.id: n for n in store.get_nodes(list(ledger.nodes))}
        in_flight = 0
        for log in ledger.nodes.values():
            node = stored.get(log.id)
            version = node.version if node else 0
            allowed = {log.acked} | ({log.pending} if log.pending else set())
            in_flight += bool(log.pending)
            check(version in allowed, f"{log.id} is at version {version}; the client was told {log.acked}"
                                      f"{f', with version {log.pending} in flight' if log.pending else ''}")
            if node is not None:
                check(node.name == node_name(log.serial, version) and node.status == "draft",
                      f"{log.id} v{version} reads {node.name!r} ({node.status})")
        check(counts["nodes"] == len(stored), f"the store holds {counts['nodes']} nodes, the clients wrote "
                                              f"{len(stored)}")
        present_rels = {(x.from_id, x.to_id) for x in store.relations(list(stored), "out", ["LEARNED_FROM"])}
        for key, rel in ledger.rels.items():
            there = key in present_rels
            in_flight += rel.pending
            check(there or not rel.acked, f"the acknowledged relation {key} is missing")
            check(not there or rel.acked or rel.pending, f"the relation {key} is there, but was never sent")
        check(counts["relations"] == len(present_rels),
              f"the store holds {counts['relations']} relations, the clients wrote {len(present_rels)}")
        revisions = store.revisions(list(stored))
        by_target: dict[str, list[tuple[str, int, str | None]]] = {}
        for v in revisions:
            by_target.setdefault(v.target, []).append((v.op, v.version, (v.after or {}).get("name")))
        for node_id, node in stored.items():
            serial = ledger.nodes[node_id].serial
            want = [("create" if i == 1 else "update", i, node_name(serial, i)) for i in range(1, node.version + 1)]
            check(by_target.get(node_id) == want, f"{node_id}'s history is {by_target.get(node_id)}, expected {want}")
        for a, b in present_rels:
            target = f"LEARNED_FROM:{a}->{b}"
            check([(op, ver) for op, ver, _ in by_target.get(target, [])] == [("add-relation", 1)],
                  f"{target}'s history is {by_target.get(target)}")
        expected = sum(n.version for n in stored.values()) + len(present_rels)
        check(counts["revisions"] == expected, f"the store holds {counts['revisions']} revisions, expected {expected}")
        check(counts["tokens"] == 1, f"the store holds {counts['tokens']} tokens, expected the curator's one")
        for node_id, node in list(stored.items())[-20:]:
            serial = ledger.nodes[node_id].serial
            word = node_name(serial, node.version).split()[-1]
            check(node_id in found_by_search(store, word), f"search for {word!r} does not find {node_id}")
            if node.version > 1:
                old = node_name(serial, node.version - 1).split()[-1]
                check(node_id not in found_by_search(store, old), f"search still finds {node_id} as {old!r}")
        # The client's log now follows the store: what was in flight either happened or did not.
        for log in list(ledger.nodes.values()):
            node = stored.get(log.id)
            if node is None:
                del ledger.nodes[log.id]
            else:
                log.acked, log.pending = node.version, None
        for key, rel in list(ledger.rels.items()):
            if key in present_rels:
                rel.acked, rel.pending = True, False
            else:
                del ledger.rels[key]
        return in_flight, r.index_was_stale


def join(threads: list[Client]) -> None:
    for t in threads:
        t.join(timeout=30)
        check(not t.is_alive(), "a client did not stop")
        if t.error is not None:
            raise CrashCheckFailed(f"client {t.number} failed: {t.error!r}") from t.error


def start_service(db: Path, port: int) -> subprocess.Popen[Any]:
    """`heritage-graph serve`, its output appended to service.log beside the store."""
    with (db.parent / "service.log").open("ab") as log:
        return subprocess.Popen(command("--db", str(db), "serve", "--port", str(port)), stdout=log,
                                stderr=subprocess.STDOUT, env=clean_env())


def wait_ready(proc: subprocess.Popen[Any], base: str, timeout: float = 60) -> float:
    start = time.monotonic()
    while True:
        check(proc.poll() is None, f"the service exited with {proc.returncode} while starting")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        check(time.monotonic() - start < timeout, f"the service did not start within {timeout:g} s")
        time.sleep(0.01)


def run_serve_points(work: Path, points: int, rng: random.Random, clients: int = 3, mutations: int = 10,
                     say: Callable[[str], None] = print) -> list[KillReport]:
    """Kill ``points`` services, each while it starts (a quarter of them) or while ``clients`` threads
    send mutations, up to about ``mutations`` each (the measured time they take)."""
    db = work / "db"
    store = LadybugStore(db).open()
    store.init()
    token, _ = create_token(store, "curator", name="crash-client")
    store.close()
    ledger = Ledger()

    # An uninterrupted round times the start and the mutations.
    port = free_port()
    proc = start_service(db, port)
    startup = wait_ready(proc, f"http://127.0.0.1:{port}")
    began = time.monotonic()
    stop = threading.Event()
    threads = [Client(i, f"http://127.0.0.1:{port}", token, ledger, random.Random(rng.random()), stop)
               for i in range(clients)]
    for t in threads:
        t.start()
    while ledger.acks < clients * mutations:
        check(all(t.is_alive() for t in threads), "a client stopped before the service was killed")
        time.sleep(0.01)
    latency = (time.monotonic() - began) / ledger.acks * clients
    stop.set()
    join(threads)
    proc.terminate()
    proc.wait(timeout=30)
    check_serve(db, ledger)
    window = mutations * latency
    say(f"serve: start {startup:.2f} s, {latency * 1000:.0f} ms a mutation per client; kills within "
        f"{window:.2f} s of the clients starting, or while the service starts")

    reports = []
    for point in range(1, points + 1):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        acks_before = ledger.acks
        proc = start_service(db, port)
        if rng.random() < 0.25:
            phase, kill_at = "starting", rng.uniform(0, startup)
            time.sleep(kill_at)
            kill(proc)
        else:
            phase, kill_at = "mutations", rng.uniform(0.02, window)
            wait_ready(proc, base)
            stop = threading.Event()
            threads = [Client(i, base, token, ledger, random.Random(rng.random()), stop) for i in range(clients)]
            for t in threads:
                t.start()
            time.sleep(kill_at)
            kill(proc)
            stop.set()
            join(threads)
        try:
            in_flight, stale = check_serve(db, ledger)
        except CrashCheckFailed as exc:
            ledger.dump(work / "ledger.json")
            raise CrashCheckFailed(f"serve kill {point} ({phase}, {kill_at:.2f} s): {exc} (the clients' log: "
                                   f"{work / 'ledger.json'}, the service's: {work / 'service.log'})") from None
        acked = ledger.acks - acks_before
        outcome = f"{acked} acked, {in_flight} in flight"
        reports.append(KillReport("serve", point, phase, kill_at, outcome, stale, acked, in_flight))
        say(f"  serve kill {point:3}/{points}: {phase:<9} at {kill_at:5.2f} s -> {outcome}"
            f"{'  (search index was stale: rebuilt)' if stale else ''}")
    final_index_check(db)
    return reports


# -- the longer run ------------------------------------------------------------------------------
def summary(reports: list[KillReport]) -> str:
    lines = []
    for scenario in ("import", "serve"):
        mine = [r for r in reports if r.scenario == scenario]
        if not mine:
            continue
        phases = Counter(r.phase for r in mine)
        stale = sum(r.index_was_stale for r in mine)
        if scenario == "import":
            detail = f"; outcomes {dict(Counter(r.outcome for r in mine))}"
        else:
            detail = (f"; {sum(r.acked for r in mine)} mutations acknowledged, "
                      f"{sum(r.in_flight for r in mine)} in flight at the kills")
        lines.append(f"{scenario}: {len(mine)} kills, phases {dict(phases)}{detail}; "
                     f"search index stale after {stale} (rebuilt on open); every check passed")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=100, help="kills per scenario")
    parser.add_argument("--records", type=int, default=20000, help="lines per import batch")
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: a new seed, printed)")
    parser.add_argument("--only", choices=["import", "serve"], default=None)
    parser.add_argument("--work", type=Path, default=None, help="keep the stores here (default: a temp folder)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"crash harness seed {seed} (replay with --seed {seed})")
    work = args.work or Path(tempfile.mkdtemp(prefix="heritage-crash-"))
    started = time.monotonic()
    reports: list[KillReport] = []
    try:
        if args.only in (None, "import"):
            (work / "import").mkdir(parents=True, exist_ok=True)
            reports += run_import_points(work / "import", args.points, args.records, random.Random(seed))
        if args.only in (None, "serve"):
            (work / "serve").mkdir(parents=True, exist_ok=True)
            reports += run_serve_points(work / "serve", args.points, random.Random(seed + 1))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(summary(reports))
    print(f"{len(reports)} kills in {time.monotonic() - started:.0f} s, nothing lost")


if __name__ == "__main__":
    main()
