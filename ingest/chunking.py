"""Split a document into chunks along its structure.

Rules, in order: a heading closes the current chunk and updates the heading path; a numbered clause
(第五条, 一、, 1.1) starts a new chunk; list items stay with the paragraph that introduces them; each
FAQ pair is its own chunk; a chunk grows to about ``max_chars`` and a longer paragraph is split at
sentence ends. Every chunk keeps its heading path, e.g. ``("费用报销管理办法", "第三章 报销流程")``,
and the anchor of the innermost heading on that path that has one (``#_console_basics``) — or,
in formats with locations (PDF pages, slides, subtitle times), the location of its first block
(``#page=12``). A question-headed section a loader turned into a ``qa`` block (with the heading's
level) is one FAQ-like chunk whose heading path ends with the question. A heading
whose section is empty (no text, no sub-headings: a page of headings only) becomes a chunk of its own,
so no text of the document is lost.

Example::

    chunks = chunk_document(doc)          # list[Chunk]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from lang.detect import detect_languages, main_language
from zhiku.types import Block, Chunk, Document

DEFAULT_MAX_CHARS = 600
_CLAUSE = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+条|[一二三四五六七八九十]+、|\d+(?:\.\d+)+\s)")
# Chinese and Japanese sentence ends, and a European one before the space that follows it.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=[.;])(?=\s)")


def _split_long(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    parts, current = [], ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s):
        if current and len(current) + len(sentence) > max_chars:
            parts.append(current)
            current = ""
        while len(sentence) > max_chars:  # a sentence longer than a chunk: hard split
            parts.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        current += sentence
    if current:
        parts.append(current)
    return parts


def chunk_document(doc: Document, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """The document's chunks, in order, with ids ``<document id>-c<ordinal>``."""
    chunks: list[Chunk] = []
    headings: list[tuple[int, str, str]] = []  # (level, text, anchor)
    body: list[str] = []
    located = ""  # the location anchor of the body's first block that has one (``page=3``)
    # whether the innermost open heading has had a chunk or a sub-heading yet (a heading with
    # neither would otherwise live only in heading paths of nothing: its text is kept as a chunk)
    covered = True

    def path() -> tuple[str, ...]:
        return tuple(text for _, text, _ in headings)

    def anchor() -> str:
        """The deep link of the innermost heading that has one (a section without an id links to the
        section around it)."""
        return next((a for _, _, a in reversed(headings) if a), "")

    def emit(
        text: str, kind: str = "text", heading_path: tuple[str, ...] | None = None, at: str | None = None
    ) -> None:
        nonlocal covered
        covered = True
        ordinal = len(chunks)
        chunks.append(
            Chunk(
                id=f"{doc.id}-c{ordinal:04d}",
                document_id=doc.id,
                ordinal=ordinal,
                text=text,
                heading_path=heading_path if heading_path is not None else path(),
                kind=kind,
                anchor=at if at is not None else anchor() if heading_path is None else "",
            )
        )

    def flush() -> None:
        nonlocal located
        if body:
            for part in _split_long("\n".join(body), max_chars):
                emit(part, at=located or None)
            body.clear()
            located = ""

    def close(level: int) -> None:
        """Close the open sections at ``level`` and below (an empty one keeps its heading as text)."""
        if headings and not covered and headings[-1][0] >= level:
            emit(headings[-1][1])
        while headings and headings[-1][0] >= level:
            headings.pop()

    for block in doc.blocks:
        if block.kind == "qa" and block.level:  # a question-headed section (loaders.base.question_sections)
            flush()
            close(block.level)
            question = block.text.split("\n", 1)[0].removeprefix("问：")
            emit(block.text, kind="faq", heading_path=(*path(), question), at=block.anchor or anchor())
            continue
        if block.kind == "qa":
            flush()
            emit(block.text, kind="faq", heading_path=(doc.title, block.tag) if block.tag else (doc.title,))
            continue
        if block.kind == "heading":
            flush()
            level = block.level or 1
            close(level)
            headings.append((level, block.text, block.anchor))
            covered = False
            continue
        starts_clause = block.kind == "paragraph" and bool(_CLAUSE.match(block.text))
        size = sum(len(b) for b in body)
        if body and (starts_clause or (block.kind == "paragraph" and size + len(block.text) > max_chars)):
            flush()
        located = located or block.anchor
        body.append(_render(block))
        if sum(len(b) for b in body) > max_chars * 1.5:
            flush()
    flush()
    if headings and not covered:
        emit(headings[-1][1])
    if not chunks and doc.title:
        emit(doc.title)
    return chunks


def _render(block: Block) -> str:
    return f"• {block.text}" if block.kind == "item" else block.text


def with_languages(chunks: Sequence[Chunk]) -> list[Chunk]:
    """The chunks with their language (:func:`lang.detect.detect_languages` on heading and text): what
    keyword search analyses each chunk by. A chunk too short to tell (a bare heading, a number) takes
    its document's language."""
    found = detect_languages([" ".join([*c.heading_path[-1:], c.text]) for c in chunks])
    main = document_language([replace(c, language=f.code) for c, f in zip(chunks, found, strict=True)])
    return [replace(c, language=f.code if f.known else main) for c, f in zip(chunks, found, strict=True)]


def document_language(chunks: Sequence[Chunk]) -> str:
    """The language most of a document's text is in (by characters), ``und`` when none is known."""
    return main_language([c.language for c in chunks], [len(c.text) for c in chunks])
