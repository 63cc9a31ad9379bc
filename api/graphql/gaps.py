"""Knowledge gaps: the questions the bot declined or that got 👎, grouped (:mod:`chat.gaps`), with the
topics nearest to each; a knowledge engineer answers a group with a FAQ entry (stored and indexed at
once, :mod:`ingest.faq_entry`, readable by a scope no wider than the engineer may set) or links it to an
existing answer (a document, section or chunk: the chat answers the group's questions from it, to those
who may read it, :mod:`chat.links`; ``unlinkKnowledgeGap`` takes that back) and may confirm its intent
for the next ``zhiku nlu train``. Knowledge engineers and admins only."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from api.graphql.context import Context, ctx
from api.graphql.paging import page
from chat.gaps import GapGroup, GapLog, GapResolved
from ingest import manage
from ingest.faq_entry import write_faq_entry
from ingest.upload import org_vocabulary, upload_scope
from zhiku.access import Principal, node_visibility
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
    chunk_id: strawberry.ID = strawberry.field(description="最接近的文本块（linkKnowledgeGap 可链接到它）")


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
                    chunk_id=strawberry.ID(hit.chunk_id),
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
    chunk_id: strawberry.ID | None = strawberry.field(description="所链接的文本块（空为章节或整篇）")
    labelled: int = strawberry.field(description="保存了意图标注的问法数")


@strawberry.type(description="已解决的知识缺口：由哪条答案回答 / a resolved gap and what answers it")
class ResolvedGap:
    key: strawberry.ID = strawberry.field(description="unlinkKnowledgeGap 用的 ID")
    question: str
    wordings: int = strawberry.field(description="记录的问法数")
    document_id: strawberry.ID
    title: str = strawberry.field(description="答案所在文档（你无权查看时为空）")
    section: str
    chunk_id: strawberry.ID | None
    by: str
    at: str


def _resolved(made: GapResolved, title: str) -> ResolvedGap:
    return ResolvedGap(
        key=strawberry.ID(made.key),
        question=made.question,
        wordings=len(made.wordings),
        document_id=strawberry.ID(made.document_id),
        title=title,
        section=made.section,
        chunk_id=strawberry.ID(made.chunk_id) if made.chunk_id else None,
        by=made.by,
        at=made.at,
    )


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


def _title(c: Context, document_id: str, who: Principal) -> str:
    """The document's title, "" when ``who`` may not read it (or it is gone)."""
    try:
        return manage.find_document(c.state.store, document_id, who).title
    except NotFoundError:
        return ""


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

    @strawberry.field(description="已解决（写了 FAQ 或链接到已有答案）的知识缺口，最新的在前 / resolved gaps")
    async def resolved_knowledge_gaps(self, info: Info, first: int = 50) -> list[ResolvedGap]:
        c = ctx(info)
        who = c.require(ROLE)
        log = gap_log(c)

        def listed() -> list[ResolvedGap]:
            made = log.links()[: page(first)]
            return [_resolved(m, _title(c, m.document_id, who)) for m in made]

        return await asyncio.to_thread(listed)


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
        chunk_id: strawberry.ID | None = None,
    ) -> GapLink:
        c = ctx(info)
        who = c.require(ROLE)
        state, log = c.state, gap_log(c)
        _check_intent(c, intent)

        def link() -> GapLink:
            group = _group(log, key, days)
            doc = manage.find_document(state.store, str(document_id), who)  # one they may read
            chunk = str(chunk_id or "")
            if chunk and chunk not in {h.chunk_id for h in state.search.document_hits(doc.id, who)}:
                raise NotFoundError.localized(
                    N_("《{title}》中没有这个文本块：{chunk}"),
                    f"{doc.title!r} has no chunk {chunk}",
                    title=doc.title,
                    chunk=chunk,
                )
            log.resolve(group, doc.id, who.id, section=section.strip(), chunk=chunk)
            labelled = log.label(group.questions, intent, who.id) if intent else 0
            return GapLink(
                key=key,
                document_id=strawberry.ID(doc.id),
                title=doc.title,
                section=section.strip(),
                chunk_id=strawberry.ID(chunk) if chunk else None,
                labelled=labelled,
            )

        return await asyncio.to_thread(link)

    @strawberry.mutation(
        description="取消一组问题的解决（链接或 FAQ）：再问时按常规回答，该组重新列出 / unlink a gap"
    )
    async def unlink_knowledge_gap(self, info: Info, key: strawberry.ID) -> ResolvedGap:
        c = ctx(info)
        who = c.require(ROLE)
        log = gap_log(c)

        def unlink() -> ResolvedGap:
            made = next((m for m in log.links() if m.key == str(key)), None)
            if made is not None:  # one whose answer they may not read does not exist for them (gone: may)
                seen = node_visibility(c.state.store, [made.document_id], who).get(made.document_id, True)
                made = log.unlink(made.key) if seen else None
            if made is None:
                raise NotFoundError.localized(
                    N_("这组问题没有链接到答案"), "this gap is not linked to an answer"
                )
            return _resolved(made, _title(c, made.document_id, who))

        return await asyncio.to_thread(unlink)

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
