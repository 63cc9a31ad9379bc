"""Value rules: amounts with their comparison (超过5000元, 2万元以上), durations (5个工作日, 超过3天),
dates (2024-07-01, 2024年3月1日) as typed mentions for extraction, and amounts as employees say them
(两万五, 3万多) for the chatbot.

Every number, Arabic or Chinese (五千元), is read by :func:`lang.numbers.parse_number`.

Example::

    [m.value for m in find_amounts("单笔超过5000元的需财务总监审批", "c1")]   # [5000.0]
"""

from __future__ import annotations

import re

from lang.numbers import parse_number
from zhiku.types import Mention

_CN_DIGITS = "零〇一二两三四五六七八九十百千万"
_AMOUNT = re.compile(
    r"(?P<cmp>超过|高于|大于|多于|不超过|不高于|低于|少于|不足|满)?\s*"
    r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?|[" + _CN_DIGITS + r"]+)\s*(?P<unit>万|千)?\s*元"
    r"(?P<post>以上|以下|以内|及以上|及以下)?"
)
_DURATION = re.compile(
    r"(?P<cmp>超过|连续超过|不超过|满|不满|最长|最多|至少)?\s*"
    r"(?P<num>\d+(?:\.\d+)?|[一二两三四五六七八九十半]+)\s*(?:个)?"
    r"(?P<unit>工作日|个工作日|工作小时|个月|小时|天|日|周|年)(?P<post>以上|以内|以下|内)?"
)
_DATE = re.compile(r"(?P<y>20\d{2})[-年/.](?P<m>\d{1,2})[-月/.](?P<d>\d{1,2})日?")
#: The chatbot's amounts: a number, then 万/千 with an optional spoken tail digit (两万五), or 元/块.
_SPOKEN_AMOUNT = re.compile(
    r"(?P<head>[0-9.]+|[零一二两三四五六七八九十百]+)(?P<unit>万|千|元|块)?(?P<tail>[一二两三四五六七八九])?"
)
_UNIT_DAYS = {"天": 1.0, "日": 1.0, "工作日": 1.0, "个工作日": 1.0, "周": 7.0, "个月": 30.0, "年": 365.0,
              "小时": 1 / 24, "工作小时": 1 / 8}  # fmt: skip


def _comparator(cmp: str | None, post: str | None) -> str:
    lower = {"超过", "高于", "大于", "多于", "满", "连续超过", "至少"}
    upper = {"不超过", "不高于", "低于", "少于", "不足", "最长", "最多", "不满"}
    if cmp in lower or post in ("以上", "及以上"):
        return ">"
    if cmp in upper or post in ("以下", "以内", "内", "及以下"):
        return "<="
    return "="


def find_amounts(text: str, chunk_id: str) -> list[Mention]:
    out = []
    for m in _AMOUNT.finditer(text):
        value = parse_number(m.group("num"))
        if value is None:
            continue
        value *= {"万": 10000, "千": 1000}.get(m.group("unit") or "", 1)
        out.append(
            Mention(
                text=m.group(0).strip(), type="Amount", start=m.start(), end=m.end(), chunk_id=chunk_id,
                source="rule", value=value, qualifier=_comparator(m.group("cmp"), m.group("post")),
            )
        )  # fmt: skip
    return out


def find_durations(text: str, chunk_id: str) -> list[Mention]:
    out = []
    for m in _DURATION.finditer(text):
        value = parse_number(m.group("num"))
        if value is None:
            continue
        days = value * _UNIT_DAYS[m.group("unit")]
        out.append(
            Mention(
                text=m.group(0).strip(), type="Duration", start=m.start(), end=m.end(), chunk_id=chunk_id,
                source="rule", value=round(days, 4), qualifier=_comparator(m.group("cmp"), m.group("post")),
            )
        )  # fmt: skip
    return out


def find_dates(text: str, chunk_id: str) -> list[Mention]:
    out = []
    for m in _DATE.finditer(text):
        y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
        if 1 <= mo <= 12 and 1 <= d <= 31:
            out.append(
                Mention(
                    text=m.group(0), type="Date", start=m.start(), end=m.end(), chunk_id=chunk_id,
                    source="rule", value=f"{y:04d}-{mo:02d}-{d:02d}",
                )
            )  # fmt: skip
    return out


def find_values(text: str, chunk_id: str) -> list[Mention]:
    """Amounts, durations and dates, each with its normalised value and comparison."""
    dates = find_dates(text, chunk_id)
    taken = [(d.start, d.end) for d in dates]
    durations = [
        d
        for d in find_durations(text, chunk_id)
        if not any(s < d.end and d.start < e for s, e in taken)
        and not (d.text.endswith("年") and isinstance(d.value, float) and d.value > 365 * 100)
    ]
    return [*find_amounts(text, chunk_id), *durations, *dates]


def parse_amount(text: str) -> float | None:
    """An amount in 元 as people say it: 8000, 3万, 1.5万, 两万五 (= 25,000), 一万二, 三百五十块.

    The first number, with 万/千 and a spoken tail digit read as one number, or followed by 元/块.
    A Chinese numeral with none of these is not taken for money (十五 could be days or people).
    (jionlp did this before: 170 MB with the segmentation models it loads on import, and it read
    两万五 as 20,005.)"""
    match = _SPOKEN_AMOUNT.search(text)
    if match is None or (match.group("unit") is None and not match.group("head")[0].isdigit()):
        return None
    head, unit, tail = match.group("head"), match.group("unit") or "", match.group("tail") or ""
    return parse_number(head + unit + tail if unit in ("万", "千") else head)


# -- amounts and durations as English and Japanese speakers write them (the chatbot's slots) ----------

_EN_NUMBERS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0,
               "six": 6.0, "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "half a": 0.5,
               "half": 0.5}  # fmt: skip
#: 8,000 yuan · 25k · ¥8000 · 8000 RMB · 1.5k · 2万5千円 · 3万円 · 8000元
_FOREIGN_AMOUNT = re.compile(
    r"(?P<pre>[¥￥$]|rmb|cny)?\s*"
    r"(?P<num>\d+(?:[,，]\d{3})*(?:\.\d+)?(?:万(?:\d+千?)?|千)?)\s*"
    r"(?P<k>k\b|thousand\b)?\s*(?P<cur>yuan|rmb|cny|元|円|yen|块)?",
    re.I,
)
#: 3 days · half a day · two weeks · 3 working days · 3日間 · 3日 · 2週間 · 半日
_FOREIGN_DURATION = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|half an?|half|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s*"
    r"(?:(?:working|business|work)\s+)?(?P<unit>days?|weeks?|months?)\b"
    r"|(?P<jnum>\d+(?:\.\d+)?|半|[一二三四五六七八九十]+)\s*(?P<junit>日間|日|週間|か月|ヶ月)",
    re.I,
)
_FOREIGN_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 30.0, "日間": 1.0, "日": 1.0, "週間": 7.0,
                      "か月": 30.0, "ヶ月": 30.0}  # fmt: skip


def foreign_amount(text: str) -> float | None:
    """An amount as English or Japanese writes it: a number with a currency (8,000 yuan, ¥8000, 3万円),
    or with ``k``/``thousand`` (25k); a bare number is not money."""
    for m in _FOREIGN_AMOUNT.finditer(text):
        if not (m.group("pre") or m.group("cur") or m.group("k") or "万" in m.group("num")):
            continue
        value = parse_number(m.group("num").replace("，", ","))
        if value is None:
            continue
        return value * 1000 if m.group("k") else value
    return None


def foreign_days(text: str) -> float | None:
    """A duration in days as English or Japanese writes it (3 days, half a day, 2 weeks, 3日間, 半日)."""
    m = _FOREIGN_DURATION.search(text)
    if m is None:
        return None
    if m.group("unit"):
        word = m.group("num").lower()
        value = _EN_NUMBERS.get(word) if word in _EN_NUMBERS else parse_number(word)
        unit = m.group("unit").lower().rstrip("s")
    else:
        value = parse_number(m.group("jnum"))
        unit = m.group("junit")
    return None if value is None else round(value * _FOREIGN_UNIT_DAYS[unit], 4)
