"""Approval status events out of the engine: a Redis stream (the embedded graph server is a Redis
server), signed webhooks for downstream systems, and the follow-up triggers file.

Example::

    stream = EventStream(open_kv(settings, store))
    engine = ApprovalEngine(store, listeners=[stream.publish])
    async for event in stream.follow(async_kv):   # a GraphQL subscription
        ...
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Mapping
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
