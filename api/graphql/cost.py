"""Query cost: how much a GraphQL request asks of the server, computed before it runs, so that one
small request cannot fan out into hundreds of thousands of resolved objects (issue 16: 825 bytes of
nested ``relations(first: 30)`` took 17 s and returned 4.7 MB).

The model (GitHub's, simplified): every object a request can return costs 1; scalars and enums cost 0.
A field with a ``first`` argument returns up to ``first`` items: a list field (``relations``,
``tickets``) repeats its sub-selection that many times, and a connection — an object field with
``first`` (``entities``, ``search``) — hands the count to its own lists (``edges``). Any other list counts
as its server-side bound in :data:`LIST_SIZES`, else :data:`DEFAULT_LIST_SIZE` items. Aliases count
separately (each is executed); fragments and inline fragments count where they are spread, every type
condition included (an upper bound); ``@skip`` / ``@include`` are honoured; a ``first`` given as a
variable counts with the request's value (or the variable's default). Introspection (``__schema``,
``__type``) costs nothing: the schema bounds it, and production turns it off.

Why after validation and not as a validation rule: validation results are cached per document text
(Strawberry's ValidationCache), so a rule never sees the variables — ``relations(first: $n)`` would go
unchecked, or be priced at a worst case that refuses ordinary paging. The walk is linear in the
document (fragments priced once each) and runs per request: ~10 µs for a typical query, 0.14 ms for
the audit's.

Example::

    >>> query_cost(schema, parse("{ entities(first: 30) { edges { node { id } } } }"))
    61
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)
from graphql.language import DirectiveNode
from graphql.utilities import get_operation_ast, type_from_ast, value_from_ast_untyped
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType as StrawberryOperationType

from zhiku.errors import QueryTooCostly

#: Items assumed for a list without ``first`` whose length the server does not bound (an approval's
#: steps, an answer's citations, a hit's entities: a handful in practice).
DEFAULT_LIST_SIZE = 10
#: Lists without ``first`` whose length the server bounds, by (type, field): a neighbourhood reads at
#: most 500 edges; a department's members come from its first 200 relations.
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Neighborhood", "nodes"): 500,
    ("Neighborhood", "edges"): 500,
    ("Department", "members"): 200,
}


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    """The cost of the operation ``operation_name`` of ``document`` (see the module docstring);
    0 when there is no such operation (execution reports that)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            values[definition.variable.name.value] = value_from_ast_untyped(definition.default_value)
    values.update({k: v for k, v in (variables or {}).items() if v is not None})
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _Pricer(schema, fragments, values).selections(operation.selection_set, root, None)


class _Pricer:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        # A fragment's cost depends only on the page handed to it: priced once, however often it is
        # spread (fragments spreading fragments twice over would otherwise take exponential time).
        self.priced: dict[tuple[str, int | None], int] = {}
        self.pricing: set[str] = set()  # cycles are refused by validation; never loop regardless

    def selections(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, page: int | None
    ) -> int:
        total = 0
        for node in selection_set.selections if selection_set else ():
            if not self._included(node.directives):
                continue
            if isinstance(node, FieldNode):
                total += self._field(node, parent, page)
            elif isinstance(node, InlineFragmentNode):
                condition = type_from_ast(self.schema, node.type_condition) if node.type_condition else None
                total += self.selections(node.selection_set, get_named_type(condition) or parent, page)
            elif isinstance(node, FragmentSpreadNode):
                total += self._fragment(node.name.value, page)
        return total

    def _fragment(self, name: str, page: int | None) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.pricing:
            return 0
        key = (name, page)
        if key not in self.priced:
            condition = get_named_type(type_from_ast(self.schema, fragment.type_condition))
            self.pricing.add(name)
            self.priced[key] = self.selections(fragment.selection_set, condition, page) if condition else 0
            self.pricing.discard(name)
        return self.priced[key]

    def _field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0  # unknown fields never pass validation
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        first = self._first(node, definition.args.get("first"))
        if not is_list_type(get_nullable_type(definition.type)):
            # one object; a connection hands its ``first`` to its own lists
            return 1 + self.selections(node.selection_set, named, first)
        below = self.selections(node.selection_set, named, None)
        if first is None:
            first = page if page is not None else LIST_SIZES.get((parent.name, name), DEFAULT_LIST_SIZE)
        return first * (1 + below)

    def _first(self, node: FieldNode, argument: Any) -> int | None:
        """The ``first`` this field is asked for (its default when not given); None without one."""
        if argument is None:
            return None
        given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        value = value_from_ast_untyped(given, self.variables) if given is not None else None
        if value is None or value is Undefined:
            value = argument.default_value
        try:
            return max(0, int(value))
        except (TypeError, ValueError):
            return None  # not an Int: execution refuses the request

    def _included(self, directives: tuple[DirectiveNode, ...] | None) -> bool:
        for directive in directives or ():
            if directive.name.value not in ("skip", "include"):
                continue
            condition = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
            value = value_from_ast_untyped(condition, self.variables) if condition is not None else None
            skip = directive.name.value == "skip"
            if (skip and value is True) or (not skip and value is False):
                return False
        return True


class Turns:
    """At most ``n`` heavy requests execute at once in one event loop; the others wait for a turn.

    A request's resolvers run on the event loop between their awaits, and asyncio runs every callback
    that is ready before it looks at the sockets again: eight requests near the cost limit at once
    fill each loop iteration with thousands of callbacks, and everyone else — ``/healthz`` included —
    waits for them. Taking turns bounds that without refusing anything (the work is CPU-bound anyway:
    done one after another it finishes no later in total). Measured (``bench/cost.py``, 8 clients
    sending a request of cost 5,616 back to back): ``/healthz`` p99 445 ms → 40–60 ms with one turn, the
    heavy requests' own p99 960 → 716 ms."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def turn(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()  # one app may serve from several loops (tests)
        semaphore = self._by_loop.get(loop)
        if semaphore is None:
            semaphore = self._by_loop[loop] = asyncio.Semaphore(self.n)
        return semaphore


class QueryCostLimit(SchemaExtension):
    """Refuse, before execution, a request whose :func:`query_cost` is above ``max_cost`` with
    ``QUERY_TOO_COSTLY`` (converted like every Zhiku error by the schema's error extension); a request
    costing ``heavy`` or more waits for one of ``turns`` (see :class:`Turns`).

    Example::

        turns = Turns(2)
        strawberry.Schema(Query, extensions=[lambda: QueryCostLimit(10_000, heavy=1_000, turns=turns)])
    """

    def __init__(self, max_cost: int, *, heavy: int, turns: Turns) -> None:
        super().__init__()
        self.max_cost = max_cost
        self.heavy = heavy
        self.turns = turns

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        cost = 0
        if document is not None and context.result is None:
            cost = query_cost(context.schema._schema, document, context.variables, context.operation_name)
            if cost > self.max_cost:
                refused = QueryTooCostly(cost, self.max_cost)
                if context.operation_type is StrawberryOperationType.SUBSCRIPTION:
                    raise refused  # subscriptions do not take a ready result; Strawberry reports this
                context.result = ExecutionResult(
                    data=None, errors=[GraphQLError(refused.message_zh, original_error=refused)]
                )
                cost = 0  # refused: nothing to wait for
        if cost >= self.heavy and context.operation_type is not StrawberryOperationType.SUBSCRIPTION:
            async with self.turns.turn():
                yield
        else:
            yield
