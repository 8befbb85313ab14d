"""The store contract: every adapter behaves the same (memory, Ladybug, Neo4j)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from heritage_graph.errors import Conflict, StoreError
from heritage_graph.model import Changes, Node, Relation, Revision
from heritage_graph.store.base import Store

SRC = Node("Source", "src-1", "A source", properties={"title": "T", "url": "https://example.org", "type": "web"})
SRC2 = Node("Source", "src-2", "Another source", properties={"type": "book"})
PE = Node("Place", "pe", "Perú", properties={"level": "country"}, sources=("src-1",))
AYA = Node("Place", "pe-ayacucho", "Ayacucho", properties={"level": "department", "lat": -13.16, "lon": -74.22},
           sources=("src-1",))
HUA = Node("Place", "pe-ayacucho-huamanga", "Huamanga", properties={"level": "province"}, sources=("src-1",))
CUS = Node("Place", "pe-cusco", "Cusco", properties={"level": "department"}, sources=("src-1",))
RETABLO = Node(
    "Craft", "retablo", "Retablo ayacuchano",
    names={"es": "Retablo ayacuchano", "en": "Ayacucho retablo", "qu": "Sanmarkos"},
    summary={"es": "Caja de madera con escenas.", "en": "Wooden box with scenes."},
    properties={"domains": ["traditional-craftsmanship"],
                "declarations": [{"level": "national", "year": 2019, "resolution": "RV 098-2019"}],
                "materials": ["wood", "gesso"]},
    sources=("src-1", "src-2"), confidence="high",
)
QOY = Node("Tradition", "qoyllurit-i", "Qoyllur Rit'i",
           properties={"domains": ["social-practices", "performing-arts"], "category": "festival",
                       "unesco": {"list": "representative", "year": 2011, "element_no": "00567"},
                       "media": [{"url": "https://iiif.example.org/iiif/3/qoy/full/max/0/default.jpg", "kind": "image",
                                  "caption": {"es": "Ukukus en el glaciar", "qu": "Ukukukuna"},
                                  "alt": {"es": "Danzantes sobre la nieve"}, "licence": "CC-BY-SA-4.0"},
                                 {"url": "https://example.org/qoy.mp3", "kind": "audio", "media_type": "audio/mpeg",
                                  "sensitivity": "restricted"}]},
           sources=("src-1",), confidence="high")
ANA = Node("Practitioner", "ana", "Ana",
           properties={"birth_year": 1900, "roles": ["retablista"], "consent": {"basis": "given"}}, sources=("src-1",))
BETO = Node("Practitioner", "beto", "Beto", sources=("src-1",), sensitivity="community")

NODES = [SRC, SRC2, PE, AYA, HUA, CUS, RETABLO, QOY, ANA, BETO]
RELS = [
    Relation("LOCATED_IN", "pe-ayacucho", "pe", sources=("src-1",)),
    Relation("LOCATED_IN", "pe-ayacucho-huamanga", "pe-ayacucho", sources=("src-1",)),
    Relation("LOCATED_IN", "pe-cusco", "pe", sources=("src-1",)),
    Relation("LOCATED_IN", "retablo", "pe-ayacucho-huamanga", sources=("src-1",), confidence="high"),
    Relation("LOCATED_IN", "qoyllurit-i", "pe-cusco", sources=("src-1",)),
    Relation("LEARNED_FROM", "beto", "ana", properties={"period": "1950s", "setting": "family workshop"},
             sources=("src-1", "src-2"), confidence="medium", note="as a boy"),
    Relation("KIN_OF", "ana", "beto", properties={"kinship": "parent"}, sources=("src-1",)),
    Relation("PRACTITIONER_OF", "ana", "retablo", properties={"role": "master"}, sources=("src-1",)),
]


@pytest.fixture
def filled(store: Store) -> Store:
    store.write(NODES, RELS)
    return store


def test_nodes_round_trip_with_every_property_type(filled: Store) -> None:
    got = {n.id: n for n in filled.get_nodes([n.id for n in NODES])}
    assert got == {n.id: n for n in NODES}


def test_unknown_ids_are_left_out(filled: Store) -> None:
    assert [n.id for n in filled.get_nodes(["nope", "ana", "ana"])] == ["ana"]
    assert filled.get_nodes([]) == []


def test_count_nodes(store: Store) -> None:
    assert store.count_nodes() == 0
    store.write(NODES, RELS)
    assert store.count_nodes() == len(NODES)


def test_list_nodes_pages_by_id(filled: Store) -> None:
    assert [n.id for n in filled.list_nodes("Place")] == ["pe", "pe-ayacucho", "pe-ayacucho-huamanga", "pe-cusco"]
    assert [n.id for n in filled.list_nodes("Place", limit=2)] == ["pe", "pe-ayacucho"]
    assert [n.id for n in filled.list_nodes("Place", after="pe-ayacucho", limit=2)] == [
        "pe-ayacucho-huamanga", "pe-cusco"]
    assert filled.count_kind("Place") == 4


def test_list_nodes_windows_from_either_end(filled: Store) -> None:
    ids = ["pe", "pe-ayacucho", "pe-ayacucho-huamanga", "pe-cusco"]

    def listed(**kw: object) -> list[str]:
        return [n.id for n in filled.list_nodes("Place", **kw)]  # type: ignore[arg-type]

    assert listed(before="pe-cusco") == ids[:3]
    assert listed(after="pe", before="pe-cusco") == ids[1:3]
    assert listed(limit=2, from_end=True) == ids[2:], "the last two, still in id order"
    assert listed(before="pe-ayacucho-huamanga", limit=1, from_end=True) == ["pe-ayacucho"]
    assert listed(after="pe", before="pe-ayacucho", limit=5, from_end=True) == []
    assert listed(limit=0, from_end=True) == []
    assert [n.id for n in filled.list_nodes("Craft", within=["pe-ayacucho-huamanga"], before="retablo")] == []
    assert [n.id for n in filled.list_nodes("Craft", within=["pe-ayacucho-huamanga"], after="a", limit=1,
                                            from_end=True)] == ["retablo"]


def test_list_nodes_filters_by_domain_and_place(filled: Store) -> None:
    assert [n.id for n in filled.list_nodes("Tradition", domain="performing-arts")] == ["qoyllurit-i"]
    assert filled.list_nodes("Craft", domain="performing-arts") == []
    assert filled.count_kind("Tradition", domain="social-practices") == 1
    assert [n.id for n in filled.list_nodes("Craft", within=["pe-ayacucho-huamanga", "pe-cusco"])] == ["retablo"]
    assert filled.list_nodes("Craft", within=["pe-cusco"]) == []
    assert filled.count_kind("Craft", within=["pe-ayacucho-huamanga"]) == 1
    assert filled.list_nodes("Craft", within=[]) == []


def test_child_places(filled: Store) -> None:
    assert sorted(filled.child_places(["pe"])) == ["pe-ayacucho", "pe-cusco"]
    assert filled.child_places(["pe-ayacucho-huamanga"]) == []


def test_relations_both_ways_with_properties(filled: Store) -> None:
    out = filled.relations(["beto"], "out", ["LEARNED_FROM", "KIN_OF"])
    assert out == [RELS[5]]
    into = sorted(filled.relations(["beto"], "in", ["LEARNED_FROM", "KIN_OF"]), key=lambda r: r.rel)
    assert into == [RELS[6]]
    assert filled.relations(["beto"], "out", []) == []


def test_sources_are_documented_by_relations(filled: Store) -> None:
    docs = filled.relations(["retablo"], "out", ["DOCUMENTED_BY"])
    assert sorted(r.to_id for r in docs) == ["src-1", "src-2"]
    cited = filled.relations(["src-2"], "in", ["DOCUMENTED_BY"])
    assert sorted(r.from_id for r in cited) == ["retablo"]


def test_iter_relations_is_ordered(filled: Store) -> None:
    got = [(r.from_id, r.to_id) for r in filled.iter_relations("LOCATED_IN")]
    assert got == sorted(got) and len(got) == 5


def test_rewrite_replaces_properties_and_sources(filled: Store) -> None:
    slim = Node("Craft", "retablo", "Retablo", properties={"materials": ["wood"]}, sources=("src-2",))
    filled.write([slim], [Relation("LEARNED_FROM", "beto", "ana", sources=("src-1",))])
    assert filled.get_nodes(["retablo"]) == [slim]
    assert filled.relations(["beto"], "out", ["LEARNED_FROM"]) == [Relation("LEARNED_FROM", "beto", "ana",
                                                                            sources=("src-1",))]


def test_write_is_atomic(filled: Store) -> None:
    before = filled.count_nodes()
    with pytest.raises(StoreError):
        filled.write([Node("Practitioner", "carla", "Carla")], [Relation("LEARNED_FROM", "carla", "nobody")])
    assert filled.count_nodes() == before
    assert filled.get_nodes(["carla"]) == []


def test_delete_all(filled: Store) -> None:
    filled.delete_all()
    assert filled.count_nodes() == 0


# -- transactions with expected versions, removals and revisions ---------------------
def _rev(target: str, nodes: tuple[str, ...], op: str, at: str, version: int) -> Revision:
    return Revision(id=f"rev-{at}-{target}", target=target, nodes=nodes, op=op, actor="ana", at=at, version=version,
                    reason="test", before=None, after={"kind": "Place", "id": target, "name": target})


def test_apply_checks_expected_versions(filled: Store) -> None:
    filled.apply(Changes(nodes=[replace(n, version=1) for n in filled.get_nodes(["ana"])],
                         relations=[replace(RELS[5], version=1)]))
    ana = filled.get_nodes(["ana"])[0]
    assert ana.version == 1
    filled.apply(Changes(nodes=[replace(ana, name="Ana M.", version=ana.version + 1)],
                         expected={("node", "ana"): ana.version}))
    assert filled.get_nodes(["ana"])[0].version == ana.version + 1
    with pytest.raises(Conflict) as stale:
        filled.apply(Changes(nodes=[replace(ana, name="Ana X", version=ana.version + 1)],
                             expected={("node", "ana"): ana.version}))
    assert stale.value.current == ana.version + 1
    assert filled.get_nodes(["ana"])[0].name == "Ana M.", "a refused change writes nothing"
    with pytest.raises(Conflict, match="already exists"):
        filled.apply(Changes(nodes=[Node("Place", "pe", "Perú 2")], expected={("node", "pe"): 0}))
    rel = RELS[5]
    with pytest.raises(Conflict):
        filled.apply(Changes(relations=[rel], expected={("rel", rel.rel, rel.from_id, rel.to_id): 7}))


def _replica(store: Store) -> Store:
    """Another writer on the same data: on Neo4j a second driver, as a second service process has."""
    if store.dialect != "neo4j":
        return store
    from heritage_graph.store.neo4j import Neo4jStore

    return Neo4jStore(store.uri, *store._auth, store.database).open()  # type: ignore[attr-defined]


def _at_once(store: Store, work: Callable[[Store, int], None], writers: int = 4) -> list[BaseException]:
    """Run `work(replica, n)` in `writers` threads started together; what they raised."""
    failures: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def run(n: int) -> None:
        replica = _replica(store)
        try:
            barrier.wait()
            work(replica, n)
        except BaseException as exc:
            failures.append(exc)
        finally:
            if replica is not store:
                replica.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return failures


@pytest.mark.parametrize("target", ["node", "relation"])
def test_concurrent_writers_lose_no_update(filled: Store, target: str) -> None:
    """Read, write on that version, again on Conflict, from several writers at once: every acknowledged
    write made its own next version (a check that reads a stale version under the lock loses updates)."""
    rel = RELS[5]
    key = ("node", "ana") if target == "node" else ("rel", rel.rel, rel.from_id, rel.to_id)
    filled.apply(Changes(nodes=[replace(n, version=1) for n in filled.get_nodes(["ana"])],
                         relations=[replace(rel, version=1)]))

    def current(store: Store) -> Node | Relation:
        if target == "node":
            return store.get_nodes(["ana"])[0]
        return next(r for r in store.relations([rel.from_id], "out", [rel.rel]) if r.to_id == rel.to_id)

    acknowledged: list[int] = []

    def writer(store: Store, n: int) -> None:
        for i in range(8):
            seen = current(store)
            if isinstance(seen, Node):
                changes = Changes(nodes=[replace(seen, name=f"Ana {n}.{i}", version=seen.version + 1)],
                                  expected={key: seen.version})
            else:
                changes = Changes(relations=[replace(seen, version=seen.version + 1)], expected={key: seen.version})
            try:
                store.apply(changes)
                acknowledged.append(seen.version + 1)
            except Conflict:
                pass

    assert _at_once(filled, writer) == []
    assert sorted(acknowledged) == list(range(2, 2 + len(acknowledged))), "a version was acknowledged twice"
    assert current(filled).version == 1 + len(acknowledged)


def test_concurrent_creators_of_one_id_get_one_record_and_conflicts(store: Store) -> None:
    """Replicas creating the same new id at once: one record, and the others are told it exists."""
    outcomes: list[str] = []

    def creator(replica: Store, n: int) -> None:
        try:
            replica.apply(Changes(nodes=[Node("Place", "nueva", f"Nueva {n}", version=1)],
                                  expected={("node", "nueva"): 0}))
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append("conflict" if "already exists" in str(exc) else repr(exc))

    assert _at_once(store, creator) == []
    assert sorted(outcomes) == ["conflict"] * 3 + ["created"]
    assert [n.version for n in store.get_nodes(["nueva"])] == [1]


def test_apply_removes_relations_and_records_revisions(filled: Store) -> None:
    rel = RELS[5]
    revision = _rev(f"{rel.rel}:{rel.from_id}->{rel.to_id}", (rel.from_id, rel.to_id), "remove-relation",
                    "2026-01-01T00:00:00.000001Z", 0)
    filled.apply(Changes(relations=[replace(rel, version=3)]))
    filled.apply(Changes(removed=[rel], revisions=[revision], expected={("rel", rel.rel, rel.from_id, rel.to_id): 3}))
    assert filled.relations(["beto"], "out", ["LEARNED_FROM"]) == []
    first = _rev("pe", ("pe",), "update", "2026-01-01T00:00:00.000002Z", 1)
    filled.apply(Changes(revisions=[first]))
    assert [v.op for v in filled.revisions(["beto"])] == ["remove-relation"]
    assert [v.op for v in filled.revisions(["ana", "pe"])] == ["remove-relation", "update"]
    got = filled.revisions(["pe"])[0]
    assert (got.actor, got.reason, got.version, got.after) == ("ana", "test", 1, first.after)
    assert filled.revisions(["nobody"]) == []


def _parts(store: Store) -> list[Changes]:
    """A stream in three parts: nodes, then a relation to them, then a change to a node of the first."""
    carla, dora = Node("Practitioner", "carla", "Carla", version=1), Node("Practitioner", "dora", "Dora", version=1)
    return [Changes([carla, dora], expected={("node", "carla"): 0, ("node", "dora"): 0}),
            Changes(relations=[Relation("LEARNED_FROM", "carla", "dora")],
                    expected={("rel", "LEARNED_FROM", "carla", "dora"): 0}),
            Changes([replace(carla, name="Carla II", version=2)], expected={("node", "carla"): 1})]


@pytest.mark.parametrize("creates_only", [False, True])
def test_apply_stream_writes_every_part(filled: Store, creates_only: bool) -> None:
    parts = _parts(filled)
    if creates_only:
        parts = parts[:2]  # a stream said to only create holds no update
    filled.apply_stream(iter(parts), creates_only=creates_only)
    assert {n.id for n in filled.get_nodes(["carla", "dora"])} == {"carla", "dora"}
    assert [r.key for r in filled.relations(["carla"], "out", ["LEARNED_FROM"])] == [("LEARNED_FROM", "carla", "dora")]
    if not creates_only:
        assert filled.get_nodes(["carla"])[0].name == "Carla II"


def test_apply_stream_is_one_transaction(filled: Store) -> None:
    """A failure in a later part, or in the iterable itself, leaves nothing of the earlier parts."""
    parts = _parts(filled)

    def failing() -> Iterator[Changes]:
        yield parts[0]
        yield parts[1]
        raise RuntimeError("the second pass failed")

    with pytest.raises(RuntimeError):
        filled.apply_stream(failing())
    assert filled.get_nodes(["carla", "dora"]) == []
    # A version conflict in the last part undoes the parts before it too.
    stale = replace(parts[2], expected={("node", "carla"): 7})
    with pytest.raises(Conflict):
        filled.apply_stream(iter([parts[0], parts[1], stale]))
    assert filled.get_nodes(["carla", "dora"]) == []


def test_apply_stream_batched_keeps_the_parts_committed_before_a_failure(filled: Store) -> None:
    parts = _parts(filled)

    def failing() -> Iterator[Changes]:
        yield parts[0]
        raise RuntimeError("the second pass failed")

    with pytest.raises(RuntimeError):
        filled.apply_stream(failing(), batched=True)
    assert {n.id for n in filled.get_nodes(["carla", "dora"])} == {"carla", "dora"}
