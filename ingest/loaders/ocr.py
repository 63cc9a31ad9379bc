"""Scanned pages and images through OCR: Debian's ``tesseract-ocr`` with its Chinese models
(``tesseract-ocr-chi-sim``, ``tesseract-ocr-chi-tra``; ``make test`` installs them), run as a
subprocess — one command, no Python wrapper needed. Tesseract's TSV output gives every word with its
box; words are joined into its paragraphs (Chinese without spaces, Latin words with them), and each
paragraph keeps its region, so a citation points into the page:

- an image: ``xywh=120,340,860,96`` (pixels; the W3C Media Fragments spatial form);
- a scanned PDF page: ``page=3&viewrect=43,122,310,35`` (points from the page's top left; the PDF
  open parameter viewers honour), the scan taken as covering its page.

Without tesseract an image is refused with the reason (and a scanned PDF as before: no text layer).

Example::

    regions = recognise(Path("scan.png").read_bytes())
    regions[0].text, regions[0].box          # ('第一条 为规范…', (120, 340, 860, 96))
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ingest.loaders.base import Parsed, normalise, reject
from zhiku.types import Block

#: Tesseract's models, tried together: simplified and traditional Chinese, and English for the
#: Latin words of technical text.
OCR_LANGUAGES = "chi_sim+chi_tra+eng"
#: Seconds one image may take before it is given up (a page at 300 dpi takes a few on one core).
OCR_TIMEOUT = 180


@dataclass(frozen=True, slots=True)
class Region:
    """One paragraph of recognised text and its box (left, top, width, height) in pixels."""

    text: str
    box: tuple[int, int, int, int]


def available() -> bool:
    return shutil.which("tesseract") is not None


def _join(left: str, right: str) -> str:
    """Chinese words run together; Latin words and numbers keep a space between them."""
    if not left:
        return right
    return left + (" " if left[-1].isascii() and right[:1].isascii() else "") + right


def recognise(image: bytes) -> list[Region]:
    """The image's paragraphs in reading order; ``DocumentRejected`` when tesseract cannot run."""
    if not available():
        raise reject(
            "需要 OCR 识别，但未安装 tesseract（apt-get install tesseract-ocr tesseract-ocr-chi-sim）",
            "OCR needed but tesseract is not installed",
        )
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", OCR_LANGUAGES, "--psm", "3", "tsv"],
            input=image,
            capture_output=True,
            timeout=OCR_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise reject("OCR 识别超时", f"OCR took longer than {OCR_TIMEOUT} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise reject(f"OCR 无法识别这个图像：{reason[0]}", f"tesseract failed: {reason[0]}")
    words: dict[tuple[int, int], str] = {}  # (block, paragraph) → its text so far
    boxes: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for row in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or not cells[0].isdigit():
            continue
        level, key = int(cells[0]), (int(cells[2]), int(cells[3]))
        box = (int(cells[6]), int(cells[7]), int(cells[8]), int(cells[9]))
        if level == 3:
            boxes[key] = box
        elif level == 5 and cells[11].strip():  # a word; a paragraph's wrapped lines run on
            words[key] = _join(words.get(key, ""), cells[11].strip())
    regions = (Region(normalise(text).strip(), boxes.get(key, (0, 0, 0, 0))) for key, text in words.items())
    return [r for r in regions if r.text]


def load_image(data: bytes) -> Parsed:
    """An image (a photographed notice, a scanned form): its paragraphs, each at its region."""
    regions = recognise(data)
    if not regions:
        raise reject("图像中没有识别出文字", "no text recognised in the image")
    blocks = tuple(Block("paragraph", r.text, anchor="xywh=" + ",".join(map(str, r.box))) for r in regions)
    return Parsed(blocks, warnings=("文字由 OCR 识别，可能有误",))
