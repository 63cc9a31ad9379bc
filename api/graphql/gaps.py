"""Knowledge gaps: the questions the bot declined or that got 👎, grouped (:mod:`chat.gaps`), with the
topics nearest to each; a knowledge engineer answers a group with a FAQ entry (stored and indexed at
once, :mod:`ingest.faq_entry`, readable by a scope no wider than the engineer may set) and may confirm
its intent for the next ``zhiku nlu train``. Knowledge engineers and admins only."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from api.graphql.context import Context, ctx
from api.graphql.paging import page
from chat.gaps import GapGroup, GapLog
from ingest import manage
from ingest.faq_entry import write_faq_entry
from ingest.upload import org_vocabulary, upload_scope
from zhiku.errors import InputError, NotFoundError
from zhiku.i18n import N_

ROLE = "knowledge_engineer"
NEAREST = 3
MAX_DAYS = 90


@strawberry.type(description="与问题最接近的已有资料 / the nearest existing topic")
class NearestTopic:
    document_id: strawberry.ID
    title: str
    section: str
    score: float


@strawberry.type(description="一组未答或被点踩的问题（相同或近似的问法）/ a group of unanswered questions")
class KnowledgeGap:
    key: strawberry.ID = strawberry.field(description="resolveKnowledgeGap 用的 ID")
    question: str = strawberry.field(description="问得最多的问法")
    variants: list[str] = strawberry.field(description="其他问法")
    asked: int = strawberry.field(description="未能回答的次数")
    down_voted: int = strawberry.field(description="答案被点踩的次数")

    @strawberry.field(description="最接近的已有资料（按提问的知识工程师可见范围检索）/ nearest topics")
    async def nearest(self, info: Info) -> list[NearestTopic]:
        c = ctx(info)
        who = c.require(ROLE)
        hits = (await asyncio.to_thread(c.state.search.search, self.question, who, k=NEAREST * 2)).hits
        seen: set[str] = set()
        out = []
        for hit in hits:
            if hit.document_id in seen:
                continue
            seen.add(hit.document_id)
            out.append(
                NearestTopic(
                    document_id=strawberry.ID(hit.document_id),
                    title=hit.title,
                    section=hit.section,
                    score=round(hit.score, 4),
                )
            )
        return out[:NEAREST]


@strawberry.type(description="知识缺口已由 FAQ 条目解决 / a gap answered by a FAQ entry")
class GapResolution:
    key: strawberry.ID
    document_id: strawberry.ID = strawberry.field(description="新 FAQ 条目的文档 ID")
    outcome: str = strawberry.field(description="new / changed / unchanged")
    chunks: int
    labelled: int = strawberry.field(description="保存了意图标注的问法数")


def _gap(group: GapGroup) -> KnowledgeGap:
    return KnowledgeGap(
        key=strawberry.ID(group.key),
        question=group.question,
        variants=list(group.variants),
        asked=group.asked,
        down_voted=group.down_voted,
    )


@strawberry.type(description="知识缺口已链接到已有答案 / a gap linked to an existing answer")
class GapLink:
    key: strawberry.ID
    document_id: strawberry.ID = strawberry.field(description="所链接的已有 FAQ 条目或文档")
    title: str
    section: str = strawberry.field(description="所链接的章节（空为整篇）")
    labelled: int = strawberry.field(description="保存了意图标注的问法数")


@strawberry.type(description="已确认一组问题的意图（不写 FAQ）/ a gap's intent labelled")
class GapLabel:
    key: strawberry.ID
    intent: str
    labelled: int = strawberry.field(description="保存了意图标注的问法数")


def gap_log(c: Context) -> GapLog:
    """Over the chat's own question log (in the shared Redis)."""
    questions = c.state.dialog.questions
    if questions is None:  # a dialog built without one (some tests): nothing was counted
        raise NotFoundError.localized(N_("未记录提问统计"), "questions are not being counted")
    return GapLog(questions.kv, questions, c.state.store)


def _check_intent(c: Context, intent: str | None) -> None:
    if intent is not None and intent not in c.state.dialog.intent_model(None).intents:
        raise InputError.localized(N_("没有这个意图：{intent}"), f"unknown intent: {intent}", intent=intent)


def _group(log: GapLog, key: strawberry.ID, days: int) -> GapGroup:
    group = log.group(str(key), _days(days))
    if group is None:
        raise NotFoundError.localized(
            N_("没有这个知识缺口（可能已解决）"), "no such knowledge gap (it may be resolved already)"
        )
    return group


def _days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise InputError.localized(
            N_("天数应在 1 到 {limit} 之间"), f"days must be between 1 and {MAX_DAYS}", limit=MAX_DAYS
        )
    return days


@strawberry.type
class GapQuery:
    @strawberry.field(description="知识缺口：未答与被点踩的问题，按相似问法分组 / knowledge gaps")
    async def knowledge_gaps(self, info: Info, days: int = 30, first: int = 20) -> list[KnowledgeGap]:
        c = ctx(info)
        c.require(ROLE)
        groups = await asyncio.to_thread(gap_log(c).groups, _days(days))
        return [_gap(g) for g in groups[: page(first)]]

    @strawberry.field(description="聊天意图模型的意图（标注用）/ the chat's intents, for labelling")
    def nlu_intents(self, info: Info) -> list[str]:
        c = ctx(info)
        c.require(ROLE)
        return sorted(c.state.dialog.intent_model(None).intents)


@strawberry.type
class GapMutation:
    @strawberry.mutation(
        description="用一条 FAQ 回答一组问题：立即入库并索引，该组标为已解决；可同时确认其意图 / answer a gap"
    )
    async def resolve_knowledge_gap(
        self,
        info: Info,
        key: strawberry.ID,
        question: str,
        answer: str,
        variants: list[str] | None = None,
        departments: list[str] | None = None,
        roles: list[str] | None = None,
        level: int = 0,
        intent: str | None = None,
        days: int = 30,
    ) -> GapResolution:
        c = ctx(info)
        who = c.require(ROLE)
        state, log = c.state, gap_log(c)
        _check_intent(c, intent)

        def resolve() -> GapResolution:
            group = _group(log, key, days)
            known_departments, known_roles = org_vocabulary(state.store)
            scope = upload_scope(
                who,
                departments=departments or [],
                roles=roles or [],
                level=level,
                known_departments=known_departments,
                known_roles=known_roles,
            )
            made = write_faq_entry(
                question,
                [*(variants or []), *(q for q in group.questions if q != question)],
                answer,
                name=f"faq-{group.key}",
                who=who,
                scope=scope,
                store=state.store,
                index=state.search,
                max_bytes=state.settings.ingest_max_bytes,
                ontology=state.ontology,
                ner_model=state.settings.ner_model,
            )
            log.resolve(group, made.document_id, who.id)
            labelled = log.label(group.questions, intent, who.id) if intent else 0
            return GapResolution(
                key=key,
                document_id=strawberry.ID(made.document_id),
                outcome=made.outcome,
                chunks=made.chunks,
                labelled=labelled,
            )

        return await asyncio.to_thread(resolve)

    @strawberry.mutation(
        description="把一组问题链接到已有的 FAQ 条目或文档章节：该组标为已解决；可同时确认其意图 / link a gap"
    )
    async def link_knowledge_gap(
        self,
        info: Info,
        key: strawberry.ID,
        document_id: strawberry.ID,
        section: str = "",
        intent: str | None = None,
        days: int = 30,
    ) -> GapLink:
        c = ctx(info)
        who = c.require(ROLE)
        state, log = c.state, gap_log(c)
        _check_intent(c, intent)

        def link() -> GapLink:
            group = _group(log, key, days)
            doc = manage.find_document(state.store, str(document_id), who)  # one they may read
            log.resolve(group, doc.id, who.id, section=section.strip())
            labelled = log.label(group.questions, intent, who.id) if intent else 0
            return GapLink(
                key=key,
                document_id=strawberry.ID(doc.id),
                title=doc.title,
                section=section.strip(),
                labelled=labelled,
            )

        return await asyncio.to_thread(link)

    @strawberry.mutation(
        description="只确认一组问题的意图（不写 FAQ，该组仍列出），供 zhiku nlu train / label a gap"
    )
    async def label_knowledge_gap(
        self, info: Info, key: strawberry.ID, intent: str, days: int = 30
    ) -> GapLabel:
        c = ctx(info)
        who = c.require(ROLE)
        log = gap_log(c)
        _check_intent(c, intent)

        def label() -> GapLabel:
            group = _group(log, key, days)
            return GapLabel(key=key, intent=intent, labelled=log.label(group.questions, intent, who.id))

        return await asyncio.to_thread(label)
