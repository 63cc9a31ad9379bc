"""Soak: a bounded run of mixed traffic against a real ``zhiku serve`` on loopback — questions
(``ask``), searches, approvals (submit, then the approver approves) — while documents are re-ingested
in a loop by another process. Reports requests, errors (any non-200 or GraphQL error) and the server's
resident memory at the start and the end. Prints its figures; asserts nothing.

    python bench/soak.py [--minutes 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine
from bench.harness import server_env, zhiku
from demo.load import DEMO_DIR
from zhiku.loopback import serving

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "年假怎么请？",
    "报销8000元谁审批",
    "公司有班车吗",
    "病假需要什么材料",
    "出差住宿标准是多少",
    "电脑坏了找谁",
]
ASK = "query($q: String!) { ask(question: $q) { answered citations { uri } } }"
SEARCH = "query($q: String!) { search(query: $q, first: 5) { edges { node { chunkId } } } }"
SUBMIT = (
    'mutation($k: String!) { submitApproval(process: "费用报销", amount: 800, reason: "soak",'
    " idempotencyKey: $k) { instance { id pendingWith } } }"
)
ACT = "mutation($id: ID!) { actOnApproval(id: $id, action: APPROVE) { applied } }"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def traffic(base: str, tokens: dict[str, str], seconds: float, clients: int) -> dict[str, int]:
    counts = {"ask": 0, "search": 0, "approve": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=60) as http:

        async def gql(who: str, query: str, variables: dict[str, object]) -> dict[str, object] | None:
            r = await http.post(f"{base}/graphql", json={"query": query, "variables": variables},
                                headers={"Authorization": f"Bearer {tokens[who]}"})  # fmt: skip
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            if r.status_code != 200 or body.get("errors"):
                counts["errors"] += 1
                return None
            return body

        async def client(n: int) -> None:
            rng = random.Random(n)
            i = 0
            while time.monotonic() < deadline:
                i += 1
                roll = rng.random()
                if roll < 0.5:
                    if await gql("E1030", ASK, {"q": rng.choice(QUESTIONS)}):
                        counts["ask"] += 1
                elif roll < 0.85:
                    if await gql("E1031", SEARCH, {"q": rng.choice(QUESTIONS)}):
                        counts["search"] += 1
                else:
                    body = await gql("E1040", SUBMIT, {"k": f"soak-{n}-{i}"})
                    if body:
                        inst = body["data"]["submitApproval"]["instance"]  # type: ignore[index]
                        who = inst["pendingWith"][0]
                        if who in tokens and await gql(who, ACT, {"id": inst["id"]}):
                            counts["approve"] += 1

        await asyncio.gather(*(client(n) for n in range(clients)))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="zhiku-soak-") as tmp:
        docs = Path(tmp) / "docs"
        shutil.copytree(DEMO_DIR / "docs", docs)
        env = server_env(f"{tmp}/data", ingest_roots=f'["{docs}"]')
        zhiku("demo", "load", env=env)
        tokens = {e: zhiku("token", e, env=env).stdout.strip() for e in ("E1030", "E1031", "E1040", "E1002")}
        with serving(env, start_timeout_s=180) as server:
            base = server.base
            asyncio.run(traffic(base, tokens, 10, args.clients))  # warm-up
            start_rss = rss_mb(server.process.pid)
            seconds = args.minutes * 60
            ingests = 0
            ingest_errors = 0
            stop_at = time.monotonic() + seconds
            result: dict[str, int] = {}

            async def ingest_loop() -> None:
                nonlocal ingests, ingest_errors
                page = docs / "annual-leave.md"
                original = page.read_text(encoding="utf-8")
                while time.monotonic() < stop_at:
                    page.write_text(original + f"\n\n（修订 {ingests}）\n", encoding="utf-8")
                    proc = await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "zhiku.cli", "ingest", str(docs), cwd=ROOT, env=env,
                        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                    )  # fmt: skip
                    ingests += 1
                    ingest_errors += (await proc.wait()) != 0
                    await asyncio.sleep(5)

            async def both() -> None:
                nonlocal result
                result, _ = await asyncio.gather(traffic(base, tokens, seconds, args.clients), ingest_loop())

            started = time.perf_counter()
            asyncio.run(both())
            took = time.perf_counter() - started
            end_rss = rss_mb(server.process.pid)
            total = result["ask"] + result["search"] + result["approve"]
            print(
                f"{args.minutes:.1f} min, {args.clients} clients + re-ingestion every ~5 s in another process"
            )
            ok = f"ask {result['ask']}, search {result['search']}, approvals {result['approve']}"
            print(f"requests ok: {ok} ({total / took:.0f}/s); errors {result['errors']}")
            print(f"ingestion runs: {ingests} (failed {ingest_errors})")
            print(
                f"server RSS: start {start_rss:.0f} MB, end {end_rss:.0f} MB ({end_rss - start_rss:+.0f} MB)"
            )


if __name__ == "__main__":
    main()
