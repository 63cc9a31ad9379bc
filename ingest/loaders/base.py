"""What every loader shares: size and content checks, encoding detection, content hashes, and
turning Markdown-like text into structural blocks.

A loader takes bytes and returns the document's blocks (and a title when the format has one); the
dispatcher in :mod:`ingest.loaders` picks the loader by file extension and builds the ``Document``.
A file that cannot be read raises :class:`DocumentRejected` with a reason the summary shows.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

from zhiku.errors import ZhikuError
from zhiku.settings import INGEST_MAX_BYTES
from zhiku.types import Block

#: Files larger than this are refused before parsing (override with ZHIKU_INGEST_MAX_BYTES).
DEFAULT_MAX_BYTES = INGEST_MAX_BYTES

_HEADING_MD = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.、)）])\s+(.*)$")
#: Headings in plain text and PDFs: 第一章 / 一、 / 1.1 / (一) style lines without sentence punctuation.
_TEXT_HEADING = re.compile(
    r"^(第[一二三四五六七八九十百零〇\d]+[章节部分篇]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+(?:\.\d+)+\s)"
)


class DocumentRejected(ZhikuError):
    """A file that cannot be ingested (corrupt, encrypted, empty, binary, too large); the batch goes on."""

    code = "DOCUMENT_REJECTED"


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a format loader returns."""

    blocks: tuple[Block, ...]
    title: str = ""
    warnings: tuple[str, ...] = ()  # what was read only in part (a broken PDF outline…), in Chinese
    format: str = ""  # when the content decides it (a spreadsheet that is an FAQ sheet: "faq")


def reject(reason_zh: str, reason_en: str) -> DocumentRejected:
    return DocumentRejected(reason_zh, reason_en)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: Full-width letters and digits → ASCII; Chinese punctuation (，。：；（）) is kept as written.
_WIDE_ALNUM = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},
    **{0xFF21 + i: 0x41 + i for i in range(26)},
    **{0xFF41 + i: 0x61 + i for i in range(26)},
    0x200B: None,
    0xFEFF: None,
    # Kangxi radicals and CJK radical supplements → the ideographs they look like: PDF printers
    # (Chromium/Skia) map 一 人 示 用 to U+2F00… glyph names, which would never match a query.
    **{
        cp: folded
        for cp in (*range(0x2E80, 0x2EF4), *range(0x2F00, 0x2FD6))
        if len(folded := unicodedata.normalize("NFKC", chr(cp))) == 1 and folded != chr(cp)
    },
}


def normalise(text: str) -> str:
    """Full-width letters/digits → ASCII, Kangxi radicals → ideographs, no zero-width characters,
    collapsed blanks inside lines."""
    text = text.translate(_WIDE_ALNUM)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def decode_text(data: bytes) -> str:
    """Decode bytes of unknown encoding: UTF-8 (with or without BOM) first, then detection
    (charset-normalizer) — GB18030/GBK and Big5 are common on Chinese intranets. Binary junk is refused."""
    if b"\x00" in data[:8192]:
        raise reject("文件含二进制内容，不是文本", "the file holds binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16", "latin_1"]).best()
    if best is None or best.chaos > 0.3:
        raise reject("无法识别文件编码", "cannot detect the file's text encoding")
    return str(best)


def markdown_blocks(text: str) -> list[Block]:
    """Blocks from Markdown (also the shape trafilatura gives for HTML): headings, items, paragraphs.

    Table rows become paragraphs with their cells joined, so their words stay searchable.
    """
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    for raw in normalise(text).splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if m := _HEADING_MD.match(line):
            flush()
            blocks.append(Block("heading", m.group(2), level=len(m.group(1))))
        elif re.fullmatch(r"\|?\s*:?-{2,}.*", line):
            continue  # table separator
        elif line.startswith("|"):
            flush()
            cells = [c.strip() for c in line.strip("|").split("|")]
            blocks.append(Block("paragraph", " | ".join(c for c in cells if c)))
        elif m := _ITEM.match(line):
            flush()
            blocks.append(Block("item", m.group(1)))
        else:
            paragraph.append(line)
    flush()
    return blocks


def text_blocks(lines: list[str]) -> list[Block]:
    """Blocks from plain lines (text files, PDF pages): numbered headings, items and paragraphs.

    PDF text wraps long lines; a line that does not end a sentence is joined to the next.
    """
    blocks: list[Block] = []
    buffer = ""
    for raw in lines:
        line = normalise(raw).strip()
        if not line:
            if buffer:
                blocks.append(Block("paragraph", buffer))
                buffer = ""
            continue
        ends_sentence = line.endswith(("。", "；", "，", "：", "！", "？", "、"))
        is_heading = bool(_TEXT_HEADING.match(line)) and len(line) <= 40 and not ends_sentence
        # A short unpunctuated line that starts a paragraph is a title ("第一条 婚假", "二、适用范围").
        is_heading = is_heading or (
            not buffer and len(line) <= 24 and not ends_sentence and not _ITEM.match(line)
        )
        item = _ITEM.match(line)
        if is_heading or item:
            if buffer:
                blocks.append(Block("paragraph", buffer))
                buffer = ""
            if is_heading:
                blocks.append(Block("heading", line, level=2))
            else:
                assert item is not None
                buffer = ""
                blocks.append(Block("item", item.group(1)))
            continue
        if blocks and blocks[-1].kind == "item" and not buffer and not re.match(r"^第.+条", line):
            # continuation of a wrapped list item
            last = blocks.pop()
            if last.text.endswith(("。", "；", "：")):
                blocks.append(last)
                buffer = line
            else:
                blocks.append(Block("item", last.text + line))
            continue
        if buffer and re.match(r"^第[一二三四五六七八九十百零\d]+条", line):
            blocks.append(Block("paragraph", buffer))
            buffer = line
        else:
            buffer = buffer + line if buffer else line
        if buffer.endswith(("。", "！", "？", "：", "；")):
            blocks.append(Block("paragraph", buffer))
            buffer = ""
    if buffer:
        blocks.append(Block("paragraph", buffer))
    return blocks


#: A heading phrased as a question (simplified or traditional): 如何/怎么/为什么…, or ending in ？/吗.
_QUESTION = re.compile(
    r"^(?:问[:：]|Q[:：.]\s*)|[?？]$|[吗嗎呢]$|^(?:如何|怎么|怎麼|怎样|怎樣|为什么|為什麼|为何|為何|什么|什麼|甚麼|"
    r"是否|能否|可否|哪些|哪里|哪裡|何时|何時|谁|誰)"
)
_NUMBERING = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]+[章节條条部分篇]|[\dA-Za-z]+(?:\.\d+)*\.?|[一二三四五六七八九十]+、"
    r"|（[一二三四五六七八九十\d]+）)\s*"
)
#: A question-headed section becomes a Q–A pair only if it is short enough to be one answer.
QA_MAX_CHARS = 900


def keyed_rows(header: list[str], rows: list[list[str]]) -> list[str]:
    """Table rows that keep their header: ``城市：北京；住宿标准：600元`` (blank cells left out; a
    header cell that is blank or repeats the value is not said)."""
    out = []
    for row in rows:
        names = header + [f"列{i + 1}" for i in range(len(header), len(row))]
        cells = [(names[i] or f"列{i + 1}", value) for i, value in enumerate(row) if value]
        if cells:
            out.append("；".join(f"{name}：{value}" if name != value else value for name, value in cells))
    return out


def is_question(heading: str) -> bool:
    """Whether a heading asks a question ("1.1.7. 怎样退出命令行提示符", "年假可以分几次休？").

    >>> is_question("1.1.7. 怎样退出命令行提示符"), is_question("第二章 适用范围")
    (True, False)
    """
    return bool(_QUESTION.search(_NUMBERING.sub("", heading.strip(), count=1)))


def question_sections(blocks: Iterable[Block], max_chars: int = QA_MAX_CHARS) -> list[Block]:
    """Turn each question-phrased heading whose section is a short answer (text, no sub-headings)
    into one ``qa`` block (``问：…\n答：…``) with the heading's level and anchor, as an FAQ row is;
    every other block is kept as it is. The chunker keeps such a pair's heading path."""
    out: list[Block] = []
    items = list(blocks)
    i = 0
    while i < len(items):
        block = items[i]
        if block.kind == "heading" and is_question(block.text):
            j = i + 1
            while j < len(items) and items[j].kind not in ("heading", "qa"):
                j += 1
            body = items[i + 1 : j]
            answer = "\n".join(f"• {b.text}" if b.kind == "item" else b.text for b in body)
            deeper = j < len(items) and items[j].kind == "heading" and items[j].level > block.level
            if body and not deeper and len(answer) <= max_chars:
                anchor = block.anchor or next((b.anchor for b in body if b.anchor), "")
                out.append(replace(block, kind="qa", text=f"问：{block.text}\n答：{answer}", anchor=anchor))
                i = j
                continue
        out.append(block)
        i += 1
    return out
