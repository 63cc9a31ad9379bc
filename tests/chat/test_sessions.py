"""Dialog sessions in the shared Redis (the embedded graph server): what one instance writes another
continues, expiry is the server's, the encoding is lossless and compact, and two turns of one
conversation arriving at two instances at once are both kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from chat.dialog import DialogEngine
from chat.sessions import (
    COMPRESS_ABOVE,
    KEY,
    Expired,
    MemorySessions,
    Pending,
    RedisSessions,
    Session,
    decode,
    encode,
)
from zhiku.access import load_principal
from zhiku.errors import SharedStateUnavailable


@pytest.fixture
def kv(demo_graph) -> Iterator[redis.Redis]:  # type: ignore[no-untyped-def]
    """A bytes client on the demo graph's server, as the API opens one per instance."""
    client = redis.Redis.from_url(demo_graph.kv_url)
    yield client
    for key in client.scan_iter(KEY + "t-*"):
        client.delete(key)
    client.close()


def _full_session(sid: str, lines: int = 3) -> Session:
    session = Session(sid, "E1030", 0.0)
    for i in range(lines):
        session.add_turn(f"员工: 年假怎么请？第{i}次", ["DOC-leave"] if i % 2 else [])
    session.last_question, session.last_intent = "年假怎么请？", "办事流程"
    session.last_entities = [("LEAVE-annual", "年假", "LeaveType")]
    session.last_sources, session.last_documents = ["请假管理制度"], ["DOC-leave"]
    session.pending = Pending("approval", "请3天年假", ["PROC-LEAVE"], "PROC-LEAVE", None, 3.0)
    session.frustrated_turns, session.handoff_ticket = 1, "T-1"
    return session


def _same(a: Session, b: Session) -> bool:
    fields = ("id", "employee", "turns", "turn_documents", "last_question", "last_intent", "last_entities",
              "last_sources", "last_documents", "pending", "frustrated_turns", "handoff_ticket")  # fmt: skip
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def test_encoding_is_lossless_and_compact() -> None:
    small = _full_session("t-small", lines=1)
    blob = encode(small)
    assert blob[:1] == b"j" and _same(decode(blob), small)
    empty = Session("t-empty", "E1030", 0.0)
    assert len(encode(empty)) < 40 and _same(decode(encode(empty)), empty)  # empty fields left out
    large = _full_session("t-large", lines=60)
    raw_size = len(str(large.turns).encode())
    blob = encode(large)
    assert raw_size > COMPRESS_ABOVE and blob[:1] == b"z" and len(blob) < raw_size / 3
    assert _same(decode(blob), large)


def test_a_session_saved_by_one_instance_is_continued_by_another(demo_graph, kv: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    # two clients, as two instances hold
    first, second = RedisSessions(kv, 1800), RedisSessions(redis.Redis.from_url(demo_graph.kv_url), 1800)
    try:
        first.save(_full_session("t-shared"))
        loaded = second.load("t-shared")
        assert isinstance(loaded, Session) and _same(loaded, _full_session("t-shared"))
        assert second.load("t-unknown") is None
        # expiry is the key's own life: a session saved with no time to live reads as timed out
        # (and says whose it was), and disappears a day later
        RedisSessions(kv, 0).save(_full_session("t-old"))
        old = second.load("t-old")
        assert isinstance(old, Expired) and old.employee == "E1030"
        assert 0 < int(kv.pttl(KEY + "t-old")) <= 86_400_000
    finally:
        second.kv.close()


def test_memory_sessions_expire_the_same_way() -> None:
    sessions = MemorySessions(0.0)
    sessions.save(_full_session("t-mem"))
    assert isinstance(sessions.load("t-mem"), Expired)
    sessions.ttl_s = 3600
    loaded = sessions.load("t-mem")
    assert isinstance(loaded, Session) and _same(loaded, _full_session("t-mem"))


def test_a_follow_up_on_another_instance_keeps_the_conversation(
    demo_graph, demo_search, kv: redis.Redis
) -> None:  # type: ignore[no-untyped-def]
    a = DialogEngine(demo_graph, demo_search, sessions=RedisSessions(kv, 1800))
    b = DialogEngine(demo_graph, demo_search, intents=a.intents, sentiment=a.sentiment,
                     sessions=RedisSessions(kv, 1800))  # fmt: skip
    who = load_principal(demo_graph, "E1030")
    first = a.handle(None, who, "报销8000元谁审批")
    assert first.type == "answer" and "费用报销" in first.text
    follow = b.handle(first.session_id, who, "那两万五呢？")  # the other instance
    assert follow.session_id == first.session_id and follow.type == "answer"
    assert "费用报销" in follow.text and "25000" in follow.text, follow.text
    assert b.has_session(first.session_id, who) and a.has_session(first.session_id, who)
    assert not a.has_session(first.session_id, load_principal(demo_graph, "E1031"))
    # two turns of one conversation at once, on both instances: both are kept, one after the other
    replies = []
    threads = [
        threading.Thread(target=lambda e=e, m=m: replies.append(e.handle(first.session_id, who, m)))
        for e, m in ((a, "年假怎么请？"), (b, "病假怎么请？"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = a.sessions.load(first.session_id)
    assert isinstance(kept, Session) and len(replies) == 2
    assert len(kept.turns) == 8  # four turns, each the employee's line and the bot's
    assert any("年假" in line for line in kept.turns) and any("病假" in line for line in kept.turns)


def test_an_unreachable_store_is_a_retryable_error_not_a_lost_conversation() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = redis.Redis(port=port, socket_connect_timeout=1)
    sessions = RedisSessions(client, 1800)
    for call in (lambda: sessions.load("t-x"), lambda: sessions.save(Session("t-x", "E1030", 0.0))):
        with pytest.raises(SharedStateUnavailable) as caught:
            call()
        assert caught.value.retryable and caught.value.code == "SHARED_STATE_UNAVAILABLE"
    with pytest.raises(SharedStateUnavailable), sessions.turn("t-x"):
        pass
    client.close()
