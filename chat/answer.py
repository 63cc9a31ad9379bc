"""Entity-linked answers with citations, composed from retrieval (the chatbot builds dialog on top).

An answer is the best-supported passage — a FAQ's answer when a FAQ matches, else the best policy
clause — with every chunk it drew on cited (document, section, snippet, link), the entities the
question is about, a confidence, and follow-up questions. Below :data:`MIN_CONFIDENCE` it says it
does not know and offers a human instead of guessing.

Confidence blends three signals about the top hit: its cosine similarity (e5, stretched from
[0.75, 0.95] to [0, 1]; weight 0.5), whether keyword search agrees on it (top 3: 1, found at all:
0.5; weight 0.3) and whether the question names a known entity (weight 0.2). Measured on the 231
in-domain evaluation questions and 12 off-topic ones (天气, 电影, 股票…): at the 0.6 threshold 220
of 231 in-domain questions are answered and 1 of 12 off-topic ones. It says whether the knowledge
base covers the question, not whether the first passage is the right one (top-1 hit rate 0.76).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from search.recommend import follow_ups
from search.service import Hit, SearchResult, SearchService
from zhiku.access import Principal
from zhiku.i18n import N_, current, language_name
from zhiku.i18n import tr as _

MIN_CONFIDENCE = 0.6
FOLLOW_UPS = 3
FALLBACK = N_("抱歉，我没有在知识库中找到可靠的答案。您可以换个说法再问，或转人工客服处理。")
#: What search says when it cannot search (search.service), in the catalogue so answers translate it.
SEARCH_MESSAGES = (
    N_("请输入要查询的问题（至少包含一个汉字、字母或数字）。"),
    N_("知识库还没有内容。"),
)


@dataclass(frozen=True, slots=True)
class Citation:
    """A source an answer drew on: ``section`` names the headings above the passage and ``uri``
    deep-links to it (the document's URI with the section's anchor when the document has one)."""

    document_id: str
    title: str
    uri: str
    section: str
    snippet: str
    chunk_id: str


@dataclass(slots=True)
class Answer:
    id: str
    question: str
    text: str
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    entities: list[tuple[str, str]] = field(default_factory=list)  # (id, name)
    follow_ups: list[str] = field(default_factory=list)
    answered: bool = True
    message: str = ""


def _body(hit: Hit) -> str:
    if hit.kind == "faq" and "答：" in hit.text:
        return hit.text.split("答：", 1)[1].strip()
    return hit.text.strip()


def confidence(result: SearchResult) -> float:
    """How sure we are that the knowledge base answers this question (see the module docstring)."""
    if not result.hits:
        return 0.0
    top = result.hits[0]
    cosine = max(0.0, min(1.0, ((top.dense_score or 0.0) - 0.75) / 0.2))
    keyword = 0.0 if top.keyword_rank is None else 1.0 if top.keyword_rank < 3 else 0.5
    entity = 1.0 if result.entities else 0.0
    return round(0.5 * cosine + 0.3 * keyword + 0.2 * entity, 3)


def compose_answer(
    service: SearchService, question: str, who: Principal, *, sources: int = 3, also: Principal | None = None
) -> Answer:
    """Answer ``question`` for ``who`` from the documents ``who`` may read (and ``also`` may read, when
    given: an agent's suggestion for an employee)."""
    # one search serves the answer, its citations and the follow-ups (which read 6 hits deep)
    result = service.search(question, who, k=max(sources, FOLLOW_UPS + 3), also=also)
    answer_id = f"ans-{uuid.uuid4().hex[:16]}"
    entities = [(e, s) for e, s in result.entities]
    if not result.hits:
        return Answer(
            answer_id,
            result.query,
            _(result.message or FALLBACK),
            0.0,
            [],
            entities,
            [],
            False,
            _(result.message) if result.message else "",
        )
    top = result.hits[0]
    score = confidence(result)
    citations = [
        Citation(h.document_id, h.title, h.link, h.section, h.snippet, h.chunk_id)
        for h in result.hits[:sources]
    ]
    suggestions = follow_ups(question, result, FOLLOW_UPS)
    if score < MIN_CONFIDENCE:
        return Answer(answer_id, result.query, _(FALLBACK), score, citations, entities, suggestions, False)
    return Answer(answer_id, result.query, framed(top), score, citations, entities, suggestions, True)


def _same_language(a: str, b: str) -> bool:
    return a == b or (a.startswith("zh") and b.startswith("zh"))


def framed(top: Hit) -> str:
    """The passage with its source, in the reply's language (:func:`zhiku.i18n.current`): in the
    document's own language, the passage then its source; in another, the source framed in the
    asker's language and the passage quoted as written (“《年假制度》 (Chinese) says: “…””)."""
    from chat.language import spoken

    text = _body(top)
    # A FAQ sheet row's "section" is its category, not a place in the document.
    faq = top.kind == "faq"
    section = "" if faq else top.section
    reply_language = current()
    document_language = getattr(top, "language", "") or spoken(text[:300]).code or reply_language
    if _same_language(document_language, reply_language):
        if not faq:
            return text + _("（来源：《{title}》{section}）", title=top.title, section=section)
        return text + _("（来源：{title}）", title=top.title)
    name = language_name(document_language, reply_language)
    if not faq:
        return _(
            "《{title}》{section}（{language}原文）写道：“{quote}”",
            title=top.title, section=section, language=name, quote=text,
        )  # fmt: skip
    return _("《{title}》（{language}原文）写道：“{quote}”", title=top.title, language=name, quote=text)
