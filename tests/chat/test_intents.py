"""The intent classifier: trained on shipped utterances, measured on held-out ones it never saw."""

from __future__ import annotations

from collections import Counter

from chat.intents import HELDOUT, TRAIN, UNCLEAR, IntentModel, evaluate, load_utterances


def test_training_data_covers_every_intent_with_enough_variety() -> None:
    train = load_utterances(TRAIN)
    counts = Counter(i for i, _ in train)
    assert len(counts) >= 18  # 15+ business intents plus 闲聊, 问候/感谢, 转人工, 不明确
    assert min(counts.values()) >= 20
    heldout = load_utterances(HELDOUT)
    assert {i for i, _ in heldout} == set(counts)
    assert not {t for _, t in heldout} & {t for _, t in train}  # held out means never trained on


def test_held_out_accuracy_meets_the_target() -> None:
    model = IntentModel.train()
    accuracy, wrong = evaluate(model, load_utterances(HELDOUT))
    assert accuracy >= 0.90, wrong


def test_predictions_are_ranked_probabilities() -> None:
    model = IntentModel.train()
    p = model.predict("帮我請兩天年假")  # traditional characters are converted first
    assert p.intent == "请假申请"
    assert 0 < p.confidence <= 1 and all(c <= p.confidence for _, c in p.alternatives)
    assert model.predict("   ").intent == UNCLEAR
    assert model.predict("转人工").intent == "转人工"


def test_frustration_model_on_held_out_workplace_messages() -> None:
    from chat.sentiment import THRESHOLD, SentimentModel, accuracy, load_workplace

    model = SentimentModel.train()
    held_out = load_workplace("test")
    assert len(held_out) >= 30 and {y for y, _ in held_out} == {0, 1}
    assert accuracy(model, held_out) >= 0.9
    assert model.frustration("都一个月了还没到账，你们到底在干什么！！") >= THRESHOLD
    assert model.frustration("请问年假怎么申请") < THRESHOLD
    assert model.frustration("") == 0.0
