"""Spreadsheets (CSV, XLSX) as tables: a sheet with question and answer columns is an FAQ sheet
(:mod:`ingest.loaders.faq`); any other is a table whose every row keeps its header
(``城市：北京；住宿标准：600元``), so a row retrieved alone still says what each value means.

Each worksheet of a workbook is a heading (its name); each row carries its row number as its
location, ``row=N`` counted as RFC 7111 counts CSV records (the header line is row 1), so a chunk
cites the row it starts at.

Example::

    parsed = load(Path("差旅标准.xlsx").read_bytes(), xlsx=True)
    parsed.blocks[1].text     # '城市：北京；住宿标准：600元；餐补：100元'
"""

from __future__ import annotations

import csv
import io

from ingest.loaders import faq
from ingest.loaders.base import Parsed, decode_text, keyed_rows, normalise, reject
from zhiku.types import Block

Rows = list[list[str]]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise(str(value)).replace("\n", " ").strip()


def sheets(data: bytes, *, xlsx: bool = False) -> list[tuple[str, Rows]]:
    """Every sheet's name (``""`` for CSV) and rows of cell texts."""
    if not xlsx:
        return [("", [[_cell(c) for c in row] for row in csv.reader(io.StringIO(decode_text(data)))])]
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for bad files
        raise reject(f"Excel 文件无法读取：{type(exc).__name__}", f"unreadable .xlsx: {exc}") from None
    return [
        (ws.title, [[_cell(c) for c in row] for row in ws.iter_rows(values_only=True)])
        for ws in book.worksheets
    ]


def _header(rows: Rows) -> tuple[int, list[str]]:
    """The first non-empty row (its index) with blank column names filled in (``列3``)."""
    start = next((i for i, row in enumerate(rows) if any(row)), len(rows))
    names = rows[start] if start < len(rows) else []
    return start, [name or f"列{i + 1}" for i, name in enumerate(names)]


def records(rows: Rows) -> list[dict[str, str]]:
    """The rows under the header as ``{column: value}``."""
    start, header = _header(rows)
    return [dict(zip(header, row, strict=False)) for row in rows[start + 1 :] if any(row)]


def table_blocks(rows: Rows) -> list[Block]:
    """One paragraph per row that keeps its header, located at its row (``row=N``)."""
    start, header = _header(rows)
    numbered = [(n, row) for n, row in enumerate(rows[start + 1 :], start=start + 2) if any(row)]
    texts = keyed_rows(header, [row for _, row in numbered])
    return [Block("paragraph", text, anchor=f"row={n}") for (n, _), text in zip(numbered, texts, strict=True)]


def load(data: bytes, *, xlsx: bool = False) -> Parsed:
    found = [(name, rows) for name, rows in sheets(data, xlsx=xlsx) if any(any(row) for row in rows)]
    if not found:
        raise reject("表格为空", "the spreadsheet is empty")
    pairs = faq.pairs(records(found[0][1]))
    if pairs is not None:
        return Parsed(tuple(pairs), "常见问题（FAQ）", format="faq")
    blocks: list[Block] = []
    for name, rows in found:
        if xlsx:
            blocks.append(Block("heading", name, level=1))
        blocks.extend(table_blocks(rows))
    return Parsed(tuple(blocks), found[0][0] if xlsx and len(found) == 1 else "")
