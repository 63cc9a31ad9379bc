"""Review: the knowledge engineer's loop — candidate entities and fact conflicts listed, and acted on
(merge, accept, reject, resolve), every decision recorded (:mod:`ingest.review`). Knowledge engineers
(``knowledge_engineer``) and admins only; lists are held to the caller's documents."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from api.graphql.context import ctx
from api.graphql.paging import page
from ingest import review
from zhiku.errors import InputError
from zhiku.settings import MAX_KEY_CHARS, MAX_TEXT_CHARS

ROLE = "knowledge_engineer"


def _bounded(value: str | None, limit: int, what: str) -> str | None:
    if value is not None and len(value) > limit:
        raise InputError(f"{what}过长：最多 {limit} 个字符", f"{what} too long: at most {limit} characters")
    return value


@strawberry.type(description="待审核实体可能对应的已有实体 / an existing entity the candidate may be")
class ReviewSuggestion:
    entity_id: strawberry.ID
    name: str
    score: float = strawberry.field(description="名称相似度 0–100")


@strawberry.type(description="待审核实体：抽取时未能链接的提及 / a candidate entity awaiting review")
class ReviewCandidate:
    id: strawberry.ID
    name: str
    type: str = strawberry.field(description="提及类型（Organization、Person…）")
    mentions: int
    documents: list[strawberry.ID] = strawberry.field(description="提及它的文档（最多 3 个）")
    suggestion: ReviewSuggestion | None


@strawberry.type(description="一份文档与图中取值的分歧 / one document's disagreement")
class FactConflictNote:
    document: strawberry.ID
    differences: str = strawberry.field(description="属性: 图中取值 ≠ 文档所说")


@strawberry.type(description="来源不一致的事实 / a fact whose sources disagree")
class FactConflict:
    id: strawberry.ID = strawberry.field(description="resolveFactConflict 用的 ID")
    start_id: strawberry.ID
    start: str | None
    relation: str
    end_id: strawberry.ID
    end: str | None
    notes: list[FactConflictNote]


@strawberry.type(description="一条审核决定（谁、何时、做了什么）/ a recorded review decision")
class ReviewDecision:
    id: strawberry.ID
    action: str = strawberry.field(description="merge / accept / reject / resolve")
    surface: str = strawberry.field(description="待审核实体的名称，或事实（起点 -[关系]-> 终点）")
    target: str = strawberry.field(description="合并或转正后的实体 ID；解决冲突时为事实键")
    decided_by: str
    decided_at: str
    candidate_id: str | None
    entity_class: str | None
    source: str | None = strawberry.field(description="解决冲突时选定的来源（文档 ID 或 graph）")
    chosen: list[str] = strawberry.field(description="解决冲突后的取值（属性=值）")
    note: str | None


def _decision(d: review.Decision) -> ReviewDecision:
    return ReviewDecision(
        id=strawberry.ID(d.id),
        action=d.action,
        surface=d.surface,
        target=d.target,
        decided_by=d.decided_by,
        decided_at=d.decided_at,
        candidate_id=d.candidate_id,
        entity_class=d.entity_class,
        source=d.source,
        chosen=list(d.chosen),
        note=d.note,
    )


def _review(info: Info) -> review.Review:
    state = ctx(info).state
    return review.Review(state.store, state.ontology)


@strawberry.type
class ReviewQuery:
    @strawberry.field(description="待审核实体（最常被提及的在前）及可能对应的已有实体（知识工程师）")
    async def review_candidates(self, info: Info, first: int = 50) -> list[ReviewCandidate]:
        who = ctx(info).require(ROLE)
        rows = await asyncio.to_thread(_review(info).candidates, who, page(first))
        return [
            ReviewCandidate(
                id=strawberry.ID(c.id),
                name=c.name,
                type=c.type,
                mentions=c.mentions,
                documents=[strawberry.ID(d) for d in c.documents],
                suggestion=ReviewSuggestion(
                    entity_id=strawberry.ID(c.suggestion.entity_id),
                    name=c.suggestion.name,
                    score=c.suggestion.score,
                )
                if c.suggestion
                else None,
            )
            for c in rows
        ]

    @strawberry.field(description="来源不一致的事实（知识工程师）/ facts whose sources disagree")
    async def fact_conflicts(self, info: Info, first: int = 50) -> list[FactConflict]:
        who = ctx(info).require(ROLE)
        rows = await asyncio.to_thread(_review(info).conflicts, who, page(first))
        return [
            FactConflict(
                id=strawberry.ID(c.id),
                start_id=strawberry.ID(c.start_id),
                start=c.start,
                relation=c.relation,
                end_id=strawberry.ID(c.end_id),
                end=c.end,
                notes=[
                    FactConflictNote(document=strawberry.ID(n.document), differences=n.differences)
                    for n in c.notes
                ],
            )
            for c in rows
        ]

    @strawberry.field(description="审核决定记录，最新的在前（知识工程师）/ review decisions, newest first")
    async def review_decisions(
        self, info: Info, first: int = 50, action: str | None = None
    ) -> list[ReviewDecision]:
        who = ctx(info).require(ROLE)
        rows = await asyncio.to_thread(_review(info).decisions, who, action=action, limit=page(first))
        return [_decision(d) for d in rows]


@strawberry.type
class ReviewMutation:
    @strawberry.mutation(description="把待审核实体并入已有实体：名称成为其同义词，提及改指向它")
    async def merge_candidate(
        self, info: Info, candidate_id: strawberry.ID, entity_id: strawberry.ID, note: str | None = None
    ) -> ReviewDecision:
        who = ctx(info).require(ROLE)
        _bounded(note, MAX_TEXT_CHARS, "备注")
        made = await asyncio.to_thread(
            _review(info).merge, str(candidate_id), str(entity_id), by=who.id, note=note
        )
        return _decision(made)

    @strawberry.mutation(description="把待审核实体转为本体中某个类的新实体（先经 SHACL 校验）")
    async def accept_candidate(
        self,
        info: Info,
        candidate_id: strawberry.ID,
        entity_class: str,
        entity_id: strawberry.ID | None = None,
        name: str | None = None,
        note: str | None = None,
    ) -> ReviewDecision:
        who = ctx(info).require(ROLE)
        _bounded(entity_class, MAX_KEY_CHARS, "类名")
        _bounded(name, MAX_KEY_CHARS, "名称")
        _bounded(note, MAX_TEXT_CHARS, "备注")
        made = await asyncio.to_thread(
            _review(info).accept,
            str(candidate_id),
            entity_class,
            by=who.id,
            entity_id=str(entity_id) if entity_id is not None else None,
            name=name,
            note=note,
        )
        return _decision(made)

    @strawberry.mutation(description="驳回待审核实体：该名称以后不再作为待审核实体出现")
    async def reject_candidate(
        self, info: Info, candidate_id: strawberry.ID, note: str | None = None
    ) -> ReviewDecision:
        who = ctx(info).require(ROLE)
        _bounded(note, MAX_TEXT_CHARS, "备注")
        made = await asyncio.to_thread(_review(info).reject, str(candidate_id), by=who.id, note=note)
        return _decision(made)

    @strawberry.mutation(
        description="选定来源解决事实冲突：source 为冲突中的文档 ID（采用其取值）或 graph（保留图中取值）"
    )
    async def resolve_fact_conflict(
        self, info: Info, conflict_id: strawberry.ID, source: str, note: str | None = None
    ) -> ReviewDecision:
        who = ctx(info).require(ROLE)
        _bounded(source, MAX_KEY_CHARS, "来源")
        _bounded(note, MAX_TEXT_CHARS, "备注")
        made = await asyncio.to_thread(_review(info).resolve, str(conflict_id), source, by=who.id, note=note)
        return _decision(made)
