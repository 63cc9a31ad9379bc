"""The loopback helpers the benchmarks start ``zhiku serve`` with (a real child process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from zhiku.errors import ServerNotStarted
from zhiku.loopback import free_port, serving, wait_healthy


def test_serving_answers_healthz_then_stops_the_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_")}
    env.update({"ZHIKU_DATA_DIR": str(tmp_path / "data"), "ZHIKU_GRAPH_IDLE_SHUTDOWN_S": "0.5"})
    with serving(env) as server:
        assert httpx.get(f"{server.base}/healthz", timeout=10).status_code == 200
        assert server.process.poll() is None
    assert server.process.poll() is not None  # stopped when the block ended
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base}/healthz", timeout=2)


def test_a_server_that_exits_before_answering_is_reported_with_its_exit_code() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(ServerNotStarted, match="exited with 3"):
        wait_healthy(f"http://127.0.0.1:{free_port()}", timeout_s=60, process=process)


def test_a_port_nothing_answers_on_times_out() -> None:
    with pytest.raises(ServerNotStarted, match="did not answer"):
        wait_healthy(f"http://127.0.0.1:{free_port()}", timeout_s=0)
