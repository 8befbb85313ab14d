"""The streaming import (services/import_stream.py): two passes over the files, written in chunks in
one transaction (or, asked, in committed batches), with the guarantees of the one-shot import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heritage_graph.errors import ImportRejected
from heritage_graph.services import import_stream
from heritage_graph.services.exporter import export_lines
from heritage_graph.services.importer import run_import
from heritage_graph.store.base import Store
from heritage_graph.store.memory import MemoryStore


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def _inventory(tmp_path: Path, n: int = 12) -> list[Path]:
    """Sources, places and practitioners in one file, their relations in a second."""
    nodes = [{"kind": "Source", "id": "src", "name": "S", "properties": {"type": "book"}},
             {"kind": "Place", "id": "pe", "name": "Perú", "properties": {"level": "country"}}]
    nodes += [{"kind": "Practitioner", "id": f"p{i:02}", "name": f"P {i}", "sources": ["src"],
               "properties": {"death_year": 1990}} for i in range(n)]
    rels: list[dict[str, Any]] = [{"rel": "LOCATED_IN", "from": f"p{i:02}", "to": "pe"} for i in range(n)]
    rels += [{"rel": "LEARNED_FROM", "from": f"p{i:02}", "to": f"p{i - 1:02}", "sources": ["src"]} for i in range(1, n)]
    rels.append({"rel": "DOCUMENTED_BY", "from": "pe", "to": "src"})
    return [_write(tmp_path / "a-nodes.jsonl", nodes), _write(tmp_path / "b-relations.jsonl", rels)]


def _records(store: Store) -> list[dict[str, Any]]:
    """The store's records, without the times of their writing."""
    return [{k: v for k, v in json.loads(x).items() if k not in ("recorded_at", "updated_at")}
            for x in export_lines(store)]


def _state(store: Store) -> tuple[list[str], int]:
    """The store's records (revision-free), and how many revisions it holds."""
    return list(export_lines(store)), len(store.revisions_by_op(["import"]))


def test_a_late_line_of_the_second_file_names_its_place_and_nothing_is_written(store: Store,
                                                                                tmp_path: Path) -> None:
    files = _inventory(tmp_path)
    with files[1].open("a") as f:
        f.write(json.dumps({"rel": "LEARNED_FROM", "from": "p03", "to": "nobody"}) + "\n")
    before = _state(store)
    with pytest.raises(ImportRejected) as err:
        run_import(store, files, chunk_size=3)
    assert [str(p) for p in err.value.problems] == [
        f"{files[1]}:25: to: node 'nobody' does not exist in this import or the store"]
    assert _state(store) == before


def test_reimport_changes_nothing(store: Store, tmp_path: Path) -> None:
    files = _inventory(tmp_path)
    first = run_import(store, files, chunk_size=5)
    assert (first.nodes.created, first.relations.created) == (14, 23)
    state = _state(store)
    again = run_import(store, files, chunk_size=5)
    assert not again.changed and not again.written
    assert _state(store) == state


@pytest.mark.parametrize("size", [1, 4, 7])
def test_chunk_boundaries_give_the_same_store_as_one_chunk(store: Store, tmp_path: Path, size: int) -> None:
    files = _inventory(tmp_path)
    whole = MemoryStore()
    run_import(whole, files)
    report = run_import(store, files, chunk_size=size)
    assert report.relations.created == 23
    assert _records(store) == _records(whole)
    assert store.get_nodes(["pe"])[0].sources == ("src",), "a DOCUMENTED_BY line in another chunk adds its source"


def test_an_update_stream_is_compared_chunk_by_chunk(store: Store, tmp_path: Path) -> None:
    files = _inventory(tmp_path)
    run_import(store, files)
    lines = [json.loads(x) for x in files[0].read_text().splitlines()]
    lines[5]["name"] = "Renamed"
    report = run_import(store, [_write(files[0], lines), files[1]], chunk_size=2)
    assert (report.nodes.updated, report.nodes.unchanged, report.relations.unchanged) == (1, 13, 23)
    assert store.get_nodes([lines[5]["id"]])[0].name == "Renamed"


def _failing_after(parts: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real = import_stream.changes_stream

    def failing(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for i, changes in enumerate(real(*args, **kwargs)):
            if i == parts:
                raise OSError("the disk went away in the middle of the second pass")
            yield changes

    monkeypatch.setattr(import_stream, "changes_stream", failing)


@pytest.mark.parametrize("prefilled", [False, True])
def test_a_failure_in_the_second_pass_leaves_the_store_as_it_was(store: Store, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 prefilled: bool) -> None:
    files = _inventory(tmp_path, n=300)  # past BULK_MIN: a new inventory goes by the bulk path
    if prefilled:
        run_import(store, [_inventory(tmp_path / "..", n=3)[0]])
    before = _state(store)
    _failing_after(4, monkeypatch)
    with pytest.raises(OSError):
        run_import(store, files, chunk_size=100)
    assert _state(store) == before


def test_a_file_changed_between_the_passes_is_refused_at_its_line(store: Store, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    files = _inventory(tmp_path)
    real = import_stream.validate

    def then_break(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        lines = files[1].read_text().splitlines()
        lines[4] = "{broken"
        files[1].write_text("\n".join(lines) + "\n")
        return out

    monkeypatch.setattr(import_stream, "validate", then_break)
    before = _state(store)
    with pytest.raises(ImportRejected) as err:
        run_import(store, files, chunk_size=3)
    assert [(p.file, p.line) for p in err.value.problems] == [(str(files[1]), 5)]
    assert "the file changed during the import" in err.value.problems[0].message
    assert _state(store) == before


def test_batches_keep_what_was_committed_and_a_rerun_finishes(store: Store, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """On Neo4j a national import is written in committed batches; every store can be asked to."""
    files = _inventory(tmp_path, n=3000)
    whole = MemoryStore()
    run_import(whole, files)
    with monkeypatch.context() as m:
        _failing_after(2, m)
        with pytest.raises(OSError) as err:
            run_import(store, files, batch_size=1000)
    assert "Run the same import again to finish it" in "".join(err.value.__notes__)
    assert store.count_nodes() == 2000
    report = run_import(store, files, batch_size=1000)
    assert (report.nodes.created, report.nodes.unchanged) == (1002, 2000)
    assert _records(store) == _records(whole)
    assert not run_import(store, files, batch_size=1000).changed
