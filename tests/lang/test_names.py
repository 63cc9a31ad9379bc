"""Proper names and reader's words (lang.names, lang.text.Tokenizer.words): what the answer gate reads
from a question before it weighs any passage."""

from __future__ import annotations

from lang.gazetteer import Gazetteer
from lang.names import names
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
