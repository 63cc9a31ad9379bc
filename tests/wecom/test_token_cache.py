"""The access-token cache when the shared Redis stalls: the lookup is retried with back-off and, when
Redis stays silent, fails as a retryable Zhiku error — never a raw ``redis`` TimeoutError.

Redis is the session's real embedded server behind a loopback TCP proxy that swallows the commands of
its first connections without answering (what an overloaded server looks like to a client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from urllib.parse import urlparse

import pytest
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from wecom import client as client_module
from wecom.client import WeComClient
from wecom.fake import FakeWeCom
from zhiku.errors import SharedStateUnavailable
from zhiku.loopback import running

CORP = "ww-token-test"


@asynccontextmanager
async def stalling_proxy(unix_path: str, stall: int) -> AsyncIterator[tuple[str, list[int]]]:
    """A TCP proxy to Redis on ``unix_path`` whose first ``stall`` connections never answer."""
    seen: list[int] = []

    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        dst.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(len(seen) + 1)
        if len(seen) <= stall:
            with suppress(ConnectionError):
                while await reader.read(65536):
                    pass
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_unix_connection(unix_path)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}", seen
    finally:
        server.close()


def _token(store, fake: FakeWeCom, stall: int) -> tuple[str | BaseException, int]:
    async def go() -> tuple[str | BaseException, int]:
        async with stalling_proxy(urlparse(store.kv_url).path, stall) as (url, seen):
            # No retries inside redis-py: the client's own back-off is what is tested.
            kv = redis.asyncio.Redis.from_url(
                url, decode_responses=True, socket_timeout=0.2, retry=Retry(NoBackoff(), 0)
            )
            try:
                async with WeComClient(CORP, "s", fake.agent_id, kv, base_url=base) as client:
                    try:
                        return await client.token(), len(seen)
                    except SharedStateUnavailable as exc:
                        return exc, len(seen)
            finally:
                await kv.aclose()

    with running(fake.app) as base:
        return asyncio.run(go())


@pytest.fixture
def fake() -> FakeWeCom:
    return FakeWeCom(corp_id=CORP, secret="s", token="t", aes_key="a" * 43)


@pytest.fixture
def quick_backoff(monkeypatch) -> None:
    monkeypatch.setattr(client_module, "TOKEN_RETRY_WAIT_S", 0.01)


def test_a_stalled_token_cache_is_retried_on_a_new_connection(store, fake, quick_backoff) -> None:
    token, connections = _token(store, fake, stall=1)
    assert isinstance(token, str) and token
    assert connections >= 2  # the first one timed out; the retry went through


def test_a_token_cache_that_stays_silent_is_a_retryable_error(store, fake, quick_backoff) -> None:
    error, connections = _token(store, fake, stall=1000)
    assert isinstance(error, SharedStateUnavailable)
    assert error.retryable and error.code == "SHARED_STATE_UNAVAILABLE"
    assert "TimeoutError" in error.message_en and "Redis" in error.message_zh
    assert connections == client_module.TOKEN_ATTEMPTS
