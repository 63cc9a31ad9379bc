"""The scheduled ``zhiku nlu train`` (``ZHIKU_NLU_TRAIN_CRON``, monthly by default): the scheduler's
leader (:func:`crawlers.schedules.build_scheduler`) retrains the chat's intent model from the questions
knowledge engineers labelled (:func:`chat.gaps.labelled_questions`, in the shared Redis) by the same
rule as the command — :func:`chat.nlu.retrain` replaces the model only when held-out accuracy does not
drop — and logs the before/after figures. API instances load the new model when they next start.

Example::

    report = retrain_job("/srv/zhiku/.zhiku", kv)
    report.before, report.after, report.replaced     # (0.91, 0.92, True)
"""

from __future__ import annotations

import logging
from pathlib import Path

import redis

from chat.gaps import labelled_questions
from chat.nlu import TrainReport, retrain

log = logging.getLogger(__name__)


def retrain_job(data_dir: str, kv: redis.Redis) -> TrainReport:
    """Retrain once (a scheduler job: never raises into the scheduler for a worse model, only logs)."""
    from zhiku.services import chat_model_digest

    report = retrain(Path(data_dir) / "models", labelled_questions(kv), base=chat_model_digest())
    figures = f"held-out accuracy ({report.heldout}) {report.before:.3f} -> {report.after:.3f}"
    if report.replaced:
        log.info(
            "nlu train: %s with %d labelled questions: the new model is in service", figures, report.labelled
        )
    else:
        log.warning(
            "nlu train: %s with %d labelled questions: dropped, the model in service is kept",
            figures,
            report.labelled,
        )
    return report
