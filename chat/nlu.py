"""Retraining the chat's (Chinese) intent model with the questions knowledge engineers labelled
(``zhiku nlu train``): the shipped training utterances plus the confirmed labels
(:func:`chat.gaps.labelled_questions`), measured on the shipped held-out set before and after, and
put in service only when held-out accuracy does not drop. The model in service is kept as
``intents.previous.joblib`` for :func:`rollback`.

The retrained model lives in ``<data_dir>/models/intents.trained.joblib`` beside the start-up cache
(:func:`zhiku.services.chat_models`), with the digest of the shipped data and code it was trained on:
after an upgrade that changes them, the stale model is ignored (and the shipped one trained as usual)
until ``zhiku nlu train`` runs again. Pickles, so only Zhiku writes that directory (as the cache).

Example::

    report = retrain(models_dir, labelled, base="…digest…")
    report.before, report.after, report.replaced     # (0.91, 0.92, True)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chat.intents import HELDOUT, TRAIN, IntentModel, _normalise, evaluate, load_utterances

log = logging.getLogger(__name__)

TRAINED = "intents.trained.joblib"
PREVIOUS = "intents.previous.joblib"


@dataclass(frozen=True, slots=True)
class TrainReport:
    before: float  # held-out accuracy of the model in service
    after: float  # of the retrained one
    heldout: int  # held-out utterances
    trained: int  # training utterances, shipped + labelled
    labelled: int  # labelled questions used (those also in the held-out set are left out)
    replaced: bool  # the retrained model is now in service


def load_trained(models_dir: Path, base: str) -> IntentModel | None:
    """The retrained model when there is one trained on the same shipped data and code (``base``)."""
    import joblib

    path = models_dir / TRAINED
    if not path.exists():
        return None
    try:
        saved = joblib.load(path)
    except Exception as exc:
        log.warning("retrained intent model not loaded (%s): using the shipped data", exc)
        return None
    if not isinstance(saved, dict) or saved.get("base") != base:
        log.info("retrained intent model is from other shipped data: run `zhiku nlu train` again")
        return None
    model = saved.get("model")
    return model if isinstance(model, IntentModel) else None


def usable_labels(
    labelled: Sequence[tuple[str, str]], heldout: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The labelled ``(intent, question)`` pairs to train on: never a held-out question (the accuracy
    compared would no longer be held out), nor an empty one."""
    held = {_normalise(text) for _, text in heldout}
    return [(i, q) for i, q in labelled if _normalise(q) and _normalise(q) not in held]


def retrain(
    models_dir: Path,
    labelled: Sequence[tuple[str, str]],
    *,
    base: str,
    current: IntentModel | None = None,
) -> TrainReport:
    """Train on the shipped utterances plus ``labelled`` ``(intent, question)`` pairs; replace the model
    in service (``current``, else the retrained one on disk, else one trained on the shipped data) only
    when held-out accuracy does not drop."""
    import joblib

    shipped, heldout = load_utterances(TRAIN), load_utterances(HELDOUT)
    extra = usable_labels(labelled, heldout)
    if current is None:
        current = load_trained(models_dir, base) or IntentModel.train(shipped)
    before, _ = evaluate(current, heldout)
    model = IntentModel.train([*shipped, *extra])
    after, _ = evaluate(model, heldout)
    replaced = after >= before
    if replaced:
        models_dir.mkdir(parents=True, exist_ok=True)
        trained = models_dir / TRAINED
        if trained.exists():
            trained.replace(models_dir / PREVIOUS)
        else:  # the shipped-data model was in service: keep it for rollback too
            joblib.dump({"base": base, "model": current}, models_dir / PREVIOUS)
        tmp = trained.with_suffix(".tmp")
        joblib.dump({"base": base, "model": model}, tmp)
        tmp.replace(trained)
    return TrainReport(before, after, len(heldout), len(shipped) + len(extra), len(extra), replaced)


def rollback(models_dir: Path) -> bool:
    """Put the previous model back in service; False when there is none."""
    previous = models_dir / PREVIOUS
    if not previous.exists():
        return False
    previous.replace(models_dir / TRAINED)
    return True
