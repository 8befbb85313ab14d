"""The cost limit: how much work an operation may ask for, estimated before it runs.

Depth, alias and token limits (limits.py) bound the text of a query, not the work it asks for: a
14-deep nesting of ``relations { node { … } }`` from a hub is a short query that reads millions of
records. So, after validation and before execution, every operation is given an estimated cost —
the number of values it could resolve — and refused when that is over the limit of the caller's role:

- each field costs 1, times the number of times it can run: the product of the sizes of the lists
  above it;
- a list's size is the page asked for (``first``/``last``, with the argument's default when left
  out, capped at ``HERITAGE_MAX_PAGE_SIZE``) for the ``edges`` of a connection, the number of ids
  for ``nodes(ids:)``, and otherwise a known fan-out (``FANOUT``: how many relations, names, sources…
  a record is budgeted to have), which is deliberately generous for hubs;
- aliases and fragments count as what they run: a fragment spread twice costs twice.

Fragments are measured once per type and page (a cost is linear in the multiplier), so a document
that spreads fragments within fragments costs nothing extra to measure. The refusal says the
estimate, the limit, the role and how to ask for less, with ``extensions.code`` ``QUERY_TOO_COSTLY``.
The time budget (http.py) catches what an estimate cannot: a record with far more relations than
its fan-out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension

from ..errors import ConfigError
from ..services.paging import DEFAULT_SIZE
from ..settings import Settings

CODE = "QUERY_TOO_COSTLY"
PAGE_ARGS = ("first", "last")
# Budgeted list sizes, by the list's element type (or "Parent.field"). A hub can hold more; the time
# budget stops what an estimate misses.
FANOUT: Mapping[str, int] = {
    "relations": 50,  # a record's relations, of every type asked
    "Relation": 10,  # one typed relation field (teachers, locatedIn, practices…)
    "LocalizedText": 4,  # names, summaries, titles in each language
    "Source": 10,
    "Media": 10,  # a record's media (at most schema.MAX_OBJECT_ITEMS)
    "SourceSupport": 10,
    "LineageNode": 200,
    "Path.nodes": 21,  # at most maxDepth + 1
    "Revision": 50,
    "ApiToken": 50,
    "KindCount": 12,
    "DomainCount": 8,
    "RegionCount": 30,
    "FieldProblem": 10,
}
DEFAULT_FANOUT = 20


@dataclass(frozen=True)
class CostLimits:
    """The cost limit of each role, checked once at start-up."""

    by_role: Mapping[str, int]

    @classmethod
    def from_settings(cls, settings: Settings) -> CostLimits:
        by_role = {"anonymous": settings.max_cost_anonymous, "researcher": settings.max_cost_researcher,
                   "curator": settings.max_cost_staff, "reviewer": settings.max_cost_staff,
                   "admin": settings.max_cost_staff}
        for name, value in (("HERITAGE_MAX_COST_ANONYMOUS", settings.max_cost_anonymous),
                            ("HERITAGE_MAX_COST_RESEARCHER", settings.max_cost_researcher),
                            ("HERITAGE_MAX_COST_STAFF", settings.max_cost_staff)):
            if value < 1:
                raise ConfigError(f"{name} must be at least 1, got {value}")
        return cls(by_role)

    def setting_of(self, role: str) -> str:
        return {"anonymous": "HERITAGE_MAX_COST_ANONYMOUS", "researcher": "HERITAGE_MAX_COST_RESEARCHER"}.get(
            role, "HERITAGE_MAX_COST_STAFF")


class Estimator:
    """The estimated cost of one operation, with its variables' values."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: VariableValues | None,
                 max_page: int) -> None:
        self.schema = schema
        self.variables = variables
        self.max_page = max_page
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self._memo: dict[tuple[str, str, int | None], float] = {}
        self._open: set[str] = set()

    def operation(self, op: OperationDefinitionNode) -> float:
        root = self.schema.get_root_type(op.operation)
        return self.selections(op.selection_set, root, None) if root is not None else 0.0

    def selections(self, selection_set: SelectionSetNode | None, parent: Any, page: int | None) -> float:
        total = 0.0
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                total += self.field(sel, parent, page)
            elif isinstance(sel, InlineFragmentNode):
                cond = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                total += self.selections(sel.selection_set, cond or parent, page)
            elif isinstance(sel, FragmentSpreadNode):
                total += self.fragment(sel.name.value, page)
        return total

    def fragment(self, name: str, page: int | None) -> float:
        fragment = self.fragments.get(name)
        if fragment is None or name in self._open:  # unknown or cyclic: validation reports those
            return 0.0
        key = (name, fragment.type_condition.name.value, page)
        if key not in self._memo:
            self._open.add(name)
            try:
                cond = self.schema.get_type(fragment.type_condition.name.value)
                self._memo[key] = self.selections(fragment.selection_set, cond, page)
            finally:
                self._open.discard(name)
        return self._memo[key]

    def field(self, node: FieldNode, parent: Any, page: int | None) -> float:
        if node.name.value.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0.0 if node.name.value == "__typename" else 1.0
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0.0
        try:
            args = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            args = {}
        own_page = next((args[a] for a in PAGE_ARGS if isinstance(args.get(a), int)), None)
        if own_page is None and any(a in definition.args for a in PAGE_ARGS):
            own_page = DEFAULT_SIZE  # neither given: the page a connection gives by default
        if own_page is not None:
            own_page = max(0, min(own_page, self.max_page))
        kind = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
        named = get_named_type(kind)
        times = 1
        if isinstance(kind, GraphQLList) and not is_leaf_type(named):
            if isinstance(args.get("ids"), list):
                times = len(args["ids"])
            elif page is not None:
                times, page = page, None  # a connection's edges: the page asked for above
            else:
                name = node.name.value
                times = FANOUT.get(f"{parent.name}.{name}", FANOUT.get(name, FANOUT.get(named.name, DEFAULT_FANOUT)))
        if own_page is not None:
            page = own_page  # for the connection's edges below
        if node.selection_set is None:
            return float(times)
        return times * (1.0 + self.selections(node.selection_set, named, page))


def estimate(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
             variables: Mapping[str, Any] | None, max_page: int) -> float:
    """The operation's estimated cost; 0 when it cannot run (no such operation, variables that do not
    coerce): execution reports that itself."""
    op = get_operation_ast(document, operation_name)
    if op is None:
        return 0.0
    coerced = get_variable_values(schema, op.variable_definitions or (), dict(variables or {}))
    if not isinstance(coerced, VariableValues):
        return 0.0
    return Estimator(schema, document, coerced, max_page).operation(op)


class HeavyGate:
    """At most ``concurrency`` operations estimated above ``threshold`` run at a time, in this process:
    the others wait their turn (within their time budget), so a burst of heavy queries shares the
    machine with cheap ones instead of crowding them out. Created with the schema, used per request."""

    def __init__(self, threshold: int, concurrency: int) -> None:
        self.threshold = threshold
        self.concurrency = concurrency
        self._semaphore: anyio.Semaphore | None = None  # made on first use, inside the event loop

    @property
    def semaphore(self) -> anyio.Semaphore:
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.concurrency)
        return self._semaphore


class CostLimitExtension(SchemaExtension):
    """Refuses an operation over its role's cost limit before any resolver runs; notes the estimate
    on the context for ``HeavyTurns``."""

    def __init__(self, limits: CostLimits, max_page: int) -> None:
        self.limits = limits
        self.max_page = max_page

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        principal = getattr(ctx.context, "principal", None)
        if document is not None and principal is not None:
            cost = estimate(ctx.schema._schema, document, ctx.operation_name, ctx.variables, self.max_page)
            limit = self.limits.by_role.get(principal.role, min(self.limits.by_role.values()))
            if cost > limit:
                ctx.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(
                    f"Query too costly: it could resolve about {cost:,.0f} values, more than the limit of "
                    f"{limit:,} for the role {principal.role} ({self.limits.setting_of(principal.role)}). Ask "
                    f"for less: smaller pages (`first`), fewer nested relations, fewer aliases; or page through "
                    f"the results.", extensions={"code": CODE, "limit": "cost", "max": limit,
                                                 "found": round(cost)})])
            elif document_kind(document, ctx.operation_name) == "query":
                ctx.context.cost = cost
        yield


class HeavyTurns(SchemaExtension):
    """Heavy queries wait for their turn at the ``HeavyGate`` (after ``CostLimitExtension``). Async, so
    only in the service's schema: a schema run synchronously (a test's introspection) goes without."""

    def __init__(self, gate: HeavyGate) -> None:
        self.gate = gate

    async def on_execute(self) -> AsyncIterator[None]:
        if getattr(self.execution_context.context, "cost", 0) > self.gate.threshold:
            async with self.gate.semaphore:
                yield
        else:
            yield


def document_kind(document: DocumentNode, operation_name: str | None) -> str | None:
    op = get_operation_ast(document, operation_name)
    return op.operation.value if op is not None else None


__all__ = ["CODE", "CostLimitExtension", "CostLimits", "HeavyGate", "HeavyTurns", "estimate"]
