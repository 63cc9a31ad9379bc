"""Proper names and reader's words (lang.names, lang.text.Tokenizer.words): what the answer gate reads
from a question before it weighs any passage."""

from __future__ import annotations

from lang.gazetteer import Gazetteer
from lang.names import foreign_names, marked_names, names
from lang.text import Tokenizer


def test_names_are_the_dictionary_s_persons_and_organisations() -> None:
    assert names(["华为", "员工", "出差", "商务", "座"]) == ["华为"]
    assert names(["特斯拉", "上海", "工厂", "特斯拉"]) == ["特斯拉"]  # once; a place is not a name here
    assert names(["年假", "怎么", "请", "王"]) == []  # common words, and single characters, are none


def test_words_are_a_reader_s_split_without_guessed_fragments() -> None:
    tokenizer = Tokenizer(["费控报销系统"])
    # search mode keeps overlapping tokens and guesses unknown runs; a reader's split does neither
    assert tokenizer.words("客户塞了个红包给我，能收吗") == [
        "客户",
        "塞",
        "了",
        "个",
        "红包",
        "给",
        "我",
        "能",
        "收",
        "吗",
    ]
    assert tokenizer.words("在费控报销系统里提交VPN") == [
        "在",
        "费控报销系统",
        "里",
        "提交",
        "vpn",
    ]  # names stay whole


def test_an_entity_s_surfaces_are_every_name_and_synonym() -> None:
    gazetteer = Gazetteer({"企业微信": [("SYS-WECOM", "ITSystem")], "企微": [("SYS-WECOM", "ITSystem")],
                           "VPN": [("SYS-VPN", "ITSystem")]})  # fmt: skip
    assert gazetteer.surfaces("SYS-WECOM") == {"企业微信", "企微"}
    assert gazetteer.surfaces("SYS-VPN") == {"vpn"}  # folded, as matched
    assert gazetteer.surfaces("nobody") == frozenset()


def test_foreign_names_are_read_from_what_marks_a_name_in_each_language() -> None:
    # Japanese: a katakana word the dictionary reads only in pieces (テン + セント), or its name tags
    assert foreign_names("テンセント社員の食事手当はいくらですか", "ja") == ["テンセント"]
    assert foreign_names("アリババの社員の経費精算は？", "ja") == ["アリババ"]  # not also its piece アリ
    # a compound of short loanwords splits as a name does; only a name marker (社, さん, の社員) tells
    assert foreign_names("カードキーをなくしました", "ja") == []
    assert foreign_names("バスカードはどこで受け取りますか", "ja") == []
    assert foreign_names("トヨタの社員の結婚休暇は何日ですか", "ja") == ["トヨタ"]
    assert foreign_names("ホテル代はいくらまで精算できますか", "ja") == []  # a loanword is one word
    # … and a compound of loanwords is read in words, not syllables
    assert foreign_names("ログインパスワードを忘れました", "ja") == []
    assert foreign_names("コマンドラインでのパッケージ管理は？", "ja") == []
    assert foreign_names("wayland環境でgnomeが使うパッケージは？", "ja") == []  # Latin: not Japanese's rule
    # Korean: Kiwi's proper-noun tag
    assert foreign_names("텐센트 직원의 식대는 얼마인가요?", "ko") == ["텐센트"]
    assert foreign_names("결혼 휴가는 며칠인가요?", "ko") == []
    # cased languages: a capital inside a sentence, not a place after a preposition of place
    assert foreign_names("What is Tencent's meal allowance?", "en") == ["Tencent"]
    assert foreign_names("Do Huawei employees get more leave?", "en") == ["Huawei"]
    assert foreign_names("What is the hotel allowance in Beijing?", "en") == []
    assert foreign_names("I lost my badge. What now?", "en") == []  # sentence starts, "I"
    assert foreign_names("What is the Secure Shell (SSH)?", "en") == []  # a title-cased term
    assert foreign_names("Quel est le congé de mariage chez Renault ?", "fr") == ["Renault"]
    # German capitalises every noun: a capital says nothing there
    assert foreign_names("Wie viele Tage Hochzeitsurlaub bekomme ich?", "de") == []


def test_days_months_languages_and_countries_are_not_names() -> None:
    # capitalised in the language, named by Unicode CLDR (Babel), never a company or a person
    assert foreign_names("Is there a shuttle bus on Monday?", "en") == []
    assert foreign_names("Is there a Chinese version of the expense form?", "en") == []
    assert foreign_names("Les congés en Juillet sont-ils payés ?", "fr") == []
    assert foreign_names("How many days of leave do Tencent employees get?", "en") == ["Tencent"]


def test_a_word_the_sentence_marks_as_a_company_is_a_name_whatever_the_dictionary_calls_it() -> None:
    tokenizer = Tokenizer()
    # 格力 is not tagged as an organisation; 员工, 公司, 集团, 那边 after it say it is one
    assert marked_names(tokenizer.words("格力的新员工试用期多久")) == ["格力"]
    assert names(tokenizer.words("格力的新员工试用期多久")) == ["格力"]
    # a name the dictionary does not know opens the sentence as single characters: joined back
    assert marked_names(tokenizer.words("大疆员工出差住宿标准是多少")) == ["大疆"]
    # a place with "over there" is an office, not a company; with 员工 it may be either (the caller
    # keeps only names the knowledge base never uses)
    assert marked_names(tokenizer.words("东京那边的加班上限是多少")) == []
    assert marked_names(tokenizer.words("深圳员工的住房补贴有多少")) == ["深圳"]
    # pronouns, verbs, prepositions before 公司, and the company itself, are no names
    for question in (
        "咱们公司下午几点下班",
        "早上来公司晚了算迟到吗",
        "我在公司工作满两年有什么福利",
        "公司的员工能带家属吗",
    ):
        assert marked_names(tokenizer.words(question)) == [], question
