"""Where dialog sessions live between turns: in this process (the CLI, tests) or in the shared Redis
(the API), so that a conversation begun on one API instance or worker is continued by any other.

A session is serialised compactly (JSON with short keys, empty fields left out, zlib above 1 KiB) and
kept with its time-to-live in the store itself: in Redis the key's own expiry, so no instance's clock
decides when a conversation ended. An expired session is remembered for a while longer
(:data:`TOMBSTONE_S`) so that the employee who comes back is told their conversation timed out — as
in one process — instead of silently starting over.

One turn of one session runs at a time (:meth:`SessionStore.turn`, a lock in the store): two
messages of the same conversation arriving at two instances are answered one after the other, and
neither turn is lost from the history. A Redis that cannot be reached is a retryable
``SHARED_STATE_UNAVAILABLE`` error (HTTP 503, ``retryable`` in GraphQL), never a lost conversation.

Example::

    sessions = RedisSessions(redis.Redis.from_url(url), ttl_s=1800)
    with sessions.turn("s-1"):
        session = sessions.load("s-1")      # None: unknown; Expired: timed out
        ...
        sessions.save(session)
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis
from redis.exceptions import LockError, RedisError

from zhiku.errors import SharedStateUnavailable

log = logging.getLogger(__name__)

KEY = "zhiku:chat:session:"
LOCK = "zhiku:chat:session-lock:"
#: How long after it expired a session is still recognised (to say "your session timed out").
TOMBSTONE_S = 86_400.0
#: Encoded sessions larger than this are compressed.
COMPRESS_ABOVE = 1024
#: Longest one turn may hold its session's lock (a crashed instance's lock frees itself after this).
TURN_LOCK_S = 60.0
#: Longest a turn waits for another turn of the same session before it goes ahead anyway.
TURN_WAIT_S = 15.0


@dataclass(slots=True)
class Pending:
    """An action the bot proposed and waits to have confirmed."""

    kind: str  # ticket category: service | application; or approval (through the approvals engine)
    title: str
    entities: list[str]
    process: str = ""
    amount: float | None = None
    days: float | None = None


@dataclass(slots=True)
class Session:
    id: str
    employee: str
    updated: float  # time.monotonic() of the last use in this process (expiry is the store's)
    turns: list[str] = field(default_factory=list)
    #: The documents each line of ``turns`` drew on (kept in step with ``turns`` by :meth:`add_turn`):
    #: a hand-off ticket shows an agent a line only when the agent may read all of them.
    turn_documents: list[tuple[str, ...]] = field(default_factory=list)
    last_question: str = ""
    last_intent: str = ""
    last_entities: list[tuple[str, str, str]] = field(default_factory=list)  # (id, surface, type)
    last_sources: list[str] = field(default_factory=list)  # titles of the last answer's sources
    last_documents: list[str] = field(default_factory=list)  # their document ids, in the same order
    language: str = ""  # the last turn's reply language (a bare "ok" keeps it)
    pending: Pending | None = None
    frustrated_turns: int = 0
    handoff_ticket: str | None = None  # while open, the employee's messages go to the agent

    def add_turn(self, line: str, documents: Iterable[str] = ()) -> None:
        self.turns.append(line)
        self.turn_documents.append(tuple(dict.fromkeys(documents)))


class Expired:
    """What :meth:`SessionStore.load` returns for a session that timed out (and whose employee)."""

    __slots__ = ("employee",)

    def __init__(self, employee: str) -> None:
        self.employee = employee


def encode(session: Session) -> bytes:
    """Compact bytes: short keys, defaults left out, zlib-compressed when large."""
    data: dict[str, Any] = {"i": session.id, "e": session.employee}
    optional: dict[str, Any] = {
        "t": session.turns,
        "d": [list(docs) for docs in session.turn_documents] if any(session.turn_documents) else [],
        "q": session.last_question,
        "n": session.last_intent,
        "le": [list(e) for e in session.last_entities],
        "ls": session.last_sources,
        "ld": session.last_documents,
        "f": session.frustrated_turns,
        "h": session.handoff_ticket,
        "lg": session.language,
    }
    data.update({k: v for k, v in optional.items() if v})
    if session.pending is not None:
        p = session.pending
        data["p"] = [p.kind, p.title, p.entities, p.process, p.amount, p.days]
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return b"z" + zlib.compress(raw, 1) if len(raw) > COMPRESS_ABOVE else b"j" + raw


def decode(blob: bytes) -> Session:
    raw = zlib.decompress(blob[1:]) if blob[:1] == b"z" else blob[1:]
    data = json.loads(raw)
    turns: list[str] = data.get("t", [])
    documents = [tuple(d) for d in data.get("d", [])] or [() for _ in turns]
    pending = data.get("p")
    return Session(
        id=data["i"],
        employee=data["e"],
        updated=time.monotonic(),
        turns=turns,
        turn_documents=documents,
        last_question=data.get("q", ""),
        last_intent=data.get("n", ""),
        last_entities=[(e[0], e[1], e[2]) for e in data.get("le", [])],
        last_sources=data.get("ls", []),
        last_documents=data.get("ld", []),
        pending=Pending(*pending) if pending else None,
        frustrated_turns=data.get("f", 0),
        handoff_ticket=data.get("h"),
        language=data.get("lg", ""),
    )


class SessionStore(Protocol):
    """Sessions by id, each living ``ttl_s`` after its last save."""

    ttl_s: float

    def load(self, session_id: str) -> Session | Expired | None:
        """The session; :class:`Expired` if it timed out (recently); None if unknown."""
        ...

    def save(self, session: Session) -> None: ...

    def turn(self, session_id: str) -> contextlib.AbstractContextManager[None]:
        """Hold the session for one turn (other turns of it wait)."""
        ...


class MemorySessions:
    """Sessions in this process (the CLI's chat, tests). Stored encoded, like the shared store, so a
    loaded session is a copy: nothing changes until it is saved."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._data: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()
        self._turn_locks = [threading.Lock() for _ in range(64)]

    def load(self, session_id: str) -> Session | Expired | None:
        now = time.monotonic()
        with self._lock:
            for sid in [s for s, (at, _) in self._data.items() if now - at > self.ttl_s + TOMBSTONE_S]:
                del self._data[sid]
            found = self._data.get(session_id)
        if found is None:
            return None
        session = decode(found[1])
        return Expired(session.employee) if now - found[0] > self.ttl_s else session

    def save(self, session: Session) -> None:
        blob = encode(session)
        with self._lock:
            self._data[session.id] = (time.monotonic(), blob)

    @contextlib.contextmanager
    def turn(self, session_id: str) -> Iterator[None]:
        with self._turn_locks[hash(session_id) % len(self._turn_locks)]:
            yield


class RedisSessions:
    """Sessions in Redis (the graph server, or ``ZHIKU_REDIS_URL``), shared by every instance.

    ``kv`` must return bytes (``decode_responses=False``). A session's key expires ``ttl_s`` +
    :data:`TOMBSTONE_S` after its last save; a remaining life of :data:`TOMBSTONE_S` or less means
    the session timed out — decided by the Redis server's clock alone."""

    def __init__(self, kv: redis.Redis, ttl_s: float) -> None:
        self.kv = kv
        self.ttl_s = ttl_s

    def load(self, session_id: str) -> Session | Expired | None:
        key = KEY + session_id
        with _shared(), self.kv.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.pttl(key)
            blob, left_ms = pipe.execute()
        if blob is None:
            return None
        session = decode(blob)
        return Expired(session.employee) if left_ms <= TOMBSTONE_S * 1000 else session

    def save(self, session: Session) -> None:
        life_ms = int((max(self.ttl_s, 0.0) + TOMBSTONE_S) * 1000)
        with _shared():
            self.kv.set(KEY + session.id, encode(session), px=life_ms)

    @contextlib.contextmanager
    def turn(self, session_id: str) -> Iterator[None]:
        lock = self.kv.lock(LOCK + session_id, timeout=TURN_LOCK_S, blocking_timeout=TURN_WAIT_S)
        with _shared():
            held = lock.acquire()
        if not held:  # a turn stuck for longer than any answer takes: answer rather than wait on it
            log.warning("chat session %s still busy after %.0f s; answering anyway", session_id, TURN_WAIT_S)
        try:
            yield
        finally:
            if held:
                # expired meanwhile, or Redis away: the lock frees itself after TURN_LOCK_S
                with contextlib.suppress(LockError, RedisError, OSError):
                    lock.release()


@contextlib.contextmanager
def _shared() -> Iterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise SharedStateUnavailable(
            "会话存储暂时无法访问，请稍后再试",
            f"the shared session store (Redis) cannot be reached: {exc}",
        ) from exc
