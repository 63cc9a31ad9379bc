"""Approval status events out of the engine: a Redis stream (the embedded graph server is a Redis
server), signed webhooks for downstream systems, and the follow-up triggers file.

Example::

    stream = EventStream(open_kv(settings, store))
    engine = ApprovalEngine(store, listeners=[stream.publish])
    async for event in stream.follow(async_kv):   # a GraphQL subscription
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import redis
import redis.asyncio
import yaml
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from approvals.engine import ApprovalEvent

log = logging.getLogger(__name__)

STREAM = "zhiku:events:approvals"
STREAM_MAXLEN = 100_000
DEFAULT_TRIGGERS = Path(__file__).resolve().parents[1] / "demo" / "triggers.yaml"


def load_triggers(path: Path | None = None) -> dict[str, list[str]]:
    """``{completed process id: [process ids started after it]}`` from a YAML mapping."""
    path = path or DEFAULT_TRIGGERS
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): [str(v) for v in vs] for k, vs in data.items()}


class EventStream:
    """Publish events to a Redis stream; follow it from any process. Approval events by default;
    any flat mapping of strings (lists in ``list_fields`` travel as JSON)."""

    def __init__(
        self, kv: redis.Redis, name: str = STREAM, *, list_fields: tuple[str, ...] = ("recipients",)
    ) -> None:
        self.kv = kv
        self.name = name
        self.list_fields = list_fields

    def publish(self, event: ApprovalEvent | Mapping[str, Any]) -> None:
        data: Any = dict(event.as_dict() if isinstance(event, ApprovalEvent) else event)
        for key in self.list_fields:
            data[key] = json.dumps(data.get(key) or [], ensure_ascii=False)
        self.kv.xadd(self.name, data, maxlen=STREAM_MAXLEN, approximate=True)

    async def follow(
        self, kv: redis.asyncio.Redis, *, since: str = "$", block_ms: int = 2000
    ) -> AsyncIterator[dict[str, Any]]:
        """Events after ``since`` (default: from now on), forever; each with its stream ``id``.

        ``block_ms`` stays under redis-py 8's default 5 s socket timeout: a longer blocking XREAD on
        a quiet stream ends in ``TimeoutError`` instead of an empty answer."""
        last = since
        while True:
            batches: Any = await kv.xread({self.name: last}, block=block_ms, count=100)
            for _stream, entries in batches or []:
                for entry_id, fields in entries:
                    last = entry_id
                    event = dict(fields)
                    for key in self.list_fields:
                        event[key] = json.loads(event.get(key) or "[]")
                    event["id"] = entry_id
                    yield event


class StreamHub:
    """One follower of a stream per process, fanning events out to local subscribers (chat sockets,
    GraphQL subscriptions) by key — so a thousand subscribers cost one Redis connection, and none
    holds a connection of its own that could outlive it. ``keys(event)`` names who an event is for."""

    def __init__(
        self,
        stream: EventStream,
        kv: redis.asyncio.Redis,
        *,
        keys: Callable[[dict[str, Any]], Iterable[str]],
        name: str = "stream-hub",
    ) -> None:
        self.stream = stream
        self.kv = kv
        self.keys = keys
        self.name = name
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._task: asyncio.Task[None] | None = None
        #: Also told of every event (e.g. the WeCom layer, for tickets raised in WeCom).
        self.listeners: list[Callable[[dict[str, Any]], Awaitable[None]]] = []
        self._pending: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        for task in list(self._pending):
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def subscribe(self, key: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._queues.setdefault(key, set()).add(queue)
        return queue

    def unsubscribe(self, key: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        queues = self._queues.get(key)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[key]

    @contextlib.asynccontextmanager
    async def subscription(self, key: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue = self.subscribe(key)
        try:
            yield queue
        finally:
            self.unsubscribe(key, queue)

    async def missed(self, key: str, since: str) -> list[dict[str, Any]]:
        """Events for ``key`` after stream id ``since`` (a client resuming after a reconnect)."""
        entries: Any = await self.kv.xrange(self.stream.name, min=f"({since}", max="+", count=1000)
        return [
            {**fields, "id": entry_id} for entry_id, fields in entries or [] if key in set(self.keys(fields))
        ]

    async def _run(self) -> None:
        last = "$"
        while True:
            try:
                async for event in self.stream.follow(self.kv, since=last):
                    last = event["id"]
                    for key in set(self.keys(event)):
                        for queue in list(self._queues.get(key, ())):
                            if not queue.full():
                                queue.put_nowait(event)
                    for listener in self.listeners:  # never held up by a slow listener
                        task: asyncio.Task[None] = asyncio.ensure_future(listener(event))
                        self._pending.add(task)
                        task.add_done_callback(self._pending.discard)
            except asyncio.CancelledError:
                raise
            except Exception:  # the store went away: retry from the last event seen
                log.warning("%s: event stream unavailable; retrying in 2 s", self.name, exc_info=True)
                await asyncio.sleep(2)


def approval_hub(stream: EventStream, kv: redis.asyncio.Redis) -> StreamHub:
    """Approval events by person involved (recipients, actor) and by ``instance:<id>``."""

    def keys(event: dict[str, Any]) -> list[str]:
        return [
            *event.get("recipients", []),
            event.get("actor", ""),
            f"instance:{event.get('instance_id', '')}",
        ]

    return StreamHub(stream, kv, keys=keys, name="approval-hub")


class WebhookSender:
    """POST each event as JSON to the configured URLs, signed with HMAC-SHA256 of the body
    (``X-Zhiku-Signature: sha256=…``), in the background, retried with backoff."""

    def __init__(self, urls: list[str], secret: str, *, timeout_s: float = 5.0, attempts: int = 4) -> None:
        self.urls = urls
        self.secret = secret.encode()
        self.timeout_s = timeout_s
        self.attempts = attempts
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")
        self.delivered = 0
        self.failed = 0

    def __call__(self, event: ApprovalEvent) -> None:
        body = json.dumps(event.as_dict(), ensure_ascii=False).encode()
        for url in self.urls:
            self._pool.submit(self._deliver, url, body)

    def _deliver(self, url: str, body: bytes) -> None:
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Zhiku-Signature": f"sha256={signature}"}
        try:
            for attempt in Retrying(
                retry=retry_if_exception_type(httpx.HTTPError),
                wait=wait_exponential(multiplier=0.5, max=10),
                stop=stop_after_attempt(self.attempts),
                reraise=True,
            ):
                with attempt:
                    httpx.post(url, content=body, headers=headers, timeout=self.timeout_s).raise_for_status()
            self.delivered += 1
        except httpx.HTTPError as exc:
            self.failed += 1
            log.error("webhook %s failed after %d attempts: %s", url, self.attempts, exc)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
