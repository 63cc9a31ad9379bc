"""The DOCX loader keeps a Word document's structure: heading styles in English and Chinese Word/WPS
names, outline levels, Word's automatic heading numbers (rendered from numbering.xml into the
heading path), bookmarks as anchors, tables in place with each row keeping its header, question
headings as Q–A pairs — on a DOCX written (python-docx) from Debian's real ``debian-reference-zh-cn``
chapter 1, and on small documents for the edge cases."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.loaders import html, load_bytes
from tests.ingest.realdocs import debian_reference, tables
from zhiku.types import Document

_NUMBER = re.compile(r"^[\d.]+\s*")
#: Word numbering for the chapter's sections: level 0 "1.1", level 1 "1.1.1" (chapter 1's numbers).
_NUMBERING = """<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 w:abstractNumId="90"><w:multiLevelType w:val="multilevel"/>
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="1.%1"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="1.%1.%2"/></w:lvl>
</w:abstractNum>"""
_NUM = """<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:numId="90">
<w:abstractNumId w:val="90"/></w:num>"""


def _number(paragraph, ilvl: int) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml import parse_xml

    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(
        parse_xml(
            '<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'<w:ilvl w:val="{ilvl}"/><w:numId w:val="90"/></w:numPr>'
        )
    )


def _bytes(document) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def chapter_1_docx() -> bytes:
    """Chapter 1 of the Debian reference as a Word document: the chapter in ``Title``, sections in
    ``标题 1``/``标题 2`` (Chinese style names) numbered by Word (their printed numbers removed from
    the text), lists, the first table as a Word table, a bookmark on one heading."""
    import docx
    from docx.oxml import parse_xml

    page = (debian_reference() / "ch01.zh-cn.html").read_bytes()
    _, header, rows = tables(page)[0]
    document = docx.Document()
    document.styles["Heading 1"].name = "标题 1"
    document.styles["Heading 2"].name = "标题 2"
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(_NUMBERING))
    numbering.append(parse_xml(_NUM))
    for block in html.load(page).blocks:
        if block.kind == "heading":
            if block.level == 1:
                document.add_paragraph(block.text, style="Title")
                continue
            paragraph = document.add_paragraph(
                _NUMBER.sub("", block.text), style=f"标题 {min(block.level - 1, 2)}"
            )
            _number(paragraph, min(block.level - 2, 1))
            if block.text.startswith("1.1.12."):
                paragraph._p.insert(
                    1,
                    parse_xml(
                        '<w:bookmarkStart xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
                        ' w:id="7" w:name="_Toc_sudo"/>'
                    ),
                )
            if block.text.startswith("1.1.10."):
                grid = document.add_table(rows=1 + len(rows), cols=len(header))
                for r, cells in enumerate([header, *rows]):
                    for c, text in enumerate(cells):
                        grid.cell(r, c).text = text
        elif block.kind == "item":
            document.add_paragraph(block.text, style="List Bullet")
        elif " | " not in block.text:  # the HTML loader's flattened table rows: tables come as tables
            document.add_paragraph(block.text)
    return _bytes(document)


def _load(data: bytes) -> Document:
    return load_bytes(data, uri="file:///docs/debian-reference-ch1.docx", suffix=".docx")


def test_real_text_docx_heading_styles_and_word_numbering_give_heading_paths(chapter_1_docx: bytes) -> None:
    doc = _load(chapter_1_docx)
    found = [(b.level, b.text) for b in doc.blocks if b.kind == "heading"]
    assert found[:3] == [(1, "第 1 章 GNU/Linux 教程"), (2, "1.1 控制台基础"), (3, "1.1.1 shell 提示符")]
    assert (2, "1.2 类 Unix 文件系统") in found  # the level-1 counter went on, level 2 restarted
    assert (3, "1.2.1 Unix 文件基础") in found
    chunks = chunk_document(doc)
    root = next(c for c in chunks if c.heading_path[-1] == "1.1.3 root 账户")
    assert root.heading_path == ("第 1 章 GNU/Linux 教程", "1.1 控制台基础", "1.1.3 root 账户")
    assert "root 账户也被称作超级用户或特权用户" in root.text
    sudo = next(c for c in chunks if c.heading_path[-1] == "1.1.12 sudo 配置")
    assert sudo.anchor == "_Toc_sudo"  # the Word bookmark


def test_real_text_docx_table_rows_keep_their_header_in_place(chapter_1_docx: bytes) -> None:
    chunks = chunk_document(_load(chapter_1_docx))
    row = "软件包：mc；流行度：V:54, I:226；大小：1482；说明：文本模式的全屏文件管理器"
    holder = next(c for c in chunks if row in c.text)
    assert holder.heading_path[-1] == "1.1.10 建议新手安装的额外软件包"
    assert "软件包：sudo；" in "\n".join(c.text for c in chunks if c.heading_path == holder.heading_path)


def test_real_text_docx_question_headings_become_pairs(chapter_1_docx: bytes) -> None:
    chunks = chunk_document(_load(chapter_1_docx))
    pair = next(c for c in chunks if c.heading_path[-1] == "1.1.7 怎样退出命令行提示符")
    assert pair.kind == "faq"
    assert pair.text.startswith("问：1.1.7 怎样退出命令行提示符\n答：")


def test_outline_levels_merged_cells_and_traditional_style_names(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.styles["Heading 1"].name = "標題 1"
    document.add_paragraph("總則", style="標題 1")
    body = document.add_paragraph(
        "第二章 适用范围"
    )  # no heading style, but an outline level (Word's 大纲级别)
    body._p.get_or_add_pPr().append(
        parse_xml(
            '<w:outlineLvl xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:val="0"/>'
        )
    )
    grid = document.add_table(rows=3, cols=3)
    for r, cells in enumerate(
        [["城市", "住宿标准", "餐补"], ["北京", "600元", "100元"], ["成都", "450元", "80元"]]
    ):
        for c, text in enumerate(cells):
            grid.cell(r, c).text = text
    grid.cell(2, 1).merge(grid.cell(2, 2))  # one merged cell: said once
    doc = load_bytes(_bytes(document), uri="file:///x/t.docx", suffix=".docx")
    assert [(b.level, b.text) for b in doc.blocks if b.kind == "heading"] == [
        (2, "總則"),
        (2, "第二章 适用范围"),
    ]
    rows = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert rows[0] == "城市：北京；住宿标准：600元；餐补：100元"
    assert rows[1].startswith("城市：成都；住宿标准：450元") and rows[1].count("450元") == 1
