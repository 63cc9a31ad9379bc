"""Approval status events out of the engine: a Redis stream (the embedded graph server is a Redis
server), signed webhooks for downstream systems, and the follow-up triggers file.

The stream itself (:class:`graph.streams.EventStream`, followed once per process by a
:class:`graph.streams.StreamHub`) is the shared Redis's, not the approvals'.

Example::

    stream = approval_stream(open_kv(settings, store))
    engine = ApprovalEngine(store, listeners=[stream.publish])
    async for event in stream.follow(async_kv):   # a GraphQL subscription
        ...
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import redis
import redis.asyncio
import yaml
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from approvals.engine import ApprovalEvent
from graph.streams import EventStream, StreamHub

log = logging.getLogger(__name__)

STREAM = "zhiku:events:approvals"
DEFAULT_TRIGGERS = Path(__file__).resolve().parents[1] / "demo" / "triggers.yaml"


def load_triggers(path: Path | None = None) -> dict[str, list[str]]:
    """``{completed process id: [process ids started after it]}`` from a YAML mapping."""
    path = path or DEFAULT_TRIGGERS
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): [str(v) for v in vs] for k, vs in data.items()}


def approval_stream(kv: redis.Redis) -> EventStream:
    """The approval events' stream (their ``recipients`` travel as a JSON list)."""
    return EventStream(kv, STREAM, list_fields=("recipients",))


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
