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


def _narration(count: int) -> list[str]:
    """Real sentences to speak: the first paragraphs of the Debian reference's chapter 1."""
    from ingest.loaders import html

    blocks = html.load((debian_reference() / "ch01.zh-cn.html").read_bytes()).blocks
    return [b.text for b in blocks if b.kind == "paragraph" and "。" in b.text and "\n" not in b.text][:count]


def _stamp(seconds: float, sep: str) -> str:
    whole = int(seconds)
    return (
        f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}{sep}{round(seconds % 1 * 1000):03d}"
    )


def test_srt_cues_are_cited_by_their_start_time() -> None:
    lines = _narration(30)
    cues = [
        f"{i + 1}\n{_stamp(4.5 * i + 1.25, ',')} --> {_stamp(4.5 * i + 5, ',')}\n{text}\n"
        for i, text in enumerate(lines)
    ]
    doc = load_bytes("\n".join(cues).encode("utf-8-sig"), uri="file:///x/lecture.srt", suffix=".srt")
    assert doc.format == "subtitles"
    assert [b.text for b in doc.blocks] == lines  # cue numbers and timings are not text
    assert [b.anchor for b in doc.blocks][:3] == ["t=1.25", "t=5.75", "t=10.25"]
    chunks = chunk_document(doc)
    assert len(chunks) > 1 and all(c.anchor.startswith("t=") for c in chunks)
    second = chunks[1]
    first_cue = next(i for i, text in enumerate(lines) if second.text.startswith(text))
    assert second.anchor == doc.blocks[first_cue].anchor  # a chunk starts where its first cue starts


def test_vtt_drops_headers_notes_and_tags_and_keeps_the_speaker() -> None:
    lines = _narration(3)
    vtt = (
        "WEBVTT - 培训录像\n\nNOTE 由会议系统导出\n\nSTYLE\n::cue { color: yellow }\n\n"
        f"intro\n00:00.500 --> 00:04.000 align:start\n<v 讲师>{lines[0]}</v>\n\n"
        f"01:02:03.250 --> 01:02:07.000\n<i>{lines[1]}</i>\n\n"
        f"01:02:07.000 --> 01:02:09.000\n<i>{lines[1]}</i>\n\n"  # a roll-up repeat
        f"01:02:09.000 --> 01:02:12.000\n{lines[2]}\n"
    )
    doc = load_bytes(vtt.encode(), uri="file:///x/training.vtt", suffix=".vtt")
    assert [(b.text, b.anchor) for b in doc.blocks] == [
        (f"讲师：{lines[0]}", "t=0.5"),
        (lines[1], "t=3723.25"),
        (lines[2], "t=3729"),
    ]


def test_email_with_real_attachments_nests_their_structure_and_warns_of_the_rest() -> None:
    from email.message import EmailMessage

    docs = debian_reference()
    _, header, rows = tables((docs / "ch01.zh-cn.html").read_bytes())[0]
    table = io.StringIO()
    csv.writer(table).writerows([header, *rows])
    mail = EmailMessage()
    mail["Subject"] = "转发：Debian 参考手册第 1 章"
    mail["From"] = "王丽华 <wanglh@example.com>"
    mail["To"] = "全体员工 <all@example.com>"
    mail["Date"] = "Tue, 01 Dec 2026 09:30:00 +0800"
    mail.set_content("\n".join(_narration(2)))
    mail.add_attachment(
        (docs / "ch01.zh-cn.html").read_bytes(), maintype="text", subtype="html", filename="ch01.html"
    )
    mail.add_attachment(table.getvalue().encode(), maintype="text", subtype="csv", filename="软件包.csv")
    mail.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="截图.png")
    mail.add_attachment(b"%PDF-1.4 junk", maintype="application", subtype="pdf", filename="损坏.pdf")
    doc = load_bytes(mail.as_bytes(), uri="file:///x/mail.eml", suffix=".eml")
    assert doc.title == "转发：Debian 参考手册第 1 章"
    headings = [(b.level, b.text, b.anchor) for b in doc.blocks if b.kind == "heading"]
    assert headings[0] == (1, "转发：Debian 参考手册第 1 章", "")
    assert (2, "附件：ch01.html", "attachment=ch01.html") in headings
    assert (5, "1.1.3. root 账户", "attachment=ch01.html&_the_root_account") in headings
    assert doc.blocks[1].text.startswith("发件人：王丽华 <wanglh@example.com>；收件人：")
    assert _narration(1)[0] in doc.blocks[2].text
    chunks = chunk_document(doc)
    root = next(c for c in chunks if c.heading_path[-1] == "1.1.3. root 账户")
    assert root.heading_path[:2] == ("转发：Debian 参考手册第 1 章", "附件：ch01.html")
    assert root.anchor == "attachment=ch01.html&_the_root_account"
    row = next(c for c in chunks if "软件包：mc；" in c.text)
    assert row.anchor == "attachment=软件包.csv&row=2"
    assert len(doc.warnings) == 2 and "截图.png" in doc.warnings[0] and "损坏.pdf" in doc.warnings[1]


def test_slides_from_real_sections_are_cited_by_slide() -> None:
    from pptx import Presentation
    from pptx.util import Inches

    from ingest.loaders import html

    page = (debian_reference() / "ch01.zh-cn.html").read_bytes()
    sections: list[tuple[str, list[str]]] = []
    for block in html.load(page).blocks:
        if block.kind == "heading" and block.level == 3:
            sections.append((block.text, []))
        elif sections and block.kind in ("paragraph", "item") and "\n" not in block.text:
            sections[-1][1].append(block.text)
    deck = Presentation()
    for title, texts in sections[:5]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = texts[0]
        for text in texts[1:3]:
            body.add_paragraph().text = text
        slide.notes_slide.notes_text_frame.text = f"讲解：{title}"
    _, header, rows = tables(page)[0]
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = "建议新手安装的软件包"
    grid = slide.shapes.add_table(1 + 3, len(header), Inches(0.5), Inches(1.5), Inches(9), Inches(3)).table
    for r, cells in enumerate([header, *rows[:3]]):
        for c, text in enumerate(cells):
            grid.cell(r, c).text = text
    buffer = io.BytesIO()
    deck.save(buffer)
    doc = load_bytes(buffer.getvalue(), uri="file:///x/training.pptx", suffix=".pptx")
    assert doc.format == "slides"
    headings = [(b.text, b.anchor) for b in doc.blocks if b.kind == "heading"]
    assert headings[0] == ("1.1.1. shell 提示符", "slide=1")
    assert headings[-1] == ("建议新手安装的软件包", "slide=6")
    chunks = chunk_document(doc)
    root = next(c for c in chunks if c.heading_path == ("1.1.3. root 账户",))
    assert root.anchor == "slide=3"
    assert "root 账户也被称作超级用户或特权用户" in root.text and "备注：讲解：1.1.3. root 账户" in root.text
    table = next(c for c in chunks if c.heading_path == ("建议新手安装的软件包",))
    assert "软件包：mc；流行度：V:54, I:226" in table.text and table.anchor == "slide=6"
