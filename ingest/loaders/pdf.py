"""PDF through pypdf: the document's outline (bookmarks) as its headings when it has one, else
headings inferred from font size and weight; every block carries its page (``page=N``, the fragment
PDF viewers open at), so every chunk cites its page.

Why pypdf: it is already a dependency (BSD licence, pure Python, offline), reads outlines and their
destination pages, and its text visitor reports each run's font and size — all this loader needs.
pdfplumber/pdfminer.six would add a second parser for the same facts; PyMuPDF is AGPL.

How: each page's text runs are grouped into lines with their dominant font size and boldness.
Running headers and footers (the same line, digits aside, at the top or bottom of most pages) and
table-of-contents lines (dot leaders ending in a page number) are navigation and are dropped. With
an outline, the line on an entry's destination page that reads as its title (``1.1 控制台基础`` for
the bookmark ``控制台基础``) becomes the heading at the entry's depth; an entry whose title is not
found is still kept as a heading where its page starts. Without one (or when it cannot be read, a
warning), lines set larger than the body text are headings ranked by size, and short bold lines at
body size the level below. A question-phrased heading with a short section becomes a Q–A pair
(:func:`ingest.loaders.base.question_sections`). Encrypted files are opened only if they have an
empty user password; a PDF without a text layer is refused (a scan: no OCR here).

Example::

    parsed = load(Path("debian-reference.zh-cn.pdf").read_bytes())
    [(b.level, b.text, b.anchor) for b in parsed.blocks if b.kind == "heading"][:2]
    # [(1, 'GNU/Linux 教程', 'page=29'), (2, '1.1 控制台基础', 'page=29')]
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from ingest.loaders import ocr
from ingest.loaders.base import Parsed, normalise, question_sections, reject, text_blocks
from zhiku.types import Block

# pypdf logs a warning per glyph it cannot map (e.g. TeX math fonts); the text is still extracted.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_BOLD = re.compile(r"bold|heavy|black|semibold|demi|-bd|,bd|w[6-9]\b", re.IGNORECASE)
_TOC_LINE = re.compile(r"(?:\.\s*){4,}\s*[\divxlc]+$|…{2,}\s*[\divxlc]+$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"\d+|\b[ivxlcdm]+\b", re.IGNORECASE)
_NUMBERED = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]+[章节条部分篇]|[\d一二三四五六七八九十]+[.、．]|chapter\b)", re.I
)
_SENTENCE_END = ("。", "；", "，", "：", "！", "？", ".", ";", ",")
#: A line is a heading by size when set this much larger than the body text.
_LARGER = 1.15
_MAX_HEADING_CHARS = 80
#: Scanned pages past this many are not recognised (a warning names them): OCR takes seconds a page.
OCR_MAX_PAGES = 200


@dataclass(slots=True)
class _Line:
    text: str
    size: float
    bold: bool
    heading: int = 0  # level, when the line is a heading
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Entry:
    level: int
    title: str
    page: int  # 0-based


def _lines(page: Any) -> list[_Line]:
    """The page's lines in reading order, each with the size and weight most of its characters have."""
    runs: list[tuple[float, float, bool, str]] = []  # (y, size, bold, text)

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text:
            return
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        name = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
        runs.append((y, round(float(size) * (scale or 1.0), 1), bool(_BOLD.search(name)), text))

    page.extract_text(visitor_text=visit)
    lines: list[_Line] = []
    weights: list[Counter[tuple[float, bool]]] = []
    last_y: float | None = None
    for y, size, bold, text in runs:
        new_line = not lines or last_y is None or abs(y - last_y) > 0.4 * max(size, 1.0)
        for piece in re.split(r"(\n)", text):
            if piece == "\n":
                if lines:
                    lines[-1].parts.append("\n")
                continue
            if not piece:
                continue
            if new_line or lines[-1].parts[-1:] == ["\n"]:
                lines.append(_Line("", size, bold))
                weights.append(Counter())
                new_line = False
            lines[-1].parts.append(piece)
            weights[-1][(size, bold)] += len(piece.strip())
        last_y = y
    out = []
    for line, weight in zip(lines, weights, strict=True):
        line.text = normalise("".join(p for p in line.parts if p != "\n")).strip()
        if line.text and weight:
            (line.size, line.bold), _ = weight.most_common(1)[0]
            out.append(line)
    return out


def _outline(reader: Any) -> tuple[list[_Entry], bool]:
    """The outline's entries in order (level from 1), and whether some entry could not be read."""
    entries: list[_Entry] = []
    broken = False

    def walk(items: Any, depth: int) -> None:
        nonlocal broken
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
                title = normalise(str(item.title or "")).strip()
            except Exception:  # a dangling or malformed destination: keep the rest
                broken = True
                continue
            if title and isinstance(page, int) and 0 <= page < len(reader.pages):
                entries.append(_Entry(min(depth + 1, 6), title, page))
            else:
                broken = True

    try:
        walk(reader.outline, 0)
        # pypdf skips (with a log line) a tree whose nodes are not dictionaries: an outline that
        # declares entries but yields none is broken too
        outlines = reader.trailer["/Root"].get("/Outlines")  # most PDFs have none: that is not broken
        declared = outlines is not None and "/First" in outlines.get_object()
    except Exception:  # pypdf raises assorted errors on a corrupt /Outlines tree
        return [], True
    return entries, broken or (declared and not entries)


def _compact(text: str) -> str:
    return "".join(text.split())


def _matches(line: str, title: str) -> bool:
    """Whether a line reads as an outline title (the line may add its number: ``1.1 控制台基础``)."""
    line, title = _compact(line), _compact(title)
    return line == title or (line.endswith(title) and len(line) - len(title) <= 12 and len(title) >= 2)


def _shape(text: str) -> str:
    """A line with its numbers (arabic or roman page numbers) blanked, to spot running headers."""
    return _compact(_PAGE_NUMBER.sub("#", text))


def _running(pages: list[list[_Line]]) -> set[str]:
    """Lines repeated at the top or bottom of most pages (digits aside): headers, footers, page numbers."""
    if len(pages) < 3:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        edge = {_shape(line.text) for line in lines[:2] + lines[-2:]}
        seen.update(edge)
    return {key for key, n in seen.items() if n >= max(3, len(pages) // 2)}


def _mark_by_outline(pages: list[list[_Line]], entries: list[_Entry]) -> dict[int, list[_Line]]:
    """Mark the lines that read as the outline's titles; return, per page, the entries not found
    there (they become headings at the top of their page)."""
    pending: dict[int, list[_Entry]] = {}
    for entry in entries:
        pending.setdefault(entry.page, []).append(entry)
    missing: dict[int, list[_Line]] = {}
    for number, todo in pending.items():
        lines = pages[number]
        at = 0
        for entry in todo:
            free = (i for i in range(at, len(lines)) if not lines[i].heading)
            found = next((i for i in free if _matches(lines[i].text, entry.title)), None)
            if found is None:
                missing.setdefault(number, []).append(_Line(entry.title, 0.0, True, heading=entry.level))
                continue
            lines[found].heading = entry.level
            at = found + 1
    return missing


def _body_size(pages: list[list[_Line]]) -> float:
    """The size most of the prose is set in (lines that are long or end a sentence); 0 when the
    document has no prose (a page of headings only: every line then counts as larger)."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if len(line.text) >= 20 or line.text.endswith(_SENTENCE_END):
                sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _mark_by_font(pages: list[list[_Line]], body: float) -> bool:
    """Mark headings by size (larger than the body, ranked) and weight; False if none stands out."""

    def candidate(line: _Line) -> bool:
        return len(line.text) <= _MAX_HEADING_CHARS and not line.text.endswith(_SENTENCE_END)

    larger = sorted(
        {line.size for lines in pages for line in lines if line.size > body * _LARGER and candidate(line)},
        reverse=True,
    )[:5]
    rank = {size: i + 1 for i, size in enumerate(larger)}
    found = False
    for lines in pages:
        for line in lines:
            bold = line.bold and len(line.text) <= 40 and abs(line.size - body) <= body * 0.1
            if line.size in rank and candidate(line):
                line.heading = rank[line.size]
            elif bold and candidate(line):
                line.heading = len(larger) + 1
            found = found or bool(line.heading)
    return found


def _merge_wrapped(lines: list[_Line], body: float) -> list[_Line]:
    """One heading per title: consecutive heading lines of one size are a wrapped title, and a label
    line right above a larger title ("Chapter 1" / "GNU/Linux 教程") belongs to it."""
    out: list[_Line] = []
    for line in lines:
        prev = out[-1] if out else None
        label = prev is not None and not prev.heading and len(prev.text) <= 20 and prev.size > body * _LARGER
        if prev is not None and line.heading and label and prev.size >= 0.8 * line.size:  # "Chapter 1"
            out[-1] = replace(line, text=f"{prev.text} {line.text}")
            continue
        if prev is not None and prev.heading and line.heading and prev.size and line.size:
            wrapped = len(prev.text) >= 20 and not _NUMBERED.match(line.text)  # a title runs on
            if wrapped and prev.size == line.size and prev.heading == line.heading:
                prev.text = f"{prev.text} {line.text}"
                continue
            if line.size > prev.size:
                out[-1] = replace(line, text=f"{prev.text} {line.text}")
                continue
        out.append(line)
    return out


def _blocks(
    pages: list[list[_Line]], missing: dict[int, list[_Line]], structured: bool, body: float
) -> list[Block]:
    blocks: list[Block] = []

    def add(segment: list[str], anchor: str) -> None:
        for block in text_blocks(segment):
            if structured and block.kind == "heading":  # a guess from line shape: outline/fonts know better
                block = replace(block, kind="paragraph", level=0)
            blocks.append(replace(block, anchor=anchor))
        segment.clear()

    for number, lines in enumerate(pages):
        anchor = f"page={number + 1}"
        segment: list[str] = []
        for line in missing.get(number, []):
            blocks.append(Block("heading", line.text, level=line.heading, anchor=anchor))
        for line in _merge_wrapped(lines, body):
            if line.heading:
                add(segment, anchor)
                blocks.append(Block("heading", line.text, level=line.heading, anchor=anchor))
            else:
                segment.append(line.text)
        add(segment, anchor)
    # levels in use, renumbered from 1: a chapter label merged into its title leaves its size's rank unused
    used = sorted({b.level for b in blocks if b.kind == "heading"})
    rank = {level: i + 1 for i, level in enumerate(used)}
    return [replace(b, level=rank[b.level]) if b.kind == "heading" else b for b in blocks]


def _pages(numbers: list[int]) -> str:
    return "、".join(str(n + 1) for n in numbers[:20]) + ("…" if len(numbers) > 20 else "")


def _with_scans(blocks: list[Block], scanned: dict[int, list[Block]]) -> list[Block]:
    """Text-layer blocks and OCR'd pages merged in page order."""
    if not scanned:
        return blocks
    out: list[Block] = []
    pending = sorted(scanned)
    for block in blocks:
        page = int(block.anchor.removeprefix("page=").split("&", 1)[0] or 0) - 1
        while pending and pending[0] < page:
            out.extend(scanned[pending.pop(0)])
        out.append(block)
    for number in pending:
        out.extend(scanned[number])
    return out


def _scanned(reader: Any, numbers: list[int]) -> tuple[dict[int, list[Block]], list[int]]:
    """OCR of the pages without a text layer (their largest image, taken as covering the page):
    paragraphs located at ``page=N&viewrect=…`` (points); and the pages that could not be read."""
    found: dict[int, list[Block]] = {}
    unread = []
    for number in numbers[:OCR_MAX_PAGES]:
        try:
            page = reader.pages[number]
            images = list(page.images)
            if not images:
                continue  # a blank page
            image = max(images, key=lambda im: len(im.data))
            scale = float(page.mediabox.width) / max(image.image.width, 1)
            regions = ocr.recognise(image.data)
        except Exception:  # tesseract failed (DocumentRejected) or pypdf cannot decode the image
            unread.append(number)
            continue
        found[number] = [
            Block(
                "paragraph",
                r.text,
                anchor=f"page={number + 1}&viewrect=" + ",".join(str(round(v * scale)) for v in r.box),
            )
            for r in regions
        ]
    return found, unread + numbers[OCR_MAX_PAGES:]


def load(data: bytes) -> Parsed:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    warnings: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise reject("PDF 有密码保护", "the PDF is password-protected")
        pages = [_lines(page) for page in reader.pages]
        title = str(reader.metadata.get("/Title") or "") if reader.metadata else ""
        entries, broken = _outline(reader)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise reject(f"PDF 已损坏或无法解析：{exc}", f"corrupt or unreadable PDF: {exc}") from None
    except Exception as exc:  # pypdf raises assorted errors on junk; the batch must go on
        if type(exc).__name__ == "DocumentRejected":
            raise
        raise reject(f"PDF 无法解析：{type(exc).__name__}", f"unreadable PDF: {exc}") from None
    if broken:
        warnings.append(
            "PDF 书签（目录）部分损坏，已忽略无法读取的条目"
            if entries
            else "PDF 书签（目录）已损坏，按字号推断标题"
        )
    drop = _running(pages)
    pages = [
        [line for line in lines if _shape(line.text) not in drop and not _TOC_LINE.search(line.text)]
        for lines in pages
    ]
    body = _body_size(pages)
    missing = _mark_by_outline(pages, entries) if entries else {}
    structured = bool(entries) or _mark_by_font(pages, body)
    blocks = _blocks(pages, missing, structured, body)
    empty = [number for number, lines in enumerate(pages) if not lines]
    if empty and ocr.available():
        scanned, unread = _scanned(reader, empty)
        blocks = _with_scans(blocks, scanned)
        if scanned:
            warnings.append(f"第 {_pages(sorted(scanned))} 页是扫描件，文字由 OCR 识别，可能有误")
        if unread:
            warnings.append(f"第 {_pages(unread)} 页是扫描件，OCR 未能识别")
    elif empty and blocks:
        warnings.append(f"第 {_pages(empty)} 页没有文字层，未做 OCR（未安装 tesseract）")
    blocks = question_sections(blocks)
    if not any(b.text.strip() for b in blocks):
        raise reject("PDF 没有文字层（扫描件？），OCR 也未识别出文字", "no text layer, and OCR found no text")
    first = next((b.text for b in blocks if b.kind == "heading"), blocks[0].text)
    return Parsed(tuple(blocks), normalise(title).strip() or first, tuple(warnings))
