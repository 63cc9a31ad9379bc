"""Answers and the chatbot: ``ask`` (an answer with its sources), the multi-turn ``chat`` mutation,
and feedback on answers."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from api.graphql.context import ctx
from api.graphql.language import LanguageArg, preferred_language, requested_language, with_profile
from api.graphql.search import RecognizedEntity
from chat.answer import Answer as AnswerData
from chat.answer import Citation as CitationData
from chat.answer import compose_answer
from chat.dialog import UNSUPPORTED_NOTE
from chat.language import reply_language as reply_language_for
from chat.language import spoken
from graph.versions import RECORDS
from queries import load as load_query
from search.batcher import run_admitted
from zhiku.errors import InputError, NotFoundError
from zhiku.i18n import N_, using
from zhiku.i18n import tr as _
from zhiku.settings import MAX_TEXT_CHARS, Settings


@strawberry.type(description="答案引用的来源 / a source an answer cites")
class Citation:
    document_id: strawberry.ID
    title: str
    uri: str
    section: str
    snippet: str
    chunk_id: strawberry.ID


@strawberry.type(description="带引用的答案 / an answer with its sources")
class Answer:
    id: strawberry.ID
    question: str
    text: str
    answered: bool = strawberry.field(description="false：知识库没有可靠答案（建议转人工）")
    confidence: float
    citations: list[Citation]
    about: list[RecognizedEntity] = strawberry.field(description="答案涉及的实体")
    follow_ups: list[str] = strawberry.field(description="其他人还问了")
    language: str = strawberry.field(description="答案所用的语言（zh_Hans、en、ja…）/ the answer's language")


@strawberry.type(description="智能客服的一次回复 / one chatbot reply")
class ChatReply:
    session_id: str = strawberry.field(description="会话 ID：下一条消息带上它以保持上下文")
    type: str = strawberry.field(
        description="answer | clarify | confirm | handoff | action | greeting | smalltalk | cancelled"
    )
    text: str
    intent: str
    confidence: float
    citations: list[Citation]
    follow_ups: list[str]
    ticket_id: str | None
    notice: str
    language: str = strawberry.field(description="回复所用的语言（zh_Hans、en、ja…）/ the reply's language")


@strawberry.type(description="答案反馈已记录 / feedback recorded")
class FeedbackResult:
    id: strawberry.ID
    recorded: bool


def citations(items: list[CitationData]) -> list[Citation]:
    return [
        Citation(document_id=strawberry.ID(x.document_id), title=x.title, uri=x.uri, section=x.section,
                 snippet=x.snippet, chunk_id=strawberry.ID(x.chunk_id))
        for x in items
    ]  # fmt: skip


# -- answer ids bound to their caller -------------------------------------------------------------------
# Feedback must name an answer its caller was given. Rather than recording every answer (one write per
# question), the id ``ask`` hands out carries a MAC over (answer id, caller) under the server's secret:
# feedback checks it, so an id made up, or another employee's, is NOT_FOUND — on any instance, with
# nothing stored. Rotating ZHIKU_SECRET_KEY retires the ids given out before, as it does the tokens.


def _answer_mac(settings: Settings, answer_id: str, employee: str) -> str:
    message = json.dumps(["zhiku-answer", answer_id, employee]).encode()
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]  # 128 bits


def issued_answer_id(settings: Settings, answer_id: str, employee: str) -> str:
    """The id under which ``employee`` receives the answer ``answer_id``."""
    return f"{answer_id}.{_answer_mac(settings, answer_id, employee)}"


def received_answer(settings: Settings, given: str, employee: str) -> str | None:
    """The answer's own id when ``given`` is an id ``employee`` received; ``None`` otherwise."""
    answer_id, _, mac = given.rpartition(".")
    expected = _answer_mac(settings, answer_id, employee)
    # bytes: compare_digest refuses str with non-ASCII characters (a client may send any)
    if not answer_id or not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    return answer_id


@strawberry.type
class ChatQuery:
    @strawberry.field(description="提问：带引用来源、置信度和追问建议的答案 / ask a question")
    async def ask(
        self, info: Info, question: str, session_id: str | None = None, language: LanguageArg = None
    ) -> Answer:
        c = ctx(info)
        who = c.require()
        requested = requested_language(c, language)

        def answer_and_record() -> tuple[AnswerData, str, bool]:
            chosen = with_profile(c, who, requested)  # the profile: read here, not in a thread of its own
            reply_language, outside = reply_language_for(chosen, spoken(question))
            c.language = reply_language
            with using(reply_language):
                dialog = c.state.dialog
                answer = dialog.rewrite(compose_answer(c.state.search, question, who, links=dialog.links))
                if outside:
                    answer.text = f"{_(UNSUPPORTED_NOTE)}\n{answer.text}"
            c.state.dialog.count(answer)
            if answer.answered and answer.citations:
                c.state.recommender.record_view(who, answer.citations[0].document_id)
            return answer, reply_language, outside

        # a burst is refused here, not queued without bound (a server built its search at start); the
        # batcher's caller threads let a full batch of questions share one model call
        answer, reply_language, _outside = await run_admitted(c.state.search, answer_and_record)
        return Answer(
            id=strawberry.ID(issued_answer_id(c.state.settings, answer.id, who.id)),
            question=answer.question,
            text=answer.text,
            answered=answer.answered,
            confidence=answer.confidence,
            citations=citations(answer.citations),
            about=[RecognizedEntity(id=strawberry.ID(e), surface=s) for e, s in answer.entities],
            follow_ups=answer.follow_ups,
            language=reply_language,
        )


@strawberry.type
class ChatMutation:
    @strawberry.mutation(description="对答案的反馈（无帮助的问题进入知识缺口分析）/ feedback on an answer")
    async def feedback(
        self, info: Info, answer_id: strawberry.ID, question: str, helpful: bool, comment: str | None = None
    ) -> FeedbackResult:
        c = ctx(info)
        who = c.require()
        if len(question) > MAX_TEXT_CHARS or (comment and len(comment) > MAX_TEXT_CHARS):
            raise InputError.localized(
                N_("问题或评论过长（上限 {limit} 字）"),
                f"question or comment too long ({MAX_TEXT_CHARS:,} characters)",
                limit=MAX_TEXT_CHARS,
            )
        answer = received_answer(c.state.settings, str(answer_id), who.id)
        if answer is None:
            raise NotFoundError.localized(
                N_("没有这个答案：answerId 应为您通过 ask 收到的答案 id"),
                "no such answer: answerId must be the id of an answer ask gave this caller",
            )
        feedback_id = f"fb-{uuid.uuid4().hex[:16]}"
        await asyncio.to_thread(
            c.state.store.execute,
            load_query("record_feedback").text,
            {
                "id": feedback_id,
                "employee": who.id,
                "answer": answer,
                "question": question,
                "helpful": helpful,
                "comment": comment or "",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            writes=RECORDS,
        )
        return FeedbackResult(id=strawberry.ID(feedback_id), recorded=True)

    @strawberry.mutation(description="和智能客服对话（多轮，带 sessionId）/ talk to the chatbot")
    async def chat(
        self, info: Info, message: str, session_id: str | None = None, language: LanguageArg = None
    ) -> ChatReply:
        c = ctx(info)
        who = c.require()
        chosen = await preferred_language(c, who, language)
        turn = functools.partial(c.state.dialog.handle, session_id, who, message, chosen)
        reply = await run_admitted(c.state.search, turn)  # bounded as ``ask`` (and /ws/chat) are
        c.language = reply.language
        return ChatReply(
            session_id=reply.session_id,
            type=reply.type,
            text=reply.text,
            intent=reply.intent,
            confidence=reply.confidence,
            citations=citations(reply.citations),
            follow_ups=reply.follow_ups,
            ticket_id=reply.ticket_id,
            notice=reply.notice,
            language=reply.language,
        )
