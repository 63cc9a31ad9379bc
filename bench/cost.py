"""One small request must not stall the server (issue 16): the audit's nested query — six aliases of
``entities(first: 30) { … relations(first: 30) { target { relations(first: 30) { target {
relations(first: 30) { type } } } } } }``, 825 bytes sent by an ordinary employee — against a real
``zhiku serve`` on the demo company, and the same query with the largest ``first`` that stays under
the cost limit (``ZHIKU_GRAPHQL_MAX_COST``).

For each: one request alone (HTTP status, error code, time, bytes), then 8 clients sending it back to
back for ``--seconds`` while another process probes ``GET /healthz`` every 10 ms (healthz p50 / p99 /
max) — and, for comparison, 8 clients sending the cheapest request there is (``{ me { id } }``).
Requests carry ``Cache-Control: no-cache`` so each is executed. The server, the clients and the probe
share the machine's cores (the load average before the run is printed), so the figures are a floor.
``--unlimited`` adds a run with the limit lifted — every request executes, however costly, and none
waits for a turn (heavy requests take turns from a tenth of the limit) — as the server was before:
the audit's query alone, what it costs and how /healthz fares while it runs, and the at-limit query
from 8 clients without turns.

    python bench/cost.py [--seconds 10] [--unlimited]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx
import numpy as np
from graphql import parse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.graphql.cost import query_cost
from api.graphql.schema import build_schema
from bench.graph_load import machine
from bench.harness import server_env, zhiku
from zhiku.loopback import serving
from zhiku.settings import Settings

EMPLOYEE = "E1030"  # 行政部主管: an ordinary employee
NESTED = (
    "entities(first:{n}){{edges{{node{{id name relations(first:{n}){{type target{{id relations(first:{n})"
    "{{type target{{id relations(first:{n}){{type}}}}}}}}}}}}}}}}"
)
CLIENTS = 8
PROBE_S = 0.010


def nested(first: int) -> str:
    return "{" + " ".join(f"a{i}:" + NESTED.format(n=first) for i in range(6)) + "}"


def cost(query: str) -> int:
    return query_cost(build_schema(Settings())._schema, parse(query))


def largest_first_within(limit: int) -> int:
    first = 1
    while cost(nested(first + 1)) <= limit:
        first += 1
    return first


def _code(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return "not JSON"
    return str(errors[0].get("extensions", {}).get("code", "?")) if errors else "-"


async def once(
    client: httpx.AsyncClient, query: str, headers: dict[str, str]
) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    return response, (time.perf_counter() - started) * 1000


def probe(base: str, stop: EventType, out: Connection) -> None:
    """``GET /healthz`` every 10 ms until ``stop``; sends back each one's latency in ms. Run in a process
    of its own, so that the load clients' work does not delay the probe's own clock."""
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.get("/healthz")
            took = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"/healthz answered {response.status_code}: {response.text}")
            latencies.append(took * 1000)
            time.sleep(max(0.0, PROBE_S - took))
    out.send(latencies)


class Prober:
    """The healthz probe in a child process, for the duration of a ``with`` block."""

    def __init__(self, base: str) -> None:
        self.stop = multiprocessing.Event()
        self.receive, send = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.Process(target=probe, args=(base, self.stop, send), daemon=True)
        self.latencies: list[float] = []

    def __enter__(self) -> Prober:
        self.process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.latencies = self.receive.recv()
        self.process.join(timeout=30)


async def under_load(
    base: str, query: str, headers: dict[str, str], seconds: float
) -> tuple[list[float], list[float], set[str]]:
    """``CLIENTS`` clients sending ``query`` back to back for ``seconds``, healthz probed meanwhile."""
    latencies: list[float] = []
    codes: set[str] = set()

    async def client_loop() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=300) as client:
            while time.perf_counter() < deadline:
                response, took = await once(client, query, headers)
                latencies.append(took)
                codes.add(f"{response.status_code} {_code(response)}")

    with Prober(base) as prober:
        await asyncio.sleep(0.5)  # the prober is running before the load starts
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))
    return latencies, prober.latencies, codes


def _ms(values: list[float], q: float) -> str:
    return f"{np.percentile(values, q):8.1f}" if values else f"{'-':>8}"


async def run(base: str, token: str, seconds: float, first: int, loaded: bool) -> None:
    """``loaded``: also the 8-client phase for the audit's query (off when the limit is lifted: each of
    those requests then runs for many seconds)."""
    headers = {"Authorization": f"Bearer {token}", "Cache-Control": "no-cache"}
    cases = [(f"first={n}", nested(n)) for n in sorted({30, first}, reverse=True)]
    with Prober(base) as prober:
        await asyncio.sleep(2)
    idle = prober.latencies
    print(
        f"healthz, idle: {len(idle)} probes, p50 {_ms(idle, 50).strip()} ms, p99 {_ms(idle, 99).strip()} ms"
    )
    print(f"\none request alone (6 aliases, {len(nested(30).encode())} bytes at first=30), /healthz probed:")
    print(f"{'query':10} {'cost':>9} {'status':>6} {'code':>17} {'ms':>9} {'bytes':>9} │ {'healthz':>7} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")  # fmt: skip
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        for name, query in cases:
            with Prober(base) as prober:
                await asyncio.sleep(0.5)
                response, took = await once(client, query, headers)
            h, size = prober.latencies, len(response.content)
            print(f"{name:10} {cost(query):9d} {response.status_code:6d} {_code(response):>17} {took:9.1f} "
                  f"{size:9d} │ {len(h):7d} {_ms(h, 50)} {_ms(h, 99)} {_ms(h, 100)}")  # fmt: skip
    print(
        f"\n{CLIENTS} clients back to back for {seconds:.0f} s, GET /healthz every {PROBE_S * 1000:.0f} ms:"
    )
    print(f"{'query':14} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} │ {'healthz':>7} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  answers")  # fmt: skip
    # the cheapest request for comparison: what 8 clients flooding one worker cost /healthz anyway
    baseline = [("{ me { id } }", "{ me { id } }")]
    for name, query in baseline + (cases if loaded else cases[1:]):
        lat, health, codes = await under_load(base, query, headers, seconds)
        answers = ", ".join(sorted(codes))
        print(f"{name:14} {len(lat):8d} {_ms(lat, 50)} {_ms(lat, 99)} {_ms(lat, 100)} │ {len(health):7d} "
              f"{_ms(health, 50)} {_ms(health, 99)} {_ms(health, 100)}  {answers}")  # fmt: skip


def serve(seconds: float, limit: int, first: int, label: str) -> None:
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-cost-") as tmp:
        env = server_env(tmp, graphql_max_cost=str(limit))
        zhiku("demo", "load", env=env)
        token = zhiku("token", EMPLOYEE, env=env).stdout.strip()
        with serving(env) as server:
            print(f"\n== server: zhiku serve, 1 worker, demo company, {label}")
            asyncio.run(run(server.base, token, seconds, first, loaded=limit < 10**15))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--unlimited", action="store_true", help="also run with the cost limit lifted")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.1f}")
    limit = Settings().graphql_max_cost
    first = largest_first_within(limit)  # the legitimate variant: the most the limit allows
    serve(args.seconds, limit, first, f"ZHIKU_GRAPHQL_MAX_COST={limit} (the default)")
    if args.unlimited:
        serve(args.seconds, 10**15, first, "cost limit lifted")


if __name__ == "__main__":
    main()
