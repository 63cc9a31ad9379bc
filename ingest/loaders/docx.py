"""Word (.docx) through python-docx, in document order: headings with their numbering, list items,
paragraphs, and tables as tables.

- **Headings**: the built-in heading styles in any language Word or WPS writes them (``Heading 1``,
  ``标题 1``, ``標題 1``), ``Title``, and any paragraph or style with an outline level (``w:outlineLvl``,
  what Word's navigation pane reads). A heading's anchor is its Word bookmark (``_Toc…``, what the
  table of contents and an HTML export link to), when it has one.
- **Numbering**: Word's automatic numbers (``w:numPr`` on the paragraph or its style) are not in the
  text; they are rendered from ``numbering.xml`` (``lvlText`` such as ``%1.%2``, formats decimal,
  Chinese counting, letters, roman) so the heading path reads ``2.1 报销范围`` as the reader sees it.
- **Tables**: the first row is the header; every later row becomes one paragraph that keeps it
  (``项目：住宿费；标准：500元/晚``), so a row found alone still says what each cell means.
- A question-phrased heading with a short section becomes a Q–A pair
  (:func:`ingest.loaders.base.question_sections`).

Example::

    parsed = load(Path("handbook.docx").read_bytes())
    [(b.level, b.text) for b in parsed.blocks if b.kind == "heading"]
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from ingest.loaders.base import Parsed, keyed_rows, normalise, question_sections, reject
from zhiku.types import Block

_HEADING_STYLE = re.compile(r"^(?:heading|标题|標題)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题", "標題"}
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_DIGITS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))  # fmt: skip


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _format(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "taiwaneseCounting"):
        return _chinese(n)
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


class _Numbering:
    """Renders Word's automatic numbers: one counter per list (``numId``) and level."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId → ilvl → (start, fmt, text)
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for node in root.iter(f"{_W}abstractNum"):
            lvls: dict[int, tuple[int, str, str]] = {}
            for lvl in node.iter(f"{_W}lvl"):
                start = lvl.find(f"{_W}start")
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                lvls[int(lvl.get(f"{_W}ilvl", "0"))] = (
                    int(start.get(f"{_W}val", "1")) if start is not None else 1,
                    fmt.get(f"{_W}val", "decimal") if fmt is not None else "decimal",
                    text.get(f"{_W}val", "") if text is not None else "",
                )
            abstract[node.get(f"{_W}abstractNumId", "")] = lvls
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is not None:
                self.levels[num.get(f"{_W}numId", "")] = abstract.get(ref.get(f"{_W}val", ""), {})

    def label(self, num_id: str, ilvl: int) -> tuple[str, bool]:
        """The next number at this list and level (``2.1``), and whether it is a bullet."""
        lvls = self.levels.get(num_id)
        if not lvls or ilvl not in lvls:
            return "", False
        counters = self.counters.setdefault(num_id, [0] * 9)
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else lvls[ilvl][0]
        _, fmt, text = lvls[ilvl]
        if fmt == "bullet":
            return "", True

        def level_number(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            if k not in lvls:
                return ""
            return _format(counters[k] or lvls[k][0], lvls[k][1])

        return re.sub(r"%(\d)", level_number, text).strip(), False


def _style_chain(style: Any) -> list[Any]:
    chain: list[Any] = []
    while style is not None and len(chain) < 10:
        chain.append(style)
        style = style.base_style
    return chain


def _p_property(p: Any, style: Any, tag: str) -> Any:
    """A paragraph property (``outlineLvl``, ``numPr``) set on the paragraph or inherited from its style."""
    ppr = p.find(f"{_W}pPr")
    if ppr is not None and ppr.find(f"{_W}{tag}") is not None:
        return ppr.find(f"{_W}{tag}")
    for s in _style_chain(style):
        sppr = s.element.find(f"{_W}pPr")
        if sppr is not None and sppr.find(f"{_W}{tag}") is not None:
            return sppr.find(f"{_W}{tag}")
    return None


def _heading_level(style: Any, outline: Any) -> int:
    """1 for the title, 2… for headings (Heading 1 is level 2, under the title); 0 for body text."""
    for s in _style_chain(style):
        name = (s.name or "").strip()
        if name.lower() in _TITLE_STYLES:
            return 1
        if m := _HEADING_STYLE.match(name):
            return int(m.group(1)) + 1
    if outline is not None:
        value = outline.get(f"{_W}val", "9")
        if value.isdigit() and int(value) < 9:  # 9 is "body text"
            return int(value) + 2
    return 0


def _bookmark(p: Any) -> str:
    for mark in p.iter(f"{_W}bookmarkStart"):
        name = mark.get(f"{_W}name", "")
        if name and name != "_GoBack" and not any(c.isspace() for c in name):
            return str(name)
    return ""


def _table_rows(table: Any) -> list[str]:
    """Each row as one paragraph that keeps the header: ``表头1：值1；表头2：值2``."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:  # a merged cell is repeated once per grid column it spans
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(normalise(cell.text).replace("\n", " ").strip())
        rows.append(cells)
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body or len(header) < 2:
        return [" | ".join(c for c in r if c) for r in rows]
    return keyed_rows(header, body)


def load(data: bytes) -> Parsed:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise reject(f"Word 文件已损坏或加密：{exc}", f"corrupt or encrypted .docx: {exc}") from None
    numbering = _Numbering(document)
    blocks: list[Block] = []
    for element in document.element.body.iterchildren():
        if element.tag == f"{_W}tbl":
            blocks.extend(Block("paragraph", row) for row in _table_rows(Table(element, document)))
            continue
        if element.tag != f"{_W}p":
            continue
        paragraph = Paragraph(element, document)
        text = normalise(paragraph.text).strip()
        if not text:
            continue
        style = paragraph.style
        level = _heading_level(style, _p_property(element, style, "outlineLvl"))
        label, bullet = "", False
        num = _p_property(element, style, "numPr")
        if num is not None:
            num_id = num.find(f"{_W}numId")
            ilvl = num.find(f"{_W}ilvl")
            label, bullet = numbering.label(
                num_id.get(f"{_W}val", "") if num_id is not None else "",
                int(ilvl.get(f"{_W}val", "0")) if ilvl is not None else 0,
            )
        if level:
            if label and not text.startswith(label):
                text = f"{label} {text}"
            blocks.append(Block("heading", text, level=level, anchor=_bookmark(element)))
        elif bullet or label or (style is not None and (style.name or "").startswith("List")):
            blocks.append(Block("item", text))  # the chunker marks items; a list's own numbers add nothing
        else:
            blocks.append(Block("paragraph", text))
    title = document.core_properties.title or next((b.text for b in blocks if b.kind == "heading"), "")
    return Parsed(tuple(question_sections(blocks)), title)
