"""Every GraphQL error has a stable code and a Chinese message, and the HTTP answer follows the
GraphQL-over-HTTP spec's media types: the limits' messages pinned to their codes, a NUL byte refused
in every argument of every root field before anything runs, a subscription over POST refused with a
code, ``application/graphql-response+json`` with 400 for request errors (and ``application/json``
unchanged), and the response cache keeping the two apart."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from api.app import create_app
from api.auth import issue_token
from api.graphql.errors import convert
from api.graphql.http import GRAPHQL_RESPONSE, JSON, response_media_type
from api.graphql.schema import build_schema
from zhiku.settings import Settings

ADMIN, EMPLOYEE = "E1040", "E1030"
SCHEMA = build_schema(Settings())._schema


@pytest.fixture(scope="module")
def api(demo_graph, demo_search) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=demo_search.directory.parent)
    with TestClient(create_app(settings, store=demo_graph, search=demo_search)) as client:
        yield client


def post(api: TestClient, body: dict, who: str | None = ADMIN, accept: str | None = None):  # type: ignore[no-untyped-def]
    headers = {}
    if who is not None:
        headers["Authorization"] = f"Bearer {issue_token(api.app.state.zhiku.settings, who)}"
    if accept is not None:
        headers["Accept"] = accept
    return api.post("/graphql", json=body, headers=headers)


def codes(body: dict) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors") or []}


# -- the conversion, pinned to the libraries' own wording -----------------------------------------------


def test_the_parsers_limits_and_syntax_errors_get_their_codes() -> None:
    with pytest.raises(GraphQLError) as too_long:
        parse("{ " + "a " * 50 + "}", max_tokens=20)
    error = convert(too_long.value)
    assert error.extensions["code"] == "QUERY_TOO_LARGE"
    assert error.message == "查询过长：超过 20 个词法单元的上限，请拆分成多个请求"
    with pytest.raises(GraphQLError) as syntax:
        parse("{ a(")
    error = convert(syntax.value)
    assert error.extensions["code"] == "GRAPHQL_PARSE_FAILED" and error.message.startswith("查询语法错误：")
    assert error.formatted["locations"] == [{"line": 1, "column": 5}]


def test_the_depth_and_alias_limits_get_their_codes() -> None:
    rules = [*QueryDepthLimiter(max_depth=1).validation_rules, *MaxAliasesLimiter(1).validation_rules]
    document = parse('{ a: entity(id: "x") { relations { type } } b: me { id } }')
    found = {convert(e).extensions["code"]: convert(e).message for e in validate(SCHEMA, document, rules)}
    assert found == {
        "QUERY_TOO_DEEP": "查询嵌套过深：最多 1 层",
        "QUERY_TOO_MANY_ALIASES": "查询中的别名过多：2 个，最多 1 个",
    }


def test_conversion_is_idempotent_and_never_passes_exception_text() -> None:
    raw = GraphQLError("boom", original_error=OSError(36, "File name too long", "/srv/queries/aaa.cypher"))
    once = convert(raw)
    assert once.extensions == {"code": "INTERNAL_ERROR", "message_en": "internal server error"}
    assert "File name" not in once.message and convert(once) is once
    rule = GraphQLError("查询代价过高", extensions={"code": "QUERY_TOO_COSTLY"})  # a rule's own coded error
    assert convert(rule).extensions == {"code": "QUERY_TOO_COSTLY", "message_en": "查询代价过高"}


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("", JSON),
        ("application/json", JSON),
        ("*/*", JSON),
        ("text/html", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", JSON),
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0, application/json", JSON),
        (f"{GRAPHQL_RESPONSE};q=x", JSON),
    ],
)
def test_the_response_media_type_follows_accept(accept: str | None, media: str) -> None:
    assert response_media_type(accept) == media


# -- a NUL byte in any string argument --------------------------------------------------------------------


def _literal(kind: GraphQLInputType, nul: bool) -> str:
    """A GraphQL literal of ``kind``; a NUL inside it (in every string it holds) when ``nul``."""
    if isinstance(kind, GraphQLNonNull):
        return _literal(kind.of_type, nul)
    if isinstance(kind, GraphQLList):
        return f"[{_literal(kind.of_type, nul)}]"
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        fields = [
            f"{n}: {_literal(f.type, nul)}"
            for n, f in kind.fields.items()
            if isinstance(f.type, GraphQLNonNull)
        ]
        return "{" + ", ".join(fields) + "}"
    text = '"x\\u0000y"' if nul else '"x"'
    return {"Int": "1", "Float": "1.5", "Boolean": "true", "JSON": "{k: " + text + "}"}.get(kind.name, text)


def _stringy(kind: GraphQLInputType) -> bool:
    return get_named_type(kind).name in ("String", "ID", "JSON")


def _cases() -> Iterator[tuple[str, str, dict]]:
    """(operation, document, variables) for every string-typed argument of every query and mutation
    field: once with the NUL in a literal, once in a variable."""
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        for name, field in root.fields.items():
            selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
            for target, arg in field.args.items():
                if not _stringy(arg.type):
                    continue
                others = [
                    f"{n}: {_literal(a.type, False)}"
                    for n, a in field.args.items()
                    if n != target and isinstance(a.type, GraphQLNonNull)
                ]
                literal = ", ".join([*others, f"{target}: {_literal(arg.type, True)}"])
                yield operation, f"{operation} {{ {name}({literal}){selection} }}", {}
                value = "x\x00y"
                named = get_named_type(arg.type).name
                value_json = {"k": value} if named == "JSON" else value
                if isinstance(arg.type, GraphQLList) or (
                    isinstance(arg.type, GraphQLNonNull) and isinstance(arg.type.of_type, GraphQLList)
                ):
                    value_json = [value_json]
                args = ", ".join([*others, f"{target}: $v"])
                yield (
                    operation,
                    f"{operation}($v: {arg.type}) {{ {name}({args}){selection} }}",
                    {"v": value_json},
                )


CASES = list(_cases())


def test_every_string_argument_is_covered() -> None:
    fields = {doc.split("{", 1)[1].split("(", 1)[0].strip() for _, doc, _ in CASES}
    assert {"entity", "search", "namedQuery", "ask", "ingest", "chat", "submitApproval", "feedback"} <= fields
    assert len(CASES) >= 60


def test_a_nul_in_any_string_argument_is_bad_input_before_anything_runs(api: TestClient, demo_graph) -> None:  # type: ignore[no-untyped-def]
    feedback = demo_graph.query("MATCH (f:Feedback) RETURN count(f) AS n")[0]["n"]
    wrong = []
    for _, document, variables in CASES:
        body = post(api, {"query": document, "variables": variables}).json()
        if codes(body) != {"BAD_INPUT"} or body["data"] is not None or "path" in body["errors"][0]:
            wrong.append((document, variables, body))
    assert not wrong, wrong[:3]
    message = post(api, {"query": '{ entity(id: "\\u0000") { id } }'}).json()["errors"][0]["message"]
    assert message == "参数中不能含有空字符（\\u0000）"
    # nothing executed: no mutation wrote anything
    assert demo_graph.query("MATCH (f:Feedback) RETURN count(f) AS n")[0]["n"] == feedback


def test_nul_in_nested_variables_and_keys(api: TestClient) -> None:
    document = 'query($p: JSON) { namedQuery(name: "entity_by_id", params: $p) }'
    for params in ({"id": ["a", {"b": "\x00"}]}, {"k\x00": 1}):
        body = post(api, {"query": document, "variables": {"p": params}}).json()
        assert codes(body) == {"BAD_INPUT"}


# -- subscriptions over POST, media types, status codes -------------------------------------------------


def test_a_subscription_over_post_gets_a_clear_code(api: TestClient) -> None:
    document = {"query": "subscription { indexStatus { version } }"}
    legacy = post(api, document)
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith(JSON)
    assert codes(legacy.json()) == {"OPERATION_NOT_SUPPORTED"}
    assert "WebSocket" in legacy.json()["errors"][0]["message"]
    spec = post(api, document, accept=GRAPHQL_RESPONSE)
    assert spec.status_code == 400 and "data" not in spec.json()
    assert codes(spec.json()) == {"OPERATION_NOT_SUPPORTED"}


@pytest.mark.parametrize(
    ("document", "variables", "code"),
    [
        ("{ me { id", None, "GRAPHQL_PARSE_FAILED"),
        ("{ me { nope } }", None, "GRAPHQL_VALIDATION_FAILED"),
        (
            'query($f: Int!) { search(query: "x", first: $f) { message } }',
            {"f": "ten"},
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("{ " + " ".join(["__typename"] * 2100) + " }", None, "QUERY_TOO_LARGE"),
    ],
)
def test_request_errors_are_400_for_graphql_response_json_and_200_for_json(
    api: TestClient, document: str, variables: dict | None, code: str
) -> None:
    body = {"query": document, "variables": variables}
    spec = post(api, body, accept=GRAPHQL_RESPONSE)
    assert spec.status_code == 400
    assert spec.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert "data" not in spec.json() and codes(spec.json()) == {code}
    legacy = post(api, body, accept="application/json")
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith(JSON)
    assert legacy.json()["data"] is None and codes(legacy.json()) == {code}


def test_execution_errors_stay_200_with_data(api: TestClient) -> None:
    """A resolver's error (here: not signed in) nulls ``data`` but the request was executed: 2xx."""
    spec = post(api, {"query": "{ me { id } }"}, who=None, accept=GRAPHQL_RESPONSE)
    assert spec.status_code == 200 and spec.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert spec.json()["data"] is None and codes(spec.json()) == {"UNAUTHENTICATED"}
    assert spec.json()["errors"][0]["path"] == ["me"]


def test_the_cache_keeps_media_types_apart(api: TestClient) -> None:
    body = {"query": '{ entity(id: "E1001") { name } }'}
    first = post(api, body, who=EMPLOYEE, accept="application/json")
    assert first.headers["x-zhiku-cache"] in ("miss", "hit") and first.headers["content-type"].startswith(
        JSON
    )
    spec = post(api, body, who=EMPLOYEE, accept=GRAPHQL_RESPONSE)
    assert spec.headers["x-zhiku-cache"] == "miss"  # not the application/json entry
    assert spec.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    again = post(api, body, who=EMPLOYEE, accept=GRAPHQL_RESPONSE)
    assert again.headers["x-zhiku-cache"] == "hit" and again.headers["content-type"].startswith(
        GRAPHQL_RESPONSE
    )
    legacy = post(api, body, who=EMPLOYEE)
    assert legacy.headers["x-zhiku-cache"] == "hit" and legacy.headers["content-type"].startswith(JSON)
    assert json.loads(again.content) == json.loads(legacy.content) == {"data": {"entity": {"name": "陈建国"}}}
