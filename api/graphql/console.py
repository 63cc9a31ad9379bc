"""GraphQL fields the web console needs beyond the public contract: hit-testing with the score of
each retrieval component, a document's sections (where a citation leads), and the analysts' question
statistics. Merged into ``Query`` in ``schema.py`` like the other resources.

* ``hitTest(question, asEmployee)`` — knowledge engineers: the chunks retrieval ranks for the
  question *as that employee would ask it*, each with its keyword rank, dense rank and cosine, and
  the question's entities it links to. A hit the caller may not read themselves is left out and
  counted in ``withheld`` (a caller never sees more than their own roles allow).
* ``documentChunks(id)`` — anyone who may read the document: its chunks in order, heading path and
  anchor, so a citation (``uri#anchor``) opens at its section inside the console.
* ``questionStats(days)`` — analysts: questions per day, answered vs. not, the top unanswered.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.types import Info

from api.auth import AuthError
from api.graphql.context import ctx
from api.graphql.entities import Document, load_entities, load_entity
from api.graphql.search import RecognizedEntity
from queries import load as load_query
from search.service import section_link
from zhiku.errors import InputError, NotFoundError


@strawberry.type(
    description="检索各组成部分的得分（融合方式见 search/fusion.py）"
    " / how each retrieval component scored a hit"
)
class HitScores:
    keyword_rank: int | None = strawberry.field(description="BM25 关键词排名（从 1 起；null：未命中）")
    keyword: float = strawberry.field(
        description="BM25 关键词原始得分（0：未命中）。融合时除以候选中的最高分，再乘问题词覆盖率与权重计入，"
        "不是融合分的直接加项 / raw BM25 score; fused after normalising and weighting by query-term coverage"
    )
    dense_rank: int | None = strawberry.field(description="向量检索排名（从 1 起）")
    dense_cosine: float | None = strawberry.field(description="问题与片段向量的余弦相似度")
    dense: float = strawberry.field(
        description="向量相似度（余弦；0：不在向量结果中），融合分的基础项（权重 1）"
        " / the dense cosine, the fused score's base term"
    )
    entities: list[str] = strawberry.field(description="片段链接到的、问题中识别出的实体（实体加权的依据）")


@strawberry.type(description="命中测试的一条结果 / one ranked chunk of a hit test")
class HitTestHit:
    rank: int
    chunk_id: strawberry.ID
    document_id: strawberry.ID
    title: str
    uri: str
    heading_path: list[str]
    section: str
    text: str
    kind: str
    score: float = strawberry.field(
        description="融合分：向量余弦 + 按问题词覆盖率加权的关键词分 + 标题与段落证据"
        " + 标题向量相似度，再乘实体加权（search/fusion.py；不是 RRF）"
        " / fused score: dense cosine plus coverage-weighted keyword, heading and passage evidence,"
        " times the entity boost"
    )
    scores: HitScores


@strawberry.type(description="命中测试 / a hit test: what retrieval returns for a question, as someone")
class HitTestResult:
    question: str
    as_employee: strawberry.ID
    as_name: str
    as_roles: list[str]
    hits: list[HitTestHit]
    withheld: int = strawberry.field(description="该员工可见、但调用者无权查看而未显示的命中数")
    recognized: list[RecognizedEntity]
    message: str


@strawberry.type(description="文档中的一个文本块 / one chunk of a document")
class DocumentChunk:
    id: strawberry.ID
    ordinal: int
    heading_path: list[str]
    section: str
    anchor: str
    link: str
    kind: str
    text: str


@strawberry.type(description="一天的提问数 / questions asked on one day")
class QuestionDay:
    day: str
    answered: int
    unanswered: int


@strawberry.type(description="未答上的问题 / a question left unanswered")
class UnansweredQuestion:
    question: str
    count: int


@strawberry.type(description="提问统计 / question statistics")
class QuestionStats:
    days: list[QuestionDay]
    top_unanswered: list[UnansweredQuestion]


@strawberry.type
class ConsoleQuery:
    @strawberry.field(description="命中测试：以某员工身份检索，给出各组成部分得分（知识工程师）/ hit-testing")
    async def hit_test(
        self, info: Info, question: str, as_employee: strawberry.ID | None = None, first: int = 10
    ) -> HitTestResult:
        c = ctx(info)
        caller = c.require("knowledge_engineer")
        if not 1 <= first <= 50:
            raise InputError("first 应为 1 到 50", "first must be between 1 and 50")
        try:
            persona = c.state.principals.get(str(as_employee)) if as_employee else caller
        except AuthError:
            raise NotFoundError(f"员工 {as_employee} 不存在", f"no employee {as_employee}") from None
        result = await asyncio.to_thread(c.state.search.search, question, persona, k=first)
        # What the caller may read of it: the documents the caller's own visibility admits.
        documents = sorted({h.document_id for h in result.hits})
        readable = {str(e.id) for e in await load_entities(info, documents)}
        recognised = {e for e, _ in result.entities}
        hits = []
        for rank, h in enumerate(result.hits, 1):
            if h.document_id not in readable:
                continue
            hits.append(
                HitTestHit(
                    rank=rank,
                    chunk_id=strawberry.ID(h.chunk_id),
                    document_id=strawberry.ID(h.document_id),
                    title=h.title,
                    uri=h.link,
                    heading_path=list(h.heading_path),
                    section=h.section,
                    text=h.text,
                    kind=h.kind,
                    score=h.score,
                    scores=HitScores(
                        keyword_rank=None if h.keyword_rank is None else h.keyword_rank + 1,
                        keyword=round(h.keyword_score or 0.0, 6),
                        dense_rank=None if h.dense_rank is None else h.dense_rank + 1,
                        dense_cosine=None if h.dense_score is None else round(h.dense_score, 4),
                        dense=round(h.dense_score or 0.0, 6),
                        entities=[name for e, name in h.entities if e in recognised],
                    ),
                )
            )
        return HitTestResult(
            question=result.query,
            as_employee=strawberry.ID(persona.id),
            as_name=persona.name,
            as_roles=list(persona.roles),
            hits=hits,
            withheld=len(result.hits) - len(hits),
            recognized=[RecognizedEntity(id=strawberry.ID(e), surface=s) for e, s in result.entities],
            message=result.message,
        )

    @strawberry.field(description="文档的文本块（按顺序，带标题路径与锚点）/ a document's chunks")
    async def document_chunks(self, info: Info, id: strawberry.ID) -> list[DocumentChunk]:
        c = ctx(info)
        c.require()
        doc = await load_entity(info, str(id))
        if doc is None or not isinstance(doc, Document):  # unreadable documents do not exist
            return []
        rows: list[dict[str, Any]] = await asyncio.to_thread(
            c.state.store.query, load_query("document_chunks").text, {"id": str(id)}
        )
        uri = str(doc.properties.get("sourceUri") or "") if isinstance(doc.properties, dict) else ""
        title = doc.name
        out = []
        for r in rows:
            heading = [str(h) for h in (r.get("heading") or [])]
            anchor = str(r.get("anchor") or "")
            out.append(
                DocumentChunk(
                    id=strawberry.ID(r["id"]),
                    ordinal=int(r.get("ordinal") or 0),
                    heading_path=heading,
                    section=" / ".join(h for h in heading if h != title),
                    anchor=anchor,
                    link=section_link(uri, anchor),
                    kind=str(r.get("kind") or ""),
                    text=str(r.get("text") or ""),
                )
            )
        return out

    @strawberry.field(description="提问统计：每日提问、答上与否、最常未答上的问题（分析师）")
    async def question_stats(self, info: Info, days: int = 14, top: int = 10) -> QuestionStats:
        c = ctx(info)
        c.require("analyst")
        log = c.state.dialog.questions
        if log is None:
            return QuestionStats(days=[], top_unanswered=[])
        daily = await asyncio.to_thread(log.daily, days)
        unanswered = await asyncio.to_thread(log.top_unanswered, days, top)
        return QuestionStats(
            days=[QuestionDay(day=d.day, answered=d.answered, unanswered=d.unanswered) for d in daily],
            top_unanswered=[UnansweredQuestion(question=q, count=n) for q, n in unanswered],
        )
