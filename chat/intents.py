"""Intent recognition for the chatbot, trained by our own code on utterances we ship.

A character n-gram (1–3) TF-IDF + logistic regression classifier (scikit-learn) over
``chat/data/intents_train.tsv``; ``chat/data/intents_heldout.tsv`` is never trained on and gives the
accuracy we report (``python -m chat.intents``). Characters rather than words: colloquial
questions are short, abbreviated and full of typos, and n-grams need no segmenter. Training takes
well under a second, so the model is built at start-up instead of shipped as a binary.

Example::

    model = IntentModel.train()
    model.predict("帮我请两天年假")        # Prediction(intent='请假申请', confidence=0.71, …)
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
TRAIN = DATA / "intents_train.tsv"
HELDOUT = DATA / "intents_heldout.tsv"
#: Training and held-out utterances per language (the intents are the same Chinese labels): one model
#: per language, so each language's figures stand alone and Chinese is exactly what it was before.
#: Messages in the other seven languages are answered from retrieval (chat.dialog).
LANGUAGE_DATA: dict[str, tuple[Path, Path]] = {
    "zh": (TRAIN, HELDOUT),
    "en": (DATA / "intents_train.en.tsv", DATA / "intents_heldout.en.tsv"),
    "ja": (DATA / "intents_train.ja.tsv", DATA / "intents_heldout.ja.tsv"),
}
UNCLEAR = "不明确"


def load_utterances(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, text = line.split("\t", 1)
            rows.append((intent.strip(), text.strip()))
    return rows


def _normalise(text: str) -> str:
    from lang.text import to_simplified

    return to_simplified(unicodedata.normalize("NFKC", text).lower().strip())


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]  # the next best intents


class IntentModel:
    def __init__(self, pipeline: Any) -> None:
        self._pipeline = pipeline
        self.intents: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)

    @classmethod
    def train(cls, rows: list[tuple[str, str]] | None = None, *, language: str = "zh") -> IntentModel:
        """Trained on ``rows``, or on the shipped training utterances of ``language``."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        rows = rows if rows is not None else load_utterances(LANGUAGE_DATA[language][0])
        pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
            LogisticRegression(C=20.0, max_iter=2000),
        )
        pipeline.fit([_normalise(t) for _, t in rows], [i for i, _ in rows])
        return cls(pipeline)

    def predict(self, text: str) -> Prediction:
        norm = _normalise(text)
        if not norm:
            return Prediction(UNCLEAR, 1.0, ())
        probs = self._pipeline.predict_proba([norm])[0]
        ranked = sorted(zip(self.intents, (float(p) for p in probs), strict=True), key=lambda x: -x[1])
        return Prediction(
            ranked[0][0], round(ranked[0][1], 3), tuple((i, round(p, 3)) for i, p in ranked[1:3])
        )


def evaluate(model: IntentModel, rows: list[tuple[str, str]]) -> tuple[float, list[tuple[str, str, str]]]:
    wrong = []
    for intent, text in rows:
        got = model.predict(text).intent
        if got != intent:
            wrong.append((text, intent, got))
    return 1 - len(wrong) / max(len(rows), 1), wrong


def per_language() -> list[tuple[str, int, int, float, list[tuple[str, str, str]]]]:
    """(language, training utterances, held-out utterances, held-out accuracy, mistakes) per language."""
    out = []
    for language, (train_path, heldout_path) in LANGUAGE_DATA.items():
        train, heldout = load_utterances(train_path), load_utterances(heldout_path)
        accuracy, wrong = evaluate(IntentModel.train(train), heldout)
        out.append((language, len(train), len(heldout), accuracy, wrong))
    return out


def main() -> None:
    counts = Counter(i for i, _ in load_utterances(TRAIN))
    print(f"{len(counts)} intents")
    for language, train, heldout, accuracy, wrong in per_language():
        print(f"{language}: {train} training utterances, held-out accuracy {accuracy:.3f} on {heldout}")
        for text, want, got in wrong:
            print(f"  {text!r}: {want} → {got}")


if __name__ == "__main__":
    main()
