"""Servers on loopback for tests, benchmarks and local demos: an ASGI app in a background thread
(:func:`running`), or a real ``zhiku serve`` child process, waited for until ``/healthz`` answers
(:func:`serving`; :func:`spawn_serve` + :func:`wait_healthy` + :func:`stop` to start several at once).

Example::

    with running(app) as base_url:
        httpx.get(f"{base_url}/healthz")

    with serving({**os.environ, "ZHIKU_DATA_DIR": tmp}) as server:
        httpx.post(f"{server.base}/graphql", json={"query": "{ me { id } }"})
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhiku.errors import PortInUse, ServerNotStarted

#: The checkout ``zhiku serve`` children run in (so ``python -m zhiku.cli`` finds this tree).
ROOT = Path(__file__).resolve().parent.parent


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


@dataclass(frozen=True, slots=True)
class Served:
    """A ``zhiku serve`` child process and where it listens."""

    process: subprocess.Popen[bytes]
    base: str
    #: started in its own session (:func:`stop` then signals its whole process group: the workers)
    group: bool = False


def spawn_serve(
    env: Mapping[str, str],
    *,
    port: int | None = None,
    args: Sequence[str] = (),
    new_session: bool = False,
    log: Path | None = None,
) -> Served:
    """Start ``zhiku serve --port PORT [args]`` with ``env`` (its output discarded, or appended to
    ``log``); do not wait. With ``--tls-cert`` (or ``ZHIKU_TLS_CERT``) its base URL is ``https://``."""
    port = port or free_port()
    output: Any = log.open("ab") if log is not None else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "zhiku.cli", "serve", "--port", str(port), *args],
            cwd=ROOT,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
            start_new_session=new_session,
        )
    finally:
        if log is not None:
            output.close()  # the child has its own descriptor
    scheme = "https" if "--tls-cert" in args or env.get("ZHIKU_TLS_CERT") else "http"
    return Served(process, f"{scheme}://127.0.0.1:{port}", new_session)


def wait_healthy(
    base: str,
    *,
    timeout_s: float = 120.0,
    process: subprocess.Popen[bytes] | None = None,
    verify: ssl.SSLContext | bool = True,
) -> None:
    """Poll ``base``/healthz until it answers 200; :class:`ServerNotStarted` if ``process`` exits
    first or ``timeout_s`` passes. ``verify``: how to check an ``https://`` server's certificate."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            raise ServerNotStarted(
                f"服务进程已退出（退出码 {process.returncode}）：{base}",
                f"the server process exited with {process.returncode} before {base} answered /healthz",
            )
        try:
            if httpx.get(f"{base}/healthz", timeout=2, verify=verify).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ServerNotStarted(
                f"服务在 {timeout_s:.0f} 秒内未就绪：{base}",
                f"{base} did not answer /healthz within {timeout_s:.0f} s",
            )
        time.sleep(0.5)


def stop(server: Served, *, timeout_s: float = 60.0) -> None:
    """SIGTERM (to the process group when it has one), wait, SIGKILL if it does not end in time."""
    process = server.process
    if process.poll() is None:
        if server.group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        if server.group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait(timeout=timeout_s)


@contextmanager
def serving(
    env: Mapping[str, str],
    *,
    args: Sequence[str] = (),
    start_timeout_s: float = 120.0,
    verify: ssl.SSLContext | bool = True,
    log: Path | None = None,
) -> Iterator[Served]:
    """``zhiku serve`` on a free loopback port for the block, healthy when the block starts."""
    server = spawn_serve(env, args=args, log=log)
    try:
        wait_healthy(server.base, timeout_s=start_timeout_s, process=server.process, verify=verify)
        yield server
    finally:
        stop(server)
