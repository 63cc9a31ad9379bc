"""Language identification: the ten by py3langid, short CJK by script, Chinese scripts, out-of-set."""

import pytest

from lang.analysers import Analyser
from lang.detect import (
    CJK_SHARE,
    SUPPORTED,
    UND,
    cjk_share,
    detect_language,
    detect_languages,
    reads_as_names,
    romanised_chinese,
)
from lang.pinyin import looks_like_pinyin


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("How many days of marriage leave do I get?", "en"),
        ("How do I reset my VPN password?", "en"),
        ("結婚休暇は何日もらえますか？", "ja"),
        ("결혼 휴가는 며칠입니까?", "ko"),
        ("Wie beantrage ich Urlaub?", "de"),
        ("Comment demander un congé ?", "fr"),
        ("Quanti giorni di ferie ho?", "it"),
        ("Hoe vraag ik verlof aan?", "nl"),
        ("Quantos dias de férias eu tenho?", "pt"),
        ("Сколько дней отпуска мне положено?", "ru"),
        ("婚假有几天", "zh"),
    ],
)
def test_each_of_the_ten_is_recognised(text: str, code: str) -> None:
    assert code in SUPPORTED
    assert detect_language(text).code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("How do I install smart tags?", "en"),
        ("Что такое Ghostscript?", "ru"),
        ("Was ist die Secure Shell (SSH)?", "de"),
        ("Como instalar etiquetas inteligentes?", "pt"),
    ],
)
def test_a_short_question_naming_a_product_keeps_its_language(text: str, code: str) -> None:
    # questions of bench/data that lingua (the identifier before py3langid) called en, de or und
    assert detect_language(text).code == code


@pytest.mark.parametrize(
    ("text", "code"), [("ケース", "ja"), ("휴가", "ko"), ("婚假", "zh"), ("結婚休暇", "zh")]
)
def test_short_cjk_is_decided_by_script(text: str, code: str) -> None:
    assert detect_language(text).code == code


def test_chinese_carries_its_script() -> None:
    assert detect_language("婚假有几天").tag == "zh-Hans"
    assert detect_language("婚假有幾天").tag == "zh-Hant"
    assert detect_language("How many days?").script is None


def test_mixed_chinese_and_english_is_chinese_and_an_english_sentence_with_a_chinese_term_english() -> None:
    assert detect_language("我的 VPN 连不上 help").code == "zh"
    assert detect_language("What is 婚假?").code == "en"


def test_a_language_outside_the_ten_is_undetermined_and_named() -> None:
    spanish = detect_language("¿Cuántos días de vacaciones tengo este año?")
    assert spanish.code == "und" and not spanish.known
    assert spanish.other == "es"
    assert detect_language("Скільки днів відпустки мені належить?").other == "uk"


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "ok", "12345", "ni hao wo de jia qi"])
def test_too_short_emoji_and_pinyin_are_undetermined(text: str) -> None:
    assert detect_language(text) == UND


@pytest.mark.parametrize(
    "text",
    ["nianjia zenme qing", "guoshengri you shenme fuli", "gongsi you banche ma", "can bu you duo shao"],
)
def test_pinyin_is_romanised_chinese_even_when_the_ten_would_take_it_for_english(text: str) -> None:
    # "guoshengri you shenme fuli" is English 0.87 to the identifier restricted to the ten
    assert romanised_chinese(text) and detect_language(text) == UND


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Come ti chiami", "it"),
        ("Come si chiama", "it"),
        ("mi chiamo Luca", "it"),
        ("Chen Wei Zhang Lei", None),
    ],
)
def test_italian_and_romanised_names_that_split_into_pinyin_syllables_are_not_pinyin(
    text: str, code: str | None
) -> None:
    assert looks_like_pinyin(text)  # every word splits into pinyin syllables …
    assert not romanised_chinese(text)  # … but it is Italian, or names
    assert code is None or detect_language(text).code == code
    assert reads_as_names("Chen Wei Zhang Lei") and not reads_as_names("Nianjia zenme qing")


def test_batch_agrees_with_single_calls() -> None:
    texts = ["Urlaub beantragen", "年次有給休暇", "", "annual leave policy", "婚假"]
    assert detect_languages(texts) == [detect_language(t) for t in texts]


def test_one_share_rule_for_short_and_long_mixed_text() -> None:
    # a Chinese help page quoting English menu names (14 Han characters, 16 English words) is Chinese
    page = (
        "Choose Format - Page Style. Click the Page tab. 在纸张格式下选择横向。"
        "Return to the Print dialog and click OK. 点击确定。"
    )
    assert cjk_share(page) >= CJK_SHARE and detect_language(page).code == "zh"
    assert "横向" in Analyser().tokens(page, "en")  # an English document's Chinese chunk gets jieba
    # two English words and one Chinese term: too little evidence that Chinese carries it
    assert cjk_share("What is 婚假?") < CJK_SHARE <= cjk_share("我的 VPN 连不上 help")
