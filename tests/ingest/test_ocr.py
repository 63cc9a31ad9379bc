"""Scanned documents through OCR (Debian's tesseract-ocr with chi_sim/chi_tra): an image of real
documentation text is read into paragraphs cited by region (``xywh=…``); a PDF whose page is a scan
gets that page recognised and cited by page and region (``page=N&viewrect=…``), in page order with
its text-layer pages."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.loaders import html, load_bytes, ocr
from tests.ingest.realdocs import debian_reference

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
pytestmark = pytest.mark.skipif(
    not ocr.available() or not FONT.exists(),
    reason="needs tesseract-ocr and fonts-noto-cjk (make test installs them)",
)


def _scan(lines: list[str], width: int = 1100):  # type: ignore[no-untyped-def]
    """The lines printed in a CJK font on a white page, as a scanner would see them."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), 28, index=2)  # index 2: Simplified Chinese
    image = Image.new("L", (width, 80 + 48 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    y = 40
    for line in lines:
        if line:
            draw.text((50, y), line, font=font, fill=0)
        y += 48
    return image


def _real_lines() -> list[str]:
    """Chapter 1's heading 1.1.3 and the start of its text, wrapped at 30 characters."""
    blocks = html.load((debian_reference() / "ch01.zh-cn.html").read_bytes()).blocks
    at = next(i for i, b in enumerate(blocks) if b.text == "1.1.3. root 账户")
    text = blocks[at + 1].text
    return [blocks[at].text, "", *(text[i : i + 30] for i in range(0, 60, 30))]


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_image_of_real_text_is_read_into_paragraphs_with_their_regions() -> None:
    lines = _real_lines()
    buffer = io.BytesIO()
    _scan(lines).save(buffer, format="PNG")
    doc = load_bytes(buffer.getvalue(), uri="file:///x/scan.png", suffix=".png")
    assert doc.format == "image" and doc.warnings
    heading, body = doc.blocks[0], doc.blocks[1]
    assert _compact(heading.text) == _compact(lines[0])
    assert _compact(lines[2] + lines[3]) in _compact(body.text)  # wrapped lines of one paragraph, one block
    x, y, w, h = map(int, heading.anchor.removeprefix("xywh=").split(","))
    assert 40 <= x <= 60 and 30 <= y <= 50 and h < 48 < w  # where the first line was printed
    assert chunk_document(doc)[0].anchor == heading.anchor


@pytest.mark.slow
def test_scanned_pdf_page_is_recognised_in_page_order_with_page_and_region() -> None:
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    lines = _real_lines()
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    typed = io.BytesIO()
    page = canvas.Canvas(typed, invariant=1)
    page.setFont("STSong-Light", 12)
    page.drawString(50, 780, "本章的前言在这一页，有文字层。")
    page.save()
    scanned = io.BytesIO()
    _scan(lines).save(scanned, format="PDF", resolution=150)
    writer = PdfWriter()
    for source in (typed, scanned):
        writer.append(PdfReader(io.BytesIO(source.getvalue())))
    out = io.BytesIO()
    writer.write(out)
    doc = load_bytes(out.getvalue(), uri="file:///x/scan.pdf", suffix=".pdf")
    assert doc.warnings == ("第 2 页是扫描件，文字由 OCR 识别，可能有误",)
    assert doc.blocks[0].text == "本章的前言在这一页，有文字层。" and doc.blocks[0].anchor == "page=1"
    scan = doc.blocks[1]
    assert _compact(scan.text) == _compact(lines[0])
    assert scan.anchor.startswith("page=2&viewrect=")
    left, top, _, height = (int(v) for v in scan.anchor.split("viewrect=")[1].split(","))
    assert 20 <= left <= 30 and 15 <= top <= 25 and height < 20  # 150 dpi pixels → points (× 0.48)
