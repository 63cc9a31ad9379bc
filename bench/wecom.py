"""WeCom layer speed against a real ``zhiku serve`` (uvicorn, demo company) and the fake WeCom server
on loopback, both on this machine's 2 cores:

1. callback acknowledgement latency (encrypted text callbacks from 50 concurrent employees; the answer
   is computed after the acknowledgement) — target p99 ≤ 50 ms;
2. end-to-end answer latency: callback posted → the answer arrives at WeCom's ``message/send``;
3. approvals: concurrent 会签 approvals (each action sent twice, as a retried tap would be) through
   GraphQL; throughput, and a check that no action is lost or counted twice.

    python bench/wecom.py [--seconds 20] [--instances 100] [--think 2 0]

The load generator and the fake WeCom run on the same 2 cores as the server, so the saturating row
(think 0) measures the whole machine flooded, not only Zhiku.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine
from bench.harness import server_env, zhiku
from wecom.fake import FakeWeCom, Sent
from zhiku.loopback import running, serving

QUESTIONS = ["年假怎么请？", "报销8000元谁审批", "公司有班车吗", "病假需要什么材料", "出差住宿标准是多少"]


COLUMNS = ("ack p50", "ack p99", "srv p50", "srv p99", "e2e p50", "e2e p99")


async def employees(base: str, token: str) -> list[str]:
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(
            f"{base}/graphql",
            headers={"Authorization": f"Bearer {token}"},
            json={"query": "{ entities(type: Employee, first: 100) { edges { node { id } } } }"},
        )
        return [e["node"]["id"] for e in r.json()["data"]["entities"]["edges"]]


async def conversations(
    fake: FakeWeCom, base: str, users: list[str], seconds: float, think: float
) -> tuple[list[float], list[float], list[float]]:
    """Each employee asks, waits for the answer to reach WeCom, reads it for ``think`` seconds (0: at
    once, saturating the server), asks again; until ``seconds`` pass."""
    ack: list[float] = []
    e2e: list[float] = []
    server_ms: list[float] = []
    deadline = time.perf_counter() + seconds

    http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=len(users)))
    loop = asyncio.get_running_loop()
    answered = {user: asyncio.Event() for user in users}

    def delivered(sent: Sent) -> None:  # on the fake's server thread
        if sent.msgtype == "text":
            for user in sent.touser:
                if user in answered:
                    loop.call_soon_threadsafe(answered[user].set)

    fake.on_sent.append(delivered)

    async def employee(user: str, i: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            answered[user].clear()
            started = time.perf_counter()
            r = await fake.post_callback(
                f"{base}/wecom/callback", fake.text_message(user, QUESTIONS[(i + n) % 5]), http=http
            )
            ack.append((time.perf_counter() - started) * 1000)
            server_ms.append(float(r.headers.get("server-timing", "accept;dur=nan").split("dur=")[1]))
            if r.status_code != 200:
                raise RuntimeError(f"callback refused: {r.status_code} {r.text}")
            try:
                await asyncio.wait_for(answered[user].wait(), timeout=deadline + 30 - time.perf_counter())
            except TimeoutError:
                raise RuntimeError(f"no answer for {user}") from None
            e2e.append((time.perf_counter() - started) * 1000)
            n += 1
            await asyncio.sleep(think * (0.5 + random.random()))  # jittered, so askers do not align

    try:
        async with http:
            await asyncio.gather(*(employee(u, i) for i, u in enumerate(users)))
    finally:
        fake.on_sent.remove(delivered)
    return ack, server_ms, e2e


ACT = "mutation($id: ID!) { actOnApproval(id: $id, action: APPROVE) { applied } }"
SUBMIT = 'mutation { submitApproval(process: "合同审批", amount: 100000) { instance { id } } }'


async def approvals(base: str, tokens: dict[str, str], instances: int) -> None:
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def gql(who: str, query: str, variables: dict[str, str] | None = None) -> dict[str, object]:
            r = await http.post(
                f"{base}/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {tokens[who]}"},
            )
            body: dict[str, object] = r.json()
            if "errors" in body:
                raise RuntimeError(str(body["errors"]))
            return body

        ids = []
        for _ in range(instances):
            body = await gql("E1040", SUBMIT)
            ids.append(body["data"]["submitApproval"]["instance"]["id"])  # type: ignore[index]
        await asyncio.gather(*(gql("E1002", ACT, {"id": i}) for i in ids))  # step 1: department head
        # step 2 (会签 法务 + 财务): both approvers on every instance at once, every action sent twice
        jobs = [(who, i) for i in ids for who in ("E1050", "E1020") for _ in range(2)]
        sem = asyncio.Semaphore(32)

        async def one(who: str, i: str) -> bool:
            async with sem:
                body = await gql(who, ACT, {"id": i})
                return bool(body["data"]["actOnApproval"]["applied"])  # type: ignore[index]

        started = time.perf_counter()
        applied = await asyncio.gather(*(one(w, i) for w, i in jobs))
        elapsed = time.perf_counter() - started
        query = "query($id: ID!) { approvalInstance(id: $id) { currentStep audit { kind actorId } } }"
        lost = doubled = 0
        for i in ids:
            inst = (await gql("E1040", query, {"id": i}))["data"]["approvalInstance"]  # type: ignore[index]
            acts = [a["actorId"] for a in inst["audit"] if a["kind"] == "approve"]  # type: ignore[index]
            for who in ("E1050", "E1020"):
                lost += acts.count(who) == 0
                doubled += acts.count(who) > 1
            lost += inst["currentStep"] != 2  # type: ignore[index]
        print(
            f"approvals: {len(jobs)} 会签 actions ({instances} instances × 2 approvers × 2 sends) "
            f"in {elapsed:.1f}s "
            f"= {len(jobs) / elapsed:.0f} actions/s; applied {sum(applied)} (expected {2 * instances}), "
            f"lost {lost}, counted twice {doubled}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--think", type=float, nargs="+", default=[2.0, 0.0])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    fake = FakeWeCom(corp_id="ww-bench", secret="bench-secret", token="bench-token", aes_key=aes_key)
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp, running(fake.app) as fake_base:
        keep = ("ZHIKU_EMBED_CACHE", "ZHIKU_GIL_SWITCH_INTERVAL_MS", "ZHIKU_WECOM_ANSWER_CONCURRENCY")
        env = server_env(tmp, keep)
        env.update(
            {
                "ZHIKU_WECOM_CORP_ID": "ww-bench",
                "ZHIKU_WECOM_AGENT_ID": str(fake.agent_id),
                "ZHIKU_WECOM_SECRET": "bench-secret",
                "ZHIKU_WECOM_TOKEN": "bench-token",
                "ZHIKU_WECOM_AES_KEY": aes_key,
                "ZHIKU_WECOM_API_BASE": fake_base,
            }
        )
        zhiku("demo", "load", env=env)
        tokens = {
            e: zhiku("token", e, env=env).stdout.strip()
            for e in ("E1040", "E1002", "E1050", "E1020", "E1030")
        }
        with serving(env, start_timeout_s=180) as server:
            base = server.base
            print("server: zhiku serve, 1 worker, demo company, e5-small; fake WeCom in the bench process")
            users = asyncio.run(employees(base, tokens["E1030"]))[: args.concurrency]
            print(
                f"{len(users)} employees, {args.seconds:.0f} s per row; think = pause before asking again; "
                "ack = the callback's round trip, srv = inside Zhiku's handler (Server-Timing)"
            )
            print(
                f"{'think s':>8} {'answers/s':>10} "
                + " ".join(
                    f"{c:>8}" for c in ("ack p50", "ack p99", "srv p50", "srv p99", "e2e p50", "e2e p99")
                )
                + "  (ms)"
            )
            asyncio.run(conversations(fake, base, users[:5], 5.0, 0.0))  # warm-up: models, caches
            for think in args.think:
                ack, inside, e2e = asyncio.run(conversations(fake, base, users, args.seconds, think))
                a50, a99 = np.percentile(ack, [50, 99])
                s50, s99 = np.percentile(inside, [50, 99])
                e50, e99 = np.percentile(e2e, [50, 99])
                print(
                    f"{think:8.1f} {len(e2e) / args.seconds:10.1f} "
                    + " ".join(f"{v:8.1f}" for v in (a50, a99, s50, s99, e50, e99))
                )
            asyncio.run(approvals(base, tokens, args.instances))


if __name__ == "__main__":
    main()
