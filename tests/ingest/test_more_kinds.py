"""More kinds of knowledge, each on a real file: spreadsheets as tables (every row keeps its header,
cited by row), subtitles with timestamps (``t=…``), e-mail with its attachments, slides (``slide=N``)."""

from __future__ import annotations

import csv
import io

from ingest.chunking import chunk_document
from ingest.loaders import load_bytes
from tests.ingest.realdocs import debian_reference, tables


def test_spreadsheet_of_real_tables_keeps_each_rows_header_and_row_number() -> None:
    import openpyxl

    found = tables((debian_reference() / "ch01.zh-cn.html").read_bytes())[:2]
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, header, rows in found:
        sheet = book.create_sheet(title.split(". ", 1)[-1][:31])  # a sheet name holds 31 characters
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    doc = load_bytes(buffer.getvalue(), uri="file:///x/packages.xlsx", suffix=".xlsx")
    assert doc.format == "table"
    assert [b.text for b in doc.blocks if b.kind == "heading"] == [
        "有趣的文本模式程序包列表",
        "软件包信息文档列表",
    ]
    mc = next(b for b in doc.blocks if "软件包：mc；" in b.text)
    assert mc.text == "软件包：mc；流行度：V:54, I:226；大小：1482；说明：文本模式的全屏文件管理器"
    assert mc.anchor == "row=2"
    chunks = chunk_document(doc)
    assert chunks[0].heading_path == ("有趣的文本模式程序包列表",) and chunks[0].anchor == "row=2"
    assert {c.heading_path[0] for c in chunks} == {"有趣的文本模式程序包列表", "软件包信息文档列表"}
    rows = sum(len(r) for _, _, r in found)
    assert sum(c.text.count("软件包：") for c in chunks) == rows  # nothing lost


def test_csv_table_in_gb18030_cites_rows_as_rfc_7111() -> None:
    _, header, rows = tables((debian_reference() / "ch01.zh-cn.html").read_bytes())[0]
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    doc = load_bytes(text.getvalue().encode("gb18030"), uri="file:///x/packages.csv", suffix=".csv")
    assert [b.anchor for b in doc.blocks][:3] == ["row=2", "row=3", "row=4"]
    assert doc.blocks[1].text.startswith("软件包：sudo；流行度：")


def test_csv_with_question_and_answer_columns_is_still_an_faq_sheet() -> None:
    data = "问题,答案\n公司有班车吗？,上海总部有免费通勤巴士。\n".encode()
    doc = load_bytes(data, uri="file:///x/faq.csv", suffix=".csv")
    assert doc.format == "faq"
    assert [b.kind for b in doc.blocks] == ["qa"]
