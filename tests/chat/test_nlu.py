"""Retraining the intent model with labelled questions: it goes into service only when held-out
accuracy does not drop, the one it replaces is kept for rollback, and a model trained on other shipped
data is not used."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat.intents import HELDOUT, IntentModel, load_utterances
from chat.nlu import PREVIOUS, TRAINED, load_trained, retrain, rollback, usable_labels

BASE = "digest-of-the-shipped-data"


@pytest.fixture(scope="module")
def shipped() -> IntentModel:
    return IntentModel.train()


def test_good_labels_replace_the_model_and_the_old_one_is_kept(tmp_path: Path, shipped: IntentModel) -> None:
    labelled = [
        ("福利", "公司的猫叫什么名字"),
        ("查询政策", "年假结转截止到几月"),
        ("转人工", "找个真人跟我说"),
    ]
    report = retrain(tmp_path, labelled, base=BASE, current=shipped)
    assert report.replaced and report.after >= report.before and report.labelled == 3
    assert (tmp_path / TRAINED).exists() and (tmp_path / PREVIOUS).exists()
    model = load_trained(tmp_path, BASE)
    assert model is not None and model.predict("公司的猫叫什么名字").intent == "福利"
    assert load_trained(tmp_path, "another-digest") is None  # trained on other shipped data: not used
    assert rollback(tmp_path)
    back = load_trained(tmp_path, BASE)
    assert back is not None and back.predict("公司的猫叫什么名字").intent != "福利"


def test_labels_that_lower_held_out_accuracy_are_refused(tmp_path: Path, shipped: IntentModel) -> None:
    # near-copies of the held-out questions, labelled wrongly many times over
    wrong = [
        ("闲聊", f"{text}{suffix}") for _, text in load_utterances(HELDOUT) for suffix in ("呀", "啊", "呢")
    ]
    report = retrain(tmp_path, wrong, base=BASE, current=shipped)
    assert not report.replaced and report.after < report.before
    assert not (tmp_path / TRAINED).exists() and load_trained(tmp_path, BASE) is None
    assert not rollback(tmp_path)


def test_held_out_questions_are_never_trained_on() -> None:
    heldout = load_utterances(HELDOUT)
    intent, text = heldout[0]
    labelled = [(intent, f" {text.upper()} "), ("福利", "公司的猫叫什么名字"), ("闲聊", "  ")]
    assert usable_labels(labelled, heldout) == [("福利", "公司的猫叫什么名字")]
