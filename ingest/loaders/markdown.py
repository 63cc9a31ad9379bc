"""Markdown: headings, list items and paragraphs as written; each heading gets the anchor GitHub,
GitLab and most renderers give it (lower case, punctuation dropped, blanks → ``-``, ``-1``, ``-2``… for
repeats), so a citation can deep-link to the section where the file is rendered."""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.loaders.base import Parsed, decode_text, markdown_blocks

_NOT_SLUG = re.compile(r"[^\w\- ]")


def github_slug(text: str, seen: dict[str, int]) -> str:
    """GitHub's heading anchor for ``text`` (``seen`` counts earlier slugs on the page).

    >>> github_slug("第一章 总则（试行）", {})
    '第一章-总则试行'
    """
    base = _NOT_SLUG.sub("", text.strip().lower()).replace(" ", "-")
    count = seen.get(base, 0)
    seen[base] = count + 1
    return base if count == 0 else f"{base}-{count}"


def load(data: bytes) -> Parsed:
    seen: dict[str, int] = {}
    blocks = [
        replace(b, anchor=github_slug(b.text, seen)) if b.kind == "heading" else b
        for b in markdown_blocks(decode_text(data))
    ]
    title = next((b.text for b in blocks if b.kind == "heading"), "")
    return Parsed(tuple(blocks), title)
