"""Search quality as a floor: the judged queries of bench/search_judged.jsonl over the Peru seeds must
find their records at least as well as bench/search_quality_floor.json says (recall@5 and MRR, as
bench/search_quality.py measures them), on each store. The floor only goes up (`--raise-floor`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from heritage_graph.cli import SEED_ACTOR, seed_files
from heritage_graph.services.importer import run_import
from heritage_graph.store.base import Store

from .conftest import PERSISTENT, fresh_store

# bench/ holds scripts, not a package: its modules import each other by name.
sys.path.append(str(Path(__file__).resolve().parent.parent / "bench"))
import search_quality


@pytest.fixture(scope="module", params=PERSISTENT)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with fresh_store(request, tmp_path_factory.mktemp("quality")) as store:
        run_import(store, seed_files(), actor=SEED_ACTOR)
        yield store


def test_the_judged_set_is_big_and_varied_enough() -> None:
    queries = search_quality.judged()
    assert len(queries) >= 60
    assert {q["kind"] for q in queries} == {"variant", "typo", "partial", "name"}
    assert {"qu", "ay", "es", "en"} <= {q["spelling"] for q in queries}
    seeded_ids = {json.loads(line).get("id") for f in seed_files()
                  for line in f.read_text(encoding="utf-8").splitlines()}
    assert not [q["expected"] for q in queries if q["expected"] not in seeded_ids]


def test_search_quality_does_not_drop_below_its_floor(seeded: Store) -> None:
    floor = json.loads(search_quality.FLOOR.read_text(encoding="utf-8"))
    measured = search_quality.measure(seeded, search_quality.judged())
    total = measured["total"]
    assert total["recall_at_5"] >= floor["recall_at_5"] and total["mrr"] >= floor["mrr"], (
        f"search quality fell below its floor {floor}: {total}; not first: {measured['not_first']}")


def test_the_floor_only_goes_up(tmp_path: Path) -> None:
    path = tmp_path / "floor.json"
    path.write_text(json.dumps({"recall_at_5": 0.9, "mrr": 0.8}), encoding="utf-8")
    assert search_quality.raise_floor({"recall_at_5": 0.85, "mrr": 0.95}, path) == {"recall_at_5": 0.9, "mrr": 0.95}
    assert json.loads(path.read_text(encoding="utf-8")) == {"recall_at_5": 0.9, "mrr": 0.95}
