"""Event streams on the shared Redis (by default the embedded graph server: :mod:`graph.kv`):
events published from any process, followed by any other — approval status changes
(:mod:`approvals.events`), ticket events (:mod:`chat.desk`).

Example::

    stream = EventStream(open_kv(settings, store), "zhiku:events:tickets")
    stream.publish({"ticket": "T1", "employee": "E1030"})
    hub = StreamHub(stream, async_kv, keys=lambda event: [event["employee"]])
    hub.start()                               # one follower per process
    async with hub.subscription("E1030") as queue:
        event = await queue.get()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

import redis
import redis.asyncio

log = logging.getLogger(__name__)

STREAM_MAXLEN = 100_000


class Event(Protocol):
    """An event object that gives its fields as a mapping (e.g. ``approvals.engine.ApprovalEvent``)."""

    def as_dict(self) -> Mapping[str, Any]: ...


class EventStream:
    """Publish events to a Redis stream; follow it from any process. An event is a flat mapping of
    strings, or an object whose ``as_dict()`` gives one; lists in ``list_fields`` travel as JSON."""

    def __init__(self, kv: redis.Redis, name: str, *, list_fields: tuple[str, ...] = ()) -> None:
        self.kv = kv
        self.name = name
        self.list_fields = list_fields

    def publish(self, event: Event | Mapping[str, Any]) -> None:
        data: Any = dict(event if isinstance(event, Mapping) else event.as_dict())
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
