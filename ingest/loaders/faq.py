"""FAQ sheets (CSV or XLSX) with question / answer / category columns (Chinese headers too)."""

from __future__ import annotations

import csv
import io

from ingest.loaders.base import Parsed, decode_text, normalise, reject
from zhiku.types import Block

_COLUMNS = {
    "question": ("question", "问题", "问", "q"),
    "answer": ("answer", "答案", "回答", "答", "a"),
    "category": ("category", "分类", "类别", "主题", "topic"),
}


def _rows_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(decode_text(data))))


def _rows_xlsx(data: bytes) -> list[dict[str, str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for bad files
        raise reject(f"Excel 文件无法读取：{type(exc).__name__}", f"unreadable .xlsx: {exc}") from None
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h or "").strip() for h in rows[0]]
    return [
        {header[i]: "" if v is None else str(v) for i, v in enumerate(r) if i < len(header)} for r in rows[1:]
    ]


def load(data: bytes, *, xlsx: bool = False) -> Parsed:
    rows = _rows_xlsx(data) if xlsx else _rows_csv(data)
    if not rows:
        raise reject("FAQ 表为空", "the FAQ sheet is empty")
    columns = {key.strip().lower(): key for key in rows[0]}
    pick = {}
    for role, names in _COLUMNS.items():
        pick[role] = next((columns[n] for n in names if n in columns), None)
    if pick["question"] is None or pick["answer"] is None:
        raise reject("FAQ 表缺少“问题/答案”列", "the FAQ sheet needs question and answer columns")
    blocks = []
    for row in rows:
        question = normalise(row.get(pick["question"] or "", "") or "").strip()
        answer = normalise(row.get(pick["answer"] or "", "") or "").strip()
        if question and answer:
            category = (
                normalise(row.get(pick["category"] or "", "") or "").strip() if pick["category"] else ""
            )
            blocks.append(Block("qa", f"问：{question}\n答：{answer}", tag=category))
    return Parsed(tuple(blocks), "常见问题（FAQ）")
