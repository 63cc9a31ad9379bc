"""Keyword tokens per language: jieba for Chinese and mixed text, MeCab for Japanese, Kiwi for Korean,
Snowball stems without accents for the European languages."""

import pytest

from lang.analysers import Analyser, european_tokens, japanese_tokens, korean_tokens


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser(["婚假"])


def test_european_words_are_stemmed_lower_cased_and_accent_folded() -> None:
    assert european_tokens("How do I insert Page Numbers?", "en") == ["how", "do", "insert", "page", "number"]
    assert european_tokens("Wie füge ich Seitenzahlen ein?", "de")[1:4] == ["fug", "ich", "seitenzahl"]
    # congé and conge meet; Russian is stemmed too
    assert european_tokens("congé", "fr") == european_tokens("conge", "fr")
    assert european_tokens("номера страниц", "ru") == ["номер", "страниц"]


def test_japanese_keeps_content_words_in_dictionary_form() -> None:
    tokens = japanese_tokens("年次有給休暇は何日もらえますか？")
    assert {"年次", "有給", "休暇", "もらえる"} <= set(tokens)
    assert "は" not in tokens and "か" not in tokens and "？" not in tokens


@pytest.mark.slow  # Kiwi's model loads in ~6 s (once per process; the service loads it on first Korean text)
def test_korean_keeps_nouns_and_foreign_words() -> None:
    tokens = korean_tokens("결혼 휴가는 며칠입니까? VPN에 연결할 수 없습니다")
    assert {"결혼", "휴가", "vpn", "연결"} <= set(tokens)
    assert "는" not in tokens


def test_the_language_is_detected_when_not_given(analyser: Analyser) -> None:
    assert analyser.tokens("How do I insert page numbers?") == analyser.tokens(
        "How do I insert page numbers?", "en"
    )
    assert "休暇" in analyser.tokens("結婚休暇は何日ですか")


def test_chinese_mixed_and_undetermined_text_goes_to_jieba(analyser: Analyser) -> None:
    assert analyser.tokens("婚假有几天") == ["婚假", "几天"]
    assert analyser.tokens("我的 VPN 连不上 help") == ["vpn", "连不上", "help"]
    assert analyser.tokens("😀😀") == []
    assert analyser.tokens("¿Cuántos días de vacaciones?", "und")  # out of the ten: still tokens


def test_cached_tokens_are_the_tokens_made_once_per_text_and_language(analyser: Analyser) -> None:
    """The search and the answer gate read a question's tokens (and a passage's heading) through the
    cache: the same tokens as :meth:`Analyser.tokens`, with or without the detected language, and made
    once — the second read is the very tuple the first made."""
    for text, language in (
        ("婚假有几天", "zh"),
        ("婚假有几天", None),
        ("How do I insert page numbers?", None),
    ):
        first = analyser.cached_tokens(text, language)
        assert first == tuple(analyser.tokens(text, language))
        assert analyser.cached_tokens(text, language) is first
    assert analyser.cached_tokens("婚假有几天", "zh") == analyser.cached_tokens("婚假有几天", None)
