"""Chatbot speed over the real WebSocket: single-turn and 3-turn dialogs from 1, 10 and 100 concurrent
sessions against ``zhiku serve`` on the demo company, plus the NLU / frustration / dialog accuracy
table. The server and these clients share the machine's 2 cores. Bounded by ``--seconds`` per cell.

Sessions with think 0 send the next message the moment a reply arrives (a closed loop: latency is
then sessions ÷ throughput); rows with a think time (``--think``, 2 s ± 50 %) are people reading the
reply before they write again.

    python bench/chat.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_load import EMPLOYEES
from bench.dialog_eval import load_dialogs
from bench.graph_load import machine
from bench.harness import server_env, zhiku
from bench.retrieval_eval import load_eval
from zhiku.loopback import serving

THREE_TURNS = [["年假怎么申请？", "那病假呢？", "谢谢"], ["报销8000元谁审批", "那两万五呢？", "好的"],
               ["公司有班车吗", "班车几点发车", "谢谢"]]  # fmt: skip


async def session(
    url: str, token: str, dialogs: list[list[str]], deadline: float, lat: list[float], think: float
) -> int:
    import websockets

    rng = random.Random()
    done = 0
    async with websockets.connect(f"{url}?token={token}", max_size=2**20) as ws:
        json.loads(await ws.recv())  # ready
        i = 0
        while time.perf_counter() < deadline:
            for message in dialogs[i % len(dialogs)]:
                t = time.perf_counter()
                await ws.send(json.dumps({"type": "question", "content": message}))
                while True:
                    event = json.loads(await ws.recv())
                    if event["type"] not in ("typing", "heartbeat"):
                        break
                if event["type"] == "error":
                    raise RuntimeError(f"chat error: {event}")
                lat.append((time.perf_counter() - t) * 1000)
                done += 1
                if think:
                    await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            i += 1
    return done


async def cell(
    url: str, tokens: list[str], dialogs: list[list[str]], sessions: int, seconds: float, think: float = 0.0
) -> None:
    lat: list[float] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    clients = [
        session(url, tokens[i % len(tokens)], dialogs[i:] + dialogs[:i], deadline, lat, think)
        for i in range(sessions)
    ]
    counts = await asyncio.gather(*clients)
    elapsed = time.perf_counter() - started
    kind = f"{len(dialogs[0])}-turn"
    print(f"{kind:7} {sessions:8d} {think:7.1f} {sum(counts):8d} {sum(counts) / elapsed:9.0f} "
          f"{np.percentile(lat, 50):8.1f} {np.percentile(lat, 99):8.1f}")  # fmt: skip


def accuracy_table() -> None:
    from chat.intents import HELDOUT, IntentModel, evaluate, load_utterances
    from chat.sentiment import SentimentModel, accuracy, load_workplace

    intents = IntentModel.train()
    acc, _ = evaluate(intents, load_utterances(HELDOUT))
    sentiment = accuracy(SentimentModel.train(), load_workplace("test"))
    print(f"intent accuracy (held-out, {len(load_utterances(HELDOUT))} utterances): {acc:.3f}")
    print(f"frustration accuracy (held-out, {len(load_workplace('test'))} messages): {sentiment:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--think", type=float, default=2.0, help="think time of the extra 100-session rows")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    accuracy_table()
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp:
        # the per-socket flood limit (30/min) would turn a load test into a rate-limit test
        env = server_env(tmp, chat_messages_per_minute="100000")
        zhiku("demo", "load", env=env)
        tokens = [zhiku("token", e, env=env).stdout.strip() for e in EMPLOYEES]
        with serving(env) as server:
            url = server.base.replace("http://", "ws://", 1) + "/ws/chat"
            single = [[q.question] for q in load_eval()]
            print(f"scripted dialogs available: {len(load_dialogs())}")
            print(
                f"\n{'dialog':7} {'sessions':>8} {'think s':>7} {'replies':>8} {'replies/s':>9} {'p50 ms':>8}"
                f" {'p99 ms':>8}"
            )
            for dialogs in (single, THREE_TURNS):
                for sessions in (1, 10, 100):
                    asyncio.run(cell(url, tokens, dialogs, sessions, args.seconds))
                if args.think:
                    asyncio.run(
                        cell(url, tokens, dialogs, 100, max(args.seconds, 4 * args.think), args.think)
                    )


if __name__ == "__main__":
    main()
