"""A large creates-only import on the embedded store, loaded into a copy of the graph file and swapped in
(store/ladybug_swap.py): the same store as one transaction gives, all or nothing, accounts kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heritage_graph.errors import StoreError
from heritage_graph.model import Changes, Node
from heritage_graph.search.model import SearchQuery
from heritage_graph.search.text import parse_query
from heritage_graph.services import import_stream
from heritage_graph.services.exporter import export_lines
from heritage_graph.services.importer import run_import
from heritage_graph.store import folder_lock, ladybug, ladybug_swap
from heritage_graph.store.accounts import UserRecord
from heritage_graph.store.ladybug import LadybugStore
from heritage_graph.store.tokens import TokenRecord
from heritage_graph.visibility import EVERYTHING


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def _inventory(tmp_path: Path, n: int = 30) -> list[Path]:
    """Sources, places and practitioners (names with commas, brackets and line breaks, lists of
    names), their relations with properties and sources, and a DOCUMENTED_BY line."""
    nodes = [{"kind": "Source", "id": "src", "name": "S", "properties": {"type": "book"}},
             {"kind": "Source", "id": "src2", "name": "S2", "properties": {"type": "web"}},
             {"kind": "Place", "id": "pe", "name": "Perú", "properties": {"level": "country"}}]
    nodes += [{"kind": "Practitioner", "id": f"p{i:02}", "name": f"Quispe, [{i}]\nsegunda línea",
               "names": {"es": f"alias {i}", "qu": "ch'uño, \"q\""}, "sources": ["src"] if i % 2 else ["src", "src2"],
               "properties": {"death_year": 1990 + i}} for i in range(n)]
    nodes += [{"kind": "Tradition", "id": f"t{i}", "name": f"Danza {i}", "sources": ["src"],
               "properties": {"objects": ["máscara, de yeso", "q[x]", "\"zampoña\""]}} for i in range(3)]
    rels: list[dict[str, Any]] = [{"rel": "LOCATED_IN", "from": f"p{i:02}", "to": "pe"} for i in range(n)]
    rels += [{"rel": "LEARNED_FROM", "from": f"p{i:02}", "to": f"p{i - 1:02}", "sources": ["src"],
              "properties": {"period": "1950s"}} for i in range(1, n)]
    rels.append({"rel": "DOCUMENTED_BY", "from": "pe", "to": "src2"})
    return [_write(tmp_path / "a-nodes.jsonl", nodes), _write(tmp_path / "b-relations.jsonl", rels)]


def _records(store: LadybugStore) -> list[dict[str, Any]]:
    return [{k: v for k, v in json.loads(x).items() if k not in ("recorded_at", "updated_at")}
            for x in export_lines(store)]


def _revisions(store: LadybugStore) -> list[tuple[str, tuple[str, ...], str, str]]:
    """What each revision says, without the times of its writing."""
    timeless = ({k: x for k, x in (v.after or {}).items() if not k.endswith("_at")}
                for v in store.revisions_by_op(["import"]))
    return sorted((v.target, v.nodes, v.op, json.dumps(t, sort_keys=True))
                  for v, t in zip(store.revisions_by_op(["import"]), timeless, strict=True))


def _siblings(folder: Path) -> list[Path]:
    return sorted(folder.parent.glob(folder_lock.sibling_prefix(folder, ladybug_swap.PURPOSE) + "*"))


@pytest.fixture
def swap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small imports take the large import's path, in parts of a few rows each."""
    monkeypatch.setattr(import_stream, "BULK_MIN", 1)
    monkeypatch.setattr(ladybug, "SWAP_MIN", 10)
    monkeypatch.setattr(ladybug_swap, "PART_ROWS", 7)


def _open(path: Path) -> LadybugStore:
    s = LadybugStore(path).open()
    s.init()
    return s


@pytest.fixture
def db(tmp_path: Path) -> Iterator[LadybugStore]:
    s = _open(tmp_path / "db")
    try:
        yield s
    finally:
        s.close()


def test_a_swapped_import_gives_the_store_one_transaction_gives(tmp_path: Path, swap: None,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    files = _inventory(tmp_path)
    swapped = _open(tmp_path / "swapped")
    calls: list[int] = []
    real = LadybugStore._load_by_swap
    monkeypatch.setattr(LadybugStore, "_load_by_swap", lambda self, *a: calls.append(1) or real(self, *a))
    try:
        report = run_import(swapped, files, chunk_size=4)
        assert calls == [1], "the import took the swap path"
        assert (report.nodes.created, report.relations.created) == (36, 59)
        monkeypatch.setattr(ladybug, "SWAP_MIN", 10**9)
        whole = _open(tmp_path / "whole")
        try:
            run_import(whole, files, chunk_size=4)
            assert calls == [1], "the second import was one transaction"
            assert _records(swapped) == _records(whole)
            assert _revisions(swapped) == _revisions(whole)
            assert swapped.get_nodes(["pe"])[0].sources == ("src2",)
            hits = swapped.search(SearchQuery(parse_query("quispe"), visibility=EVERYTHING))
            assert hits.total == 30, "the search index was rebuilt from the new graph"
        finally:
            whole.close()
        assert not _siblings(swapped.path), "the spool folder is removed"
    finally:
        swapped.close()
    reopened = _open(tmp_path / "swapped")
    try:
        assert len(_records(reopened)) == 95, "the swapped file is what a reopened store reads"
    finally:
        reopened.close()


def test_accounts_and_earlier_records_survive_the_swap(db: LadybugStore, tmp_path: Path, swap: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    files = _inventory(tmp_path)
    db.add_user(UserRecord("ana", "hash", "curator", "2026-01-01T00:00:00Z"))
    db.add_token(TokenRecord("tok_1", "0" * 64, "curator", "2026-01-01T00:00:00Z"))
    first = _write(tmp_path / "early.jsonl", [{"kind": "Source", "id": "early", "name": "Early",
                                              "properties": {"type": "book"}}])
    with monkeypatch.context() as m:
        m.setattr(ladybug, "SWAP_MIN", 10**9)
        run_import(db, [first])
    run_import(db, files)
    assert [u.username for u in db.list_users()] == ["ana"]
    assert [t.id for t in db.list_tokens()] == ["tok_1"]
    assert db.get_nodes(["early"]) and db.get_nodes(["p05"])
    assert db.revisions(["early"]), "the earlier import's revisions are kept"


def test_a_failed_copy_leaves_the_store_as_it_was(db: LadybugStore, tmp_path: Path, swap: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = _inventory(tmp_path)
    before = (_records(db), db.data_version())
    real = ladybug_swap.Spool.parts

    def damaged(spool: ladybug_swap.Spool) -> Any:
        parts = real(spool)
        # LadybugDB itself refuses the copy: a spooled file of the relations is not Parquet.
        [paths] = [paths for (name, rel), paths in parts if rel == "LEARNED_FROM"]
        paths[-1].write_bytes(b"not parquet")
        return parts

    monkeypatch.setattr(ladybug_swap.Spool, "parts", damaged)
    with pytest.raises(StoreError):
        run_import(db, files)
    assert (_records(db), db.data_version()) == before
    assert not _siblings(db.path)
    monkeypatch.setattr(ladybug_swap.Spool, "parts", real)
    run_import(db, files)  # the store still works, and the import still can
    assert len(_records(db)) == 95


def test_a_stream_that_fails_while_spooling_writes_nothing(db: LadybugStore, swap: None) -> None:
    def parts() -> Any:
        yield Changes(nodes=[Node("Tradition", f"t{i}", "T") for i in range(12)],
                      expected={("node", f"t{i}"): 0 for i in range(12)})
        raise ValueError("the source went away")

    with pytest.raises(ValueError, match="went away"):
        db.apply_stream(parts(), creates_only=True)
    assert db.count_nodes() == 0 and not _siblings(db.path)


def test_what_a_killed_import_left_beside_the_store_is_removed_on_open(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    _open(folder).close()
    left = Path(str(tmp_path / folder_lock.sibling_prefix(folder, ladybug_swap.PURPOSE)) + "x1")
    left.mkdir()
    (left / "copy_nodes--0.parquet").write_bytes(b"partial")
    _open(folder).close()
    assert not left.exists()
