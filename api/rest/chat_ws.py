"""``/ws/chat``: the chatbot over a WebSocket, JSON messages both ways.

In: ``{"type": "auth", "token": "…", "sessionId": "…"?}`` first (or ``?token=`` on the URL, or an
``Authorization`` header), then ``{"type": "question", "content": "如何申请年假"}`` and
``{"type": "ping"}``. Out: ``ready`` (with the session id — send it again after a reconnect to
resume), ``typing``, ``answer`` / ``clarify`` / ``confirm`` / ``handoff`` / ``action`` / …
(the dialog's reply types, with citations and follow-ups; ``forwarded`` while a human agent holds
the conversation), ``pong``, ``heartbeat`` every 30 s, and ``error`` with a stable code. From the
agent desk: ``agent_joined``, ``agent_message`` and ``ticket_closed``, each with an ``eventId`` —
send the last one as ``lastEventId`` when resuming and nothing sent meanwhile is missed.

Progressive replies (opt-in: ``"stream": true`` in the auth message, or ``?stream=1``): before a reply
event, its text comes in pieces — ``{"type": "delta", "sessionId", "index", "content"}``, a sentence or
clause each (:func:`pieces`) — and then the reply event itself, whole, with its citations and follow-ups
(and ``"streamed": true``); a client shows the pieces as they arrive and replaces them with the reply.
The text is composed (and, with ``ZHIKU_LLM_BASE_URL``, rewritten and checked for invented numbers) in
full before the first piece goes out, so pieces change how the answer appears, not when it is ready.
Clients that do not opt in receive exactly what they did before.

Guards: a browser may open the socket only from the API's own origin, ``ZHIKU_CORS_ORIGINS`` or
``ZHIKU_WIDGET_ORIGINS`` (the embeddable widget's sites)
(:mod:`api.origin`; refused before the handshake completes). An employee is held to
``ZHIKU_CHAT_MESSAGES_PER_MINUTE`` (30) across all their sockets and API workers (counted in the
shared Redis, so reconnecting starts no fresh allowance) and told so. A frame over
:data:`MAX_FRAME_CHARS`, a binary frame, JSON that is malformed or nested too deeply, and a turn that
fails all get an ``error`` with a code — never a dropped connection.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from api.deps import AppState
from api.graphql.chat import issued_answer_id
from api.origin import check_ws_origin
from chat.language import profile_language
from search.batcher import run_admitted
from zhiku.access import Principal
from zhiku.errors import ZhikuError
from zhiku.i18n import DEFAULT, FALLBACK, N_, current, from_accept_language, normalise, using
from zhiku.i18n import tr as _

log = logging.getLogger(__name__)
router = APIRouter()
HEARTBEAT_S = 30.0
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
#: Largest frame read (a question is cut to 500 characters anyway; this leaves room for the JSON).
MAX_FRAME_CHARS = 16_000
EXAMPLE = '{"type":"question","content":"…"}'
#: Where a reply's text is cut into pieces: after a sentence or clause mark, or a line break.
PIECE_END = re.compile(r"(?<=[。！？；!?;\n])")
#: Pieces shorter than this are joined to the next one (a lone "1." or "。" is no piece).
MIN_PIECE_CHARS = 8


class _BadFrame(Exception):
    """A frame that is not a usable JSON message: told to the client, the socket stays open."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message  # a catalogue message, translated when sent
        self.params = params


async def _receive_message(ws: WebSocket) -> Any:
    """The next frame as parsed JSON; :class:`_BadFrame` when it cannot be one."""
    frame = await ws.receive()
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000), frame.get("reason"))
    text = frame.get("text")
    if text is None:
        raise _BadFrame("BAD_REQUEST", N_("请发送文本消息（JSON），不支持二进制帧"))
    if len(text) > MAX_FRAME_CHARS:
        raise _BadFrame("REQUEST_TOO_LARGE", N_("消息过长（上限 {limit} 个字符）"), limit=MAX_FRAME_CHARS)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise _BadFrame("BAD_REQUEST", N_("消息应为 JSON，例如 {example}"), example=EXAMPLE) from None
    except RecursionError:  # [[[[…]]]] thousands deep
        raise _BadFrame("BAD_REQUEST", N_("消息的 JSON 嵌套过深")) from None


def _reply_event(reply: Any) -> dict[str, Any]:
    return {
        "type": reply.type,
        "sessionId": reply.session_id,
        "content": reply.text,
        "intent": reply.intent,
        "confidence": reply.confidence,
        "citations": [
            {
                "title": c.title,
                "section": c.section,
                "snippet": c.snippet,
                "uri": c.uri,
                "documentId": c.document_id,  # the web console opens the cited section itself
                "chunkId": c.chunk_id,
            }
            for c in reply.citations
        ],
        "followUps": reply.follow_ups,
        "ticketId": reply.ticket_id,
        "notice": reply.notice,
    }


def pieces(text: str) -> list[str]:
    """``text`` cut after sentence and clause marks into pieces of at least :data:`MIN_PIECE_CHARS`
    (the last may be shorter); joined, they are ``text`` exactly."""
    out: list[str] = []
    for part in PIECE_END.split(text):
        if out and len(out[-1]) < MIN_PIECE_CHARS:
            out[-1] += part
        elif part:
            out.append(part)
    return out


#: Ticket stream event kinds → the socket's event types.
AGENT_EVENTS = {
    "ticket_claimed": "agent_joined",
    "agent_message": "agent_message",
    "ticket_closed": "ticket_closed",
}


def _agent_event(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": AGENT_EVENTS.get(event.get("kind", ""), "agent_message"),
        "eventId": event["id"],
        "ticketId": event.get("ticket"),
        "sessionId": event.get("session") or None,
        "agent": event.get("agent_name"),
        "content": event.get("text", ""),
        "at": event.get("at"),
    }


@dataclass(frozen=True, slots=True)
class _Connection:
    """What the first message (or the URL) set up: who, which session, what to replay, how to reply."""

    who: Principal
    session_id: str | None
    last_event: str | None
    language: str | None
    stream: bool = False


async def _authenticate(ws: WebSocket, state: AppState) -> _Connection | None:
    header = ws.headers.get("authorization")
    token = ws.query_params.get("token")
    session_id = ws.query_params.get("sessionId")
    last_event = ws.query_params.get("lastEventId")
    language = ws.query_params.get("language")
    stream = ws.query_params.get("stream") in {"1", "true"}
    if header is None and token is None:
        try:
            first = await asyncio.wait_for(_receive_message(ws), timeout=10)
        except (TimeoutError, _BadFrame, WebSocketDisconnect):
            first = {}
        if not isinstance(first, dict) or first.get("type") != "auth":
            await _error(ws, "UNAUTHENTICATED", N_("请先发送 auth 消息登录"))
            return None
        token = str(first.get("token") or "")
        session_id = first.get("sessionId") or session_id
        last_event = first.get("lastEventId") or last_event
        language = str(first.get("language") or "") or language
        stream = first.get("stream") is True or stream
    try:
        who = state.principals.authenticate(state.settings, header or f"Bearer {token}")
    except ZhikuError as exc:
        await ws.send_json(
            {
                "type": "error",
                "code": exc.code,
                "content": exc.message_in(normalise(language) or _accept(ws) or DEFAULT),
            }
        )
        return None
    if last_event is not None and not STREAM_ID.match(str(last_event)):
        last_event = None  # not a stream id: ignore rather than fail the connection
    # the reply language: the auth message's (or the URL's) ``language``, else the handshake's
    # Accept-Language, else the employee's profile; None: each question's own language
    chosen = language or _accept(ws) or await run_in_threadpool(profile_language, state.store, who.id)
    return _Connection(who, session_id, last_event, chosen, stream)


def _accept(ws: WebSocket) -> str | None:
    return from_accept_language(ws.headers.get("accept-language"))


async def _error(ws: WebSocket, code: str, message: str, **params: object) -> None:
    """An ``error`` event; ``message`` is a catalogue message, sent in the connection's language."""
    await ws.send_json({"type": "error", "code": code, "content": _(message, **params)})


@router.websocket("/ws/chat")
async def chat(ws: WebSocket) -> None:
    state: AppState = ws.app.state.zhiku
    check_ws_origin(ws, state.settings, widget=True)  # the chat widget's sites too
    await ws.accept()
    auth = await _authenticate(ws, state)
    if auth is None:
        await ws.close(code=4401)
        return
    with using(normalise(auth.language) or (FALLBACK if auth.language else DEFAULT)):
        await _converse(ws, state, auth)


async def _converse(ws: WebSocket, state: AppState, conn: _Connection) -> None:
    who, session_id, last_event = conn.who, conn.session_id, conn.last_event
    known = state.dialog.has_session(session_id, who)
    session, notice = state.dialog.session(session_id, who)
    await ws.send_json({"type": "ready", "sessionId": session.id, "resumed": known, "notice": notice})

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            await ws.send_json({"type": "heartbeat", "at": int(time.time())})

    inbox = state.hub.subscribe(who.id)

    async def from_agents() -> None:
        if last_event:
            for event in await state.hub.missed(who.id, last_event):
                await ws.send_json(_agent_event(event))
        while True:
            await ws.send_json(_agent_event(await inbox.get()))

    beat = asyncio.create_task(heartbeat())
    agents = asyncio.create_task(from_agents())
    try:
        while True:
            try:
                message = await _receive_message(ws)
            except _BadFrame as bad:
                message = bad
            if not await state.chat_limit.hit(who.id):
                await _error(ws, "RATE_LIMITED", N_("消息太频繁，请稍后再试"))
                continue
            if isinstance(message, _BadFrame):
                await _error(ws, message.code, message.message, **message.params)
                continue
            await _dispatch(ws, state, who, session.id, message, conn.language, stream=conn.stream)
    except WebSocketDisconnect:
        pass
    finally:
        beat.cancel()
        agents.cancel()
        state.hub.unsubscribe(who.id, inbox)


async def _dispatch(
    ws: WebSocket,
    state: AppState,
    who: Principal,
    session_id: str,
    message: Any,
    language: str | None = None,
    *,
    stream: bool = False,
) -> None:
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "ping":
        await ws.send_json({"type": "pong"})
    elif kind == "question":
        content = message.get("content") or ""
        if not isinstance(content, str | int | float):
            await _error(ws, "BAD_REQUEST", N_("content 应为问题文本"))
            return
        asked_in = message.get("language")
        if isinstance(asked_in, str) and normalise(asked_in):
            language = asked_in  # the client's UI language now (the console's language switch)
        await ws.send_json({"type": "typing", "sessionId": session_id})
        turn = functools.partial(state.dialog.handle, session_id, who, str(content), language)
        try:
            # as GraphQL's ``ask``: admitted by the query batcher (a burst past its bound is told to retry
            # at once, not queued without bound) and run in its caller threads
            reply = await run_admitted(state.search, turn)
        except ZhikuError as exc:
            error = {"type": "error", "code": exc.code, "content": exc.message_in(current())}
            if (retry_after := getattr(exc, "retry_after", None)) is not None:
                error["retryAfter"] = retry_after  # EMBEDDER_BUSY: seconds before asking again
            await ws.send_json(error)
            return
        except Exception:  # a bug in one turn must not end the conversation
            log.exception("chat turn failed for %s", who.id)
            await _error(ws, "INTERNAL_ERROR", N_("处理消息时出错，请稍后再试"))
            return
        event = {**_reply_event(reply), "language": reply.language}
        if reply.answer_id:  # 👍/👎 name it: bound to this employee, as `ask` hands it out
            event["answerId"] = issued_answer_id(state.settings, reply.answer_id, who.id)
        if stream:
            for index, piece in enumerate(pieces(event["content"])):
                delta = {"type": "delta", "sessionId": session_id, "index": index, "content": piece}
                await ws.send_json(delta)
            event["streamed"] = True
        await ws.send_json(event)
    else:
        await _error(ws, "BAD_REQUEST", N_("未知的消息类型（支持 question、ping）"))
