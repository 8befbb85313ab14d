"""Who may see which record: one rule, applied on every read path.

A record is visible to a principal when all of these hold:

- **status**: anonymous readers and researchers see only ``published`` records;
  curators, reviewers and admins see every status;
- **sensitivity**: ``public`` records are visible to all; ``community`` records to
  admins, and to tokens scoped to one of the record's communities (researcher,
  curator or reviewer); ``restricted`` records to admins only;
- **consent**: a record whose consent was ``refused`` or ``withdrawn`` is visible to
  admins only; one whose consent is ``pending`` is not published to anonymous
  readers or researchers.

A record's communities: a Community is its own; an element belongs to the
communities that PRACTICE it; a person to the communities they are a MEMBER_OF.

A record's **media** items follow the same rule, item by item, on a record the reader
may see: an item is visible when the record would be at the stricter of its own and the
item's sensitivity; and below curator only when the record's consent covers media (a
consent ``granted`` for a ``scope`` that leaves out ``media`` does not). An item the reader
may not see is absent, and nothing says that it was there.

Anything that reaches a reader — a node, the totals of a listing, search hits,
snippets and facets, the far end of a relation, a lineage or a path, a story,
provenance, history, linked data — passes through this rule, and a hidden record
looks exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from . import schema
from .auth import Principal
from .errors import InvalidInput
from .model import Node
from .schema import MEDIA, SENSITIVITY
from .store.base import BATCH, Store, chunks

COMMUNITY_LINKS = {"in": ("PRACTICES",), "out": ("MEMBER_OF",)}


@dataclass(frozen=True)
class Visibility:
    statuses: tuple[str, ...]  # () means any
    sensitivities: tuple[str, ...]  # always visible
    scope: tuple[str, ...]  # communities whose `community` records are visible
    hidden_consent: tuple[str, ...]

    @classmethod
    def of(cls, principal: Principal) -> Visibility:
        scope = (principal.community,) if principal.community else ()
        if principal.role == "admin":
            return cls((), ("public", "community", "restricted"), (), ())
        if principal.at_least("curator"):
            return cls((), ("public",), scope, ("refused", "withdrawn"))
        if principal.role == "researcher":
            return cls(("published",), ("public",), scope, ("pending", "refused", "withdrawn"))
        return PUBLIC

    @property
    def staff(self) -> bool:
        """Curators and above: they read drafts, and the whole history of what they may see."""
        return not self.statuses

    def narrowed(self, statuses: Sequence[str], field: str) -> Visibility:
        """Only records of these statuses (a status filter): never more than this reader may see, and
        a status it may not see is an error saying which it may ask for."""
        if not statuses:
            return self
        allowed = self.statuses or schema.STATUSES
        bad = next((s for s in statuses if s not in allowed), None)
        if bad is not None:
            raise InvalidInput(f"{field}: {bad} records are not shown to this token; allowed: "
                               f"{', '.join(s.upper() for s in allowed)}", field=field)
        return replace(self, statuses=tuple(dict.fromkeys(statuses)))

    @property
    def needs_communities(self) -> bool:
        return bool(self.scope) and "community" not in self.sensitivities

    def allows(self, node: Node, communities: Iterable[str] = ()) -> bool:
        if self.statuses and node.status not in self.statuses:
            return False
        if node.consent_status and node.consent_status in self.hidden_consent:
            return False
        if node.sensitivity in self.sensitivities:
            return True
        if node.sensitivity == "community" and self.scope:
            mine = set(communities) | ({node.id} if node.kind == "Community" else set())
            return bool(mine & set(self.scope))
        return False

    def shows_media(self, node: Node, item: dict[str, Any], communities: Iterable[str] = ()) -> bool:
        """Whether a media item of ``node``, a record this reader may see, is visible to them."""
        if not self.staff and not media_consented(node):
            return False
        level = max(node.sensitivity, item.get("sensitivity") or "public", key=SENSITIVITY.index)
        return level == node.sensitivity or self.allows(replace(node, sensitivity=level), communities)

    def params(self) -> dict[str, list[str]]:
        """The parameters of the store queries' visibility filter."""
        return {"statuses": list(self.statuses), "sensitivities": list(self.sensitivities),
                "scope": list(self.scope), "hidden_consent": list(self.hidden_consent)}


PUBLIC = Visibility(("published",), ("public",), (), ("pending", "refused", "withdrawn"))
EVERYTHING = Visibility((), ("public", "community", "restricted"), (), ())
# Who the request being served reads as: set by the API's context, read where a record becomes what a reader
# sees (``redacted``); a code path that forgets to set it reads as the public.
READER: ContextVar[Visibility] = ContextVar("reader", default=PUBLIC)

# Which of these ids the reader may see: a Gate's `visible`, or `everyone` for tools that see all.
Visible = Callable[[Iterable[str]], set[str]]


def everyone(ids: Iterable[str]) -> set[str]:
    return set(ids)


def is_public(node: Node) -> bool:
    """Whether anyone may see it: published, public, consent neither pending nor withheld."""
    return PUBLIC.allows(node)


def media_consented(node: Node) -> bool:
    """Whether the record's consent, if it has one, covers showing its media: not when it was granted
    for a scope that leaves media out (consent to publish a record is not consent to show its images)."""
    consent = node.properties.get("consent")
    if not isinstance(consent, dict) or consent.get("status") != "granted":
        return True
    scope = consent.get("scope") or ()
    return not scope or "media" in scope


def redacted(node: Node, visibility: Visibility) -> Node:
    """The record as this reader may read it: without the properties it withholds (``restricted_fields``)
    from anyone below curator. The record itself stays visible; staff see every field."""
    withheld = node.properties.get("restricted_fields")
    if not withheld or visibility.staff:
        return node
    return replace(node, properties={k: v for k, v in node.properties.items() if k not in withheld})


def media_of(node: Node) -> list[dict[str, Any]]:
    return list(node.properties.get(MEDIA.name) or ())


def public_media(node: Node) -> list[dict[str, Any]]:
    """The media items of a record anyone may see (stories, linked data)."""
    return [m for m in media_of(node) if PUBLIC.shows_media(node, m)]


def communities_of(store: Store, ids: Sequence[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {i: set() for i in ids}
    for chunk in chunks(list(ids), BATCH):
        for r in store.relations(chunk, "in", COMMUNITY_LINKS["in"]):
            found[r.to_id].add(r.from_id)
        for r in store.relations(chunk, "out", COMMUNITY_LINKS["out"]):
            found[r.from_id].add(r.to_id)
    return found


class Gate:
    """Answers "which of these ids may the principal see?", in batches, remembering answers.

    One Gate serves one request (or one command); it reads through the store port.
    """

    def __init__(self, store: Store, visibility: Visibility) -> None:
        self.store = store
        self.visibility = visibility
        self._known: dict[str, bool] = {}
        self._communities: dict[str, set[str]] = {}
        self.nodes: dict[str, Node] = {}

    def visible(self, ids: Iterable[str]) -> set[str]:
        todo = [i for i in dict.fromkeys(ids) if i not in self._known]
        if todo:
            found = {n.id: n for chunk in chunks(todo, BATCH) for n in self.store.get_nodes(chunk)}
            self.nodes.update(found)
            self.judge(list(found.values()))
            for i in todo:
                self._known.setdefault(i, False)
        return {i for i in ids if self._known.get(i)}

    def get_nodes(self, ids: Sequence[str]) -> list[Node]:
        """Nodes by id, visible or not, read through the ones this gate has already read."""
        missing = [i for i in dict.fromkeys(ids) if i not in self.nodes]
        if missing:
            self.nodes.update((n.id, n) for n in self.store.get_nodes(missing))
        return [self.nodes[i] for i in dict.fromkeys(ids) if i in self.nodes]

    def judge(self, nodes: Sequence[Node]) -> None:
        """Decide for nodes already read (e.g. by a listing)."""
        v = self.visibility
        scoped = [n.id for n in nodes if n.sensitivity == "community" and v.needs_communities]
        communities = communities_of(self.store, scoped) if scoped else {}
        self._communities.update(communities)
        for n in nodes:
            self.nodes[n.id] = n
            self._known[n.id] = v.allows(n, communities.get(n.id, ()))

    def allows(self, node: Node) -> bool:
        if node.id not in self._known:
            self.judge([node])
        return self._known[node.id]

    def media(self, node: Node) -> list[dict[str, Any]]:
        """The media items of ``node`` (a record the reader may see) that the reader may see; the
        record's communities are read only when an item's sensitivity needs them."""
        items = media_of(node)
        v = self.visibility
        scoped = v.needs_communities and any(m.get("sensitivity") == "community" for m in items)
        communities = self.communities(node.id) if scoped else ()
        return [m for m in items if v.shows_media(node, m, communities)]

    def communities(self, node_id: str) -> set[str]:
        # Asked once per revision when a history is read: remembered for the request.
        if node_id not in self._communities:
            self._communities.update(communities_of(self.store, [node_id]))
        return self._communities[node_id]
