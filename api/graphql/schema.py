"""The GraphQL schema (Strawberry). This first cut serves ``entity(id)`` and ``stats``; the search,
ask, recommendation and approval fields arrive with their issues.

Hardening is on from the start: parser and validation caches, depth/alias/token limits, no
batching; in production no introspection, no field suggestions and no IDE. Errors reach clients as
GraphQL errors with a stable ``extensions.code`` and a Chinese message — never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, cast

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from api.deps import AppState
from queries import load as load_query
from zhiku.errors import ZhikuError
from zhiku.settings import Environment, Settings

log = logging.getLogger(__name__)

__all__ = ["build_schema"]


def _state(info: Info) -> AppState:
    state: AppState = info.context["state"]
    return state


@strawberry.type(description="实体的一条直接关系 / one direct relationship of an entity")
class Relation:
    type: str
    direction: str = strawberry.field(description="out：本实体指向对方；in：对方指向本实体")
    target_id: strawberry.ID
    target_name: str | None
    target_labels: list[str]


@strawberry.type(description="知识图谱中的实体 / an entity of the knowledge graph")
class Entity:
    id: strawberry.ID
    labels: list[str]
    type: str = strawberry.field(description="最具体的本体类 / the most specific ontology class")
    name: str | None
    name_en: str | None
    aliases: list[str]
    properties: JSON = strawberry.field(description="全部属性 / every property, as a JSON object")

    @strawberry.field(description="直接关系（双向）/ direct relationships, both directions")
    def relations(self, info: Info, first: int = 20) -> list[Relation]:
        first = max(0, min(first, 200))
        rows = _state(info).store.query(
            load_query("entity_relations").text, {"id": str(self.id), "limit": first}
        )
        return [
            Relation(
                type=r["type"],
                direction=r["direction"],
                target_id=strawberry.ID(r["id"]),
                target_name=r["name"],
                target_labels=[lb for lb in r["labels"] if lb != "Resource"],
            )
            for r in rows
        ]


@strawberry.type
class LabelCount:
    label: str
    count: int


@strawberry.type
class GraphStats:
    backend: str
    nodes: int
    relationships: int
    by_label: list[LabelCount]
    by_relationship_type: list[LabelCount]


@strawberry.type
class Query:
    @strawberry.field(description="按 ID 查实体 / one entity by id")
    def entity(self, info: Info, id: strawberry.ID) -> Entity | None:
        state = _state(info)
        rows = state.store.query(load_query("entity_by_id").text, {"id": str(id)})
        if not rows:
            return None
        row = rows[0]
        labels = [lb for lb in row["labels"] if lb != "Resource"]
        inherited = {a for lb in labels for a in state.ontology.ancestors(lb)[1:]}
        specific = [lb for lb in labels if lb not in inherited] or labels or ["Resource"]
        props: dict[str, Any] = dict(row["properties"])
        aliases = props.get("aliases") or []
        return Entity(
            id=strawberry.ID(row["id"]),
            labels=labels,
            type=specific[0],
            name=props.get("name"),
            name_en=props.get("nameEn"),
            aliases=list(aliases) if isinstance(aliases, list) else [str(aliases)],
            properties=cast(JSON, props),
        )

    @strawberry.field(description="图谱统计 / graph statistics")
    def stats(self, info: Info) -> GraphStats:
        store = _state(info).store
        labels = store.query(load_query("label_counts").text)
        types = store.query(load_query("relationship_counts").text)
        by_label = [
            LabelCount(label=r["label"], count=r["count"]) for r in labels if r["label"] != "Resource"
        ]
        total = next((r["count"] for r in labels if r["label"] == "Resource"), 0)
        return GraphStats(
            backend=store.backend,
            nodes=total,
            relationships=sum(r["count"] for r in types),
            by_label=by_label,
            by_relationship_type=[LabelCount(label=r["type"], count=r["count"]) for r in types],
        )


class ZhikuErrors(SchemaExtension):
    """Turn every error into a GraphQL error with a stable code and a Chinese message."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [self._convert(e) for e in result.errors]

    @staticmethod
    def _convert(error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ZhikuError):
            return GraphQLError(
                original.message_zh,
                nodes=error.nodes,
                path=error.path,
                extensions={
                    "code": original.code,
                    "message_en": original.message_en,
                    "retryable": original.retryable,
                },
            )
        if original is not None:
            log.error("unexpected error in resolver", exc_info=original)
            return GraphQLError(
                "服务器内部错误，请稍后再试",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "INTERNAL_ERROR", "message_en": "internal server error"},
            )
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        return GraphQLError(
            f"查询无效：{error.message}",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with the limits and production switches the settings ask for."""
    production = settings.env is Environment.production
    # Factories, not instances: a fresh extension per request (the parser and validation caches
    # themselves live at module level in Strawberry and are shared across requests).
    extensions: list[Any] = [
        ZhikuErrors,
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
    )
