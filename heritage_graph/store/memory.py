"""An in-memory store for fast unit tests: the same contract, no database.

Writes are applied to copies and swapped in, so a failed write leaves the
store as it was, like a rolled-back transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from .. import schema
from ..history import materialized
from ..model import Changes, Node, Relation, Revision
from ..search.documents import build_documents
from ..search.model import Facets, SearchPage, SearchQuery
from ..search.text import KIND_WEIGHTS, ParsedQuery, SearchText, matches
from ..visibility import Visibility
from .accounts import MemoryAccounts
from .base import Direction, Progress, WriteByApply, check_versions, check_written, window
from .tokens import MemoryTokens


class MemoryStore(MemoryTokens, MemoryAccounts, WriteByApply):
    dialect = "memory"
    inline_reads = True

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._rels: dict[tuple[str, str, str], Relation] = {}
        self._revisions: list[Revision] = []
        self._writes = 0  # writes committed so far: the data version
        self.calls = 0

    def open(self) -> MemoryStore:
        return self

    def init(self) -> None:
        pass

    def close(self) -> None:
        pass

    def count_nodes(self) -> int:
        self.calls += 1
        return len(self._nodes)

    def get_nodes(self, ids: Sequence[str]) -> list[Node]:
        self.calls += 1
        return [self._nodes[i] for i in dict.fromkeys(ids) if i in self._nodes]

    def _matching(self, kind: str, within: Sequence[str] | None, domain: str | None,
                  visibility: Visibility | None) -> list[Node]:
        places = set(within) if within is not None else None
        out = []
        for n in self._nodes.values():
            if n.kind != kind:
                continue
            if domain and domain not in (n.properties.get("domains") or ()):
                continue
            if visibility is not None and not visibility.allows(n, self._communities(n.id)):
                continue
            if places is not None and not any(
                self._rels.get((rel, n.id, p)) for p in places for rel in ("LOCATED_IN", "COVER_PLACE")
            ):
                continue
            out.append(n)
        return sorted(out, key=lambda n: n.id)

    def list_nodes(self, kind: str, *, within: Sequence[str] | None = None, domain: str | None = None,
                   after: str | None = None, before: str | None = None, limit: int | None = None,
                   visibility: Visibility | None = None, from_end: bool = False) -> list[Node]:
        self.calls += 1
        found = {n.id: n for n in self._matching(kind, within, domain, visibility)}
        return [found[i] for i in window(sorted(found), after, before, limit, from_end)]

    def count_kind(self, kind: str, *, within: Sequence[str] | None = None, domain: str | None = None,
                   visibility: Visibility | None = None) -> int:
        self.calls += 1
        return len(self._matching(kind, within, domain, visibility))

    def count_kinds(self, kinds: Sequence[str], *, within: Sequence[str],
                    visibility: Visibility | None = None) -> int:
        return sum(self.count_kind(k, within=within, visibility=visibility) for k in kinds)

    def _communities(self, node_id: str) -> set[str]:
        return ({r.from_id for r in self._rels.values() if r.rel == "PRACTICES" and r.to_id == node_id}
                | {r.to_id for r in self._rels.values() if r.rel == "MEMBER_OF" and r.from_id == node_id})

    def child_places(self, ids: Sequence[str]) -> list[str]:
        self.calls += 1
        wanted = set(ids)
        return sorted({
            r.from_id for r in self._rels.values()
            if r.rel == "LOCATED_IN" and r.to_id in wanted and self._nodes[r.from_id].kind == "Place"
        })

    def relations(self, ids: Sequence[str], direction: Direction, types: Sequence[str]) -> list[Relation]:
        self.calls += 1
        wanted, kinds = set(ids), set(types)
        out: list[Relation] = []
        for r in self._all_relations():
            end = r.from_id if direction == "out" else r.to_id
            if end in wanted and r.rel in kinds:
                out.append(r)
        return out

    def _all_relations(self) -> Iterator[Relation]:
        yield from self._rels.values()
        for n in self._nodes.values():
            for s in n.sources:
                yield Relation("DOCUMENTED_BY", n.id, s)

    def iter_relations(self, rel: str) -> Iterator[Relation]:
        self.calls += 1
        yield from sorted((r for r in self._all_relations() if r.rel == rel), key=lambda r: (r.from_id, r.to_id))

    def search(self, query: SearchQuery) -> SearchPage:
        """A full scan with the reference matching rules: slow, obviously right."""
        docs = build_documents(self, list(self._nodes.values()))
        keys = {k for d in docs for k in d.text.key_tokens()}
        query = replace(query, text=query.text.expanded(lambda wanted: {k: keys for k, _ in wanted}))
        found = []
        facets = Facets()
        for d in docs:
            if query.kinds and d.kind not in query.kinds:
                continue
            if query.region and query.region not in d.places:
                continue
            if query.domains and not set(query.domains) & set(d.domains):
                continue
            if query.unesco is not None and d.unesco != query.unesco:
                continue
            if not query.visibility.allows(self._nodes[d.id], d.communities):
                continue
            if not matches(d.text, query.text):
                continue
            found.append((self._nodes[d.id], _score(d.text, query.text) * KIND_WEIGHTS.get(d.kind, 1.0)))
            facets.kinds[d.kind] += 1
            facets.regions.update(d.departments)
            facets.domains.update(d.domains)
        found.sort(key=lambda h: (-h[1], h[0].id))
        return SearchPage(found[query.offset:query.offset + query.limit], len(found), facets, query.text)

    def delete_all(self) -> None:
        self._nodes, self._rels, self._revisions = {}, {}, []
        self._writes += 1

    def apply(self, changes: Changes, progress: Progress | None = None) -> None:
        self.calls += 1
        found: dict[tuple[str, ...], int] = {}
        for key in changes.expected:
            current = self._nodes.get(key[1]) if key[0] == "node" else self._rels.get(key[1:])  # type: ignore[arg-type]
            if current is not None:
                found[key] = current.version
        check_versions(found, changes.expected)
        new_nodes = dict(self._nodes)
        for n in changes.nodes:
            new_nodes[n.id] = n
        new_rels = copy.copy(self._rels)
        for r in changes.removed:
            new_rels.pop(r.key, None)
        missing = sum(1 for n in changes.nodes for s in n.sources if s not in new_nodes)
        for r in changes.relations:
            if r.rel not in schema.RELATIONS or r.from_id not in new_nodes or r.to_id not in new_nodes:
                missing += 1
                continue
            new_rels[r.key] = r
        check_written(len(changes.relations) - missing, len(changes.relations))
        self._nodes, self._rels = new_nodes, new_rels
        self._revisions.extend(materialized(v) for v in changes.revisions)
        self._writes += 1
        if progress is not None:
            progress(len(changes.nodes) + len(changes.relations))

    def apply_stream(self, changes: Iterable[Changes], progress: Progress | None = None, *,
                     creates_only: bool = False, batched: bool = False) -> None:
        # Each part is applied as it comes (a later part reads what the earlier ones wrote); on a
        # failure, unless batched, the state from before the first is put back.
        before = (self._nodes, self._rels, len(self._revisions), self._writes)
        try:
            for part in changes:
                self.apply(part, progress)
        except BaseException:
            if not batched:
                self._nodes, self._rels, self._writes = before[0], before[1], before[3] + 1
                del self._revisions[before[2]:]
            raise

    def revisions(self, ids: Sequence[str]) -> list[Revision]:
        wanted = set(ids)
        return sorted((v for v in self._revisions if wanted & set(v.nodes)), key=lambda v: (v.at, v.id))

    def revisions_by_op(self, ops: Sequence[str]) -> list[Revision]:
        return sorted((v for v in self._revisions if v.op in ops), key=lambda v: (v.at, v.id))

    def data_version(self) -> str:
        return str(self._writes)

def _score(text: SearchText, query: ParsedQuery) -> float:
    """Weighted count of the fields where a query word occurs (a crude bm25 stand-in)."""
    score = 0.0
    for weight, value in zip(SearchText.WEIGHTS, text.values(), strict=True):
        tokens = value.split()
        score += weight * sum(1 for t in query.highlight if any(tok.startswith(t) for tok in tokens))
    keys = text.key_tokens()
    for t, k in query.keys:
        score += SearchText.WEIGHTS[SearchText.KEY_FIELDS[0]] * (
            any(tok.startswith(k) for tok in keys) + sum(1 for n in query.near_of(t) if n in keys))
    return score
