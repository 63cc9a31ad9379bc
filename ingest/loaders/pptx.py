"""PowerPoint (.pptx) through python-pptx: each slide's title is a heading located at the slide
(``slide=N``, the fragment viewers such as LibreOffice and PDF exports of decks use), its text boxes
in reading order (top to bottom, then left to right) paragraphs and bullets, its tables rows that
keep their header, its speaker notes a paragraph (``备注：…``: often where the real explanation is).
A slide without a title is headed ``第 N 张幻灯片`` so its text still has a place; every block of a
slide carries its location, so a chunk cites the slide it comes from.

Example::

    parsed = load(Path("新员工培训.pptx").read_bytes())
    [(b.text, b.anchor) for b in parsed.blocks if b.kind == "heading"][:1]   # [('培训安排', 'slide=1')]
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from ingest.loaders.base import Parsed, keyed_rows, normalise, reject
from zhiku.types import Block


def _shapes(shapes: Any) -> list[Any]:
    """Shapes in reading order, groups opened."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    out: list[Any] = []
    for shape in sorted(shapes, key=lambda s: (s.top or 0, s.left or 0)):
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            out.extend(_shapes(shape.shapes))
        else:
            out.append(shape)
    return out


def _slide_blocks(slide: Any, number: int) -> list[Block]:
    where = f"slide={number}"
    title_shape = slide.shapes.title
    title = normalise(title_shape.text_frame.text).strip() if title_shape is not None else ""
    blocks = [Block("heading", title.replace("\n", " ") or f"第 {number} 张幻灯片", level=1, anchor=where)]
    for shape in _shapes(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if shape.has_text_frame:
            for paragraph in shape.text_frame.paragraphs:
                text = normalise("".join(run.text for run in paragraph.runs) or paragraph.text).strip()
                if text:
                    kind = "item" if paragraph.level > 0 or _bulleted(shape, paragraph) else "paragraph"
                    blocks.append(Block(kind, text, anchor=where))
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = [
                [normalise(c.text).replace("\n", " ").strip() for c in row.cells] for row in shape.table.rows
            ]
            rows = [r for r in rows if any(r)]
            texts = keyed_rows(rows[0], rows[1:]) if len(rows) > 1 else [" | ".join(r) for r in rows]
            blocks.extend(Block("paragraph", text, anchor=where) for text in texts)
    if slide.has_notes_slide:
        notes = (
            normalise(slide.notes_slide.notes_text_frame.text).strip()
            if slide.notes_slide.notes_text_frame
            else ""
        )
        if notes:
            blocks.append(Block("paragraph", "备注：" + notes.replace("\n", " "), anchor=where))
    return blocks


def _bulleted(shape: Any, paragraph: Any) -> bool:
    """Body placeholders of slide layouts are bulleted lists (level 0 included)."""
    if not shape.is_placeholder:
        return False
    from pptx.enum.shapes import PP_PLACEHOLDER

    return bool(shape.placeholder_format.type in (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT))


def load(data: bytes) -> Parsed:
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck = Presentation(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise reject(f"演示文稿已损坏或加密：{exc}", f"corrupt or encrypted .pptx: {exc}") from None
    blocks = [b for number, slide in enumerate(deck.slides, start=1) for b in _slide_blocks(slide, number)]
    title = normalise(deck.core_properties.title or "").strip() or next(
        (b.text for b in blocks if b.kind == "heading"), ""
    )
    return Parsed(tuple(blocks), title)
