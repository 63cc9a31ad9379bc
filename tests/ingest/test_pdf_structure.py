"""The PDF loader keeps the document's structure: its outline (bookmarks) as headings, else headings
from font sizes, a page anchor (``page=N``) on every chunk, question-headed sections as Q–A pairs —
on Debian's real ``debian-reference.zh-cn.pdf`` (DocBook → dblatex → xdvipdfmx, with an outline) and
on generated PDFs for the bad cases: broken outline, no headings, only headings, 10,000 headings,
mixed traditional/simplified headings, encryption, junk — each loaded with a warning or rejected
with its reason while the batch goes on."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import ingest
from ingest.chunking import chunk_document
from ingest.loaders import DocumentRejected, load_bytes
from ingest.loaders.base import is_question
from search.embedders import load_embedder
from search.service import SearchService
from tests.ingest.realdocs import debian_reference
from zhiku.types import Chunk, Document

#: Chapter 1 of the real PDF: its pages 29–40 (0-based 28–39).
CHAPTER_1 = (28, 40)


@pytest.fixture(scope="module")
def debian_pdf() -> Path:
    return debian_reference() / "debian-reference.zh-cn.pdf"


def _extract(source: Path, *, outline: bool) -> bytes:
    """Chapter 1 of the real PDF as its own file (with the bookmarks of those pages, or none)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.append(str(source), pages=CHAPTER_1, import_outline=outline)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def chapter_1(debian_pdf: Path) -> bytes:
    return _extract(debian_pdf, outline=True)


def _load(data: bytes, name: str = "x.pdf") -> Document:
    return load_bytes(data, uri=f"file:///docs/{name}", suffix=".pdf")


def _headings(doc: Document) -> list[tuple[int, str, str]]:
    return [(b.level, b.text, b.anchor) for b in doc.blocks if b.kind == "heading"]


def _by_section(chunks: list[Chunk], last: str) -> Chunk:
    return next(c for c in chunks if c.heading_path and c.heading_path[-1] == last)


def test_real_pdf_outline_gives_heading_paths_and_every_chunk_its_page(chapter_1: bytes) -> None:
    doc = _load(chapter_1)
    found = _headings(doc)
    assert found[:3] == [
        (1, "Chapter 1 GNU/Linux 教程", "page=1"),  # the chapter label joins its title
        (2, "1.1 控制台基础", "page=1"),  # the bookmark says 控制台基础; the page's own line keeps its number
        (3, "1.1.1 shell 提示符", "page=1"),
    ]
    assert (3, "1.1.3 root 账户", "page=2") in found
    assert (2, "1.2 类 Unix 文件系统", "page=6") in found
    chunks = chunk_document(doc)
    # the cover is an image: OCR cites its region (page=N&viewrect=…)
    assert all(re.fullmatch(r"page=\d+(&viewrect=[\d,]+)?", c.anchor) for c in chunks)
    assert all(c.heading_path for c in chunks)
    root = _by_section(chunks, "1.1.3 root 账户")
    assert root.heading_path == ("Chapter 1 GNU/Linux 教程", "1.1 控制台基础", "1.1.3 root 账户")
    assert root.anchor == "page=2"
    assert "root 账户也被称作超级用户或特权用户" in root.text
    # a section that runs onto the next page cites the page its chunk starts on
    pages = {c.anchor for c in chunks if c.heading_path[-1] == "1.2.3 文件系统权限"}
    assert len(pages) >= 2
    text = "\n".join(c.text for c in chunks)
    assert not re.search(r"Debian 参考手册 ?\d+/ ?\d+", text)  # the running header "Debian 参考手册 1/ 223"


def test_real_pdf_question_headings_become_question_answer_pairs(chapter_1: bytes) -> None:
    chunks = chunk_document(_load(chapter_1))
    pair = _by_section(chunks, "1.1.7 怎样退出命令行提示符")
    assert pair.kind == "faq"
    assert pair.heading_path[:2] == ("Chapter 1 GNU/Linux 教程", "1.1 控制台基础")
    assert pair.text.startswith("问：1.1.7 怎样退出命令行提示符\n答：")
    assert "exit" in pair.text
    assert pair.anchor.startswith("page=")
    assert _by_section(chunks, "1.1.8 怎样关闭系统").kind == "faq"
    assert is_question("什麼是虛擬主控台？") and not is_question("1.1.3 root 账户")


def test_real_pdf_without_outline_takes_headings_from_font_sizes(debian_pdf: Path) -> None:
    doc = _load(_extract(debian_pdf, outline=False))
    found = _headings(doc)
    assert found[0] == (1, "Chapter 1 GNU/Linux 教程", "page=1")
    assert (2, "1.1 控制台基础", "page=1") in found
    assert (3, "1.1.3 root 账户", "page=2") in found
    assert (2, "1.2 类 Unix 文件系统", "page=6") in found
    chunks = chunk_document(doc)
    assert _by_section(chunks, "1.1.3 root 账户").heading_path[-2] == "1.1 控制台基础"


def test_ingested_pdf_is_found_with_its_section_and_page_link(
    chapter_1: bytes, store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "debian-reference-ch1.pdf").write_bytes(chapter_1)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00junk" * 50)
    (folder / "bad-outline.pdf").write_bytes(_corrupt_outline_pdf())
    service = SearchService(store, tmp_path / "idx", load_embedder("static"))
    try:
        report = ingest.run([folder], store, service)
        hits = service.search("root 账户 超级用户", k=5).hits
    finally:
        service.close()
    assert sorted(uri.rsplit("/", 1)[1] for uri in report.new) == [
        "bad-outline.pdf",
        "debian-reference-ch1.pdf",
    ]
    assert [uri.rsplit("/", 1)[1] for uri, _ in report.rejected] == ["broken.pdf"]  # the batch went on
    assert [(uri.rsplit("/", 1)[1], "书签" in why) for uri, why in report.warnings] == [
        ("bad-outline.pdf", True)
    ]
    assert report.summary()["warnings"] == 1
    hit = next(h for h in hits if h.link.endswith("#page=2"))
    assert "1.1.3 root 账户" in hit.section
    assert hit.link == hit.uri + "#page=2"


@pytest.mark.slow
def test_whole_debian_reference_pdf_keeps_every_bookmark(debian_pdf: Path) -> None:
    doc = _load(debian_pdf.read_bytes())
    chunks = chunk_document(doc)
    assert len([b for b in doc.blocks if b.kind in ("heading", "qa") and b.level]) >= 440
    # the cover is an image: OCR cites its region (page=N&viewrect=…)
    assert all(re.fullmatch(r"page=\d+(&viewrect=[\d,]+)?", c.anchor) for c in chunks)
    assert not [w for w in doc.warnings if "书签" in w]  # the outline is whole (the cover is OCR'd)


# -- generated PDFs: the bad cases ------------------------------------------------------------------

Item = tuple[float, str]  # (font size, text); size 0 starts a new page
Outline = list[tuple[int, str, int]] | tuple[()]


def _pdf(items: list[Item], outline: Outline = (), *, encrypt: str = "") -> bytes:
    """A PDF drawn line by line in a CJK font (reportlab), with ``outline`` entries added by pypdf
    (level from 0, title, page index; a page index past the end dangles) and an optional password."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NumberObject
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    y = 800.0
    for size, text in items:
        if size == 0 or y < 60:
            pdf.showPage()
            y = 800.0
            if size == 0:
                continue
        pdf.setFont("STSong-Light", size)
        pdf.drawString(50, y, text)
        y -= size * 1.6
    pdf.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    parents: dict[int, object] = {}
    for level, title, page in outline:
        dangling = page >= len(writer.pages)
        item = writer.add_outline_item(
            title=title, page_number=0 if dangling else page, parent=parents.get(level - 1)
        )
        parents[level] = item
        if dangling:  # a destination that is not a page
            node = item.get_object()
            node.pop("/A", None)
            node[NameObject("/Dest")] = ArrayObject(
                [writer._add_object(NumberObject(page)), NameObject("/Fit")]
            )
    if encrypt:
        writer.encrypt(user_password=encrypt, owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BODY = 10.0


def _corrupt_outline_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    items = [
        (18, "第一章 总则"),
        (BODY, "为规范管理，制定本办法。"),
        (14, "第二章 适用范围"),
        (BODY, "本办法适用于全体员工。"),
    ]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf(items, [(0, "第一章 总则", 0)]))))
    outlines = writer.root_object["/Outlines"].get_object()
    outlines[NameObject("/First")] = writer._add_object(ArrayObject([NumberObject(1)]))  # not a dictionary
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_corrupt_outline_falls_back_to_font_sizes_with_a_warning() -> None:
    doc = _load(_corrupt_outline_pdf())
    assert doc.warnings and "书签" in doc.warnings[0]
    assert _headings(doc) == [(1, "第一章 总则", "page=1"), (2, "第二章 适用范围", "page=1")]
    assert "本办法适用于全体员工。" in chunk_document(doc)[-1].text


def test_outline_entry_with_a_dangling_destination_is_dropped_with_a_warning() -> None:
    items = [
        (18, "第一章 总则"),
        (BODY, "为规范管理，制定本办法。"),
        (0, ""),
        (18, "第二章 范围"),
        (BODY, "全体员工。"),
    ]
    doc = _load(_pdf(items, [(0, "第一章 总则", 0), (0, "第二章 范围", 1), (0, "附录", 9)]))
    assert [(level, text) for level, text, _ in _headings(doc)] == [(1, "第一章 总则"), (1, "第二章 范围")]
    assert _headings(doc)[1][2] == "page=2"
    assert doc.warnings and "部分损坏" in doc.warnings[0]


def test_pdf_without_headings_keeps_its_text_with_pages() -> None:
    lines = [(BODY, f"第{i}段：所有员工应当遵守本制度的各项规定，违者按情节处理。") for i in range(1, 80)]
    doc = _load(_pdf(lines), "plain.pdf")
    chunks = chunk_document(doc)
    text = "".join(c.text for c in chunks)
    assert all(f"第{i}段" in text for i in range(1, 80))
    assert {c.anchor for c in chunks} >= {"page=1", "page=2"}


def test_pdf_of_headings_only_keeps_each_as_a_chunk() -> None:
    items = [(18, "员工手册")] + [(14, f"第{i}章 标题{i}") for i in range(1, 6)]
    chunks = chunk_document(_load(_pdf(items)))
    assert [c.text for c in chunks] == [f"第{i}章 标题{i}" for i in range(1, 6)]
    assert all(c.heading_path[0] == "员工手册" for c in chunks)


@pytest.mark.parametrize("count", [1_000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_thousands_of_bookmarks_are_all_kept_as_headings(count: int) -> None:
    items: list[Item] = []
    for page in range(5):
        items += (
            [(0, ""), (BODY, f"正文第{page}页，{'甲乙丙丁戊'[page]}。")]
            if page
            else [(BODY, "正文第0页，甲。")]
        )
    outline = [(0, f"条目 {n:05d}", n % 5) for n in range(count)]
    doc = _load(_pdf(items, outline))
    found = _headings(doc)
    assert len(found) == count
    assert len({text for _, text, _ in found}) == count
    assert "正文第4页，戊。" in "".join(c.text for c in chunk_document(doc))


def test_mixed_traditional_and_simplified_headings_are_kept_as_written() -> None:
    items = [
        (18, "第一章 總則"),
        (BODY, "為規範管理，制定本辦法。"),
        (18, "第二章 适用范围"),
        (BODY, "本办法适用于全体员工。"),
    ]
    doc = _load(_pdf(items))
    assert [text for _, text, _ in _headings(doc)] == ["第一章 總則", "第二章 适用范围"]
    assert chunk_document(doc)[0].heading_path == ("第一章 總則",)


def test_encrypted_and_junk_pdfs_are_rejected_with_their_reason() -> None:
    with pytest.raises(DocumentRejected) as locked:
        _load(_pdf([(18, "机密"), (BODY, "内容。")], encrypt="secret"))
    assert "密码" in locked.value.message_zh
    with pytest.raises(DocumentRejected) as junk:
        _load(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n%%EOF")
    assert "PDF" in junk.value.message_zh
