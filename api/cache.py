"""A cache of whole GraphQL responses for graph reads, in front of Strawberry.

Executing ``entity(id) { … relations { … } }`` costs ~2 ms of Python per request (parsing aside,
Strawberry's field resolution and result conversion: measured, no single hotspot); answering the
same request from memory costs ~0.1 ms. Mini-program pages and the chatbot re-read the same
entities, processes and approval chains over and over, so reads are served from here while the graph
has not changed.

**What is cached.** A POSTed JSON GraphQL request whose operation is a ``query`` and whose root fields
are all in :data:`CACHEABLE` — reads of the graph only; ``ask`` and ``search`` (which record views
and read the search index), subscriptions, mutations and people's own records are never cached —
answered 200 without ``errors``.

**Keyed by** the request body's bytes, the media type it is answered in (``Accept``: see
:mod:`api.graphql.http`), the language ``Accept-Language`` asks for (a chain's names follow it),
the caller — employee id, name, departments, roles and level:
everything any visibility rule reads (``zhiku.access``; roles are re-read from the graph every
minute, and changed roles make a different key) — and the graph's data version
(:mod:`graph.versions`): a token every write through any Zhiku process changes. Non-admins' entries
depend on content writes only; admins', who also see people's records, on those writes too. The token
is read before the request executes, so an entry is never filed under a version newer than what it
saw. Entries also expire after ``ZHIKU_API_CACHE_TTL_S`` (a safety net for writes made around Zhiku,
e.g. in Neo4j Browser).

**Served** with the same status, headers and bytes as the first time, plus ``X-Zhiku-Cache: hit``
(``miss`` when executed; a request with ``Cache-Control: no-cache`` is always executed, and its
answer kept). Per worker, at most ``ZHIKU_API_CACHE_MB`` of responses (LRU). Off when that
is 0, or when the store has no version tokens (Neo4j without ``ZHIKU_REDIS_URL``).

It sits inside the rate limit, size limit and CORS middlewares, so those apply to hits as well, and
inside the refusal of duplicate ``Authorization`` headers (:mod:`api.headers`): the one header it
reads is the one the request executes with.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

import redis
from cachetools import LRUCache, TTLCache
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphql.http import response_media_type
from zhiku.errors import ZhikuError
from zhiku.i18n import from_accept_language
from zhiku.metrics import RESPONSE_CACHE

log = logging.getLogger(__name__)


#: Root fields whose answer depends only on the graph and the caller (no writes, no search index).
CACHEABLE = frozenset(
    {
        "entity",
        "entities",
        "neighborhood",
        "approvalProcess",
        "approvalProcesses",
        "whoApproves",
        "me",
        "__typename",
    }
)
#: Larger request bodies pass through uncached (and unread: streamed to the app as they come).
MAX_BODY = 16_384
#: Bookkeeping per entry beyond its bytes (key, headers list, TTL links), for the memory bound.
OVERHEAD = 256


@dataclass(frozen=True, slots=True)
class Entry:
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


def _size(entry: Entry) -> int:
    return len(entry.body) + sum(len(k) + len(v) for k, v in entry.headers) + OVERHEAD


def cacheable(document: str, operation_name: str | None) -> bool:
    """Whether this GraphQL document's operation reads only :data:`CACHEABLE` root fields."""
    try:
        parsed = parse(document, max_tokens=5000)
    except GraphQLError:
        return False  # Strawberry answers the syntax error; nothing to cache
    ops = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        ops = [op for op in ops if op.name is not None and op.name.value == operation_name]
    if len(ops) != 1 or ops[0].operation is not OperationType.QUERY:
        return False
    selections = ops[0].selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in CACHEABLE for s in selections)


class ResponseStore:
    """The cached responses of one process, and its counters (shown by ``/healthz``)."""

    def __init__(self, *, max_bytes: int, ttl_s: float) -> None:
        self.entries: TTLCache[bytes, Entry] = TTLCache(maxsize=max_bytes, ttl=ttl_s, getsizeof=_size)
        # digest of (document, operation name) → cacheable; documents repeat, so each is parsed once
        self.shapes: LRUCache[bytes, bool] = LRUCache(maxsize=4096)
        self.hits = 0
        self.misses = 0
        self.content = ""  # the content version the entries were made under

    def seen(self, version: str) -> None:
        """A request read ``version``: after a content write every entry is unreachable — drop them
        now rather than let them age out (entries of admins after a records write are left to LRU)."""
        content = version.partition(".")[0]
        if content != self.content:
            self.entries.clear()
            self.content = content

    def stats(self) -> dict[str, int]:
        return {
            "entries": len(self.entries),
            "bytes": int(self.entries.currsize),
            "max_bytes": int(self.entries.maxsize),
            "hits": self.hits,
            "misses": self.misses,
        }


class ResponseCache:
    """ASGI middleware: ``app.add_middleware(ResponseCache, store=ResponseStore(max_bytes=…, ttl_s=…))``."""

    def __init__(self, app: ASGIApp, *, store: ResponseStore, path: str = "/graphql") -> None:
        self.app = app
        self.path = path
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        consumed: list[Message] = []
        size = 0
        while True:
            message = await receive()
            consumed.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body") or size > MAX_BODY:
                break
        replay = _replay(consumed, receive)
        last = consumed[-1]
        headers = dict(scope.get("headers") or ())
        key = None
        if last["type"] == "http.request" and not last.get("more_body"):
            key = self._key(scope, headers, b"".join(m.get("body", b"") for m in consumed))
        if key is None:
            await self.app(scope, replay, send)
            return
        fresh = b"no-cache" in headers.get(b"cache-control", b"")
        entry = None if fresh else self.store.entries.get(key)
        if entry is not None:
            self.store.hits += 1
            RESPONSE_CACHE.labels("hit").inc()
            await send({"type": "http.response.start", "status": 200, "headers": [*entry.headers, _HIT]})
            await send({"type": "http.response.body", "body": entry.body})
            return
        self.store.misses += 1
        RESPONSE_CACHE.labels("miss").inc()
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                message = {**message, "headers": [*message.get("headers", ()), _MISS]}
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        await self.app(scope, replay, capture)
        if start is None or start["status"] != 200:
            return
        body = b"".join(chunks)
        if not _clean(body):
            return
        entry = Entry(tuple((bytes(k), bytes(v)) for k, v in start.get("headers", ())), body)
        if _size(entry) <= self.store.entries.maxsize // 16:  # one huge answer must not flush the rest
            self.store.entries[key] = entry

    def _key(self, scope: Scope, headers: dict[bytes, bytes], body: bytes) -> bytes | None:
        """The cache key of this request, or ``None`` when it must not be cached."""
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        try:
            request = json.loads(body)
        except ValueError:
            return None
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return None
        document = request["query"]
        name = request.get("operationName") if isinstance(request.get("operationName"), str) else None
        shape = hashlib.blake2b(f"{name}\x1e{document}".encode(), digest_size=16).digest()
        ok = self.store.shapes.get(shape)
        if ok is None:
            ok = self.store.shapes[shape] = cacheable(document, name)
        if not ok:
            return None
        state = scope["app"].state.zhiku
        versions = state.store.versions
        if versions is None:
            return None
        auth = headers.get(b"authorization")
        try:
            who = state.principals.authenticate(state.settings, auth.decode("latin-1") if auth else None)
            version = versions.current(records=who.is_admin)
        except ZhikuError:
            return None  # not signed in (or the graph is down): executed, and answered with the error
        except redis.RedisError as exc:
            log.warning("response cache bypassed: cannot read the data version: %s", exc)
            return None
        self.store.seen(version)
        digest = hashlib.blake2b(body, digest_size=16, person=b"zhiku-gql")
        # the whole principal (a frozen dataclass): any field a visibility rule may read is in the key
        digest.update(b"\x1e" + repr(who).encode() + b"\x1e" + version.encode())
        # the media type answered in (application/json or application/graphql-response+json)
        accept = headers.get(b"accept")
        digest.update(b"\x1e" + response_media_type(accept.decode("latin-1") if accept else None).encode())
        # the language Accept-Language asks for (whoApproves names a chain in it; the profile's is the
        # caller's, in the key already)
        asked = headers.get(b"accept-language")
        language = from_accept_language(asked.decode("latin-1")) if asked else None
        digest.update(b"\x1e" + (language or "").encode())
        return digest.digest()


_HIT = (b"x-zhiku-cache", b"hit")
_MISS = (b"x-zhiku-cache", b"miss")


def _clean(body: bytes) -> bool:
    """A response worth keeping: data and no errors (errors may be transient: the graph was down)."""
    try:
        result = json.loads(body)
    except ValueError:
        return False
    return isinstance(result, dict) and not result.get("errors") and result.get("data") is not None


def _replay(consumed: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out the messages already read, then the rest of the real ones."""
    pending = list(consumed)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
