"""One conversion for every GraphQL error, whatever the transport (HTTP, graphql-transport-ws).

A client always gets a stable ``extensions.code``, a Chinese ``message`` and an English
``extensions.message_en``; never an exception's own text (a file path, a driver message). The
conversion is idempotent: an error already converted passes through unchanged, so the operation hook,
the stream hook and the HTTP view may each apply it.

    ZhikuErrors                  # the schema extension: operations (HTTP) and stream results (WebSocket)
    convert(error)               # one GraphQLError → its coded form
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from zhiku.errors import InputError, ZhikuError
from zhiku.i18n import DEFAULT

log = logging.getLogger(__name__)


class QuerySyntaxError(InputError):
    """The document is not valid GraphQL syntax."""

    code = "GRAPHQL_PARSE_FAILED"


class QueryInvalid(InputError):
    """The document does not validate against the schema (or its variables do not coerce)."""

    code = "GRAPHQL_VALIDATION_FAILED"


class QueryTooLarge(InputError):
    """The document has more tokens (or is longer, or nests deeper) than the parser accepts."""

    code = "QUERY_TOO_LARGE"


class QueryTooDeep(InputError):
    """The operation's selections nest deeper than ``ZHIKU_GRAPHQL_MAX_DEPTH``."""

    code = "QUERY_TOO_DEEP"


class TooManyAliases(InputError):
    """The document uses more aliases than ``ZHIKU_GRAPHQL_MAX_ALIASES``."""

    code = "QUERY_TOO_MANY_ALIASES"


class OperationNotSupported(InputError):
    """The operation cannot run over this transport (a subscription over plain HTTP)."""

    code = "OPERATION_NOT_SUPPORTED"


class TooManyOperations(InputError):
    """A WebSocket connection has as many operations in flight as it may."""

    code = "TOO_MANY_OPERATIONS"


# The limits' own messages (graphql-core's parser, Strawberry's depth and alias rules): the one place
# their wording is read; tests/api/test_graphql_errors.py pins each to its code.
_TOKENS = re.compile(r"Document contains more than (\d+) tokens")
_ABORTED = re.compile(r"Parsing aborted\.$")
_DEPTH = re.compile(r"exceeds maximum operation depth of (\d+)$")
_ALIASES = re.compile(r"^(\d+) aliases found\. Allowed: (\d+)$")


def _request_error(error: GraphQLError) -> ZhikuError:
    """What a parse or validation error (one GraphQL itself raised, no resolver involved) means."""
    text = error.message
    if isinstance(error, GraphQLSyntaxError):
        if m := _TOKENS.search(text):
            return QueryTooLarge(
                f"查询过长：超过 {m[1]} 个词法单元的上限，请拆分成多个请求", f"query too large: {text}"
            )
        if _ABORTED.search(text):
            return QueryTooLarge(
                "查询过大或嵌套过深，已拒绝解析，请拆分成多个请求", f"query too large: {text}"
            )
        return QuerySyntaxError(f"查询语法错误：{text}", text)
    if m := _DEPTH.search(text):
        return QueryTooDeep(f"查询嵌套过深：最多 {m[1]} 层", f"query too deep: {text}")
    if m := _ALIASES.search(text):
        return TooManyAliases(f"查询中的别名过多：{m[1]} 个，最多 {m[2]} 个", f"too many aliases: {text}")
    return QueryInvalid(f"查询无效：{text}", text)


def coded(exc: ZhikuError, error: GraphQLError | None = None, language: str = DEFAULT) -> GraphQLError:
    """``exc`` as a GraphQL error, at ``error``'s place in the document (nodes, path, locations), its
    message in ``language`` (``extensions`` keep the code and the English message)."""
    extensions: dict[str, object] = {
        "code": exc.code,
        "message_en": exc.message_en,
        "retryable": exc.retryable,
    }
    if (retry_after := getattr(exc, "retry_after", None)) is not None:  # the HTTP layer adds Retry-After
        extensions["retryAfter"] = retry_after
    message = exc.message_in(language)
    if error is None:
        return GraphQLError(message, extensions=extensions)
    if error.nodes:
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)
    return GraphQLError(
        message,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def convert(error: GraphQLError, language: str = DEFAULT) -> GraphQLError:
    """The coded form of ``error`` (a Zhiku error's message in ``language``); an error already coded is
    returned as it is."""
    extensions = error.extensions or {}
    if "message_en" in extensions:
        return error
    if extensions.get("code"):  # raised coded on purpose (a validation rule): keep its code and text
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=error.original_error,
            extensions={**extensions, "message_en": error.message},
        )
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error  # a GraphQLError raised by a resolver, located by graphql-core
    if isinstance(original, GraphQLError):  # raised by GraphQL itself (e.g. an enum it cannot serialise)
        return coded(_request_error(original), error)
    if isinstance(original, ZhikuError):
        return coded(original, error, language)
    if isinstance(original, InvalidOperationTypeError):
        return coded(
            OperationNotSupported(
                "此传输方式不支持该类型的操作（订阅请通过 WebSocket 的 graphql-transport-ws 协议发送）",
                "this operation type is not supported over this transport",
            ),
            error,
        )
    if isinstance(original, CannotGetOperationTypeError):
        return coded(QueryInvalid(f"查询无效：{error.message}", error.message), error)
    if original is not None:
        log.error("unexpected error in resolver", exc_info=original)
        return GraphQLError(
            "服务器内部错误，请稍后再试",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_ERROR", "message_en": "internal server error"},
        )
    return coded(_request_error(error), error)


def convert_result(result: object, language: str = DEFAULT) -> None:
    """Convert the errors of ``result`` (Strawberry's or graphql-core's execution result) in place."""
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = [convert(e, language) for e in errors]  # type: ignore[attr-defined]


class ZhikuErrors(SchemaExtension):
    """Turn every error into a GraphQL error with a stable code and a Chinese message: an operation's
    result (HTTP) once it is complete, and each result a stream yields (WebSocket, subscriptions)
    before the transport sends it."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if getattr(result, "errors", None):  # the language (an Accept-Language scan) only when needed
            convert_result(result, self._language())

    def on_stream_result(self, result: object) -> Iterator[None]:
        if isinstance(result, ExecutionResult):  # not the raw frames of incremental delivery
            convert_result(result, self._language())
        yield

    def _language(self) -> str:
        from api.graphql.language import error_language

        return error_language(self.execution_context.context)

    # kept for callers that raise a coded error themselves (the subscriptions' sign-in checks)
    coded = staticmethod(coded)
