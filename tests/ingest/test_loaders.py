"""Loaders read every demo format, keep structure and metadata, and reject bad files with a reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from demo.load import DEMO_DIR
from ingest.loaders import DocumentRejected, discover, load_bytes, load_file

DOCS = DEMO_DIR / "docs"


def test_every_demo_document_loads_with_title_and_structure() -> None:
    found = list(discover([DOCS, DEMO_DIR / "faq.csv"]))
    assert len(found) == 35  # 34 documents (32 Chinese, a Japanese and an English one) and the FAQ
    for path, meta in found:
        doc = load_file(path, meta=meta)
        assert doc.blocks, path.name
        assert doc.title, path.name
        assert len(doc.content_hash) == 64
        if path.suffix != ".csv":
            assert any(b.kind == "heading" for b in doc.blocks), path.name


def test_html_boilerplate_is_stripped() -> None:
    doc = load_file(DOCS / "expense.html")
    text = "\n".join(b.text for b in doc.blocks)
    assert "第五条" in text and "财务总监审批" in text
    for boilerplate in ("员工门户", "版权所有", "相关链接", "通讯录"):
        assert boilerplate not in text
    assert doc.title == "费用报销管理办法"


def test_sidecar_metadata_sets_scope_and_policy() -> None:
    single = dict(discover([DOCS / "salary-adjustment-2026.docx"]))  # a single file still finds its index
    assert single[DOCS / "salary-adjustment-2026.docx"]["access"]["roles"] == ["hr"]
    scoped = {p.name: m for p, m in discover([DOCS])}
    doc = load_file(DOCS / "salary-adjustment-2026.docx", meta=scoped["salary-adjustment-2026.docx"])
    assert doc.scope.departments == ("D-HR",)
    assert doc.scope.roles == ("hr",)
    assert not doc.scope.is_public
    annual = load_file(DOCS / "annual-leave.md", meta=scoped["annual-leave.md"])
    assert annual.metadata["policy"] == "POL-annual-leave"
    assert annual.scope.is_public


def test_pdf_keeps_clauses_and_chinese_punctuation() -> None:
    doc = load_file(DOCS / "approval-authority.pdf")
    text = "\n".join(b.text for b in doc.blocks)
    assert "单笔超过5000元" in text
    assert "（表单 FIN-F-001）" in text  # full-width brackets kept as written


def test_faq_sheet_gives_question_answer_pairs_with_categories() -> None:
    doc = load_file(DEMO_DIR / "faq.csv")
    pairs = [b for b in doc.blocks if b.kind == "qa"]
    assert len(pairs) == 108
    assert pairs[0].text.startswith("问：年假怎么申请？\n答：")
    assert pairs[0].tag == "TOPIC-leave"


def test_faq_xlsx_with_chinese_headers(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["问题", "答案", "分类"])
    sheet.append(["公司有班车吗？", "上海总部有免费通勤巴士。", "福利"])
    path = tmp_path / "faq.xlsx"
    book.save(path)
    doc = load_file(path)
    assert [b.tag for b in doc.blocks] == ["福利"]


def test_gb18030_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes("第一条 报销须在60天内提交。\n第二条 逾期不予报销。".encode("gb18030"))
    doc = load_file(path)
    assert "报销须在60天内提交" in doc.blocks[0].text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"", "文件为空"),
        ("blank.txt", b"   \n\n ", "文件为空"),
        ("junk.txt", bytes(range(256)) * 40, "二进制"),
        ("corrupt.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 100, "PDF"),
        ("corrupt.docx", b"PK\x03\x04 not really a zip", "Word"),
        ("page.html", b"<html><head><script>var a=1;</script></head><body></body></html>", "正文"),
        ("data.bin", b"hello", "不支持的文件类型"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentRejected) as info:
        load_bytes(data, uri=f"file:///x/{name}", suffix=Path(name).suffix)
    assert reason in info.value.message_zh


def test_password_protected_pdf_is_rejected() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(DOCS / "fire-safety.pdf").pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentRejected) as info:
        load_bytes(buffer.getvalue(), uri="file:///x/locked.pdf", suffix=".pdf")
    assert "密码" in info.value.message_zh


def test_oversized_file_is_rejected_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_bytes(b"# title\n" + b"x" * 5000)
    with pytest.raises(DocumentRejected) as info:
        load_file(big, max_bytes=1000)
    assert "文件过大" in info.value.message_zh
