"""Numbers as Chinese text writes them — the one reader for extraction's amounts and durations and
the chatbot's spoken amounts.

Arabic (8000, 1,200, 1.5), Chinese numerals (五千, 二〇二四, 一百零八) and the two mixed (1.5万,
3万五) are read by cn2an (maintained, MIT, 0.8 MB with its one dependency), which also reads the
spoken tail: 三千五 is 3,500 and 五万五 55,000, where the hand-written reader this replaces read
3,005 and 50,005 (and the chatbot kept a second one just for 两万五). We add only what cn2an does
not take: 半 (a half, in 半天) and a bare leading unit (百元 is one hundred).

Example::

    parse_number("两万五")    # 25000.0
    parse_number("1,200")     # 1200.0
    parse_number("几")        # None
"""

from __future__ import annotations

import re

import cn2an

#: Characters of Chinese numerals (digits and units) that :func:`parse_number` reads.
CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
_ARABIC = re.compile(r"\d+(?:\.\d+)?")
#: cn2an warns (and keeps 16) past 16 decimal places; nobody writes an amount that precise.
_LONG_DECIMALS = re.compile(r"\.(\d{16})\d+")


def parse_number(text: str) -> float | None:
    """The number ``text`` spells, or ``None`` when it is not one number (几, 1.2.3, 十十)."""
    text = text.replace(",", "").strip()
    if not text:
        return None
    if _ARABIC.fullmatch(text):
        return float(text)
    if text == "半":
        return 0.5
    if text[0] in "百千万亿":
        text = "一" + text
    try:
        return float(cn2an.cn2an(_LONG_DECIMALS.sub(r".\1", text), "smart"))
    except ValueError:
        return None
    except KeyError:  # cn2an 0.5.24 on a spoken tail after 亿 (一亿五); found by tests/lang's properties
        return None
