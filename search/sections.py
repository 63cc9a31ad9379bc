"""Each chunk's whole section as one text, for a cross-language dense signal (issue 19).

Across languages only the embedder's cosine says which chunk answers (a question in Dutch shares
no word with a Chinese page). A chunk's cosine alone favours short chunks and headings that resemble
every question — hubs — while the cosine with the section the chunk belongs to (its heading path and
all its text, as a reader sees it) says what the section is about. :func:`search.fusion.dense_evidence`
adds it; this module only says what a section's text is. Chunks of the same document that share a
section anchor (or, without anchors, a heading path) form one section; an FAQ row is its own.

Example::

    sections = section_texts(chunks, {"doc-1": "Annual leave policy"})
    sections.of_chunk[i]  # → index into sections.texts
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from search.catalog import ChunkRow

#: A section's text is cut here before embedding: the embedders read at most 512 tokens (about as
#: many Chinese characters), so more would cost time and change nothing.
MAX_CHARS = 1500


@dataclass(frozen=True, slots=True)
class SectionTexts:
    of_chunk: np.ndarray  # chunk position → index into ``texts``
    texts: tuple[str, ...]


def section_key(chunk: ChunkRow) -> tuple[str, ...]:
    """What makes chunks one section: the document and its anchor or heading path (FAQ: the row)."""
    if chunk.kind == "faq":
        return (chunk.doc_id, "faq", chunk.id)
    return (chunk.doc_id, "#", chunk.anchor) if chunk.anchor else (chunk.doc_id, "/", *chunk.heading)


def section_texts(chunks: Sequence[ChunkRow], titles: Mapping[str, str]) -> SectionTexts:
    """Each chunk's section text: the document title and heading path, then the section's chunks in
    order (``titles``: document id → title; ``chunks`` as the catalogue lists them)."""
    parts: dict[tuple[str, ...], list[ChunkRow]] = {}
    for c in chunks:
        parts.setdefault(section_key(c), []).append(c)
    keys = list(parts)
    index = {k: i for i, k in enumerate(keys)}
    texts = []
    for k in keys:
        members = sorted(parts[k], key=lambda c: c.ordinal)
        first = members[0]
        if first.kind == "faq":
            texts.append(first.search_text[:MAX_CHARS])
            continue
        heading = first.heading[-1] if first.heading else titles.get(first.doc_id, "")
        body = "\n".join(c.text for c in members)
        texts.append("\n".join(p for p in (heading, body) if p)[:MAX_CHARS])
    of_chunk = np.array([index[section_key(c)] for c in chunks], dtype=np.int64)
    return SectionTexts(of_chunk, tuple(texts))
