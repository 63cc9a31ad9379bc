"""Issue 19's own setup: questions in other languages against a *Chinese* documentation set.

The corpus is ``debian-reference`` of :mod:`bench.retrieval_real` (the Chinese Debian Reference,
Debian's ``debian-reference-zh-cn``); the questions are 56 of its committed Chinese questions
translated by hand into en, ja, ko, ru and de (``bench/data/multilingual/debian-reference.jsonl``,
committed before any measurement; the split is the Chinese question's). The corpus is ingested once
by Zhiku's pipeline, then every language's questions are ranked by **zhiku** (``SearchService.search``
as the API calls it) and by **e5** (the heading-split e5-small cosine baseline of
:mod:`bench.retrieval_real`). Figures: document top-1 and exact-section top-1 per language.

    python bench/multilingual_zh.py --split dev [--misses] [--answers [--dump FILE]]
    python bench/multilingual_zh.py --split test   # once, at the end

``--answers`` also asks every question through :func:`chat.answer.compose_answer` (the answer gate of
:mod:`chat.gate`) and prints, per language, the answered rate (every question here is in scope) and
how many answers cite the right document / the labelled section first; ``--dump FILE`` writes each
question's gate evidence as JSON lines (tuning the cross-language rule on dev).
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.multilingual import SYSTEMS, load_questions
from bench.retrieval_real import Baseline, K, Scored, Summary, relative_doc, score

DATA = Path(__file__).resolve().parent / "data" / "multilingual" / "debian-reference.jsonl"
CORPUS = "debian-reference"
LANGS = ("zh", "en", "ja", "ko", "ru", "de")


def table(results: dict[str, dict[str, list[Scored]]]) -> str:
    """``results``: language → system → scores."""
    lines = [
        "| questions → zh pages | n | doc top-1 zhiku | doc top-1 e5 | exact top-1 zhiku | exact top-1 e5 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for lang, by_system in results.items():
        z, b = Summary.of(by_system["zhiku"]), Summary.of(by_system["e5"])
        lines.append(
            f"| {lang} → zh | {z.n} | {z.doc_top1:.2f} | {b.doc_top1:.2f} | "
            f"{z.exact_top1:.2f} | {b.exact_top1:.2f} |"
        )
    cross = [by for lang, by in results.items() if lang != "zh"]
    if cross:
        z = Summary.of([s for by in cross for s in by["zhiku"]])
        b = Summary.of([s for by in cross for s in by["e5"]])
        lines.append(
            f"| **all other languages** | {z.n} | {z.doc_top1:.2f} | {b.doc_top1:.2f} | "
            f"{z.exact_top1:.2f} | {b.exact_top1:.2f} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Answered:
    answered: bool
    doc: bool  # the answer's first citation is in the labelled document
    exact: bool  # … in the labelled section


def answered(service: Any, text: str, gold: tuple[str, str], root: Path, dump: Path | None) -> Answered:
    """Ask ``text`` as the API does and check what ``answered: true`` cites."""
    from chat.answer import compose_answer
    from chat.gate import evidence
    from zhiku.access import SYSTEM

    answer = compose_answer(service, text, SYSTEM)
    result = service.search(text, SYSTEM, k=6)  # the search compose_answer made (cached)
    first = answer.citations[0].chunk_id if answer.citations else None
    top = next((h for h in result.hits if h.chunk_id == first), None)
    key = (relative_doc(top.uri, root), top.anchor) if top is not None else ("", "")
    if dump is not None and top is not None:
        ev = evidence(service, result, top)
        with dump.open("a", encoding="utf-8") as out:
            row = {"q": text, "ok": key == gold, "doc": key[0] == gold[0], "answered": answer.answered}
            out.write(json.dumps(row | (asdict(ev) if ev else {}), ensure_ascii=False) + "\n")
    return Answered(answer.answered, key[0] == gold[0], key == gold)


def answer_table(answers: dict[str, list[Answered]], split: str) -> str:
    """Per language: answered rate and what the answered ones cite (all questions are in scope)."""
    lines = [
        f"| split {split}: questions → zh pages | n | answered | answered, right doc | "
        "answered, right section | precision (doc) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [
        *answers.items(),
        ("**all other languages**", [a for k, g in answers.items() if k != "zh" for a in g]),
    ]
    for lang, got in rows:
        said = [a for a in got if a.answered]
        right = sum(a.doc for a in said)
        name = lang if lang.startswith("*") else f"{lang} → zh"
        lines.append(
            f"| {name} | {len(got)} | {len(said) / len(got):.2f} | {right / len(got):.2f} | "
            f"{sum(a.exact for a in said) / len(got):.2f} | {right / len(said) if said else 0:.2f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
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
    parser.add_argument("--answers", action="store_true", help="also measure answered: true (the gate)")
    parser.add_argument("--dump", type=Path, help="with --answers: each question's gate evidence (JSONL)")
    args = parser.parse_args(argv)

    from bench.graph_load import machine
    from bench.real_corpora import fetch, sections
    from graph.embedded import EmbeddedServer
    from graph.falkordb_store import FalkorDBStore
    from ingest.pipeline import Pipeline
    from search.embedders import EmbeddingCache, load_embedder
    from search.service import SearchService
    from zhiku.access import SYSTEM

    questions = load_questions(DATA, args.split)
    print(f"machine: {machine()}")
    print(f"split: {args.split}; {len(questions)} questions × {len(LANGS)} languages; corpus {CORPUS}")
    started = time.perf_counter()
    embedder = load_embedder(args.model, query_encoder=args.query_encoder)
    root, files = fetch(CORPUS, args.cache_dir / "corpora")
    secs = sections(root, files)
    by_heading = {(s.doc, " / ".join(s.heading_path)): s.key for s in secs}
    known = {s.key for s in secs}
    # A later package may rename a generated anchor: find the labelled section by its heading path.
    gold = {q.id: q.key if q.key in known else by_heading[(q.doc, q.section)] for q in questions}
    results: dict[str, dict[str, list[Scored]]] = {}
    misses: list[str] = []
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-mlzh-") as tmp:
        work = Path(tmp)
        store = FalkorDBStore.embedded(work / "graph", f"bench_mlzh_{uuid.uuid4().hex[:6]}")
        Pipeline(store).ingest(files)
        service = SearchService(
            store, work / "search", embedder, cache_path=args.cache_dir / "embeddings.sqlite"
        )
        report = service.sync()
        cache = EmbeddingCache(args.cache_dir / "embeddings.sqlite")
        baseline = Baseline(secs, embedder, cache)
        cache.close()
        print(f"{len(files)} pages, {report.total_chunks} Zhiku chunks, {len(secs)} baseline sections")
        print(f"indexed in {time.perf_counter() - started:.0f} s", flush=True)
        for lang in LANGS:
            results[lang] = {}
            for system in SYSTEMS:
                scored = []
                for q in questions:
                    text = q.questions[lang]
                    if system == "e5":
                        ranked = baseline.rank(text)
                    else:
                        hits = service.search(text, SYSTEM, k=K).hits
                        ranked = [(relative_doc(h.uri, root), h.anchor) for h in hits]
                    s = score(ranked, gold[q.id])
                    scored.append(s)
                    if args.misses and system == "zhiku" and not s.doc_top1:
                        got = f"{ranked[0][0]}#{ranked[0][1]}" if ranked else "—"
                        misses.append(f"  [{lang}] {text}  want {q.doc}#{q.anchor}  got {got}")
                results[lang][system] = scored
        if args.answers:
            answers = {lang: [answered(service, q.questions[lang], gold[q.id], root, args.dump)
                              for q in questions] for lang in LANGS}  # fmt: skip
        service.close()
        print()
        print(table(results), flush=True)
        if args.answers:
            print()
            print(answer_table(answers, args.split), flush=True)
        for line in misses:
            print(line)
        store.close()
        EmbeddedServer(work / "graph").stop()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
