"""The intelligent robot's long connection through WeCom's official SDK against a loopback server that
speaks its frames (subscribe, ping, callbacks, streamed replies). One adjustment: the SDK always passes
its TLS context to ``websockets.connect``, which refuses TLS options for a plain ``ws://`` URL; the
test clears that context so the SDK can reach the loopback server without a certificate."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import redis.asyncio

from chat.dialog import DialogEngine
from wecom.aibot import AiBotChannel
from wecom.fake import FakeAiBot
from zhiku.settings import Settings


async def _until(check: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def test_questions_over_the_long_connection_get_streamed_answers(
    demo_graph: Any, demo_search: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aibot.ws

    monkeypatch.setattr(aibot.ws, "_SSL_CONTEXT", None)  # plain ws:// on loopback (see the module doc)
    dialog = DialogEngine(demo_graph, demo_search)

    async def scenario() -> None:
        async with FakeAiBot("bot-zhiku", "bot-secret") as server:
            settings = Settings(
                wecom_bot_id="bot-zhiku", wecom_bot_secret="bot-secret", wecom_bot_ws_url=server.url
            )  # type: ignore[arg-type]
            kv = redis.asyncio.Redis.from_url(demo_graph.kv_url, decode_responses=True)
            bot = AiBotChannel(settings, demo_graph, dialog, kv)
            await bot.start()
            try:
                await asyncio.wait_for(bot.authenticated.wait(), 10)
                req = await server.push_text("E1030", "@知库 公司有班车吗", chatid="group-1", msgid="m-1")
                await _until(lambda: any(r["body"]["stream"]["finish"] for r in server.replies_to(req)))
                frames = server.replies_to(req)
                assert not frames[0]["body"]["stream"]["finish"]  # "looking it up" streams first
                final = frames[-1]["body"]["stream"]["content"]
                assert "班车" in final and "来源" in final
                await server.push_text(
                    "E1030", "@知库 公司有班车吗", chatid="group-1", msgid="m-1"
                )  # redelivered
                await asyncio.sleep(1.0)
                assert bot.answered == 1
                # the connection drops: the SDK reconnects with backoff and answers again
                await server.drop()
                await _until(lambda: server.subscriptions >= 2 and server.connected == 1)
                req = await server.push_text("E1040", "年假怎么请")
                await _until(lambda: any(r["body"]["stream"]["finish"] for r in server.replies_to(req)))
                assert "年假" in server.replies_to(req)[-1]["body"]["stream"]["content"]
                assert bot.reconnects == 1
            finally:
                bot.stop()
                await kv.aclose()

    asyncio.run(scenario())
