"""``/ws/chat`` against a real uvicorn server on loopback with real WebSocket clients (``websockets``):
only allowed browser origins may open it, an employee's message allowance holds across sockets and
across API processes (two apps sharing the one Redis), malformed, oversized and deeply nested frames
get a coded error on a connection that stays open, the log never shows the token from the URL, a
client that opts in gets a reply in pieces before the whole of it, and a burst of questions meets the
query batcher's bound as GraphQL's ``ask`` does."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from api.app import create_app
from api.auth import issue_token
from api.rest.chat_ws import MIN_PIECE_CHARS, pieces
from search.batcher import BatchedEmbedder, QueryBatcher
from tests.api.test_overload import Gated
from zhiku.logs import REDACTED, uvicorn_log_config
from zhiku.loopback import running
from zhiku.settings import Settings

EMPLOYEE = "E1031"
PORTAL = "https://portal.example.com"


@pytest.fixture
def settings(demo_search) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(data_dir=demo_search.directory.parent, cors_origins=[PORTAL])


@contextmanager
def serve(demo_graph, demo_search, settings: Settings, **config: Any) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """One API process's worth of app on loopback; its ws:// base URL."""
    with running(create_app(settings, store=demo_graph, search=demo_search), **config) as base:
        yield base.replace("http://", "ws://")


@pytest.fixture
def server(demo_graph, demo_search, settings: Settings, fresh_limits) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serve(demo_graph, demo_search, settings) as base:
        yield base


def chat_url(base: str, settings: Settings, who: str = EMPLOYEE) -> str:
    return f"{base}/ws/chat?token={issue_token(settings, who)}"


def event(ws: ClientConnection) -> dict[str, Any]:
    """The next event that is not a heartbeat."""
    while True:
        got: dict[str, Any] = json.loads(ws.recv(timeout=15))
        if got["type"] != "heartbeat":
            return got


def pings(ws: ClientConnection, n: int) -> list[str]:
    """Send ``n`` pings; what each got back: ``pong`` or the error's code."""
    out = []
    for _ in range(n):
        ws.send(json.dumps({"type": "ping"}))
        got = event(ws)
        out.append(got["type"] if got["type"] == "pong" else got["code"])
    return out


# -- origin ------------------------------------------------------------------------------------------


def test_only_allowed_origins_may_open_the_socket(server: str, settings: Settings) -> None:
    url = chat_url(server, settings)
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin="https://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    own = server.replace("ws://", "http://")
    for origin in (PORTAL, own, None):  # a configured origin, the API's own page, a non-browser client
        with connect(url, origin=origin) as ws:  # type: ignore[arg-type]
            assert event(ws)["type"] == "ready", origin


# -- the message allowance -----------------------------------------------------------------------------


def test_reconnecting_does_not_reset_the_allowance(server: str, settings: Settings) -> None:
    limit = settings.chat_messages_per_minute
    with connect(chat_url(server, settings)) as ws:
        event(ws)
        assert pings(ws, limit - 5) == ["pong"] * (limit - 5)
    with connect(chat_url(server, settings)) as first, connect(chat_url(server, settings)) as second:
        event(first), event(second)
        assert pings(first, 3) == ["pong"] * 3
        assert pings(second, 4) == ["pong", "pong", "RATE_LIMITED", "RATE_LIMITED"]
        assert pings(first, 1) == ["RATE_LIMITED"]
    # someone else has an allowance of their own
    with connect(chat_url(server, settings, "E1030")) as other:
        event(other)
        assert pings(other, 1) == ["pong"]


def test_the_allowance_holds_across_api_processes(
    demo_graph,  # type: ignore[no-untyped-def]
    demo_search,
    settings: Settings,
    fresh_limits,
) -> None:
    """Two apps (each with its own connections, as two uvicorn workers have) count in the one Redis."""
    limit = settings.chat_messages_per_minute
    with serve(demo_graph, demo_search, settings) as one, serve(demo_graph, demo_search, settings) as two:
        with connect(chat_url(one, settings)) as ws:
            event(ws)
            assert set(pings(ws, limit - 1)) == {"pong"}
        with connect(chat_url(two, settings)) as ws:
            event(ws)
            assert pings(ws, 2) == ["pong", "RATE_LIMITED"]


# -- bad frames ---------------------------------------------------------------------------------------


def test_bad_frames_get_coded_errors_and_the_connection_stays_open(server: str, settings: Settings) -> None:
    with connect(chat_url(server, settings)) as ws:
        assert event(ws)["type"] == "ready"
        frames: list[tuple[str | bytes, str]] = [
            ("[" * 5000 + "]" * 5000, "BAD_REQUEST"),  # nested deeper than the parser recurses
            ('{"type": "question", "content": ' + "[" * 900 + "]" * 900 + "}", "BAD_REQUEST"),
            ("x" * 20_000, "REQUEST_TOO_LARGE"),
            (b"\x00\x01binary", "BAD_REQUEST"),
            ("{not json", "BAD_REQUEST"),
            ('{"type": "dance"}', "BAD_REQUEST"),
        ]
        for frame, code in frames:
            ws.send(frame)
            got = event(ws)
            assert got["type"] == "error" and got["code"] == code, frame[:40]
            assert got["content"] and not got["content"].isascii()  # told in Chinese
            assert pings(ws, 1) == ["pong"]  # still open
        ws.send(json.dumps({"type": "question", "content": "公司有班车吗"}))
        assert event(ws)["type"] == "typing"
        assert event(ws)["type"] == "answer"


def test_a_deeply_nested_first_message_is_refused_cleanly(server: str) -> None:
    with connect(f"{server}/ws/chat") as ws:  # no token: the first message must be auth
        ws.send("[" * 5000 + "]" * 5000)
        got = event(ws)
        assert got["type"] == "error" and got["code"] == "UNAUTHENTICATED"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


# -- the access log -----------------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_log_never_shows_a_token_from_the_url(
    demo_graph,  # type: ignore[no-untyped-def]
    demo_search,
    settings: Settings,
    fresh_limits,
) -> None:
    """With the logging configuration ``zhiku serve`` passes to uvicorn."""
    token = issue_token(settings, EMPLOYEE)
    capture = _Capture()
    with serve(demo_graph, demo_search, settings, log_config=uvicorn_log_config(), log_level="info") as base:
        loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
        for logger in loggers:
            logger.addHandler(capture)
        try:
            with connect(f"{base}/ws/chat?sessionId=s-1&token={token}") as ws:
                assert event(ws)["type"] == "ready"
            http = base.replace("ws://", "http://")
            assert httpx.get(f"{http}/healthz?access_token={token}&x=1").status_code == 200
            with pytest.raises(InvalidStatus):
                connect(f"{base}/ws/chat?token={token}", origin="https://evil.example")  # type: ignore[arg-type]
        finally:
            for logger in loggers:
                logger.removeHandler(capture)
    requests = [line for line in capture.lines if "/ws/chat" in line or "/healthz" in line]
    assert len(requests) >= 3, capture.lines  # the handshake, the refused one and the HTTP request
    assert all(token not in line for line in capture.lines)
    assert any(f"token={REDACTED}" in line and "sessionId=s-1" in line for line in requests)
    assert any(f"/healthz?access_token={REDACTED}&x=1" in line for line in requests)


# -- progressive replies -------------------------------------------------------------------------------


def test_pieces_cut_after_sentence_marks_and_join_back() -> None:
    text = "员工每年享有带薪年假。1. 工作满1年不满10年的，年假5天；2. 满10年的，10天！\n详见《考勤制度》"
    got = pieces(text)
    assert "".join(got) == text
    assert got[0] == "员工每年享有带薪年假。"
    assert all(len(p) >= MIN_PIECE_CHARS for p in got[:-1]) and len(got) >= 3
    assert pieces("") == [] and pieces("好。") == ["好。"]


def test_a_client_that_opts_in_gets_the_reply_in_pieces_then_whole(server: str, settings: Settings) -> None:
    question = json.dumps({"type": "question", "content": "年假怎么请"})
    token = issue_token(settings, EMPLOYEE)
    with connect(f"{server}/ws/chat") as ws:
        ws.send(json.dumps({"type": "auth", "token": token, "stream": True}))
        assert event(ws)["type"] == "ready"
        ws.send(question)
        assert event(ws)["type"] == "typing"
        deltas = []
        while (got := event(ws))["type"] == "delta":
            deltas.append(got)
        assert got["type"] == "answer" and got["streamed"] is True and got["citations"]
        assert [d["index"] for d in deltas] == list(range(len(deltas))) and len(deltas) >= 2
        assert "".join(d["content"] for d in deltas) == got["content"]
    # an old client (no opt-in) gets exactly the reply event, as before
    with connect(chat_url(server, settings)) as ws:
        assert event(ws)["type"] == "ready"
        ws.send(question)
        assert event(ws)["type"] == "typing"
        reply = event(ws)
        assert reply["type"] == "answer" and "streamed" not in reply and reply["content"] == got["content"]


def test_an_answer_carries_the_id_its_feedback_names(  # type: ignore[no-untyped-def]
    demo_copy, copy_search, settings: Settings, fresh_limits
) -> None:
    """👍/👎 on a /ws/chat answer (the console, the mini-program) name the id the answer came with —
    bound to its employee, as ``ask``'s: feedback takes it from that employee only. On a copy of the
    demo: feedback is recorded."""
    feedback = (
        "mutation($a: ID!, $q: String!) { feedback(answerId: $a, question: $q, helpful: true) { recorded } }"
    )
    with serve(demo_copy, copy_search, settings) as base:
        with connect(chat_url(base, settings)) as ws:
            assert event(ws)["type"] == "ready"
            ws.send(json.dumps({"type": "question", "content": "年假怎么请"}))
            assert event(ws)["type"] == "typing"
            reply = event(ws)
        assert reply["type"] == "answer" and reply["answerId"].startswith("ans-")

        def send(who: str) -> dict[str, Any]:
            body: dict[str, Any] = httpx.post(
                base.replace("ws://", "http://") + "/graphql",
                json={"query": feedback, "variables": {"a": reply["answerId"], "q": "年假怎么请"}},
                headers={"Authorization": f"Bearer {issue_token(settings, who)}"},
            ).json()
            return body

        assert send("E1010")["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # another employee's
        assert send(EMPLOYEE) == {"data": {"feedback": {"recorded": True}}}
    rows = demo_copy.query(
        "MATCH (f:Feedback)-[:GIVEN_BY]->(e {id: $e}) RETURN f.answerId AS a", {"e": EMPLOYEE}
    )
    assert [r["a"] for r in rows] == [reply["answerId"].rpartition(".")[0]]


def test_a_question_may_name_the_reply_language_the_ui_is_switched_to(
    server: str, settings: Settings
) -> None:
    """The console sends its UI language with each question: it wins over the browser's
    Accept-Language (and the sign-in's), for that question."""
    with connect(chat_url(server, settings), additional_headers={"Accept-Language": "zh-CN"}) as ws:
        assert event(ws)["type"] == "ready"
        ws.send(json.dumps({"type": "question", "content": "年假怎么请", "language": "en"}))
        assert event(ws)["type"] == "typing"
        english = event(ws)
        ws.send(json.dumps({"type": "question", "content": "年假怎么请", "language": "zh"}))
        assert event(ws)["type"] == "typing"
        chinese = event(ws)
    assert english["type"] == "answer" and english["language"] == "en", english
    assert chinese["type"] == "answer" and chinese["language"] == "zh_Hans", chinese
    assert english["content"] != chinese["content"]


def test_a_burst_of_questions_gets_the_batchers_bound_and_a_retry_message(  # type: ignore[no-untyped-def]
    demo_copy, copy_search, settings: Settings, fresh_limits
) -> None:
    """A question over the socket is admitted by the query batcher as GraphQL's ``ask`` is: while it
    waits on the model it counts against the bound, and past the bound the next one is told at once,
    with a coded, retryable error and ``retryAfter``, in the connection's language."""
    real = copy_search.embedder
    model = Gated(real)
    # 2 questions in flight at most
    batcher = QueryBatcher(model, window_s=0, max_batch=1, max_queue=1, model_threads=1)
    copy_search.embedder = BatchedEmbedder(real, batcher)
    try:
        with serve(demo_copy, copy_search, settings) as base, connect(chat_url(base, settings)) as ws:
            assert event(ws)["type"] == "ready"
            ws.send(json.dumps({"type": "question", "content": "套接字限流测试：年假可以分几次休"}))
            assert event(ws)["type"] == "typing"
            assert model.entered.wait(timeout=60)
            assert batcher._in_flight == 1  # the socket's question holds a place while it is embedded
            model.gate.set()
            assert event(ws)["type"] not in {"error", "typing"}  # the dialog's reply (answer or clarify)
            with batcher.admit(), batcher.admit():  # the bound taken by two questions elsewhere
                ws.send(json.dumps({"type": "question", "content": "套接字限流测试：报销需要谁审批"}))
                assert event(ws)["type"] == "typing"
                refused = event(ws)
            assert refused["type"] == "error" and refused["code"] == "EMBEDDER_BUSY"
            assert refused["retryAfter"] >= 1 and "秒后再试" in refused["content"]
            ws.send(json.dumps({"type": "question", "content": "套接字限流测试：报销需要谁审批"}))
            assert event(ws)["type"] == "typing"
            assert event(ws)["type"] not in {"error", "typing"}  # places again: replied to
        with (
            serve(demo_copy, copy_search, settings) as base,
            connect(chat_url(base, settings) + "&language=ja") as ws,
            batcher.admit(),
            batcher.admit(),
        ):
            assert event(ws)["type"] == "ready"
            ws.send(json.dumps({"type": "question", "content": "套接字限流测试：班车几点出发"}))
            assert event(ws)["type"] == "typing"
            refused = event(ws)
            assert refused["code"] == "EMBEDDER_BUSY" and "秒後にもう一度お試しください" in refused["content"]
    finally:
        model.gate.set()
        batcher.close()
        copy_search.embedder = real
