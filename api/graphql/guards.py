"""Checks every GraphQL request passes before any resolver runs, whatever the field or transport.

- :class:`NoNulStrings` (a validation rule, cached with the document) and :class:`InputGuard` (the
  request's variables) refuse a NUL character in any string with ``BAD_INPUT``: graph stores and
  file systems end C strings there, so it never reaches them.
- :class:`InputGuard` also refuses a subscription sent over plain HTTP (``OPERATION_NOT_SUPPORTED``):
  only the WebSocket transport can stream its events.
- :class:`SafeParserCache` is Strawberry's parser cache, except that a document that does not parse
  (a syntax error, over the token limit) is left to Strawberry's own parse, which reports it as a
  request error inside the operation — so the error conversion sees it like any other, on every
  transport (the cache's own parse would raise past it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types.graphql import OperationType

from api.graphql.errors import OperationNotSupported, coded
from zhiku.errors import InputError

NUL = "\x00"


def _nul_error() -> InputError:
    return InputError("参数中不能含有空字符（\\u0000）", "string arguments must not contain NUL (U+0000)")


class NoNulStrings(ValidationRule):
    """A string literal in the document (an argument, an input field, a default value) with a NUL."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if NUL in node.value:
            self.report_error(coded(_nul_error(), GraphQLError("", nodes=[node])))


def has_nul(value: object) -> bool:
    """Whether a NUL occurs in any string (or object key) inside a JSON value. Iterative: variables
    nest as deep as the JSON parser allowed."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class InputGuard(SchemaExtension):
    """Per-request checks, reported as validation errors (a request error: nothing executes).

    Must come after ``ValidationCache`` in the schema's extensions: that one sets the validation
    errors when entering the validation step, and these are added to them."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        found: list[GraphQLError] = []
        if context.variables and has_nul(context.variables):
            found.append(coded(_nul_error()))
        if context.operation_type is OperationType.SUBSCRIPTION and _over_http(context.context):
            found.append(
                coded(
                    OperationNotSupported(
                        "订阅需通过 WebSocket（graphql-transport-ws 协议）发送；HTTP 只支持查询与变更",
                        "subscriptions need the WebSocket transport (graphql-transport-ws)",
                    )
                )
            )
        if found:
            context.pre_execution_errors = [*(context.pre_execution_errors or ()), *found]
        yield


def _over_http(context: object) -> bool:
    request = context.get("request") if isinstance(context, dict) else None
    scope = getattr(request, "scope", None)
    return isinstance(scope, dict) and scope.get("type") == "http"


class SafeParserCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except GraphQLError:
            context.graphql_document = None  # Strawberry parses it again and reports the error
        yield
