"""The store port: the small interface every service depends on.

Adapters (Ladybug, Neo4j, the in-memory fake) implement it and translate their
driver's errors into ``heritage_graph.errors.StoreError`` subclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..errors import StoreQueryError
from ..model import Node, Relation

if TYPE_CHECKING:
    from ..search.model import SearchPage, SearchQuery

Direction = Literal["out", "in"]
Progress = Callable[[int], None]
BATCH = 2000


class Store(Protocol):
    dialect: str

    def init(self) -> None:
        """Create tables, constraints and indexes; safe to run again."""

    def close(self) -> None: ...

    def count_nodes(self) -> int: ...

    def get_nodes(self, ids: Sequence[str]) -> list[Node]:
        """The nodes with these ids that exist, in no particular order."""

    def list_nodes(
        self,
        kind: str,
        *,
        within: Sequence[str] | None = None,
        domain: str | None = None,
        after: str | None = None,
        limit: int | None = None,
        statuses: Sequence[str] = (),
        sensitivities: Sequence[str] = (),
    ) -> list[Node]:
        """Nodes of a kind ordered by id, after the id ``after``.

        ``within``: only nodes LOCATED_IN (a story: whose COVER_PLACE is) one of these place ids;
        ``statuses`` / ``sensitivities``: only these (empty: any).
        """

    def count_kind(
        self, kind: str, *, within: Sequence[str] | None = None, domain: str | None = None,
        statuses: Sequence[str] = (), sensitivities: Sequence[str] = (),
    ) -> int: ...

    def relations(
        self, ids: Sequence[str], direction: Direction, types: Sequence[str]
    ) -> list[Relation]:
        """Relations of these types leaving (``out``) or reaching (``in``) the ids."""

    def iter_relations(self, rel: str) -> Iterator[Relation]:
        """Every relation of a type, ordered by (from, to)."""

    def delete_all(self) -> None:
        """Remove every node and relation."""

    def search(self, query: SearchQuery) -> SearchPage:
        """Ranked matches of a full-text query, with facet counts over all matches."""

    def write(self, nodes: Sequence[Node], relations: Sequence[Relation],
              progress: Progress | None = None) -> None:
        """Upsert nodes (with their sources) and relations in one transaction.

        ``progress`` is called with the number of records written after each batch.
        """


def chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """Batches for UNWIND: large enough to amortize a call, small enough for memory."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def check_written(written: int, expected: int) -> None:
    """Refuse a relation batch that matched fewer endpoints than it names."""
    if written != expected:
        raise StoreQueryError(
            f"{expected - written} of {expected} relations name a node that does not exist; nothing was written"
        )
