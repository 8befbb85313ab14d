"""Per-request context: the store, the settings and fresh DataLoaders.

Loaders batch every lookup made while resolving one level of a query into one
store call, so the number of store calls grows with the query's depth, not
with the number of results. Store calls run in a worker thread so a slow store
never blocks the event loop, except small batched reads from a store that
answers them in well under a millisecond (``Store.inline_reads``), where the
hop to a thread would cost more than the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from anyio import to_thread
from strawberry.dataloader import DataLoader

from ..auth import ANONYMOUS, Principal
from ..model import Node, Relation
from ..settings import Settings
from ..store.base import Direction, Store
from ..visibility import READER, Gate, Visibility

RelKey = tuple[str, Direction, tuple[str, ...]]
# Ids per batched read that an inline-capable store answers on the event loop (see Context.read).
INLINE_MAX = 32
R = TypeVar("R")


@dataclass
class Context:
    store: Store
    settings: Settings
    request: Any = None
    principal: Principal = ANONYMOUS
    cost: float = 0.0  # the operation's estimated cost (api/cost.py), once known
    nodes: DataLoader[str, Node | None] = field(init=False)
    relations: DataLoader[RelKey, list[Relation]] = field(init=False)

    lang: str | None = field(init=False, default=None)
    visibility: Visibility = field(init=False)
    gate: Gate = field(init=False)
    visible: DataLoader[str, bool] = field(init=False)

    def __post_init__(self) -> None:
        self.nodes = DataLoader(load_fn=self._load_nodes)
        self.relations = DataLoader(load_fn=self._load_relations)
        self.visibility = Visibility.of(self.principal)
        READER.set(self.visibility)
        self.gate = Gate(self.store, self.visibility)
        self.visible = DataLoader(load_fn=self._load_visible)
        headers = getattr(self.request, "headers", None)
        self.lang = preferred_language(headers.get("accept-language")) if headers else None

    async def call(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        # A query cancelled (time budget, client gone) leaves the call to finish in its thread rather
        # than wait for it; mutations are never cancelled (api/budget.py).
        return await to_thread.run_sync(lambda: fn(*args, **kwargs), abandon_on_cancel=True)

    async def read(self, size: int, fn: Callable[..., R], *args: Any) -> R:
        """A batched store read of ``size`` ids: run in place when the store answers such reads in
        well under a millisecond (an embedded store's point lookups), where a hop to a worker
        thread and back would cost more than the read; in a worker thread otherwise."""
        if size <= INLINE_MAX and getattr(self.store, "inline_reads", False):
            return fn(*args)
        return await self.call(fn, *args)

    async def _load_nodes(self, ids: list[str]) -> list[Node | None]:
        found = {n.id: n for n in await self.read(len(ids), self.store.get_nodes, ids)}
        return [found.get(i) for i in ids]

    async def _load_visible(self, ids: list[str]) -> list[bool]:
        # Nodes come through the node loader (batched, cached); only community-scoped
        # readers make one more call, for the communities of `community` records.
        found = [n for n in await self.nodes.load_many(ids) if n is not None]
        await self.read(len(found), self.gate.judge, found)
        return [n is not None and self.gate.allows(n) for n in (self.gate.nodes.get(i) for i in ids)]

    async def visible_nodes(self, ids: list[str]) -> list[Node]:
        """The nodes with these ids that the reader may see, in order."""
        flags = await self.visible.load_many(ids)
        nodes = await self.nodes.load_many(ids)
        return [n for n, ok in zip(nodes, flags, strict=True) if ok and n is not None]

    async def _load_relations(self, keys: list[RelKey]) -> list[list[Relation]]:
        groups: dict[tuple[Direction, tuple[str, ...]], list[str]] = defaultdict(list)
        for node_id, direction, types in keys:
            groups[(direction, types)].append(node_id)
        found: dict[RelKey, list[Relation]] = defaultdict(list)
        for (direction, types), ids in groups.items():
            rels = await self.read(len(ids), self.store.relations, ids, direction, list(types))
            for r in sorted(rels, key=lambda r: (r.rel, r.from_id, r.to_id)):
                end = r.from_id if direction == "out" else r.to_id
                found[(end, direction, types)].append(r)
        return [found.get(k, []) for k in keys]


def preferred_language(header: str | None) -> str | None:
    """The first language of an Accept-Language header, by quality (``es-PE;q=0.9`` → ``es``)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        lang, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        lang = lang.strip().lower().split("-")[0]
        if lang and lang != "*" and quality > 0:
            ranked.append((-quality, i, lang))
    return min(ranked)[2] if ranked else None
