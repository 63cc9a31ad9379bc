"""Rule-based mentions for domain patterns: amounts with their comparison (超过5000元, 2万元以上),
durations (5个工作日, 超过3天), dates (2024-07-01, 2024年3月1日).

Amounts written in Chinese numerals (五千元) are read by :func:`cn_number`, Arabic ones by ``float``;
the chatbot's spoken amounts (两万五) build on the same function (``chat.dialog.parse_amount``).

Example::

    [m.value for m in find_amounts("单笔超过5000元的需财务总监审批", "c1")]   # [5000.0]
"""

from __future__ import annotations

import re

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
_CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}  # fmt: skip
_UNIT_DAYS = {"天": 1.0, "日": 1.0, "工作日": 1.0, "个工作日": 1.0, "周": 7.0, "个月": 30.0, "年": 365.0,
              "小时": 1 / 24, "工作小时": 1 / 8}  # fmt: skip


def cn_number(text: str) -> float | None:
    """Small Chinese numerals: 三, 十五, 二十, 五千, 两万, 半."""
    if text == "半":
        return 0.5
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _CN_VALUES:
            digit = _CN_VALUES[ch]
        elif ch == "十":
            section += (digit or 1) * 10
            digit = 0
        elif ch == "百":
            section += (digit or 1) * 100
            digit = 0
        elif ch == "千":
            section += (digit or 1) * 1000
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        else:
            return None
    return float(total + section + digit)


def _number(text: str) -> float | None:
    text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return cn_number(text)


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
        value = _number(m.group("num"))
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
        value = _number(m.group("num"))
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
