"""TLS for ``zhiku serve``: TLS 1.3 only.

uvicorn builds the server's ``SSLContext`` from ``--tls-cert``/``--tls-key`` (``ssl_certfile``,
``ssl_keyfile``); :func:`tls13_context` is its ``ssl_context_factory`` and raises the floor to TLS 1.3
(Python's default floor is 1.2). It is a module-level function because uvicorn pickles its config
into every ``--workers`` process. :func:`check_server_files` loads the pair once before serving, so a
wrong path or a key that does not match the certificate is one clear line instead of a traceback from
each worker.

Example::

    uvicorn.Config(app, ssl_certfile="cert.pem", ssl_keyfile="key.pem", ssl_context_factory=tls13_context)
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhiku.errors import ConfigError

MINIMUM = ssl.TLSVersion.TLSv1_3


def tls13_context(config: Any, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's own context for the configured certificate and key, refusing anything below TLS 1.3."""
    context = default()
    context.minimum_version = MINIMUM
    return context


def check_server_files(cert: Path | None, key: Path | None) -> None:
    """Both or neither; readable; the key matches the certificate — else :class:`ConfigError`."""
    if cert is None and key is None:
        return
    if cert is None or key is None:
        raise ConfigError(
            "TLS 需要同时给出证书和私钥（--tls-cert 与 --tls-key）",
            "TLS needs both a certificate and its key (--tls-cert and --tls-key)",
            hint="或设置 ZHIKU_TLS_CERT 与 ZHIKU_TLS_KEY / or set ZHIKU_TLS_CERT and ZHIKU_TLS_KEY",
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise ConfigError(
            f"无法加载 TLS 证书或私钥：{cert}、{key}（{reason}）",
            f"cannot load the TLS certificate or key {cert}, {key}: {reason}",
            hint="证书与私钥须为 PEM 格式且相互匹配 / both PEM, and the key must match the certificate",
        ) from None
