"""Query limits: depth, aliases and tokens, enforced before anything runs.

The token limit is a parser option (graphql-core stops lexing past it); depth and aliases are
validation rules. ``QueryLimits.from_settings`` builds the rule classes ONCE, when the schema is
built, and every request reuses them: strawberry's ``ValidationCache`` keys its cache on the rule
classes, so a rule class made per request (as strawberry's own ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` do when given as factories, the only non-deprecated way) would never hit it.

Depth counts the fields on the longest path from the operation to a leaf, through fragments:
``{ node(id: "x") { id } }`` has depth 2. Introspection fields count like any other: GraphiQL's
introspection query has depth 15, so a lower limit breaks its schema loading. Aliases count every
aliased field an operation would run, a fragment counting once per spread. Each error carries
``extensions.code`` ``QUERY_TOO_COMPLEX``, the ``limit`` (``depth``, ``aliases`` or ``tokens``),
its ``max`` and, for depth and aliases, what was ``found``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)
from graphql.language.parser import parse
from strawberry.extensions import SchemaExtension

from ..errors import ConfigError
from ..settings import Settings

CODE = "QUERY_TOO_COMPLEX"
TOKENS_PREFIX = "Syntax Error: Document contains more than "

# graphql-core 3.3 counts comments apart from lexical tokens (max_lexical_tokens + max_comments)
# and deprecates max_tokens, which counts both; older 3.3 releases only have max_tokens.
_PARSE_PARAMS = inspect.signature(parse).parameters
_SPLIT_TOKEN_LIMITS = "max_lexical_tokens" in _PARSE_PARAMS and "max_comments" in _PARSE_PARAMS


def _operation_label(op: OperationDefinitionNode) -> str:
    return f"operation '{op.name.value}'" if op.name else "the query"


class _Walker:
    """Depth and alias count of selection sets, each fragment measured once (memoized) and
    fragment cycles cut (the standard NoFragmentCycles rule reports those)."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self._depth: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._open: set[str] = set()

    def _fragment(self, name: str, memo: dict[str, int], measure: Callable[[SelectionSetNode], int]) -> int:
        if name in memo:
            return memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._open:
            return 0
        self._open.add(name)
        try:
            memo[name] = measure(fragment.selection_set)
        finally:
            self._open.discard(name)
        return memo[name]

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        best = 0
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                d = 1 + self.depth(sel.selection_set)
            elif isinstance(sel, InlineFragmentNode):
                d = self.depth(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                d = self._fragment(sel.name.value, self._depth, self.depth)
            else:  # pragma: no cover - no other selection kinds exist
                d = 0
            best = max(best, d)
        return best

    def aliases(self, selection_set: SelectionSetNode | None) -> int:
        total = 0
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                total += (sel.alias is not None) + self.aliases(sel.selection_set)
            elif isinstance(sel, InlineFragmentNode):
                total += self.aliases(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                total += self._fragment(sel.name.value, self._aliases, self.aliases)
        return total

    def too_deep(self, selection_set: SelectionSetNode | None, budget: int) -> FieldNode | None:
        """The first field found deeper than ``budget`` fields, following the deepest branches."""
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                if budget <= 0:
                    return sel
                found = self.too_deep(sel.selection_set, budget - 1)
            elif isinstance(sel, InlineFragmentNode):
                found = self.too_deep(sel.selection_set, budget)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in self.fragments:
                if self._fragment(sel.name.value, self._depth, self.depth) <= budget:
                    continue
                self._open.add(sel.name.value)
                try:
                    found = self.too_deep(self.fragments[sel.name.value].selection_set, budget)
                finally:
                    self._open.discard(sel.name.value)
            else:
                continue
            if found is not None:
                return found
        return None


class _LimitRule(ValidationRule):
    """Checks every operation of the document once, on entering it."""

    limit: ClassVar[str]
    maximum: ClassVar[int]

    def enter_document(self, node: DocumentNode, *_args: Any) -> None:
        walker = _Walker(node)
        for op in node.definitions:
            if isinstance(op, OperationDefinitionNode):
                self.check(walker, op)

    def check(self, walker: _Walker, op: OperationDefinitionNode) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def report(self, message: str, node: Any, found: int) -> None:
        self.report_error(GraphQLError(message, node, extensions={
            "code": CODE, "limit": self.limit, "max": self.maximum, "found": found}))


class MaxQueryDepthRule(_LimitRule):
    limit = "depth"

    def check(self, walker: _Walker, op: OperationDefinitionNode) -> None:
        depth = walker.depth(op.selection_set)
        if depth > self.maximum:
            where = walker.too_deep(op.selection_set, self.maximum) or op
            self.report(f"Query too deep: {_operation_label(op)} has depth {depth}, more than the limit of "
                        f"{self.maximum} (HERITAGE_MAX_QUERY_DEPTH).", where, depth)


class MaxAliasesRule(_LimitRule):
    limit = "aliases"

    def check(self, walker: _Walker, op: OperationDefinitionNode) -> None:
        count = walker.aliases(op.selection_set)
        if count > self.maximum:
            self.report(f"Too many aliases: {_operation_label(op)} uses {count} aliases, more than the limit of "
                        f"{self.maximum} (HERITAGE_MAX_ALIASES).", op, count)


@dataclass(frozen=True)
class QueryLimits:
    """The limits of one schema: rule classes and parser options, built once."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    rules: tuple[type[ValidationRule], ...]
    parse_options: dict[str, int]

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        for name, value in (("HERITAGE_MAX_QUERY_DEPTH", settings.max_query_depth),
                            ("HERITAGE_MAX_ALIASES", settings.max_aliases),
                            ("HERITAGE_MAX_TOKENS", settings.max_tokens)):
            if value < 1:
                raise ConfigError(f"{name} must be at least 1, got {value}")
        rules = (
            type("MaxQueryDepth", (MaxQueryDepthRule,), {"maximum": settings.max_query_depth}),
            type("MaxAliases", (MaxAliasesRule,), {"maximum": settings.max_aliases}),
        )
        n = settings.max_tokens
        options = {"max_lexical_tokens": n, "max_comments": n} if _SPLIT_TOKEN_LIMITS else {"max_tokens": n}
        return cls(settings.max_query_depth, settings.max_aliases, n, rules, options)

    def extension(self) -> QueryLimitsExtension:
        """The per-request extension (strawberry wants a factory); it only references what was built here."""
        return QueryLimitsExtension(self)


class QueryLimitsExtension(SchemaExtension):
    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.parse_options.update(self.limits.parse_options)  # type: ignore[typeddict-item]
        ctx.validation_rules = (*ctx.validation_rules, *self.limits.rules)
        # A parse error surfaces two ways: raised through the hooks (ParserCache parses in its own
        # hook) or, without ParserCache, caught by strawberry and kept in pre_execution_errors.
        try:
            yield
        except GraphQLError as error:
            self._tag(error)
            raise
        for error in ctx.pre_execution_errors or ():
            self._tag(error)

    def _tag(self, error: GraphQLError) -> None:
        """The parser's own message ("Document contains more than N tokens.") gains our code and limit."""
        if not error.message.startswith(TOKENS_PREFIX) or "code" in (error.extensions or {}):
            return
        what = "comments" if " comments." in error.message else "tokens"
        n = self.limits.max_tokens
        error.message = f"Query too large: the document has more than {n} {what}, the limit (HERITAGE_MAX_TOKENS)."
        error.extensions = {"code": CODE, "limit": "tokens", "max": n}
