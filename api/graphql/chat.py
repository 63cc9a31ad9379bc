"""Answers and the chatbot: ``ask`` (an answer with its sources), the multi-turn ``chat`` mutation,
and feedback on answers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from api.graphql.context import ctx
from api.graphql.search import RecognizedEntity
from chat.answer import Answer as AnswerData
from chat.answer import Citation as CitationData
from chat.answer import compose_answer
from graph.versions import RECORDS
from queries import load as load_query
from zhiku.errors import InputError


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


@strawberry.type
class ChatQuery:
    @strawberry.field(description="提问：带引用来源、置信度和追问建议的答案 / ask a question")
    async def ask(self, info: Info, question: str, session_id: str | None = None) -> Answer:
        c = ctx(info)
        who = c.require()

        def answer_and_record() -> AnswerData:
            answer = c.state.dialog.rewrite(compose_answer(c.state.search, question, who))
            if answer.answered and answer.citations:
                c.state.recommender.record_view(who, answer.citations[0].document_id)
            return answer

        answer = await asyncio.to_thread(answer_and_record)
        return Answer(
            id=strawberry.ID(answer.id),
            question=answer.question,
            text=answer.text,
            answered=answer.answered,
            confidence=answer.confidence,
            citations=citations(answer.citations),
            about=[RecognizedEntity(id=strawberry.ID(e), surface=s) for e, s in answer.entities],
            follow_ups=answer.follow_ups,
        )


@strawberry.type
class ChatMutation:
    @strawberry.mutation(description="对答案的反馈（无帮助的问题进入知识缺口分析）/ feedback on an answer")
    async def feedback(
        self, info: Info, answer_id: strawberry.ID, question: str, helpful: bool, comment: str | None = None
    ) -> FeedbackResult:
        c = ctx(info)
        who = c.require()
        if len(question) > 2000 or (comment and len(comment) > 2000):
            raise InputError(
                "问题或评论过长（上限 2000 字）", "question or comment too long (2,000 characters)"
            )
        feedback_id = f"fb-{uuid.uuid4().hex[:16]}"
        await asyncio.to_thread(
            c.state.store.execute,
            load_query("record_feedback").text,
            {
                "id": feedback_id,
                "employee": who.id,
                "answer": str(answer_id),
                "question": question,
                "helpful": helpful,
                "comment": comment or "",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            writes=RECORDS,
        )
        return FeedbackResult(id=strawberry.ID(feedback_id), recorded=True)

    @strawberry.mutation(description="和智能客服对话（多轮，带 sessionId）/ talk to the chatbot")
    async def chat(self, info: Info, message: str, session_id: str | None = None) -> ChatReply:
        c = ctx(info)
        who = c.require()
        reply = await asyncio.to_thread(c.state.dialog.handle, session_id, who, message)
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
        )
