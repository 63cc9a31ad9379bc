"""The one number reader (lang.numbers.parse_number), property-based: whatever way a number is
written — Arabic, with thousands commas, Chinese numerals, the spoken tail (两万五), mixed (1.5万) —
it reads back as that number, and text that is not one number reads as None without raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lang.numbers import CN_DIGITS, parse_number

DIGITS = "零一二三四五六七八九"
SMALL_UNITS = {1000: "千", 100: "百", 10: "十"}


def chinese(n: int) -> str:
    """``n`` (0 ≤ n < 10^12) in Chinese numerals, written independently of cn2an: 万 and 亿 groups of
    four digits, 零 for each run of missing digits, 一十 shortened to 十 at the very start."""
    if n == 0:
        return "零"
    groups = []
    for big in ("亿", "万", ""):
        size = {"亿": 10**8, "万": 10**4, "": 1}[big]
        groups.append((n // size % 10**4, big))
    out = ""
    pending_zero = False
    for value, big in groups:
        if value == 0:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or value < 1000):
            out += "零"
        pending_zero = False
        part = ""
        zero = False
        for size, unit in [*SMALL_UNITS.items(), (1, "")]:
            d = value // size % 10
            if d == 0:
                zero = bool(part)
                continue
            if zero:
                part += "零"
                zero = False
            part += DIGITS[d] + unit
        out += part + big
    return out[1:] if out.startswith("一十") else out


@settings(max_examples=300, derandomize=True)
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_every_way_of_writing_a_whole_number_reads_back(n: int) -> None:
    assert parse_number(str(n)) == n
    assert parse_number(f"{n:,}") == n
    assert parse_number(chinese(n)) == n, chinese(n)


@settings(max_examples=200, derandomize=True)
@given(
    st.integers(min_value=1, max_value=9),
    st.sampled_from([("万", 10_000), ("千", 1_000), ("百", 100)]),
    st.integers(min_value=1, max_value=9),
    st.booleans(),
)
def test_the_spoken_tail_is_the_next_digit_down(
    head: int, unit: tuple[str, int], tail: int, liang: bool
) -> None:
    # 两万五 = 25,000, 三千五 = 3,500, 一百二 = 120: the trailing digit counts in the next unit down
    name, size = unit
    first = "两" if liang and head == 2 else DIGITS[head]
    assert parse_number(first + name + DIGITS[tail]) == head * size + tail * size // 10


@settings(max_examples=200, derandomize=True)
@given(st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False))
def test_arabic_with_a_chinese_unit(value: object) -> None:
    assert parse_number(f"{value}万") == pytest.approx(float(str(value)) * 10_000)


@settings(max_examples=500, derandomize=True)
@given(st.text(alphabet=CN_DIGITS + "0123456789.,半几多点负", max_size=12))
def test_any_text_of_numeral_characters_reads_as_a_number_or_none(text: str) -> None:
    value = parse_number(text)
    assert value is None or isinstance(value, float)


@pytest.mark.parametrize(
    ("text", "value"),
    [("半", 0.5), ("百", 100), ("千", 1000), ("两万五", 25000), ("三千五", 3500), ("五万五", 55000),
     ("二〇二四", 2024), ("一百零八", 108), ("1,200", 1200), ("1.5万", 15000), ("3万五", 35000)],
)  # fmt: skip
def test_numbers_as_policies_and_people_write_them(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "几", "十十", "1.2.3", ".", "万万", "元"])
def test_what_is_not_one_number_is_none(text: str) -> None:
    assert parse_number(text) is None


def test_more_decimals_than_anyone_writes_are_cut_not_warned_about() -> None:
    # cn2an warns past 16 decimal places (and the tests turn warnings into errors); with a unit it
    # counts whole ones (0.1111…万 is 1,111, as 1.00005万 is 10,000)
    assert parse_number("0." + "1" * 20 + "万") == 1111
    assert parse_number("1.00005万") == 10000
