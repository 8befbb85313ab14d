"""Load: many concurrent clients against a real `heritage-graph serve`, for a bounded time.

    .venv/bin/python bench/load.py [--duration 60] [--clients 32] [--curators 4] [--reviewers 1]
                                   [--update-benchmarks] [--out FILE]
    .venv/bin/python bench/load.py --smoke                      # a few seconds, a few clients
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 [--pid PID]
                                   [--curator-token hg_… ...] [--reviewer-token hg_…]

Without --url the script seeds a throw-away embedded store with the Peru seeds and creates curator
and reviewer tokens (what `heritage-graph seed` and `heritage-graph token create` do), then starts
`heritage-graph serve` (uvicorn, one process) on a free port of 127.0.0.1.
Then, for --duration seconds, every client sends its next request as soon as the previous one
is answered (a closed loop, no think time):

- readers (anonymous): node by id with its relations, listings (with region filters), stories,
  a story, search with facets, lineage and path queries;
- curators: each takes drafts through create → add relation → update → update a record shared
  by all curators (stale versions: VersionConflict is expected there and counted, not an error)
  → update → submit for review;
- reviewers: approve what was submitted; read a record's history when nothing waits.

Reported: throughput (requests/s overall and per kind), p50/p99 latency per kind, errors (any
transport failure, non-2xx, GraphQL error, or mutation result other than the expected one or a
VersionConflict — listed with samples), and the server's memory: VmRSS from /proc/<pid>/status
every second (start, end, max, and the slope over the second half). Results go to
bench/results/load-<UTC time>.json; --update-benchmarks rewrites the marked "Load" section of
BENCHMARKS.md. The exit status is 1 when any request failed or the server logged an error.

The load generator is one Python process (asyncio + httpx) on the same machine as the server:
both share its cores, so the figures are a floor for the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCHMARKS = ROOT / "BENCHMARKS.md"
BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"
SAMPLES_PER_ERROR = 3
TIMEOUT = 30.0

# -- the requests -------------------------------------------------------------------------------

NODE = """query($id: ID!) { node(id: $id) { id kind name summary version sources { id }
  relations { type direction node { id kind name } sources { id } } } }"""
LISTING = """query($first: Int!, $region: ID) {{ {field}(first: $first, filter: {{region: $region}}) {{
  totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ id name }} }} }} }}"""
STORIES = """query($lang: String) { stories(language: $lang, first: 10) {
  totalCount edges { node { id title summary } } } }"""
STORY = """query($id: ID!, $lang: String) { story(id: $id, language: $lang) {
  id title body features { node { id name } } coverPlace { node { id name } } } }"""
SEARCH = """query($q: String!) { search(query: $q, first: 10) { totalCount
  edges { score snippet node { id kind name } }
  facets { kinds { kind count } regions { id count } domains { domain count } } } }"""
LINEAGE = """query($id: ID!, $dir: LineageDirection!) { lineage(id: $id, direction: $dir, maxDepth: 10) {
  root { id } nodes { depth node { id name } } edges { from to type sources { id } } } }"""
PATH = """query($from: ID!, $to: ID!) { path(from: $from, to: $to, maxDepth: 6) {
  length nodes { id name } edges { from to type } } }"""
HISTORY = "query($id: ID!) { history(id: $id) { op actor at version } }"
FAILURES = """... on VersionConflict { message currentVersion }
  ... on InvalidInputError { message }
  ... on NotFoundError { message }
  ... on ForbiddenError { message }"""
RESULT = f"__typename ... on NodeSaved {{ node {{ id version status }} }} {FAILURES}"
RELATION_RESULT = f"__typename ... on RelationSaved {{ relation {{ type from to version }} }} {FAILURES}"
CREATE = f"mutation($input: NodeInput!) {{ createNode(input: $input, reason: \"load test\") {{ {RESULT} }} }}"
UPDATE = f"""mutation($id: ID!, $v: Int!, $patch: NodePatch!) {{
  updateNode(id: $id, expectedVersion: $v, patch: $patch, reason: "load test") {{ {RESULT} }} }}"""
RELATE = (f"mutation($input: RelationInput!) {{ addRelation(input: $input, reason: \"load test\") "
          f"{{ {RELATION_RESULT} }} }}")
SUBMIT = f"mutation($id: ID!, $v: Int!) {{ submitForReview(id: $id, expectedVersion: $v) {{ {RESULT} }} }}"
APPROVE = f"mutation($id: ID!, $v: Int!) {{ approve(id: $id, expectedVersion: $v, comment: \"ok\") {{ {RESULT} }} }}"

SEARCHES = ["danza de tijeras", "qoylluriti", "Qoyllur Rit’i", "retablo", "tejido taquile", "cerámica",
            "huaconada", "scissors dance", "chicha", "pachamanca", "ayacucho", "puno", "fiesta", "textile art",
            "\"arte textil\"", "marinera", "quinua", "santero", "cusco", "wititi"]
LISTINGS = ["traditions", "crafts", "recipes", "practitioners", "communities", "organizations", "places"]
READER_MIX = {"read.node": 30, "read.listing": 15, "read.stories": 5, "read.story": 10, "search": 20,
              "lineage": 12, "path": 8}
CURATOR_STEPS = ["write.create", "write.relation", "write.update", "write.update-shared", "write.update",
                 "write.submit"]


@dataclass
class Pools:
    """Ids of the seeded inventory the readers and writers pick from."""

    nodes: list[str]
    elements: list[str]
    lineage: list[str]
    departments: list[str]
    stories: list[str]
    sources: list[str]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    conflicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))

    def error(self, kind: str, what: str, detail: str) -> None:
        self.errors[kind] += 1
        bucket = self.samples[(kind, what)]
        if len(bucket) < SAMPLES_PER_ERROR:
            bucket.append(detail[:500])


class Failed(Exception):
    """A request that did not get the answer it should have; already counted."""


class Api:
    """One client: its own connection, its own token, its latencies into the shared Stats."""

    def __init__(self, base: str, stats: Stats, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=base, headers=headers, timeout=TIMEOUT)
        self.stats = stats

    async def close(self) -> None:
        await self.http.aclose()

    async def gql(self, kind: str, query: str, expect: tuple[str, ...] = (), **variables: Any) -> Any:
        """Send one request; the data of its one root field. A mutation must answer one of the
        ``expect``ed types (a VersionConflict among them is counted apart); anything else is an error."""
        started = time.perf_counter()
        try:
            r = await self.http.post("/graphql", json={"query": query, "variables": variables})
            body = r.json() if r.headers.get("content-type", "").startswith("application/") else None
        except (httpx.HTTPError, ValueError) as exc:
            self.stats.latencies[kind].append(time.perf_counter() - started)
            self.stats.error(kind, type(exc).__name__, f"{type(exc).__name__}: {exc}")
            raise Failed from exc
        self.stats.latencies[kind].append(time.perf_counter() - started)
        if not 200 <= r.status_code < 300:
            self.stats.error(kind, f"HTTP {r.status_code}", f"HTTP {r.status_code}: {r.text}")
            raise Failed
        if not isinstance(body, dict) or body.get("errors") or not isinstance(body.get("data"), dict):
            found = body.get("errors") if isinstance(body, dict) else None
            messages = [str(e.get("message", "")) for e in found or [] if isinstance(e, dict)]
            self.stats.error(kind, "GraphQL error: " + (messages[0][:80] if messages else "no data"),
                             json.dumps({"variables": variables, "response": body}, ensure_ascii=False))
            raise Failed
        data = next(iter(body["data"].values()))
        if expect:
            typename = (data or {}).get("__typename")
            if typename not in expect:
                self.stats.error(kind, f"unexpected {typename}",
                                 json.dumps({"variables": variables, "result": data}, ensure_ascii=False))
                raise Failed
            if typename == "VersionConflict":
                self.stats.conflicts[kind] += 1
        return data


# -- the clients --------------------------------------------------------------------------------

@dataclass
class Shared:
    """What the writers share: the record every curator edits, and the drafts waiting for review."""

    run: str
    hot_id: str
    review: asyncio.Queue[tuple[str, int]] = field(default_factory=asyncio.Queue)
    created: list[str] = field(default_factory=list)


async def reader(api: Api, pools: Pools, rnd: random.Random, deadline: float) -> None:
    kinds, weights = zip(*READER_MIX.items(), strict=True)
    while time.perf_counter() < deadline:
        kind = rnd.choices(kinds, weights)[0]
        try:
            if kind == "read.node":
                await api.gql(kind, NODE, id=rnd.choice(pools.nodes))
            elif kind == "read.listing":
                region = rnd.choice([None, *pools.departments])
                await api.gql(kind, LISTING.format(field=rnd.choice(LISTINGS)), first=20, region=region)
            elif kind == "read.stories":
                await api.gql(kind, STORIES, lang=rnd.choice(["es", "en"]))
            elif kind == "read.story":
                await api.gql(kind, STORY, id=rnd.choice(pools.stories), lang=rnd.choice(["es", "en"]))
            elif kind == "search":
                await api.gql(kind, SEARCH, q=rnd.choice(SEARCHES))
            elif kind == "lineage":
                await api.gql(kind, LINEAGE, id=rnd.choice(pools.lineage),
                              dir=rnd.choice(["ANCESTORS", "DESCENDANTS"]))
            else:
                await api.gql(kind, PATH, **{"from": rnd.choice(pools.lineage), "to": rnd.choice(pools.elements)})
        except Failed:
            continue


def _draft(draft_id: str, n: int, pools: Pools, rnd: random.Random) -> dict[str, Any]:
    return {"kind": "TRADITION", "id": draft_id, "name": f"Fiesta de carga {n}",
            "names": [{"lang": "es", "text": f"Fiesta de carga {n}"}, {"lang": "en", "text": f"Load festival {n}"}],
            "summary": [{"lang": "es", "text": "Registro creado por la prueba de carga."}],
            "properties": {"category": "festival", "domains": ["social-practices"],
                           "safeguarding": "registro inicial"},
            "sources": [rnd.choice(pools.sources)], "confidence": "MEDIUM"}


async def curator(api: Api, me: int, pools: Pools, shared: Shared, rnd: random.Random, deadline: float) -> None:
    """Drafts through their life, one step per request; a failed step abandons that draft."""
    hot_version = 1
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        draft_id = f"{shared.run}-c{me}-{n}"
        version = 0
        for step in CURATOR_STEPS:
            if time.perf_counter() >= deadline:
                return
            try:
                if step == "write.create":
                    saved = await api.gql(step, CREATE, ("NodeSaved",), input=_draft(draft_id, n, pools, rnd))
                    version = saved["node"]["version"]
                    shared.created.append(draft_id)
                elif step == "write.relation":
                    await api.gql(step, RELATE, ("RelationSaved",), input={
                        "type": "LOCATED_IN", "from": draft_id, "to": rnd.choice(pools.departments),
                        "sources": [rnd.choice(pools.sources)], "confidence": "MEDIUM"})
                elif step == "write.update":
                    saved = await api.gql(step, UPDATE, ("NodeSaved",), id=draft_id, v=version, patch={
                        "properties": {"safeguarding": f"revisado por c{me}, versión {version + 1}"}})
                    version = saved["node"]["version"]
                elif step == "write.update-shared":
                    # Built on what this curator saw last: others move it on, so conflicts are the point.
                    result = await api.gql(step, UPDATE, ("NodeSaved", "VersionConflict"), id=shared.hot_id,
                                           v=hot_version, patch={"properties": {"viability": f"c{me} {n}"}})
                    hot_version = (result["node"]["version"] if result["__typename"] == "NodeSaved"
                                   else result["currentVersion"])
                else:
                    saved = await api.gql(step, SUBMIT, ("NodeSaved",), id=draft_id, v=version)
                    await shared.review.put((draft_id, saved["node"]["version"]))
            except Failed:
                break


async def reviewer(api: Api, shared: Shared, rnd: random.Random, deadline: float) -> None:
    while time.perf_counter() < deadline:
        try:
            draft_id, version = shared.review.get_nowait()
        except asyncio.QueueEmpty:
            target = rnd.choice(shared.created) if shared.created else shared.hot_id
            with suppress(Failed):
                await api.gql("read.history", HISTORY, id=target)
            continue
        with suppress(Failed):
            await api.gql("write.approve", APPROVE, ("NodeSaved",), id=draft_id, v=version)


# -- memory -------------------------------------------------------------------------------------

def rss_mib(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) / 1024 if found else None


def machine_busy_seconds() -> float | None:
    """CPU seconds every process on the machine has used since boot (user, nice, system, irq, steal)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def sample_memory(pid: int, started: float, out: list[tuple[float, float]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        rss = rss_mib(pid)
        if rss is not None:
            out.append((round(time.perf_counter() - started, 2), round(rss, 2)))
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def slope_per_minute(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope, MiB per minute."""
    if len(points) < 3:
        return None
    mx = sum(t for t, _ in points) / len(points)
    my = sum(v for _, v in points) / len(points)
    var = sum((t - mx) ** 2 for t, _ in points)
    return None if var == 0 else 60 * sum((t - mx) * (v - my) for t, v in points) / var


def memory_report(points: list[tuple[float, float]], idle: float | None) -> dict[str, Any] | None:
    if not points:
        return None
    half = points[len(points) // 2:]
    slope = slope_per_minute(half)
    return {"idle_before_mib": idle, "start_mib": points[0][1], "end_mib": points[-1][1],
            "max_mib": max(v for _, v in points),
            "second_half_slope_mib_per_min": None if slope is None else round(slope, 2),
            "samples": points}


# -- the server ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(db: Path, curators: int, reviewers: int) -> tuple[list[str], list[str]]:
    """Seed a new embedded store and create the tokens, as `heritage-graph seed` and `token create`
    do (the same functions, in this process: three fewer interpreter start-ups); then close it."""
    from heritage_graph.cli import SEED_ACTOR, seed_files
    from heritage_graph.services.importer import run_import
    from heritage_graph.store.ladybug import LadybugStore
    from heritage_graph.tokens import create_token

    store = LadybugStore(db).open()
    try:
        store.init()
        print(run_import(store, seed_files(), actor=SEED_ACTOR).summary())
        return ([create_token(store, "curator", name=f"load curator {i}")[0] for i in range(curators)],
                [create_token(store, "reviewer", name=f"load reviewer {i}")[0] for i in range(reviewers)])
    finally:
        store.close()


@dataclass
class Target:
    base: str
    pid: int | None
    curators: list[str]
    reviewers: list[str]
    log: Path | None = None


@contextmanager
def own_server(curators: int, reviewers: int, settings: dict[str, str] | None = None) -> Iterator[Target]:
    """A throw-away seeded store, tokens, and `heritage-graph serve` on it; all removed on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="heritage-load-"))
    db = tmp / "db"
    proc: subprocess.Popen[bytes] | None = None
    try:
        target = Target("", None, *prepare(db, curators, reviewers), log=tmp / "serve.log")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HERITAGE_"))} | (settings or {})
        assert target.log is not None
        with target.log.open("wb") as log:  # a file, not a pipe: nobody reads it while the load runs
            proc = subprocess.Popen([sys.executable, "-m", "heritage_graph.cli", "--db", str(db), "serve",
                                     "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        target.base, target.pid = f"http://127.0.0.1:{port}", proc.pid
        wait_ready(target.base, proc, target.log)
        yield target
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


LOG_ALARM = re.compile(r"Traceback|\"level\": \"(ERROR|CRITICAL)\"|^(ERROR|CRITICAL)\b|\block", re.I | re.M)


def log_alarms(log: Path | None) -> list[str]:
    """Lines of the server's log that speak of a failure (or of a lock)."""
    if log is None or not log.exists():
        return []
    return [line[:500] for line in log.read_text(errors="replace").splitlines() if LOG_ALARM.search(line)]


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}):\n{log.read_text(errors='replace')}")
        with suppress(httpx.TransportError):
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /healthz within {timeout:g} s")


# -- the run ------------------------------------------------------------------------------------

async def discover(base: str, token: str | None) -> Pools:
    """Read the ids to use from the service itself (so --url works against any inventory)."""
    stats = Stats()
    api = Api(base, stats, token)
    try:
        def ids(conn: dict[str, Any]) -> list[str]:
            return [e["node"]["id"] for e in conn["edges"]]

        async def listing(name: str, fields: str = "id") -> list[dict[str, Any]]:
            out, after = [], None
            while True:
                query = (f"query($after: String) {{ {name}(first: 200, after: $after) "
                         f"{{ pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {fields} }} }} }} }}")
                page = await api.gql("setup", query, after=after)
                out += [e["node"] for e in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    return out
                after = page["pageInfo"]["endCursor"]

        elements = [n["id"] for k in ("traditions", "crafts", "recipes") for n in await listing(k)]
        people = await listing("practitioners", "id ... on Practitioner { teachers { node { id } } "
                                                "students { node { id } } }")
        lineage = [p["id"] for p in people if p["teachers"] or p["students"]]
        places = await listing("places", "id ... on Place { level }")
        departments = [p["id"] for p in places if p["level"] == "DEPARTMENT"]
        stories = ids(await api.gql("setup", "{ stories(first: 200) { edges { node { id } } } }"))
        sources = [n["id"] for n in await listing("sources")]
        others = [n["id"] for k in ("communities", "organizations") for n in await listing(k)]
    except Failed:
        raise SystemExit(f"could not read the inventory from {base}: {dict(stats.samples)}") from None
    finally:
        await api.close()
    pools = Pools(nodes=elements + [p["id"] for p in people] + others + [p["id"] for p in places],
                  elements=elements, lineage=lineage, departments=departments, stories=stories, sources=sources)
    empty = [k for k, v in vars(pools).items() if not v]
    if empty:
        raise SystemExit(f"the inventory at {base} has nothing for: {', '.join(empty)} (seed it first)")
    return pools


async def load(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    pools = await discover(target.base, None)
    stats = Stats()
    rnd = random.Random(args.seed)
    run = "load-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    writers = target.curators[:args.curators]
    shared = Shared(run=run, hot_id=f"{run}-shared")
    if writers:
        setup = Api(target.base, Stats(), writers[0])
        try:
            await setup.gql("setup", CREATE, ("NodeSaved",), input=_draft(shared.hot_id, 0, pools, rnd))
        except Failed:
            raise SystemExit(f"could not create the shared record: {dict(setup.stats.samples)}") from None
        finally:
            await setup.close()
    reviewers = target.reviewers[:args.reviewers] if writers else []
    readers = args.clients - len(writers) - len(reviewers)
    if readers < 1:
        raise SystemExit(f"--clients {args.clients} leaves no reader after {len(writers)} curators and "
                         f"{len(reviewers)} reviewers")
    apis = ([Api(target.base, stats) for _ in range(readers)] + [Api(target.base, stats, t) for t in writers]
            + [Api(target.base, stats, t) for t in reviewers])
    idle = rss_mib(target.pid) if target.pid else None
    cpu_before = cpu_seconds(target.pid) if target.pid else None
    mine_before = os.times()
    busy_before = machine_busy_seconds()
    memory: list[tuple[float, float]] = []
    stop = asyncio.Event()
    started = time.perf_counter()
    deadline = started + args.duration
    sampler = asyncio.create_task(sample_memory(target.pid, started, memory, stop)) if target.pid else None
    tasks = [reader(apis[i], pools, random.Random(rnd.random()), deadline) for i in range(readers)]
    tasks += [curator(apis[readers + i], i, pools, shared, random.Random(rnd.random()), deadline)
              for i in range(len(writers))]
    tasks += [reviewer(a, shared, random.Random(rnd.random()), deadline) for a in apis[readers + len(writers):]]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), args.duration + TIMEOUT + 30)
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        if sampler:
            await sampler
        await asyncio.gather(*(a.close() for a in apis))
    mine_after = os.times()
    cpu_after = cpu_seconds(target.pid) if target.pid else None
    busy_after = machine_busy_seconds()
    server_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    client_cpu = mine_after.user + mine_after.system - mine_before.user - mine_before.system
    # What the rest of the machine took meanwhile: other people's work competes for the same cores.
    other_cpu = (None if busy_before is None or busy_after is None or server_cpu is None
                 else max(0.0, busy_after - busy_before - server_cpu - client_cpu))
    return report(stats, elapsed, memory, idle, args, readers=readers, curators=len(writers),
                  reviewers=len(reviewers), server_cpu=_round(server_cpu), client_cpu=_round(client_cpu),
                  other_cpu=_round(other_cpu))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def percentile(ordered: list[float], q: float) -> float:
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def report(stats: Stats, elapsed: float, memory: list[tuple[float, float]], idle: float | None,
           args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    kinds = {}
    for kind in sorted(stats.latencies):
        ms = sorted(t * 1000 for t in stats.latencies[kind])
        kinds[kind] = {"requests": len(ms), "per_second": round(len(ms) / elapsed, 1),
                       "p50_ms": round(percentile(ms, 0.50), 1), "p99_ms": round(percentile(ms, 0.99), 1),
                       "max_ms": round(ms[-1], 1), "errors": stats.errors.get(kind, 0),
                       "version_conflicts": stats.conflicts.get(kind, 0)}
    total = sum(k["requests"] for k in kinds.values())
    errors = sum(stats.errors.values())
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python bench/load.py", *sys.argv[1:]]),
        "machine": machine(),
        "config": {"duration_s": args.duration, "clients": args.clients, "seed": args.seed,
                   "target": args.url or "own server (throw-away store, Peru seeds)", **extra},
        "elapsed_s": round(elapsed, 2),
        "requests": total,
        "per_second": round(total / elapsed, 1),
        "errors": errors,
        "error_rate": round(errors / total, 6) if total else None,
        "version_conflicts": sum(stats.conflicts.values()),
        "kinds": kinds,
        "error_samples": [{"kind": k, "what": w, "samples": s} for (k, w), s in sorted(stats.samples.items())],
        "memory": memory_report(memory, idle),
    }


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text()) if Path("/proc/meminfo").exists() \
        else None
    from importlib.metadata import PackageNotFoundError, version

    try:
        store = f"ladybug {version('ladybug')}"
    except PackageNotFoundError:
        store = "unknown"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem.group(1)) / 1024**2) if mem else None,
            "python": platform.python_version(), "store": store, "system": platform.platform()}


# -- output -------------------------------------------------------------------------------------

def table(result: dict[str, Any]) -> str:
    rows = ["| kind | requests | req/s | p50 | p99 | errors | conflicts |", "|---|---|---|---|---|---|---|"]
    for kind, k in result["kinds"].items():
        rows.append(f"| `{kind}` | {k['requests']} | {k['per_second']} | {k['p50_ms']} ms | {k['p99_ms']} ms "
                    f"| {k['errors']} | {k['version_conflicts']} |")
    rows.append(f"| **all** | {result['requests']} | {result['per_second']} | | | {result['errors']} "
                f"| {result['version_conflicts']} |")
    return "\n".join(rows)


def memory_line(result: dict[str, Any]) -> str:
    m = result["memory"]
    if not m:
        return "Server memory: not sampled (pass --pid with --url)."
    slope = m["second_half_slope_mib_per_min"]
    idle = "" if m["idle_before_mib"] is None else f"{m['idle_before_mib']:.0f} MiB idle before the load, "
    return (f"Server memory (VmRSS, sampled every second): {idle}{m['start_mib']:.0f} MiB at the start, "
            f"{m['end_mib']:.0f} MiB at the end, {m['max_mib']:.0f} MiB at most; slope over the second half "
            + ("n/a (too few samples)." if slope is None else f"{slope:+.2f} MiB/min."))


def summary(result: dict[str, Any]) -> str:
    c = result["config"]
    lines = [f"{result['requests']} requests in {result['elapsed_s']} s: {result['per_second']} req/s, "
             f"{result['errors']} errors (rate {result['error_rate']}), "
             f"{result['version_conflicts']} expected version conflicts",
             f"clients: {c['readers']} readers, {c['curators']} curators, {c['reviewers']} reviewers; "
             f"CPU seconds: server {c['server_cpu']}, load generator {c['client_cpu']}, "
             f"other processes {c['other_cpu']}",
             table(result), memory_line(result)]
    alarms = result.get("server_log_alarms")
    if alarms and alarms["lines"]:
        lines.append(f"SERVER LOG: {alarms['lines']} lines speak of errors or locks, e.g.:")
        lines += [f"    {s}" for s in alarms["samples"]]
    for e in result["error_samples"]:
        lines.append(f"ERROR {e['kind']} {e['what']}:")
        lines += [f"    {s}" for s in e["samples"]]
    return "\n".join(lines)


def benchmarks_section(result: dict[str, Any], results_file: str) -> str:
    m, c = result["machine"], result["config"]
    return "\n".join([
        BEGIN,
        f"Last run {result['date']} on {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python "
        f"{m['python']}, {m['store']}, by `{result['command']}` (results: `{results_file}`).",
        "",
        f"{c['readers']} anonymous readers, {c['curators']} curators and {c['reviewers']} reviewer(s), each "
        f"sending its next request as soon as the last is answered, for {result['elapsed_s']} s against "
        "`heritage-graph serve` (uvicorn, one process) on a throw-away store seeded with the Peru seeds. "
        f"{result['requests']} requests, {result['per_second']} per second; {result['errors']} errors "
        f"(error rate {result['error_rate']}); {result['version_conflicts']} VersionConflict results on the "
        "record all curators edit from stale versions (expected, and not errors).",
        "",
        table(result),
        "",
        memory_line(result),
        "",
        f"The load generator (one asyncio process, httpx) shares the {m['cores']} cores with the server: it used "
        f"{c['client_cpu']} CPU seconds, the server {c['server_cpu']} and other processes on the machine "
        f"{c['other_cpu']} (of {round(m['cores'] * result['elapsed_s'])} available), so the server had less than "
        "the whole machine and these figures are a floor. The store grows during the run (every write adds a "
        "revision, every creation a node): the note after this part says where the memory goes.",
        END,
    ])


def update_benchmarks(section: str, path: Path = BENCHMARKS) -> None:
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} has no {BEGIN} … {END} section to update")
    head, rest = text.split(BEGIN, 1)
    path.write_text(head + section + rest.split(END, 1)[1], encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    doc = __doc__ or ""
    p = argparse.ArgumentParser(description=doc.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=60, help="seconds of load [60]")
    p.add_argument("--clients", type=int, default=32, help="concurrent clients in all [32]")
    p.add_argument("--curators", type=int, default=4, help="how many of them are curators [4]")
    p.add_argument("--reviewers", type=int, default=1, help="how many are reviewers [1]")
    p.add_argument("--seed", type=int, default=1, help="random seed [1]")
    p.add_argument("--smoke", action="store_true", help="a few seconds with a few clients (checks the script)")
    p.add_argument("--url", help="load a running service instead of starting one")
    p.add_argument("--pid", type=int, help="with --url: the server's pid, to sample its memory")
    p.add_argument("--curator-token", action="append", default=[], help="with --url: a curator token (repeat)")
    p.add_argument("--reviewer-token", action="append", default=[], help="with --url: a reviewer token (repeat)")
    p.add_argument("--out", type=Path, help="results file [bench/results/load-<UTC time>.json; none with --smoke]")
    p.add_argument("--update-benchmarks", action="store_true", help="rewrite the Load section of BENCHMARKS.md")
    args = p.parse_args(argv)
    if args.smoke:
        args.duration, args.clients, args.curators, args.reviewers = 3.0, 6, 2, 1
    for name in ("duration", "clients"):
        if getattr(args, name) <= 0:
            p.error(f"--{name} must be positive")
    if args.curators < 0 or args.reviewers < 0:
        p.error("--curators and --reviewers cannot be negative")
    if args.url:  # as many writers as there are tokens for, at most; reviewers only beside curators
        if args.curators and not args.curator_token:
            print("no --curator-token: readers only", file=sys.stderr)
        args.curators = min(args.curators, len(args.curator_token))
        args.reviewers = min(args.reviewers, len(args.reviewer_token)) if args.curators else 0
    if args.clients - args.curators - args.reviewers < 1:
        p.error(f"--clients {args.clients} leaves no reader after {args.curators} curators and "
                f"{args.reviewers} reviewers")
    if args.pid and not args.url:
        p.error("--pid goes with --url (the script knows the pid of the server it starts)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url:
        target = Target(args.url.rstrip("/"), args.pid, args.curator_token, args.reviewer_token)
        result = asyncio.run(load(target, args))
    else:
        with own_server(args.curators, args.reviewers) as target:
            result = asyncio.run(load(target, args))
            alarms = log_alarms(target.log)
            result["server_log_alarms"] = {"lines": len(alarms), "samples": alarms[:5]}
    out = args.out
    if out is None and not args.smoke:
        out = RESULTS / f"load-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"results: {out}")
    print(summary(result))
    if args.update_benchmarks:
        shown = out.resolve().relative_to(ROOT) if out and out.resolve().is_relative_to(ROOT) else out
        update_benchmarks(benchmarks_section(result, str(shown)))
        print(f"updated the Load section of {BENCHMARKS}")
    return 1 if result["errors"] or (result.get("server_log_alarms") or {}).get("lines") else 0


if __name__ == "__main__":
    sys.exit(main())
