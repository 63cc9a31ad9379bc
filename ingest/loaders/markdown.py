"""Markdown: headings, list items and paragraphs as written."""

from __future__ import annotations

from ingest.loaders.base import Parsed, decode_text, markdown_blocks


def load(data: bytes) -> Parsed:
    blocks = markdown_blocks(decode_text(data))
    title = next((b.text for b in blocks if b.kind == "heading"), "")
    return Parsed(tuple(blocks), title)
