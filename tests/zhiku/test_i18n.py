"""The message catalogue (issue 19): complete in the ten languages, resolved in the documented order,
errors readable in every language — and the chat's language rules that need no database."""

from __future__ import annotations

import pytest

from chat.intents import LANGUAGE_DATA, IntentModel, evaluate, load_utterances
from chat.language import reply_language, spoken
from lang.values import foreign_amount, foreign_days
from zhiku.errors import InputError, NotFoundError, QueryTooCostly
from zhiku.i18n import (
    LANGUAGES,
    everywhere,
    extract,
    from_accept_language,
    normalise,
    problems,
    resolve,
    tr,
    translate,
    using,
)


def test_every_message_has_a_translation_in_all_ten_languages() -> None:
    assert len(extract()) >= 100
    assert problems() == []


def test_a_message_missing_from_the_catalogues_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    package = tmp_path / "chat"
    package.mkdir()
    (package / "new.py").write_text('from zhiku.i18n import _\n_("这条消息还没有翻译")\n', encoding="utf-8")
    found = problems(tmp_path)
    assert {p.split(":")[0] for p in found} == set(LANGUAGES)
    assert all("这条消息还没有翻译" in p for p in found)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("zh-CN", "zh_Hans"), ("zh", "zh_Hans"), ("zh-TW", "zh_Hant"), ("zh-Hant-HK", "zh_Hant"),
     ("en-GB", "en"), ("pt_BR", "pt"), ("ja", "ja"), ("es", None), ("", None), ("x;y", None)],
)  # fmt: skip
def test_tags_map_onto_the_ten(tag: str, expected: str | None) -> None:
    assert normalise(tag) == expected


def test_accept_language_by_quality_and_resolution_order() -> None:
    assert from_accept_language("es, de;q=0.8, en;q=0.9") == "en"
    assert from_accept_language("es, *;q=0.5") is None
    assert resolve("ja", "de", "fr", "en") == "ja"  # explicit first
    assert resolve(None, "de-DE,de;q=0.9", "fr", "en") == "de"  # then Accept-Language
    assert resolve(None, None, "fr", "en") == "fr"  # then the profile
    assert resolve(None, "es", None, "ko") == "ko"  # then the question's language
    assert resolve() == "zh_Hans"


def test_translation_fills_placeholders_and_traditional_is_converted() -> None:
    ticket = "已为您转接人工客服（工单 {ticket}），客服会尽快联系您，之前的对话和我找到的资料已一并转交。"
    assert "T-9" in translate(ticket, "de", ticket="T-9") and "Ticket" in translate(
        ticket, "de", ticket="T-9"
    )
    assert translate("转人工", "zh_Hant") == "轉人工"
    with using("ja"):
        assert tr("转人工") == "オペレーター"
    assert {"human", "mitarbeiter", "оператор", "转人工"} <= everywhere("转人工")


def test_errors_read_in_every_language_and_keep_their_code() -> None:
    costly = QueryTooCostly(12000, 10000)
    assert costly.message_zh.startswith("查询代价 12000") and costly.code == "QUERY_TOO_COSTLY"
    assert costly.message_in("de").startswith("Die Abfragekosten 12000")
    assert costly.message_in("en") == costly.message_en
    plain = InputError("页码不能为负", "page must not be negative")
    assert plain.message_in("ja") == "リクエストに誤りがあります: page must not be negative"
    assert plain.message_in("zh_Hant") == "頁碼不能為負"
    catalogued = NotFoundError.localized(
        "没有这个答案：answerId 应为您通过 ask 收到的答案 id", "no such answer"
    )
    assert catalogued.message_zh.startswith("没有这个答案") and catalogued.message_in("fr").startswith(
        "Réponse"
    )


@pytest.mark.parametrize(
    ("text", "code", "supported"),
    [
        ("How many days of marriage leave do I get?", "en", True),
        ("結婚休暇は何日ですか", "ja", True),
        ("Wie viele Tage Urlaub habe ich?", "de", True),
        ("我的 VPN 连不上 help", "zh_Hans", True),  # mixed: the Chinese reader is asking
        ("年假有幾天", "zh_Hant", True),
        ("¿Cuántos días de vacaciones tengo?", "es", False),
        ("مرحبا كيف حالك", "other", False),
        ("👍👍", None, False),
    ],
)
def test_the_language_of_a_message(text: str, code: str | None, supported: bool) -> None:
    said = spoken(text)
    assert (said.code, said.supported) == (code, supported)


def test_pinyin_is_told_from_english() -> None:
    assert spoken("nianjia zenme qing").pinyin
    assert spoken("baoxiao liucheng shi shenme").pinyin
    assert not spoken("how do I apply for leave").pinyin


def test_reply_language_rules() -> None:
    assert reply_language("de", spoken("年假怎么请")) == ("de", False)  # a choice wins
    assert reply_language("es", spoken("hola")) == ("en", True)  # a choice outside the ten: English
    assert reply_language(None, spoken("¿Cuántos días de vacaciones tengo?")) == ("en", True)
    assert reply_language(None, spoken("ok"), previous="ja") == ("ja", False)  # a bare "ok" keeps it
    assert reply_language(None, spoken("8000")) == ("zh_Hans", False)


@pytest.mark.parametrize(
    ("text", "amount", "days"),
    [
        ("who approves an 8,000 yuan claim", 8000, None),
        ("claim 25k for the conference", 25000, None),
        ("2万5千円の精算", 25000, None),
        ("¥8000 taxi", 8000, None),
        ("3 days of annual leave", None, 3),
        ("half a day off", None, 0.5),
        ("3日間の休暇", None, 3),
        ("room 5 is broken", None, None),
    ],
)
def test_amounts_and_days_in_english_and_japanese(
    text: str, amount: float | None, days: float | None
) -> None:
    assert foreign_amount(text) == amount
    assert foreign_days(text) == days


@pytest.mark.parametrize("language", ["en", "ja"])
def test_held_out_intent_accuracy_in_english_and_japanese(language: str) -> None:
    train, heldout = (load_utterances(p) for p in LANGUAGE_DATA[language])
    accuracy, _wrong = evaluate(IntentModel.train(train), heldout)
    assert accuracy >= 0.85
    assert {i for i, _ in heldout} == {i for i, _ in load_utterances(LANGUAGE_DATA["zh"][0])}
