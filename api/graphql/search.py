"""Search: hybrid retrieval over what the caller may read, recommendations, and the search index's
state as a subscription."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from api.graphql.context import ctx
from api.graphql.entities import Entity, load_entities, load_entity
from api.graphql.errors import ZhikuErrors
from api.graphql.paging import PageInfo, decode_cursor, encode_cursor, page
from zhiku.errors import InputError, ZhikuError


@strawberry.type(description="检索命中的片段及其出处 / a retrieved chunk and where it comes from")
class SearchHit:
    chunk_id: strawberry.ID
    document_id: strawberry.ID
    title: str
    uri: str
    section: str
    snippet: str
    text: str
    kind: str
    score: float
    entity_ids: list[strawberry.ID]

    @strawberry.field(description="片段链接到的实体")
    async def entities(self, info: Info) -> list[Entity]:
        return await load_entities(info, [str(i) for i in self.entity_ids])


@strawberry.type(description="问题中识别出的实体 / an entity recognised in the question")
class RecognizedEntity:
    id: strawberry.ID
    surface: str

    @strawberry.field
    async def entity(self, info: Info) -> Entity | None:
        return await load_entity(info, str(self.id))


@strawberry.type
class SearchEdge:
    cursor: str
    node: SearchHit


@strawberry.type
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
    message: str = strawberry.field(description="查询无法按原样使用时的提示（如只有标点）")
    recognized: list[RecognizedEntity]


@strawberry.type(description="推荐项 / a recommended item")
class Recommendation:
    kind: str = strawberry.field(description="document | faq | process | form | policy")
    id: strawberry.ID
    title: str
    score: float
    reason: str
    document_id: strawberry.ID | None


@strawberry.type(description="检索索引状态 / the search index's state")
class IndexStatus:
    version: int
    documents: int
    chunks: int
    model: str


@strawberry.type
class SearchQuery:
    @strawberry.field(description="混合检索（按调用者权限过滤）/ hybrid search, permission-filtered")
    async def search(
        self, info: Info, query: str, first: int = 10, after: str | None = None
    ) -> SearchConnection:
        c = ctx(info)
        who = c.require()
        first = page(first)
        offset = decode_cursor(after)
        result = await asyncio.to_thread(c.state.search.search, query, who, k=first + 1, offset=offset)
        edges = [
            SearchEdge(
                cursor=encode_cursor(offset + i),
                node=SearchHit(
                    chunk_id=strawberry.ID(h.chunk_id),
                    document_id=strawberry.ID(h.document_id),
                    title=h.title,
                    uri=h.link,
                    section=h.section,
                    snippet=h.snippet,
                    text=h.text,
                    kind=h.kind,
                    score=h.score,
                    entity_ids=[strawberry.ID(e) for e, _ in h.entities],
                ),
            )
            for i, h in enumerate(result.hits[:first])
        ]
        return SearchConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(result.hits) > first, end_cursor=edges[-1].cursor if edges else None
            ),
            message=result.message,
            recognized=[RecognizedEntity(id=strawberry.ID(e), surface=s) for e, s in result.entities],
        )

    @strawberry.field(description="推荐：针对实体、文档或当前员工 / recommendations")
    async def recommendations(
        self,
        info: Info,
        for_entity: strawberry.ID | None = None,
        for_document: strawberry.ID | None = None,
        for_me: bool = False,
        first: int = 6,
    ) -> list[Recommendation]:
        c = ctx(info)
        who = c.require()
        first = page(first)
        chosen = sum(x is not None for x in (for_entity, for_document)) + int(for_me)
        if chosen != 1:
            raise InputError(
                "forEntity、forDocument、forMe 三选一", "give exactly one of forEntity, forDocument, forMe"
            )
        rec = c.state.recommender
        if for_entity is not None:
            items = await asyncio.to_thread(rec.for_entity, str(for_entity), who, k=first)
        elif for_document is not None:
            items = await asyncio.to_thread(rec.for_document, str(for_document), who, k=first)
        else:
            items = await asyncio.to_thread(rec.for_user, who, k=first)
        return [
            Recommendation(
                kind=r.kind,
                id=strawberry.ID(r.id),
                title=r.title,
                score=r.score,
                reason=r.reason,
                document_id=strawberry.ID(r.document_id) if r.document_id else None,
            )
            for r in items
        ]


@strawberry.type
class SearchSubscription:
    @strawberry.subscription(
        description="检索索引状态：订阅时推送一次，此后每次更新推送 / index status updates"
    )
    async def index_status(self, info: Info, poll_seconds: float = 1.0) -> AsyncGenerator[IndexStatus, None]:
        c = ctx(info)
        c.use_connection_params(info.context.get("connection_params"))
        try:
            c.require()
        except ZhikuError as exc:  # subscriptions bypass the operation hook: convert here
            raise ZhikuErrors.coded(exc) from None
        interval = max(0.2, min(poll_seconds, 60.0))
        last = None
        while True:
            stats = c.state.search.stats()
            if stats["version"] != last:
                last = stats["version"]
                yield IndexStatus(
                    version=stats["version"],
                    documents=stats["documents"],
                    chunks=stats["chunks"],
                    model=stats["model"],
                )
            await asyncio.sleep(interval)
