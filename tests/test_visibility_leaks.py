"""No read path leaks what a reader may not see: a property-based test.

Hypothesis builds random graphs with random sensitivity, status, consent and
relations, and random readers (every role, with or without a community scope).
For every read path the response may not mention a hidden record, and every
total must equal what the reader can see. Traditions and stories carry media
items of random sensitivities, and no read path may mention an item hidden from
its reader either. The rule is restated here as an oracle, independently of
heritage_graph/visibility.py.

A second property gives the records a random past (earlier names, statuses,
sensitivities and consents, relation notes, reasons), each state marked, and
checks every field of ``history`` and every ``node(asOf:)`` answer: a reader
sees a state only if it could have read it at that moment, and sees those.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heritage_graph.app import create_app
from heritage_graph.history import revision_for, target_of
from heritage_graph.interchange import parse_record
from heritage_graph.model import Changes, Node, Relation, Revision
from heritage_graph.settings import Settings
from heritage_graph.store.base import Store
from heritage_graph.tokens import create_token

from .conftest import PERSISTENT, Client, fresh_store

SENSITIVITY = ("public", "community", "restricted")
STATUS = ("draft", "in_review", "published", "retired")
CONSENT = (None, "granted", "pending", "refused", "withdrawn", "not-required")
# Consent granted for a scope without media covers the record but not its media.
CONSENTS = (*({"status": c} if c else None for c in CONSENT), {"status": "granted", "scope": ["publication"]},
            {"status": "granted", "scope": ["media", "publication"]}, {"basis": "given"},
            {"basis": "published-source"}, {"basis": "not-recorded"})
ITEM_SENSITIVITY = (None, *SENSITIVITY)
COMMUNITIES = ("zqc0x", "zqc1x")
KINDS = ("Tradition", "Practitioner", "Source", "Story", "Community")
ROLES = ("anonymous", "researcher", "curator", "reviewer", "admin")
ID = re.compile(r"zq[a-z0-9]+x")  # record ids, and media items' URLs (zqm{record}n{item}x)
PREFIX = {"Tradition": "t", "Practitioner": "r", "Source": "s", "Story": "y"}  # Places are zqp…, communities zqc…


@dataclass(frozen=True)
class Case:
    nodes: list[Node]
    relations: list[Relation]
    role: str
    community: str | None


@st.composite
def cases(draw: st.DrawFn) -> Case:
    nodes = [Node("Place", "zqp0x", "alpha place zqp0x", properties={"level": "country"}),
             Node("Place", "zqp1x", "alpha place zqp1x", properties={"level": "department"},
                  sensitivity=draw(st.sampled_from(SENSITIVITY)))]
    for c in COMMUNITIES:
        nodes.append(Node("Community", c, f"alpha community {c}", sensitivity=draw(st.sampled_from(SENSITIVITY)),
                          status=draw(st.sampled_from(STATUS))))
    count = draw(st.integers(3, 10))
    sources: list[str] = []
    for i in range(count):
        kind = draw(st.sampled_from(KINDS[:4]))
        node_id = f"zq{PREFIX[kind]}{i}x"
        props: dict = {}
        if kind in ("Tradition", "Practitioner"):
            consent = draw(st.sampled_from(CONSENTS))
            if consent:
                props["consent"] = consent
            if kind == "Practitioner" and draw(st.booleans()):
                props["death_year"] = 1990
            if kind == "Tradition" and draw(st.booleans()):
                props["access_rules"] = "alpha rules"
        if kind == "Story":
            props["titles"] = {"es": f"alpha historia {node_id}"}
        if kind in ("Tradition", "Story"):
            items = draw(st.lists(st.sampled_from(ITEM_SENSITIVITY), max_size=3))
            media = [{"url": f"https://example.org/zqm{i}n{j}x.pdf", "kind": "document"} for j in range(len(items))]
            for item, level in zip(media, items, strict=True):
                if level:
                    item["sensitivity"] = level
            if media:
                props["media"] = media
        cites = draw(st.lists(st.sampled_from(sources), max_size=2, unique=True)) if sources and kind != "Source" \
            else []
        nodes.append(Node(kind, node_id, f"alpha {kind.lower()} {node_id}", properties=props, sources=tuple(cites),
                          sensitivity=draw(st.sampled_from(SENSITIVITY)), status=draw(st.sampled_from(STATUS))))
        if kind == "Source":
            sources.append(node_id)
    by_kind: dict[str, list[str]] = {}
    for n in nodes:
        by_kind.setdefault(n.kind, []).append(n.id)
    pairs = {
        "PRACTICES": (by_kind.get("Community", []), by_kind.get("Tradition", [])),
        "MEMBER_OF": (by_kind.get("Practitioner", []), by_kind.get("Community", [])),
        "LEARNED_FROM": (by_kind.get("Practitioner", []), by_kind.get("Practitioner", [])),
        "PRACTITIONER_OF": (by_kind.get("Practitioner", []), by_kind.get("Tradition", [])),
        "LOCATED_IN": (by_kind.get("Tradition", []) + by_kind.get("Practitioner", []) + ["zqp1x"], ["zqp0x", "zqp1x"]),
        "FEATURES": (by_kind.get("Story", []), by_kind.get("Tradition", []) + by_kind.get("Practitioner", [])),
        "COVER_PLACE": (by_kind.get("Story", []), ["zqp1x"]),
    }
    relations: dict[tuple[str, str, str], Relation] = {}
    # Derivations between traditions, always from a later one to an earlier one: acyclic, as stored.
    traditions = by_kind.get("Tradition", [])
    for _ in range(draw(st.integers(0, 6)) if len(traditions) > 1 else 0):
        a, b = sorted(draw(st.lists(st.sampled_from(traditions), min_size=2, max_size=2, unique=True)),
                      key=traditions.index, reverse=True)
        relations[("DERIVED_FROM", a, b)] = Relation("DERIVED_FROM", a, b)
    for _ in range(draw(st.integers(0, 14))):
        rel = draw(st.sampled_from(sorted(pairs)))
        froms, tos = pairs[rel]
        if not froms or not tos:
            continue
        a, b = draw(st.sampled_from(froms)), draw(st.sampled_from(tos))
        if a != b:
            relations[(rel, a, b)] = Relation(rel, a, b)
    role = draw(st.sampled_from(ROLES))
    community = draw(st.sampled_from((None, *COMMUNITIES))) if role in ("researcher", "curator", "reviewer") else None
    return Case(nodes, list(relations.values()), role, community)


def oracle(case: Case) -> set[str]:
    """The rule, restated: which ids this reader may see."""
    comms = _communities(case)
    return {n.id for n in case.nodes if _allowed(n, case, comms)}


def _allowed(n: Node, case: Case, comms: dict[str, set[str]]) -> bool:
    """Whether the reader may read this state of a record (with its communities as they are now)."""
    if case.role == "admin":
        return True
    recorded = n.properties.get("consent") or {}
    consent = recorded.get("status")
    # A living person, or knowledge with access rules, whose consent has no basis reads as pending.
    needs = (n.kind == "Practitioner" and n.properties.get("death_year") is None) or n.properties.get("access_rules")
    if not consent and needs and recorded.get("basis") not in ("given", "published-source"):
        consent = "pending"
    if consent in ("refused", "withdrawn"):
        return False
    if case.role in ("anonymous", "researcher") and (n.status != "published" or consent == "pending"):
        return False
    if n.sensitivity == "restricted":
        return False
    return not (n.sensitivity == "community" and (case.community is None or case.community not in comms[n.id]))


def _communities(case: Case) -> dict[str, set[str]]:
    comms: dict[str, set[str]] = {n.id: ({n.id} if n.kind == "Community" else set()) for n in case.nodes}
    for r in case.relations:
        if r.rel == "PRACTICES":
            comms[r.to_id].add(r.from_id)
        if r.rel == "MEMBER_OF":
            comms[r.from_id].add(r.to_id)
    return comms


def media_oracle(case: Case) -> set[str]:
    """The rule for media items, restated: the URL markers of the items this reader may see."""
    comms = _communities(case)
    visible = oracle(case)
    seen = set()
    for n in case.nodes:
        if n.id not in visible:
            continue
        consent = n.properties.get("consent") or {}
        covered = consent.get("status") != "granted" or not consent.get("scope") or "media" in consent["scope"]
        for item in n.properties.get("media", []):
            if case.role in ("anonymous", "researcher") and not covered:
                continue
            level = max(n.sensitivity, item.get("sensitivity", "public"), key=SENSITIVITY.index)
            if case.role != "admin" and (level == "restricted" or (
                    level == "community" and (case.community is None or case.community not in comms[n.id]))):
                continue
            seen.add(ID.search(item["url"]).group(0))  # type: ignore[union-attr]
    return seen


def markers(case: Case) -> set[str]:
    return {ID.search(m["url"]).group(0) for n in case.nodes for m in n.properties.get("media", [])}  # type: ignore[union-attr]



@pytest.fixture(scope="module", params=PERSISTENT)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[Store, Client, dict]]:
    with fresh_store(request, tmp_path_factory.mktemp("leaks")) as store:
        yield from _world(store)


def _world(store: Store) -> Iterator[tuple[Store, Client, dict]]:
    store.write([Node("Community", c, c) for c in COMMUNITIES], [])
    secrets: dict = {("anonymous", None): None}
    for role in ROLES[1:]:
        for community in (None, *COMMUNITIES):
            if role == "admin" and community:
                continue
            secrets[(role, community)] = create_token(store, role, community)[0]
    client = Client(create_app(Settings(), store=store))
    yield store, client, secrets
    client.close()


LIST = "{{ {field}(first: 200) {{ totalCount edges {{ node {{ id }} }} }} }}"
NODE = """query($id: ID!) { node(id: $id) { id name sources { id } relations { from to node { id } }
  ... on Practitioner { teachers { node { id } } students { node { id } } practices { node { id } }
                        memberOf { node { id } } }
  ... on Tradition { communities { node { id } } practitioners { node { id } } media { url } }
  ... on Story { features { node { id } } coverPlace { node { id } } media { url } } } }"""


# HERITAGE_LEAK_EXAMPLES raises the count for a longer hunt (bench/ or by hand).
@settings(max_examples=int(os.environ.get("HERITAGE_LEAK_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases())
def test_no_read_path_mentions_a_hidden_record(world: tuple[Store, Client, dict], case: Case) -> None:
    store, client, secrets = world
    store.delete_all()
    store.write(case.nodes, case.relations)
    visible = oracle(case)
    every = {n.id for n in case.nodes}
    hidden = (every - visible) | (markers(case) - media_oracle(case))
    headers = {}
    secret = secrets[(case.role, case.community)]
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    answers: list[object] = []

    def ask(query: str, _keep: bool = True, **variables: object) -> dict:
        r = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body = r.json()
        assert r.status_code == 200 and "errors" not in body, body
        if _keep:
            answers.append(body["data"])
        return body["data"]

    # node and nodes: null exactly for the hidden; each visible one with exactly the media its reader may see
    shown_media = media_oracle(case)
    for n in case.nodes:
        got = ask(NODE, id=n.id)["node"]
        assert (got is not None) == (n.id in visible), (n.id, case.role, case.community)
        if got is not None and n.kind in ("Tradition", "Story"):
            want = [m["url"] for m in n.properties.get("media", []) if ID.search(m["url"]).group(0) in shown_media]  # type: ignore[union-attr]
            assert [m["url"] for m in got["media"]] == want, (n.id, case.role, case.community)
    assert {x["id"] for x in ask("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=sorted(every))["nodes"]
            if x} == visible

    # listings and their totals
    for field, kind in (("traditions", "Tradition"), ("practitioners", "Practitioner"), ("sources", "Source"),
                        ("communities", "Community"), ("places", "Place")):
        data = ask(LIST.format(field=field))[field]
        want = {n.id for n in case.nodes if n.kind == kind} & visible
        assert {e["node"]["id"] for e in data["edges"]} == want and data["totalCount"] == len(want), field
        backward = ask(LIST.format(field=field).replace("first:", "last:"))[field]
        assert [e["node"]["id"] for e in backward["edges"]] == sorted(want), field

    # search: hits, snippets, totals and facets
    found = ask('{ search(query: "alpha", first: 200) { totalCount edges { snippet node { id } } '
                'facets { kinds { kind count } regions { id count } } } }')["search"]
    assert {e["node"]["id"] for e in found["edges"]} == visible
    assert found["totalCount"] == len(visible) == sum(k["count"] for k in found["facets"]["kinds"])

    # region filters: whatever place is named, nothing hidden comes back, and a hidden region is none
    by_region = ('query($r: ID) { traditions(filter: {region: $r}) { totalCount edges { node { id } } } }',
                 'query($r: ID) { search(query: "alpha", region: $r) { totalCount edges { node { id } } '
                 'facets { regions { id } } } }',
                 'query($r: ID) { stories(region: $r) { totalCount } }')
    public = oracle(Case(case.nodes, case.relations, "anonymous", None))
    for place in ("zqp0x", "zqp1x"):
        for q in by_region:
            # stories show what anyone may see, whoever asks, and so judge their region as anyone would
            if place in (public if "stories" in q else visible):
                ask(q, r=place)
                continue
            # a region the reader may not see is refused exactly like one that does not exist
            seen = client.post("/graphql", json={"query": q, "variables": {"r": place}}, headers=headers).json()
            none = client.post("/graphql", json={"query": q, "variables": {"r": "zqnoplacex"}},
                               headers=headers).json()
            assert seen["errors"] and (json.dumps(seen).replace(place, "ID")
                                       == json.dumps(none).replace("zqnoplacex", "ID")), (seen, none)
    ask("{ regions(level: DEPARTMENT) { place { id } count } regions2: regions(level: COUNTRY) "
        "{ place { id } count } }")

    # lineage, path, provenance, history from every visible node
    for n in case.nodes:
        if n.id not in visible:
            continue
        if n.kind == "Practitioner":
            for direction in ("ANCESTORS", "DESCENDANTS"):
                ask("query($id: ID!, $d: LineageDirection!) { lineage(id: $id, direction: $d) "
                    "{ nodes { node { id } } edges { from to } } }", id=n.id, d=direction)
        ask("query($id: ID!) { provenance(id: $id) { relations { from to } sources { source { id } "
            "relations { from to } } } }", id=n.id)
        ask("query($id: ID!) { history(id: $id) { target before after } }", id=n.id)
        path = ("query($a: ID!, $b: ID!) { path(from: $a, to: $b, maxDepth: 8, relationTypes: [PRACTICES, "
                "MEMBER_OF, LEARNED_FROM, PRACTITIONER_OF, LOCATED_IN, FEATURES, COVER_PLACE, DOCUMENTED_BY]) "
                "{ nodes { id } edges { from to } } }")
        for other in case.nodes:
            if other.id == n.id:
                continue
            if other.id in visible:
                ask(path, a=n.id, b=other.id)
                continue
            # an end the reader may not see is NOT_FOUND, exactly like one that does not exist
            seen = client.post("/graphql", json={"query": path, "variables": {"a": n.id, "b": other.id}},
                               headers=headers).json()
            none = client.post("/graphql", json={"query": path, "variables": {"a": n.id, "b": "zqnothingx"}},
                               headers=headers).json()
            assert json.dumps(seen).replace(other.id, "ID") == json.dumps(none).replace("zqnothingx", "ID")

    # stories: what anyone may see, whoever asks (their media too)
    public_case = Case(case.nodes, case.relations, "anonymous", None)
    stories = ask('{ stories(first: 100) { totalCount edges { node { id ... on Story { features { node { id } } '
                  'coverPlace { node { id } } media { url } } } } } }')
    assert set(ID.findall(json.dumps(stories))) <= oracle(public_case) | media_oracle(public_case)

    # a write to a hidden record reads exactly like one to a record that does not exist (the
    # answer names the id the client sent, hidden or not, so it is compared, not searched)
    for target in sorted(hidden)[:3]:
        miss = ask('mutation($id: ID!) { updateNode(id: $id, expectedVersion: 1, patch: {name: "x"}) '
                   '{ __typename ... on NotFoundError { message } ... on ForbiddenError { message } } }', False,
                   id=target)
        none = ask('mutation { updateNode(id: "zqnothingx", expectedVersion: 1, patch: {name: "x"}) '
                   '{ __typename ... on NotFoundError { message } ... on ForbiddenError { message } } }', False)
        assert json.dumps(miss).replace(target, "ID") == json.dumps(none).replace("zqnothingx", "ID")

    for answer in answers:
        leaked = set(ID.findall(json.dumps(answer))) & hidden
        assert not leaked, f"{case.role}/{case.community} saw {sorted(leaked)} in {json.dumps(answer)[:600]}"

    # linked data: the anonymous view
    unpublished = (every - public) | (markers(case) - media_oracle(public_case))
    for n in case.nodes:
        r = client.get(f"/ld/{n.id}")
        assert (r.status_code == 200) == (n.id in public), n.id
        if r.status_code == 200:
            assert not set(ID.findall(r.text)) & unpublished

    # closing a hierarchy's cycle: refused, and the refusal says nothing of a route it cannot read
    # (last: a derivation that is not refused is added)
    shown = [n.id for n in case.nodes if n.kind == "Tradition" and n.id in visible]
    for earlier, later in [(a, b) for i, a in enumerate(shown) for b in shown[i + 1:]][:6]:
        answer = ask('mutation($a: ID!, $b: ID!) { addRelation(input: {type: DERIVED_FROM, from: $a, to: $b}) '
                     '{ __typename ... on InvalidInputError { message problems { field message } } '
                     '... on ForbiddenError { message } ... on NotFoundError { message } } }', a=earlier, b=later)
        text = json.dumps(answer)
        assert not set(ID.findall(text)) & hidden, f"{case.role}/{case.community}: {text}"
        if _route(case, later, earlier, every) and not _route(case, later, earlier, visible):
            assert "cycle" not in text and "leads" not in text, f"{case.role}/{case.community}: {text}"


def _route(case: Case, start: str, goal: str, through: set[str]) -> list[str] | None:
    """A route of derivations from ``start`` to ``goal`` in the stored graph through ``through``, if any."""
    parents: dict[str, str | None] = {start: None}
    frontier = [start]
    while frontier and goal not in parents:
        frontier = [r.to_id for n in frontier for r in case.relations
                    if r.rel == "DERIVED_FROM" and r.from_id == n and r.to_id not in parents
                    and r.to_id in through and parents.setdefault(r.to_id, n) == n]
    if goal not in parents:
        return None
    route, cur = [], goal
    while cur is not None:
        route.append(cur)
        cur = parents[cur]
    return route


# -- history and asOf: a reader sees only states it could have read at the time ------------------------
HISTORY_ALL = "query($id: ID!) { history(id: $id) { id target op actor at reason version before after } }"
AS_OF = "query($id: ID!, $at: DateTime!) { node(id: $id, asOf: $at) { name status } }"


def _stamp(tick: int) -> str:
    return f"2020-01-01T{tick // 3600:02d}:{tick // 60 % 60:02d}:{tick % 60:02d}.000000Z"


@dataclass
class Past:
    """Earlier states of a case's records, as revisions, and the marks each state and reason carries."""

    revisions: list[Revision]
    timelines: dict[str, list[tuple[str, Node]]]  # node id -> (at, state) oldest first
    marks: dict[str, tuple[str, object]]  # mark -> ("node", Node state) | ("rel", (Relation, at)) | ("reason", rev)


@st.composite
def pasts(draw: st.DrawFn, case: Case) -> Past:
    ticks = iter(range(1, 10**6))
    revisions: list[Revision] = []
    timelines: dict[str, list[tuple[str, Node]]] = {}
    marks: dict[str, tuple[str, object]] = {}
    events: list[tuple[int, str, object]] = []  # (time, kind, payload), sorted later
    for n in case.nodes:
        if n.kind == "Place" or not draw(st.booleans()):
            continue
        for k in range(draw(st.integers(1, 3))):
            consent = draw(st.sampled_from(CONSENT))
            props = {**n.properties, "consent": {"status": consent}} if consent and n.kind in (
                "Tradition", "Practitioner") else {k2: v for k2, v in n.properties.items() if k2 != "consent"}
            state = replace(n, name=f"{n.name} zqh{n.id[2:-1]}n{k}x", properties=props,
                            status=draw(st.sampled_from(STATUS)), sensitivity=draw(st.sampled_from(SENSITIVITY)))
            events.append((draw(st.integers(1, 40)), "node", state))
        events.append((50, "node", n))  # the record as it is now comes last
    for i, r in enumerate(case.relations):
        if draw(st.booleans()):
            events.append((draw(st.integers(1, 45)), "rel", replace(r, note=f"zqh{i}notex")))
            events.append((draw(st.integers(46, 55)), "rel", r))
    events.sort(key=lambda e: e[0])
    last: dict[str, Node | Relation] = {}
    for base, what, record in events:
        at = _stamp(base * 1000 + next(ticks))
        target, _ = target_of(record)  # type: ignore[arg-type]
        old = last.get(target)
        first = "create" if what == "node" else "add-relation"
        op = first if old is None else ("update" if what == "node" else "update-relation")
        reason = f"zqh{len(revisions)}rx"
        rev = revision_for(record, old, op, "staff-ana", at, reason)  # type: ignore[arg-type]
        revisions.append(replace(rev, id=f"rev-{len(revisions):04d}"))
        marks[reason] = ("reason", revisions[-1])
        if isinstance(record, Node):
            timelines.setdefault(record.id, []).append((at, record))
            for mark in ID.findall(record.name):
                if mark.startswith("zqh"):  # the marks of earlier states, not the ids in every name
                    marks[mark] = ("node", record)
        elif record.note:
            marks[record.note] = ("rel", (record, at))
        last[target] = record
    return Past(revisions, timelines, marks)


@settings(max_examples=int(os.environ.get("HERITAGE_LEAK_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases(), data=st.data())
def test_history_and_as_of_show_only_what_the_reader_could_read_then(
        world: tuple[Store, Client, dict], case: Case, data: st.DataObject) -> None:
    """Every state in history (node and relation revisions, notes, reasons, every field) and every
    asOf answer is one the reader could have read at that moment; and those it could are shown."""
    store, client, secrets = world
    past = data.draw(pasts(case))
    store.delete_all()
    store.write(case.nodes, case.relations)
    store.apply(Changes(revisions=past.revisions))
    visible, comms = oracle(case), _communities(case)
    staff = case.role in ("curator", "reviewer", "admin")
    headers = {"Authorization": f"Bearer {secrets[(case.role, case.community)]}"} if secrets[
        (case.role, case.community)] else {}

    def readable_at(node_id: str, at: str, *, inclusive: bool) -> bool:
        timeline = past.timelines.get(node_id)
        if not timeline:
            return node_id in visible
        states = [s for t, s in timeline if t < at or (inclusive and t == at)]
        return bool(states) and _allowed(states[-1], case, comms)

    def state_ok(state: dict | None, rev: Revision, after: bool) -> bool:
        if state is None:
            return True
        if rev.target in rev.nodes:
            record, _ = parse_record(state)
            return isinstance(record, Node) and _allowed(record, case, comms)
        return all(readable_at(end, rev.at, inclusive=after) for end in rev.nodes)

    def ask(query: str, **variables: object) -> dict:
        r = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body = r.json()
        assert r.status_code == 200 and "errors" not in body, body
        return body["data"]

    for n in case.nodes:
        if n.id not in visible:
            continue
        shown = json.dumps(ask(HISTORY_ALL, id=n.id))
        own = [v for v in past.revisions if n.id in v.nodes and set(v.nodes) <= visible]
        allowed_marks = set()
        for v in own:
            ok_before, ok_after = state_ok(v.before, v, False), state_ok(v.after, v, True)
            for state, ok in ((v.before, ok_before), (v.after, ok_after)):
                if ok and state is not None:
                    allowed_marks |= set(ID.findall(json.dumps(state)))
            if staff and ok_before and ok_after:
                allowed_marks.add(v.reason or "")
        seen_marks = {m for m in ID.findall(shown) if m in past.marks}
        assert seen_marks <= allowed_marks, (case.role, case.community, sorted(seen_marks - allowed_marks), shown[:800])
        if not staff:
            assert '"actor": "staff-ana"' not in shown, "the public history names no staff"
        # what could be read is shown: every readable state of the node itself
        for at, state in past.timelines.get(n.id, []):
            mine = {m for m in ID.findall(state.name) if m in past.marks}
            if _allowed(state, case, comms):
                assert mine <= seen_marks, (case.role, n.id, at, sorted(mine), shown[:800])
            got = ask(AS_OF, id=n.id, at=at)["node"]
            assert got == ({"name": state.name, "status": state.status.upper()} if _allowed(state, case, comms)
                           else None), (case.role, case.community, n.id, at)
