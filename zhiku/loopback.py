"""Run an ASGI app on a loopback port in a background thread (tests, benchmarks, local demos).

Example::

    with running(app) as base_url:
        httpx.get(f"{base_url}/healthz")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from zhiku.errors import PortInUse


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(
    app: Any, *, port: int | None = None, start_timeout_s: float = 30.0, **config: Any
) -> Iterator[str]:
    """Serve ``app`` with uvicorn (lifespan on) until the block exits; yields its base URL.
    ``config``: more :class:`uvicorn.Config` options (``log_config``, ``log_level``…)."""
    import uvicorn

    port = port or free_port()
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "on", **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, name=f"loopback-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        server.should_exit = True
        raise PortInUse(f"回环服务未能在端口 {port} 启动", f"loopback server did not start on port {port}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
