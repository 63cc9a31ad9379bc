"""Redis for what the design needs Redis for: the event stream, token caches, callback de-duplication,
push records with a TTL.

By default it is the embedded graph server itself (FalkorDB is a Redis module, so the server that
holds the graph also answers plain Redis commands); ``ZHIKU_REDIS_URL`` points at a real Redis, and
must when the graph is Neo4j. ``redis+sentinel://[:password@]host:port[,host:port]/service`` follows
the primary that Redis Sentinel names for ``service`` (the same URL form as the ``limits`` package);
a ``ZHIKU_GRAPH_URI`` naming a Sentinel gives this URL (graph/falkordb_store.py).

Example::

    kv = open_kv(settings, store)
    kv.set("zhiku:hello", "1", ex=60)
"""

from __future__ import annotations

import os
import ssl
from typing import Any, cast
from urllib.parse import unquote

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel

from graph.base import GraphStore
from graph.supervisor import CLIENT_PREFIX
from zhiku.errors import ConfigError
from zhiku.settings import Settings


def kv_url(settings: Settings, store: GraphStore) -> str:
    """The Redis URL to use with this store."""
    if settings.redis_url:
        return settings.redis_url
    url = str(getattr(store, "kv_url", "") or "")
    if not url:
        raise ConfigError(
            "图数据库为 Neo4j 时需要设置 ZHIKU_REDIS_URL（事件流、缓存与去重用）",
            "ZHIKU_REDIS_URL is required when the graph is Neo4j (event stream, caches, de-duplication)",
            hint="例如 ZHIKU_REDIS_URL=redis://localhost:6379/0",
        )
    return url


def tls_options(url: str) -> dict[str, Any]:
    """For a ``rediss://`` URL: TLS 1.3 at least, unless the URL sets ``ssl_min_version`` itself.
    Everything else about TLS comes from the URL's query, as redis-py reads it: ``ssl_ca_certs``
    (the CA that signed the server's certificate; default: the system's), ``ssl_certfile`` and
    ``ssl_keyfile`` (a client certificate, for ``tls-auth-clients yes``), ``ssl_check_hostname``.
    The certificate is always verified (``ssl_cert_reqs=required``, redis-py's default)."""
    if not url.lower().startswith("rediss://") or "ssl_min_version=" in url:
        return {}
    return {"ssl_min_version": ssl.TLSVersion.TLSv1_3}


def _options(url: str, *, decode: bool = True) -> dict[str, Any]:
    return {"client_name": f"{CLIENT_PREFIX}kv-{os.getpid()}", "decode_responses": decode, **tls_options(url)}


SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379


def sentinel_url(netloc: str, service: str) -> str:
    """The kv URL for the primary Sentinel names ``service`` (``netloc``: ``[:password@]host:port``)."""
    return f"{SENTINEL_SCHEME}://{netloc}/{service}"


def _sentinel_parts(url: str) -> tuple[list[tuple[str, int]], str | None, str]:
    """Sentinels, password and service of a ``redis+sentinel://`` URL (urlparse takes one host only)."""
    rest = url.split("://", 1)[1]
    netloc, _, service = rest.partition("/")
    credentials, _, hosts = netloc.rpartition("@")
    password = (unquote(credentials.partition(":")[2]) or None) if credentials else None
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
        sentinels.append((name, int(port or SENTINEL_PORT)))
    service = service.split("?", 1)[0].strip("/")
    if not service:
        raise ConfigError(
            f"Sentinel 地址缺少服务名：{SENTINEL_SCHEME}://…/<服务名>",
            f"a Sentinel URL needs the service name: {SENTINEL_SCHEME}://host:port/<service>",
        )
    return sentinels, password, service


def _sentinel_master(sentinel_class: Any, url: str, options: dict[str, Any]) -> Any:
    """A client for the primary Sentinel names (redis-py's sync or asyncio ``Sentinel``): it asks
    again after a failover, so the client outlives the primary it started on."""
    sentinels, password, service = _sentinel_parts(url)
    auth = {"password": password} if password else {}
    return sentinel_class(sentinels, sentinel_kwargs=auth, **auth).master_for(service, **options)


def _is_sentinel(url: str) -> bool:
    return url.lower().startswith(f"{SENTINEL_SCHEME}://")


def open_kv(settings: Settings, store: GraphStore, *, decode: bool = True) -> redis.Redis:
    """A synchronous client (strings in, strings out; with ``decode=False`` bytes, e.g. for the
    compressed dialog sessions)."""
    url = kv_url(settings, store)
    if _is_sentinel(url):
        return cast(redis.Redis, _sentinel_master(redis.sentinel.Sentinel, url, _options(url, decode=decode)))
    return redis.Redis.from_url(url, **_options(url, decode=decode))


def open_async_kv(url: str) -> redis.asyncio.Redis:
    """An asyncio client for the same server (subscriptions, the WeCom layer)."""
    if _is_sentinel(url):
        master = _sentinel_master(redis.asyncio.sentinel.Sentinel, url, _options(url))
        return cast(redis.asyncio.Redis, master)
    return redis.asyncio.Redis.from_url(url, **_options(url))
