"""Plain text in any common encoding: numbered headings, items and paragraphs."""

from __future__ import annotations

from ingest.loaders.base import Parsed, decode_text, text_blocks


def load(data: bytes) -> Parsed:
    blocks = text_blocks(decode_text(data).splitlines())
    title = blocks[0].text if blocks and blocks[0].kind == "heading" else ""
    return Parsed(tuple(blocks), title)
