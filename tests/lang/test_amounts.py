"""Amounts as employees type them, read without jionlp (Chinese numerals by lang.numbers.parse_number):
every Chinese numeral below a thousand with 万/千/元/块 and a spoken tail digit gives what jionlp
gave (compared once over 6,388 such phrases); only malformed numbers differ."""

from __future__ import annotations

import pytest

from lang.values import parse_amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("那两万五呢", 25000), ("一万二", 12000), ("一万二千", 12000), ("两千五", 2500), ("8000块", 8000),
        ("报销3万", 30000), ("1.5万元", 15000), ("报销12.25千", 12250), ("十万", 100000),
        ("两百万", 2000000), ("三十万五", 305000), ("三百五十块", 350), ("一百零五块", 105),
        ("九百九十九万九", 9999000), ("百元", 100), ("20000多", 20000), ("3万多", 30000), ("零元", 0),
    ],
)  # fmt: skip
def test_amounts_with_units_and_spoken_tails(text: str, amount: float) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["那病假呢", "报销1.2.3元", "报销.元", "十五", "请三天假"])
def test_no_amount_is_none(text: str) -> None:
    # a Chinese numeral without a unit is not taken for money (十五 could be days or people)
    assert parse_amount(text) is None
