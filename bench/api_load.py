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
prints the 1-minute load average after it: figures from a busy machine are not comparable. Compare
server settings on the same machine state with ``--server ZHIKU_EMBED_BATCH_MAX=1`` etc. The httpx pass also
reports the share of ``entity`` answers served from the cache. Bounded: each cell runs at most
``--seconds`` seconds and ``--requests`` requests.

    python bench/api_load.py [--seconds 10] [--requests 5000] [--workers 1] [--only ask-distinct]
                             [--server ZHIKU_EMBED_THREADS=0 --server ZHIKU_EMBED_BATCH_MAX=1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

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
QUERY_OF = {**{k: k for k in QUERIES}, "entity-nc": "entity", "ask-distinct": "ask"}
#: concurrent clients per row (``ask-distinct``: the issue's capacity targets)
CLIENTS = {"ask-distinct": (1, 16, 32)}
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
            r = await client.post(
                "/graphql", json={"query": QUERIES[QUERY_OF[kind]], "variables": variables}, headers=headers
            )
            latencies.append((time.perf_counter() - t) * 1000)
            hits += r.headers.get("x-zhiku-cache") == "hit"
            if r.status_code != 200 or r.json().get("errors"):
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return len(latencies), time.perf_counter() - started, latencies, errors, hits


async def run(
    base: str, tokens: list[str], seconds: float, limit: int, kinds: list[str], ids: list[str]
) -> None:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        questions = [i.question for i in load_eval()]
        # cold: every question once, one client (embedding + hybrid search + answer composition)
        cold = []
        for q in questions if "ask" in kinds else []:
            t = time.perf_counter()
            await client.post("/graphql", json={"query": QUERIES["ask"], "variables": {"q": q}},
                              headers={"Authorization": f"Bearer {tokens[0]}"})  # fmt: skip
            cold.append((time.perf_counter() - t) * 1000)
        if cold:
            print(f"ask, cold (each of {len(questions)} questions for the first time, 1 client): "
                  f"{len(cold) / (sum(cold) / 1000):.0f} req/s, p50 {np.percentile(cold, 50):.1f} ms, "
                  f"p99 {np.percentile(cold, 99):.1f} ms")  # fmt: skip
        columns = ("clients", "requests", "req/s", "p50 ms", "p99 ms")
        print(
            "\n"
            + f"{'query':12} "
            + " ".join(f"{c:>8}" for c in columns)
            + f" {'errors':>6} {'cached':>6} load"
        )
        for kind in kinds:
            for concurrency in CLIENTS.get(kind, DEFAULT_CLIENTS):
                n, elapsed, lat, errors, hits = await cell(
                    client, kind, concurrency, seconds, limit, tokens, ids
                )
                load = os.getloadavg()[0]
                print(f"{kind:12} {concurrency:8d} {n:8d} {n / elapsed:8.0f} {np.percentile(lat, 50):8.1f} "
                      f"{np.percentile(lat, 99):8.1f} {errors:6d} {hits / n:6.0%} {load:4.1f}")  # fmt: skip


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


def run_wrk(base: str, tokens: list[str], seconds: float, kinds: list[str], ids: list[str]) -> None:
    """The same cells with wrk (a C load generator: the server gets more of the 2 cores)."""
    import json
    import re

    questions = [i.question for i in load_eval()]
    with tempfile.TemporaryDirectory(prefix="zhiku-wrk-") as tmp:
        script = Path(tmp) / "zhiku.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        token_file = Path(tmp) / "tokens.txt"
        token_file.write_text("\n".join(tokens) + "\n", encoding="utf-8")
        print(f"\nwith wrk ({int(seconds)} s per cell, 1 thread):")
        columns = ("clients", "requests", "req/s", "p50 ms", "p99 ms")
        print(f"{'query':9} " + " ".join(f"{c:>8}" for c in columns) + f" {'errors':>6}")
        for kind in kinds:
            query = QUERY_OF[kind]
            bodies = Path(tmp) / f"{kind}.txt"
            variables = [{"id": e} for e in ids] if query == "entity" else [{"q": q} for q in questions]
            lines = [
                json.dumps({"query": QUERIES[query], "variables": v}, ensure_ascii=False) for v in variables
            ]
            bodies.write_text("\n".join(lines) + "\n", encoding="utf-8")
            env = {**os.environ, "ZHIKU_WRK_BODIES": str(bodies), "ZHIKU_WRK_TOKENS": str(token_file),
                   "ZHIKU_WRK_NOCACHE": "1" if kind == "entity-nc" else "0"}  # fmt: skip
            for concurrency in (1, 32, 128):
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
                print(f"{kind:9} {concurrency:8d} {total:8d} {rate:8.0f} {p50:8.1f} {p99:8.1f} {errors:6d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", default=",".join(QUERY_OF), help="comma-separated: " + ",".join(QUERY_OF))
    parser.add_argument("--server", action="append", default=[], metavar="ZHIKU_NAME=VALUE",
                        help="a server setting (repeatable), e.g. ZHIKU_EMBED_BATCH_MAX=1")  # fmt: skip
    args = parser.parse_args()
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp:
        env = server_env(tmp)
        zhiku("demo", "load", env=env)
        tokens = [zhiku("token", e, env=env).stdout.strip() for e in EMPLOYEES]
        env.update(dict(setting.split("=", 1) for setting in args.server))
        with serving(env, args=("--workers", str(args.workers))) as server:
            base = server.base
            extra = f" ({', '.join(args.server)})" if args.server else ""
            print(f"server: zhiku serve, {args.workers} worker(s), demo company, e5-small{extra}")
            kinds = args.only.split(",")
            unknown = set(kinds) - set(QUERY_OF)
            if unknown:
                parser.error(f"unknown --only {sorted(unknown)}; choose from {', '.join(QUERY_OF)}")
            ids = entity_ids(base, tokens[0])
            asyncio.run(run(base, tokens, args.seconds, args.requests, kinds, ids))
            if shutil.which("wrk"):
                run_wrk(base, tokens, args.seconds, kinds, ids)
            else:
                print("\n(wrk not installed: apt-get install wrk for the C load generator's figures)")


if __name__ == "__main__":
    main()
