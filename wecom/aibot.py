"""WeCom's intelligent robot (智能机器人) over its long connection, through the official SDK
(``wecom-aibot-python-sdk``): no public IP or callback URL needed, which many deployments lack.

The SDK subscribes with the bot id and secret and pings every 30 s. Reconnection is ours: in the SDK
(1.0.2) a clean close by the server ends its receive loop without any "disconnected" event, and its
own reconnect runs inside the receive task that the reconnect's cleanup then cancels — either way it
never comes back (both reproduced against ``FakeAiBot``). So the SDK's reconnect is off and a watchdog
task reconnects whenever the socket is not open, with exponential backoff (1 s → 30 s).

Each text message — a direct chat, or an @-mention in a group — goes to the same
dialog engine as every other channel; the reply is streamed: a "looking it up" frame at once, then
the answer with its sources. Messages are de-duplicated by ``msgid`` (a reconnect may redeliver).

Example::

    bot = AiBotChannel(settings, store, dialog, kv)
    await bot.start()            # runs until bot.stop()
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import redis.asyncio
from aibot import WSClient, WSClientOptions, generate_req_id

from chat.dialog import DialogEngine
from graph.base import GraphStore
from wecom.service import employee_of, render_reply
from zhiku.access import load_principal
from zhiku.errors import ConfigError, NotFoundError, ZhikuError
from zhiku.settings import Settings

log = logging.getLogger(__name__)

MENTION = re.compile(r"^\s*@\S+\s*")


class _SdkLog:
    """The SDK's logger interface, on our logging."""

    def debug(self, msg: str) -> None:
        log.debug(msg)

    def info(self, msg: str) -> None:
        log.info(msg)

    def warn(self, msg: str) -> None:
        log.warning(msg)

    def error(self, msg: str) -> None:
        log.error(msg)


class AiBotChannel:
    """The dialog engine behind an intelligent robot's long connection."""

    def __init__(
        self, settings: Settings, store: GraphStore, dialog: DialogEngine, kv: redis.asyncio.Redis
    ) -> None:
        if not settings.wecom_bot_id or not settings.wecom_bot_secret.get_secret_value():
            raise ConfigError(
                "未配置企业微信智能机器人（ZHIKU_WECOM_BOT_ID / ZHIKU_WECOM_BOT_SECRET）",
                "the WeCom intelligent robot is not configured",
            )
        self.store = store
        self.dialog = dialog
        self.kv = kv
        options = WSClientOptions(
            bot_id=settings.wecom_bot_id,
            secret=settings.wecom_bot_secret.get_secret_value(),
            ws_url=settings.wecom_bot_ws_url,
            heartbeat_interval=30_000,
            max_reconnect_attempts=0,  # we reconnect ourselves (see the module doc)
            logger=_SdkLog(),
        )
        self.client = WSClient(options)
        self.authenticated = asyncio.Event()
        self.answered = 0
        self.reconnects = 0
        self._stopping = False
        self._watchdog: asyncio.Task[None] | None = None
        self.client.on("authenticated", self._on_authenticated)
        self.client.on("message.text", self._on_text)

    def _on_authenticated(self) -> None:
        log.info("WeCom intelligent robot connected")
        self.authenticated.set()

    async def _watch(self) -> None:
        delay = 1.0
        while not self._stopping:
            await asyncio.sleep(1.0)
            if self.client.is_connected:
                delay = 1.0
                continue
            self.authenticated.clear()
            log.warning("WeCom intelligent robot disconnected; reconnecting in %.0f s", delay)
            await asyncio.sleep(delay)
            if self._stopping:
                return
            await self.client._ws_manager.connect()  # the SDK's own (re)connect entry point
            if self.client.is_connected:
                self.reconnects += 1
            else:
                delay = min(delay * 2, 30.0)

    async def start(self) -> None:
        """Connect and keep connected (if WeCom is unreachable now, retry in the background)."""
        self._stopping = False
        await self.client.connect()
        self._watchdog = asyncio.ensure_future(self._watch())

    def stop(self) -> None:
        self._stopping = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.client.disconnect()

    async def _on_text(self, frame: dict[str, Any]) -> None:
        body = frame.get("body", {})
        msgid = str(body.get("msgid", ""))
        if msgid and not await self.kv.set(f"zhiku:aibot:seen:{msgid}", "1", nx=True, ex=86400):
            return
        userid = str(body.get("from", {}).get("userid", ""))
        text = MENTION.sub("", str(body.get("text", {}).get("content", "")))
        chat = str(body.get("chatid") or userid)
        stream_id = generate_req_id("stream")
        try:
            await self.client.reply_stream(frame, stream_id, "正在查询知识库……", False)
            reply_text = await self._answer(userid, chat, text)
            await self.client.reply_stream(frame, stream_id, reply_text, True)
            self.answered += 1
        except Exception:  # the SDK's reply ack may time out when the connection drops mid-answer
            log.exception("intelligent robot reply to %s failed", userid)

    async def _answer(self, userid: str, chat: str, text: str) -> str:
        try:
            employee = employee_of(self.store, userid)
        except NotFoundError:
            return "抱歉，没有找到您的员工信息，请联系管理员开通知库权限。"
        try:
            who = load_principal(self.store, employee)
            reply = await asyncio.to_thread(self.dialog.handle, f"aibot:{chat}:{userid}", who, text)
        except ZhikuError as exc:
            return exc.message_zh
        return render_reply(reply)
