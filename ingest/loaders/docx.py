"""Word (.docx) through python-docx: heading styles become headings, list styles items, tables rows."""

from __future__ import annotations

import io
import zipfile

from ingest.loaders.base import Parsed, normalise, reject
from zhiku.types import Block


def load(data: bytes) -> Parsed:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise reject(f"Word 文件已损坏或加密：{exc}", f"corrupt or encrypted .docx: {exc}") from None
    blocks: list[Block] = []
    for paragraph in document.paragraphs:
        text = normalise(paragraph.text).strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style == "Title":
            blocks.append(Block("heading", text, level=1))
        elif style.startswith("Heading"):
            level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
            blocks.append(Block("heading", text, level=level + 1))
        elif style.startswith("List"):
            blocks.append(Block("item", text))
        else:
            blocks.append(Block("paragraph", text))
    for table in document.tables:
        for row in table.rows:
            cells = [normalise(c.text).strip() for c in row.cells]
            if any(cells):
                blocks.append(Block("paragraph", " | ".join(c for c in cells if c)))
    title = document.core_properties.title or next((b.text for b in blocks if b.kind == "heading"), "")
    return Parsed(tuple(blocks), title)
