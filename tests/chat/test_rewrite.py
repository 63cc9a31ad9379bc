"""The optional answer rewrite against an OpenAI-compatible server on loopback (a small fake: no model
can run here, so its "rewrite" is scripted by the test — what is tested is our side: the request, the
guard against invented numbers, the fall-back on errors and timeouts, and the wiring into ``ask``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from chat.answer import compose_answer
from chat.rewrite import AnswerRewriter
from zhiku.access import load_principal
from zhiku.loopback import running
from zhiku.settings import Settings


class FakeLLM:
    def __init__(self) -> None:
        self.reply = ""
        #: while set, a request is held unanswered until the event is set (the client must time out)
        self.hold: threading.Event | None = None
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self.app = FastAPI()

        @self.app.post("/v1/chat/completions")
        async def complete(request: Request) -> Any:
            body = await request.json()
            self.requests.append({"body": body, "auth": request.headers.get("authorization")})
            if self.hold is not None:
                await asyncio.to_thread(self.hold.wait, 30)  # unanswered until the test lets it go
            if self.status != 200:
                from fastapi.responses import JSONResponse

                return JSONResponse({"error": "boom"}, status_code=self.status)
            return {"choices": [{"message": {"role": "assistant", "content": self.reply}}]}


@pytest.fixture(scope="module")
def llm() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()
    with running(fake.app) as base:
        yield fake, f"{base}/v1"


def test_rewrite_keeps_the_facts_or_is_discarded(llm, demo_graph, demo_search) -> None:  # type: ignore[no-untyped-def]
    fake, base = llm
    who = load_principal(demo_graph, "E1030")
    answer = compose_answer(demo_search, "公司有班车吗", who)
    assert answer.answered and answer.citations
    rewriter = AnswerRewriter(base, "qwen-test", "sk-test", timeout_s=1.0)
    try:
        fake.reply = "有的。公司为员工提供通勤巴士，具体线路和时间请看《通勤巴士乘车指南》。"
        better = rewriter.rewrite(answer)
        assert better.text == fake.reply
        assert better.citations == answer.citations and better.confidence == answer.confidence
        sent = fake.requests[-1]
        assert sent["auth"] == "Bearer sk-test" and sent["body"]["model"] == "qwen-test"
        prompt = sent["body"]["messages"][1]["content"]
        assert answer.text in prompt and answer.citations[0].snippet in prompt
        # a number the sources never gave: the composed answer goes out instead
        fake.reply = "有的，班车每天 6:15 发车，票价 3 元。"
        assert rewriter.rewrite(answer).text == answer.text
        # empty reply, server error, timeout: the composed answer, and quickly
        fake.reply = ""
        assert rewriter.rewrite(answer).text == answer.text
        fake.reply, fake.status = "好的", 500
        assert rewriter.rewrite(answer).text == answer.text
        fake.status, fake.hold = 200, threading.Event()
        asked = len(fake.requests)
        # the fake answers only once the test releases it, after rewrite() returned: so it returned
        # because the client gave up waiting (timeout_s), with the composed answer
        assert rewriter.rewrite(answer).text == answer.text
        assert len(fake.requests) == asked + 1 and not fake.hold.is_set()
        assert rewriter.rewritten == 1 and rewriter.kept == 4
    finally:
        if fake.hold is not None:
            fake.hold.set()
        fake.hold, fake.status = None, 200
        rewriter.close()
    # nothing to rewrite when the knowledge base has no answer: the endpoint is not even asked
    asked = len(fake.requests)
    unknown = compose_answer(demo_search, "火星基地的氧气配额是多少", who)
    assert not unknown.answered and AnswerRewriter(base, "m").rewrite(unknown) is unknown
    assert len(fake.requests) == asked


def test_ask_uses_the_rewrite_when_configured(llm, demo_copy, copy_search) -> None:  # type: ignore[no-untyped-def]
    """On a copy of the demo: ``ask`` records a view."""
    fake, base = llm
    fake.reply = "有的。公司提供通勤巴士，详见《通勤巴士乘车指南》。"
    settings = Settings(data_dir=copy_search.directory.parent, llm_base_url=base, llm_model="qwen-test")
    with TestClient(create_app(settings, store=demo_copy, search=copy_search)) as api:
        token = issue_token(settings, "E1030")
        body = api.post(
            "/graphql",
            json={"query": '{ ask(question: "公司有班车吗") { text answered citations { title } } }'},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    assert body["data"]["ask"]["text"] == fake.reply and body["data"]["ask"]["citations"]


def test_translation_keeps_the_source_quote_or_is_discarded(llm, demo_graph, demo_search) -> None:  # type: ignore[no-untyped-def]
    from chat.rewrite import QUOTE
    from zhiku.i18n import using

    fake, base = llm
    fake.hold, fake.status = None, 200
    who = load_principal(demo_graph, "E1030")
    rewriter = AnswerRewriter(base, "qwen-test", timeout_s=5.0)
    try:
        with using("en"):
            answer = compose_answer(demo_search, "公司有班车吗", who)
            assert answer.answered and "(in Chinese) says: “" in answer.text
            quote = QUOTE.search(answer.text)
            assert quote is not None
            fake.reply = f"Yes, there is a shuttle bus. The policy says: “{quote.group(0)}”"
            assert rewriter.rewrite(answer).text == fake.reply
            assert "in English" in fake.requests[-1]["body"]["messages"][0]["content"]
            fake.reply = "Yes, there is a shuttle bus."  # the quote translated away: refused
            assert rewriter.rewrite(answer).text == answer.text
    finally:
        rewriter.close()
