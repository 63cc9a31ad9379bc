"""The scheduled `zhiku nlu train`: the job retrains from the labelled questions in the shared Redis by
the command's rule (replaced only when held-out accuracy does not drop), logs the before/after figures,
and the scheduler's leader registers it on the configured cron (monthly by default; empty: off)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from chat.gaps import LABELLED, GapLog
from chat.intents import HELDOUT, load_utterances
from chat.nlu import PREVIOUS, TRAINED, load_trained
from crawlers.nlu_train import retrain_job
from crawlers.schedules import build_scheduler
from zhiku.services import chat_model_digest
from zhiku.settings import Settings

PRIVATE_DB = 9  # the labels of this test only (other tests label questions in db 0 of the same server)


@pytest.fixture
def kv(store) -> Iterator[redis.Redis]:  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(store.kv_url, db=PRIVATE_DB, decode_responses=True)
    client.delete(LABELLED)
    yield client
    client.delete(LABELLED)
    client.close()


def test_the_job_replaces_the_model_only_when_accuracy_holds_and_logs_the_figures(
    kv: redis.Redis,
    store,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    log = GapLog(kv, None, store)  # type: ignore[arg-type]  # labelling needs neither counts nor graph
    log.label(["公司的猫叫什么名字", "公司的猫叫啥"], "福利", "E1003")
    with caplog.at_level(logging.INFO, logger="crawlers.nlu_train"):
        report = retrain_job(str(tmp_path), kv)
    assert report.replaced and report.labelled == 2 and report.after >= report.before
    model = load_trained(tmp_path / "models", chat_model_digest())
    assert model is not None and model.predict("公司的猫叫什么名字").intent == "福利"
    assert f"{report.before:.3f} -> {report.after:.3f}" in caplog.text and "in service" in caplog.text

    # near-copies of the held-out questions labelled wrongly: refused, the model in service kept
    in_service = (tmp_path / "models" / TRAINED).read_bytes()
    heldout = [text + suffix for _, text in load_utterances(HELDOUT) for suffix in ("呀", "啊", "呢")]
    log.label(heldout, "闲聊", "E1003")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="crawlers.nlu_train"):
        worse = retrain_job(str(tmp_path), kv)
    assert not worse.replaced and worse.after < worse.before
    assert (tmp_path / "models" / TRAINED).read_bytes() == in_service and (
        tmp_path / "models" / PREVIOUS
    ).exists()
    assert "dropped" in caplog.text and f"{worse.before:.3f} -> {worse.after:.3f}" in caplog.text


@pytest.mark.parametrize(
    ("cron", "expected"), [(None, "0 3 1 * *"), ("30 2 * * mon", "30 2 * * mon"), ("", None)]
)
def test_the_leader_schedules_it_on_the_configured_cron(
    kv: redis.Redis, tmp_path: Path, cron: str | None, expected: str | None
) -> None:
    options = {} if cron is None else {"nlu_train_cron": cron}
    settings = Settings(data_dir=tmp_path, **options)
    (tmp_path / "crawl").mkdir()
    scheduler = build_scheduler(settings, {}, kv=kv)
    try:
        job = scheduler.get_job("nlu-train")
        if expected is None:
            assert job is None
        else:
            minute, hour, day, month, weekday = expected.split()
            fields = {f.name: str(f) for f in job.trigger.fields}
            assert (fields["minute"], fields["hour"], fields["day"], fields["month"]) == (
                minute,
                hour,
                day,
                month,
            )
            assert fields["day_of_week"] == weekday
            assert job.func is retrain_job and job.args[0] == str(tmp_path.resolve())
    finally:
        scheduler.shutdown(wait=False)
