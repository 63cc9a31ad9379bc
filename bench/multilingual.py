"""Cross-lingual retrieval on LibreOffice's help in ten languages: Zhiku against e5 alone.

The corpus (:data:`PAGES` of ``bench/data/multilingual``): the same 36 Writer how-to pages
(``text/swriter/guide/``) from ``libreoffice-help-<lang>`` in each of the ten languages, fetched with
``apt-get download`` like :mod:`bench.real_corpora` (never the FAQ packages reserved for independent
evaluation). Pages and heading anchors are the same in every language, so one label (page, anchor)
holds for all ten copies.

For every language L other than Chinese, two runs:

* **L → zh**: the questions written in L against the Chinese pages;
* **zh → L**: the Chinese questions against L's pages;

and **zh → zh** as the monolingual reference. Systems: **zhiku** (the pages ingested by Zhiku's own
pipeline into a throwaway graph and index, then ``SearchService.search`` as the API calls it) and
**e5** (the baseline of :mod:`bench.retrieval_real`: the pages split at headings, each heading with
its text, ranked by the same embedder's cosine alone). Figures: document top-1 and exact-section
top-1. Embeddings are cached (``<cache>/embeddings.sqlite``).

    python bench/multilingual.py --split dev [--langs en,ja] [--misses] [--mono]
    python bench/multilingual.py --split test   # once, at the end
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.retrieval_real import Baseline, K, Scored, SectionKey, Summary, relative_doc, score

DATA = Path(__file__).resolve().parent / "data" / "multilingual" / "libreoffice-writer-guide.jsonl"
LANGS = ("zh", "en", "ja", "ko", "de", "fr", "it", "nl", "pt", "ru")
#: Debian's package suffix and the help folder of each language.
PACKAGES = {
    "zh": ("zh-cn", "zh-CN"),
    "en": ("en-us", "en-US"),
    **{code: (code, code) for code in LANGS if code not in ("zh", "en")},
}
SYSTEMS = ("zhiku", "e5")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    split: str
    style: str
    doc: str
    anchor: str
    questions: dict[str, str]

    @property
    def key(self) -> SectionKey:
        return (self.doc, self.anchor)


def load_questions(path: Path = DATA, split: str = "dev") -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            q = Question(row["id"], row["split"], row["style"], row["doc"], row["anchor"], row["questions"])
            if split in ("all", q.split):
                out.append(q)
    return out


def pages(questions: Sequence[Question]) -> list[str]:
    """The corpus: every page a question is labelled on (the same in every language)."""
    return sorted({q.doc for q in questions})


@dataclass(slots=True)
class Index:
    """One language's copy of the pages, ingested by Zhiku and split for the baseline."""

    lang: str
    root: Path
    service: Any
    baseline: Baseline
    keys: set[SectionKey]
    chunks: int
    seconds: float

    def rank(self, system: str, question: str) -> list[SectionKey]:
        from zhiku.access import SYSTEM

        if system == "e5":
            return self.baseline.rank(question)
        hits = self.service.search(question, SYSTEM, k=K).hits
        return [(relative_doc(h.uri, self.root), h.anchor) for h in hits]


def build_index(
    lang: str, docs: Sequence[str], *, cache_dir: Path, work: Path, embedder: Any, store: Any
) -> Index:
    from bench.real_corpora import CorpusUnavailable, sections
    from ingest.corpora import debian_package
    from ingest.pipeline import Pipeline
    from search.embedders import EmbeddingCache
    from search.service import SearchService

    started = time.perf_counter()
    suffix, folder = PACKAGES[lang]
    help_root = debian_package(
        f"libreoffice-help-{suffix}", cache_dir / "corpora", f"usr/share/libreoffice/help/{folder}"
    )
    if help_root is None:
        raise CorpusUnavailable(f"apt-get download libreoffice-help-{suffix} failed")
    files = [help_root / d for d in docs if (help_root / d).exists()]
    secs = sections(help_root, files)
    Pipeline(store).ingest(files)
    service = SearchService(
        store, work / lang / "search", embedder, cache_path=cache_dir / "embeddings.sqlite"
    )
    report = service.sync()
    cache = EmbeddingCache(cache_dir / "embeddings.sqlite")
    baseline = Baseline(secs, embedder, cache)
    cache.close()
    return Index(
        lang,
        help_root,
        service,
        baseline,
        {s.key for s in secs},
        report.total_chunks,
        time.perf_counter() - started,
    )


@dataclass(slots=True)
class Run:
    """One direction: questions in ``ask`` against pages in ``docs``."""

    ask: str
    docs: str
    results: dict[str, list[Scored]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)


def run_direction(ask: str, index: Index, questions: Sequence[Question], show_misses: bool = False) -> Run:
    run = Run(ask, index.lang)
    for system in SYSTEMS:
        scored = []
        for q in questions:
            if q.key not in index.keys:
                continue  # the anchor is missing from this language's copy (reported at start)
            ranked = index.rank(system, q.questions[ask])
            s = score(ranked, q.key)
            scored.append(s)
            if show_misses and system == "zhiku" and not s.doc_top1:
                got = f"{ranked[0][0]}#{ranked[0][1]}" if ranked else "—"
                run.misses.append(f"  [{ask}→{index.lang}] {q.questions[ask]}  want {q.doc}  got {got}")
        run.results[system] = scored
    return run


def table(runs: Sequence[Run]) -> str:
    lines = [
        "| questions → pages | n | doc top-1 zhiku | doc top-1 e5 | exact top-1 zhiku | exact top-1 e5 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        z, b = Summary.of(run.results["zhiku"]), Summary.of(run.results["e5"])
        lines.append(
            f"| {run.ask} → {run.docs} | {z.n} | {z.doc_top1:.2f} | {b.doc_top1:.2f} | "
            f"{z.exact_top1:.2f} | {b.exact_top1:.2f} |"
        )
    cross = [r for r in runs if r.ask != r.docs]
    if cross:
        z = Summary.of([s for r in cross for s in r.results["zhiku"]])
        b = Summary.of([s for r in cross for s in r.results["e5"]])
        lines.append(
            f"| **all cross-lingual** | {z.n} | {z.doc_top1:.2f} | {b.doc_top1:.2f} | "
            f"{z.exact_top1:.2f} | {b.exact_top1:.2f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--langs", default=",".join(LANGS[1:]), help="comma-separated, besides zh")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("ZHIKU_BENCH_CACHE", Path.home() / ".cache" / "zhiku")),
    )
    parser.add_argument("--model", default=os.environ.get("ZHIKU_EMBED_MODEL", "e5-small"))
    parser.add_argument(
        "--query-encoder",
        default=os.environ.get("ZHIKU_EMBED_QUERY_ENCODER", "full"),
        help="what embeds questions: full or e5-l<k> (search.query_encoder)",
    )
    parser.add_argument("--misses", action="store_true", help="list Zhiku's document misses")
    parser.add_argument(
        "--mono", action="store_true", help="also L → L (each language's own keyword analyser at work)"
    )
    args = parser.parse_args(argv)

    from bench.graph_load import machine
    from graph.embedded import EmbeddedServer
    from graph.falkordb_store import FalkorDBStore
    from search.embedders import load_embedder

    langs = [code for code in args.langs.split(",") if code and code != "zh"]
    questions = load_questions(DATA, args.split)
    docs = pages(load_questions(DATA, "all"))  # the same pool whichever split is asked
    print(f"machine: {machine()}")
    print(f"split: {args.split}; {len(questions)} questions × {1 + len(langs)} languages; {len(docs)} pages")
    print(f"embedder: {args.model} (queries: {args.query_encoder}); cache: {args.cache_dir}")
    started = time.perf_counter()
    embedder = load_embedder(args.model, query_encoder=args.query_encoder)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-ml-") as tmp:
        work = Path(tmp)
        stores: list[Any] = []

        def index_of(lang: str) -> Index:
            store = FalkorDBStore.embedded(work / "graph", f"bench_ml_{lang}_{uuid.uuid4().hex[:6]}")
            stores.append(store)
            index = build_index(
                lang, docs, cache_dir=args.cache_dir, work=work, embedder=embedder, store=store
            )
            missing = [q.id for q in questions if q.key not in index.keys]
            print(
                f"\n{lang}: {index.chunks} chunks, {len(index.keys)} sections, {index.seconds:.0f} s"
                + (f"; labelled anchors missing: {', '.join(missing)}" if missing else ""),
                flush=True,
            )
            return index

        zh = index_of("zh")
        runs.append(run_direction("zh", zh, questions, args.misses))
        for lang in langs:
            index = index_of(lang)
            runs.append(run_direction(lang, zh, questions, args.misses))
            runs.append(run_direction("zh", index, questions, args.misses))
            if args.mono:
                runs.append(run_direction(lang, index, questions, args.misses))
            index.service.close()
            # as each language completes (a long run may be cut)
            print(table(runs[-3 if args.mono else -2 :]), flush=True)
        zh.service.close()
        print()
        print(table(runs), flush=True)  # before the clean-up (a graph file still closing can fail it)
        for run in runs:
            for line in run.misses:
                print(line)
        for store in stores:
            store.close()
        EmbeddedServer(work / "graph").stop()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
