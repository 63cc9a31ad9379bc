"""Analytics: the analysts' named queries (``queries/``) and their catalogue, and graph statistics —
every row held to the caller's view."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.context import ctx
from queries import SERVER_PARAMS, names, run_named_query
from queries import load as load_query


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
class NamedQueryInfo:
    name: str
    description: str
    params: list[str]


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(description="运行 queries/ 中的命名查询（只读，分析师）/ run a named query")
    async def named_query(self, info: Info, name: str, params: JSON | None = None) -> JSON:
        c = ctx(info)
        who = c.require("analyst", "knowledge_engineer")
        given = cast(dict[str, Any] | None, params)
        return cast(JSON, await asyncio.to_thread(run_named_query, c.state.store, name, given, who=who))

    @strawberry.field(description="命名查询目录 / the named queries analysts may run")
    def named_queries(self, info: Info) -> list[NamedQueryInfo]:
        ctx(info).require("analyst", "knowledge_engineer")
        out = []
        for n in names():
            q = load_query(n)
            if not q.internal and q.mode == "read":
                out.append(
                    NamedQueryInfo(
                        name=n,
                        description=q.description,
                        params=[f"{p.name}: {p.type}" for p in q.params if p.name not in SERVER_PARAMS],
                    )
                )
        return out

    @strawberry.field(description="图谱统计 / graph statistics")
    async def stats(self, info: Info) -> GraphStats:
        who = ctx(info).require()
        store = ctx(info).state.store
        # the caller's view: hidden documents, their chunks and people's records are not counted
        labels = await asyncio.to_thread(run_named_query, store, "label_counts", who=who)
        types = await asyncio.to_thread(run_named_query, store, "relationship_counts", who=who)
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
