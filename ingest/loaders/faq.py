"""FAQ sheets (CSV or XLSX) with question / answer / category columns (Chinese headers too); the
spreadsheet loader (:mod:`ingest.loaders.sheet`) reads any sheet and hands those to :func:`pairs`."""

from __future__ import annotations

from ingest.loaders.base import normalise
from zhiku.types import Block

_COLUMNS = {
    "question": ("question", "问题", "问", "q"),
    "answer": ("answer", "答案", "回答", "答", "a"),
    "category": ("category", "分类", "类别", "主题", "topic"),
}


def pairs(rows: list[dict[str, str]]) -> list[Block] | None:
    """The question–answer rows of a sheet, or None when it has no question and answer columns."""
    if not rows:
        return None
    columns = {key.strip().lower(): key for key in rows[0]}
    pick = {}
    for role, names in _COLUMNS.items():
        pick[role] = next((columns[n] for n in names if n in columns), None)
    if pick["question"] is None or pick["answer"] is None:
        return None
    blocks = []
    for row in rows:
        question = normalise(row.get(pick["question"] or "", "") or "").strip()
        answer = normalise(row.get(pick["answer"] or "", "") or "").strip()
        if question and answer:
            category = (
                normalise(row.get(pick["category"] or "", "") or "").strip() if pick["category"] else ""
            )
            blocks.append(Block("qa", f"问：{question}\n答：{answer}", tag=category))
    return blocks
