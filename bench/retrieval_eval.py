"""Retrieval evaluation: Recall@5, hit@5 and MRR@10 for keyword, dense and hybrid retrieval.

The evaluation file (``tests/data/retrieval_eval.tsv``) has one question per line, then a tab, then
the relevant chunks as ``file:substring`` alternatives separated by ``|``: a chunk is relevant when its
document's file name matches and its heading path or text contains the substring.

    python bench/retrieval_eval.py

It loads the demo into a temporary data directory of its own: the configured store is never read.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.service import SearchService

EVAL_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "retrieval_eval.tsv"
MODES: dict[str, tuple[str, ...]] = {
    "keyword": ("keyword",),
    "dense": ("dense",),
    "hybrid": ("keyword", "dense", "entity"),
}


@dataclass(frozen=True, slots=True)
class EvalItem:
    question: str
    relevant: tuple[tuple[str, str], ...]  # (file name, substring)


def load_eval(path: Path = EVAL_FILE) -> list[EvalItem]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        question, spec = line.split("\t", 1)
        rel = tuple(tuple(part.split(":", 1)) for part in spec.split("|"))
        items.append(EvalItem(question.strip(), tuple((f.strip(), s.strip()) for f, s in rel)))
    return items


def file_name(uri: str) -> str:
    return PurePosixPath(unquote(urlparse(uri).path)).name


def relevant_chunks(service: SearchService, item: EvalItem) -> set[str]:
    snap = service.snapshot()
    out = set()
    for chunk in snap.chunks:
        doc = snap.docs.get(chunk.doc_id)
        name = file_name(doc.uri) if doc else ""
        haystack = " / ".join(chunk.heading) + "\n" + chunk.text
        if any(name == f and s in haystack for f, s in item.relevant):
            out.add(chunk.id)
    return out


@dataclass(slots=True)
class EvalReport:
    mode: str
    questions: int
    recall_at_5: float
    hit_at_5: float
    mrr_at_10: float
    misses: list[str]


def evaluate(service: SearchService, items: Sequence[EvalItem], mode: str = "hybrid") -> EvalReport:
    recalls, hits, rrs, misses = [], [], [], []
    for item in items:
        gold = relevant_chunks(service, item)
        ranked = [h.chunk_id for h in service.search(item.question, k=10, lists=MODES[mode]).hits]
        top5 = set(ranked[:5])
        recalls.append(len(gold & top5) / min(len(gold), 5) if gold else 0.0)
        hits.append(1.0 if gold & top5 else 0.0)
        rank = next((i for i, c in enumerate(ranked) if c in gold), None)
        rrs.append(1.0 / (rank + 1) if rank is not None else 0.0)
        if not gold & top5:
            misses.append(item.question)
    return EvalReport(
        mode, len(items), statistics.fmean(recalls), statistics.fmean(hits), statistics.fmean(rrs), misses
    )


def main() -> None:
    """Evaluate on the demo company, loaded into a temporary data directory of its own."""
    from bench.harness import demo_company
    from graph import open_store

    with demo_company() as settings, open_store(settings) as store:
        service = SearchService.open(store, settings)
        print(service.sync().summary())
        items = load_eval()
        print(f"{'mode':8} {'n':>4} {'Recall@5':>9} {'hit@5':>7} {'MRR@10':>7}")
        reports = [evaluate(service, items, mode) for mode in MODES]
        for r in reports:
            print(f"{r.mode:8} {r.questions:4d} {r.recall_at_5:9.3f} {r.hit_at_5:7.3f} {r.mrr_at_10:7.3f}")
        for q in reports[-1].misses:
            print("  miss (hybrid):", q)
        service.close()


if __name__ == "__main__":
    main()
