"""Keeps one embedded FalkorDB server alive exactly as long as Zhiku processes use it.

Started detached (its own session) by :class:`graph.embedded.EmbeddedServer`, it runs
``redis-server --loadmodule falkordb.so`` as its child and watches the server's client list. Every
Zhiku connection is named ``zhiku:<pid>``; when none has been connected for ``--idle`` seconds the
supervisor asks the server to ``SHUTDOWN SAVE`` and exits. So several processes (API workers, the
crawler, the CLI) share one server, any of them may exit first, and when the last one goes — even by
``kill -9``, since its socket closes — the server goes too. If the supervisor itself is killed, the
kernel sends the server SIGTERM (``PR_SET_PDEATHSIG``) and Redis saves and exits: no orphans.

This module imports only the standard library and ``redis`` so it starts fast.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

CLIENT_PREFIX = "zhiku:"
SUPERVISOR_NAME = "zhiku-supervisor"
_PR_SET_PDEATHSIG = 1
#: A freshly started server gets this long to see its first client before idling counts.
FIRST_CLIENT_GRACE_S = 5.0
#: Probes fail fast: a dead socket must not cost seconds of reconnect back-off.
NO_RETRY = Retry(NoBackoff(), 0)
#: Written when the supervisor ends, holding the server's exit code; one name per launch, so a
#: previous supervisor finishing late cannot be mistaken for the new one failing.
EXIT_FILE = "supervisor.exit"
#: A server whose socket cannot be reached this long is stopped.
UNREACHABLE_LIMIT_S = 10.0


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def server_command(
    redis_server: Path, module: Path, data_dir: Path, socket_path: Path, snapshot_s: int = 5
) -> list[str]:
    """The redis-server command line: unix socket only, RDB snapshot within ``snapshot_s`` of a change."""
    return [
        str(redis_server),
        "--port", "0",  # no TCP: only processes of this user reach the socket
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--dbfilename", "zhiku.rdb",
        # RDB snapshots only. The append-only log is off on purpose: replaying FalkorDB 4.22's
        # GRAPH.EFFECT entries from the AOF crashed the server (SIGSEGV in Effects_Apply) after a
        # graph was created, written and deleted across restarts (tests/graph/test_embedded_server.py
        # reproduces the sequence). A snapshot follows any change within `snapshot_s` seconds, and
        # every clean stop saves; a kill -9 loses at most the last few seconds, which idempotent,
        # resumable ingestion re-does.
        "--appendonly", "no",
        "--save", f"{int(snapshot_s)} 1",
        "--logfile", str(data_dir / "falkordb.log"),
        "--pidfile", str(data_dir / "redis.pid"),
        "--daemonize", "no",
        "--loadmodule", str(module.resolve()),
    ]  # fmt: skip


def zhiku_clients(client: redis.Redis) -> int:
    """How many Zhiku connections the server has now."""
    listing = client.client_list()
    return sum(1 for c in listing if str(c.get("name", "")).startswith(CLIENT_PREFIX))


def _daemonize() -> None:
    """Fork so the launcher can reap its child at once; the grandchild leads a new session."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.dir)
    if args.daemonize:
        _daemonize()
    socket_path = Path(args.socket)
    cmd = server_command(Path(args.redis_server), Path(args.module), data_dir, socket_path, args.snapshot)
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent
    )
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    pid_file = data_dir / "supervisor.pid"
    pid_file.write_text(str(os.getpid()))
    client = redis.Redis(unix_socket_path=str(socket_path), client_name=SUPERVISOR_NAME, retry=NO_RETRY)
    last_seen = time.monotonic() + FIRST_CLIENT_GRACE_S
    unreachable_since: float | None = None
    try:
        while proc.poll() is None:
            time.sleep(args.poll)
            if stopping:
                break
            try:
                count = zhiku_clients(client)
                unreachable_since = None
            except redis.ConnectionError:
                # Still starting, or its socket file was deleted (data directory removed): nobody can
                # reach this server any more, so it must not linger.
                now = time.monotonic()
                unreachable_since = unreachable_since or now
                if now - unreachable_since > UNREACHABLE_LIMIT_S:
                    proc.kill()  # its directory is gone too, so a save could not succeed
                continue
            if count > 0:
                last_seen = time.monotonic()
            elif args.idle >= 0 and time.monotonic() - last_seen > args.idle:
                break
        if proc.poll() is None:
            proc.terminate()  # Redis treats SIGTERM as SHUTDOWN: fsync the AOF, save, remove the socket
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        # A newer supervisor may already own the directory (this one's server was killed): only
        # remove our own pid file.
        if pid_file.exists() and pid_file.read_text().strip() == str(os.getpid()):
            pid_file.unlink(missing_ok=True)
        # Tells the launcher that started *this* supervisor that it is gone, and why (the exit code).
        if args.exit_file:
            (data_dir / args.exit_file).write_text(str(proc.wait()))
    return proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--redis-server", required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument("--idle", type=float, default=3.0)
    parser.add_argument("--poll", type=float, default=0.5)
    parser.add_argument(
        "--snapshot", type=int, default=5, help="snapshot within this many seconds of a change"
    )
    parser.add_argument("--daemonize", action="store_true", help="fork into the background first")
    parser.add_argument("--exit-file", default="", help="file (in --dir) written with the exit code")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
