"""Entity-linked answers with citations, composed from retrieval (the chatbot builds dialog on top).

An answer is the best-supported passage — a FAQ's answer when a FAQ matches, else the best policy
clause — with every chunk it drew on cited (document, section, snippet, link), the entities the
question is about, a confidence, and follow-up questions. Whether the passage really answers the
question is the answer gate's call (:mod:`chat.gate`: similarity, how much of the question the
passage contains, words the knowledge base never uses, entity links); when it does not, the reply
says 没有找到, names the nearest topics the knowledge base does have and offers a human, instead of
guessing. For a Chinese question on Chinese passages the call — and which of the first few passages
answers — is the learned decision's (:mod:`chat.decision`). ``bench/answer_calibration.py`` measures it.

A question a knowledge engineer linked to an answer (:mod:`chat.links`: a near-duplicate of a resolved
knowledge gap's wording) is answered from the linked document, section or chunk instead — when the
asker may read it; otherwise it takes the normal path above.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from chat.decision import decide_among, load_model, scored_candidates
from chat.gaps import normalise
from chat.gate import (
    QuestionReading,
    across,
    decide,
    evidence,
    passage_detail,
    read_question,
)
from chat.links import AnswerLinks, Link
from chat.support import answer_order
from lang.detect import romanised_chinese
from lang.text import well_formed
from search.fusion import field_text
from search.recommend import follow_ups
from search.service import Hit, SearchResult, SearchService
from zhiku.access import Principal
from zhiku.i18n import N_, current, language_name
from zhiku.i18n import tr as _

FOLLOW_UPS = 3
#: What search says when it cannot search (search.service), in the catalogue so answers translate it.
SEARCH_MESSAGES = (
    N_("请输入要查询的问题（至少包含一个汉字、字母或数字）。"),
    N_("知识库还没有内容。"),
)
HANDOFF_OFFER = N_("您可以换个说法再问，或回复“转人工”联系人工客服。")
NOT_FOUND = N_("抱歉，知识库里没有找到能回答这个问题的资料。")
#: Romanised Chinese ("nianjia zenme qing", lang.pinyin): the index holds characters, so ask for them.
PINYIN = N_("看起来您输入的是拼音。请用汉字（或英文、日文等）输入问题，例如“年假怎么请”。")
#: Reply languages whose sentences follow each other without a space (the others take one).
UNSPACED = ("zh_Hans", "zh_Hant", "ja")
#: Topics named when nothing answers (the nearest distinct sections among the hits).
NEAREST_TOPICS = 3
#: Hits this close to the first one (fused score) compete for answering: when the employee asks *how*
#: and the first hit is an FAQ row asking yes or no, a close row asking how wins — "年假怎么请" is not
#: "年假可以按小时请吗？".
ANSWER_TYPE_MARGIN = 0.05
ASKS_HOW = re.compile(r"怎么|如何|怎样|咋")
YES_NO = re.compile(r"[吗么][？?。]?$|能不能|可不可以|是不是|有没有|是否|要不要|算不算")
#: How deep a follow-up's focus word is looked for among the hits.
FOCUS_DEPTH = 5
#: A chunk that is only a title or a publication line answers nothing.
METADATA_LINE = re.compile(r"^(发布|文件编号|更新|生效日期|版本)[:：]")


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
    #: The text already offers a person (:data:`HANDOFF_OFFER`): set where the answer is composed, so
    #: the dialog never has to recognise the offer in a (translated, possibly rewritten) text.
    offers_handoff: bool = False


def _body(hit: Hit) -> str:
    if hit.kind == "faq" and "答：" in hit.text:
        return hit.text.split("答：", 1)[1].strip()
    return hit.text.strip()


def substantive(hit: Hit) -> bool:
    """Whether a hit says something: not only its document's title, a heading or a publication line.
    An FAQ row's answer always does, however short ("在下一个发薪日结清。")."""
    body = _body(hit)
    if hit.kind == "faq" and "答：" in hit.text:
        return bool(body)
    return len(body) >= 12 and body != hit.title and not METADATA_LINE.match(body)


def answering_hit(question: str, hits: list[Hit]) -> Hit:
    """The passage to answer with: the first hit with content, unless the question asks how, the first
    hit is an FAQ row asking yes or no, and a close runner-up is not."""
    candidates = [h for h in hits if substantive(h)] or hits
    first = candidates[0]

    def yes_no(hit: Hit) -> bool:
        return hit.kind == "faq" and bool(YES_NO.search(field_text(hit.kind, hit.heading_path, hit.text)))

    if not ASKS_HOW.search(question) or YES_NO.search(question) or not yes_no(first):
        return first
    close = (h for h in candidates[1:] if first.score - h.score <= ANSWER_TYPE_MARGIN)
    return next((h for h in close if not yes_no(h)), first)


def topic(hit: Hit) -> str:
    """How a hit's topic reads in a "nearest topics" list: an FAQ row's question, else 《title》section."""
    if hit.kind == "faq":
        return "“" + hit.text.split("答：", 1)[0].removeprefix("问：").strip() + "”"
    return f"《{hit.title}》" + (hit.section.split(" / ")[-1] if hit.section else "")


def not_found(hits: list[Hit]) -> str:
    """没有找到, the nearest topics the knowledge base does have, and the hand-off offer."""
    topics = list(dict.fromkeys(topic(h) for h in hits if substantive(h)))[:NEAREST_TOPICS]
    near = _("相近的内容有：{topics}。", topics="、".join(topics)) if topics else ""
    return sentences(_(NOT_FOUND), near, _(HANDOFF_OFFER))


def sentences(*parts: str) -> str:
    """Translated sentences one after another: run together in Chinese and Japanese, a space between
    them in the other languages ("…this question. Related topics: …")."""
    return ("" if current() in UNSPACED else " ").join(p for p in parts if p)


def linked_hit(
    service: SearchService,
    link: Link,
    question: str,
    who: Principal,
    result: SearchResult,
    also: Principal | None = None,
) -> Hit | None:
    """The passage of ``link``'s target that answers ``question``, if every reader may read it: the
    linked chunk; else, among the linked section's (or the whole document's) chunks with content, the
    one the search ranked first, then the one that contains most of the question, then the first."""
    hits = service.document_hits(link.document_id, who, also=also)
    if link.chunk_id:
        chosen = [h for h in hits if h.chunk_id == link.chunk_id]
    elif link.section:
        chosen = [h for h in hits if h.section == link.section or h.section.startswith(link.section + " / ")]
    else:
        chosen = []
    pool = chosen or hits  # a section or chunk no longer there: the document it was in
    candidates = [h for h in pool if substantive(h)] or pool
    if not candidates:
        return None
    rank = {h.chunk_id: i for i, h in enumerate(result.hits)}
    norm = normalise(question)
    return min(
        candidates,
        key=lambda h: (rank.get(h.chunk_id, len(rank)), -fuzz.partial_ratio(norm, normalise(h.text[:400]))),
    )


def answer_candidates(service: SearchService, result: SearchResult, reading: QuestionReading) -> list[Hit]:
    """The hits with content in the order they should answer: reordered by what they themselves say
    (:func:`chat.support.answer_order`, Chinese questions), then :func:`answering_hit` first."""
    candidates = [h for h in result.hits if substantive(h)] or result.hits
    if reading.content is not None:
        candidates = answer_order(candidates, reading.words, lambda h: passage_detail(service, reading, h))
    top = answering_hit(result.query, candidates)
    return [top, *(h for h in candidates if h is not top)]


def compose_answer(
    service: SearchService,
    question: str,
    who: Principal,
    *,
    sources: int = 3,
    also: Principal | None = None,
    focus: str = "",
    links: AnswerLinks | None = None,
    learned: bool = True,
) -> Answer:
    """Answer ``question`` for ``who`` from the documents ``who`` may read (and ``also`` may read, when
    given: an agent's suggestion for an employee). ``focus``: the word a follow-up turns on ("那去成都呢"
    → 成都): a passage among the first few hits that contains it answers, when it is about the question.
    ``links``: the answers engineers linked to questions (:mod:`chat.links`), which answer first.
    ``learned``: False keeps the hand-tuned rules of :func:`chat.gate.decide` for every question (the
    benchmark compares the two)."""
    question = well_formed(question)  # a lone surrogate: answered from the rest (lang.text)
    answer_id = f"ans-{uuid.uuid4().hex[:16]}"
    if romanised_chinese(question):  # as the chat answers it (chat.dialog), for ask and the agents too
        return Answer(answer_id, question, _(PINYIN), 0.0, answered=False, message=_(PINYIN))
    # one search serves the answer, its citations and the follow-ups (which read 6 hits deep)
    result = service.search(question, who, k=max(sources, FOLLOW_UPS + 3), also=also)
    entities = [(e, s) for e, s in result.entities]
    link = links.match(question) if links is not None else None
    linked = linked_hit(service, link, question, who, result, also) if link is not None else None
    if link is not None and linked is not None:
        hits = [linked, *(h for h in result.hits if h.chunk_id != linked.chunk_id)]
        return Answer(
            answer_id,
            result.query or question,
            framed(linked),
            round(link.similarity / 100, 4),
            [_citation(h) for h in hits[:sources]],
            entities,
            follow_ups(question, result, FOLLOW_UPS),
            True,
        )
    if not result.hits:
        # search's own word (an empty question, an empty knowledge base) is shown as it is
        message = _(result.message) if result.message else ""
        text = message or sentences(_(NOT_FOUND), _(HANDOFF_OFFER))
        return Answer(
            answer_id, result.query, text, 0.0, [], entities, [], False, message, offers_handoff=not message
        )
    reading = read_question(service, result)  # once: every passage weighed below shares it
    ordered = answer_candidates(service, result, reading)
    top = ordered[0]
    ev = evidence(service, result, top, reading)
    weighed = {top.chunk_id: ev}  # the passages whose evidence is read, by chunk: read once per ask
    choice = None
    if learned and reading.content is not None and ev is not None and not across(ev):
        # a Chinese question on Chinese passages: the learned decision (chat.decision) picks and decides
        scored = scored_candidates(service, result, ordered, reading, ev)
        weighed.update((hit.chunk_id, read) for hit, read, _ in scored)
        choice = decide_among(load_model(), scored)
    if choice is not None:
        top, verdict = choice
    else:
        verdict = decide(ev)
    if focus:
        # the passage holding the follow-up's word answers, covered (it may already be the first: the
        # answer order prefers a passage holding more of the question)
        hits_focus = (h for h in result.hits[:FOCUS_DEPTH] if focus in _body(h) and substantive(h))
        named = top if focus in _body(top) else next(hits_focus, None)
        if named is not None:
            read = weighed.get(named.chunk_id) or evidence(service, result, named, reading)
            top, verdict = named, decide(read, covered=True)
    if not verdict.answered and choice is None:
        # a close runner-up may hold what the question names (成都 is in the policy's clause, not
        # in the FAQ row ranked just above it)
        for hit in result.hits:
            if hit is not top and top.score - hit.score <= ANSWER_TYPE_MARGIN and substantive(hit):
                other = decide(evidence(service, result, hit, reading))
                if other.answered:
                    top, verdict = hit, other
                    break
    hits = [top, *(h for h in result.hits if h is not top)]
    citations = [_citation(h) for h in hits[:sources]]
    suggestions = follow_ups(question, result, FOLLOW_UPS)
    if not verdict.answered:
        text = not_found(result.hits)
        return Answer(
            answer_id,
            result.query,
            text,
            verdict.confidence,
            citations,
            entities,
            suggestions,
            False,
            offers_handoff=True,
        )
    return Answer(
        answer_id, result.query, framed(top), verdict.confidence, citations, entities, suggestions, True
    )


def _citation(hit: Hit) -> Citation:
    return Citation(hit.document_id, hit.title, hit.link, hit.section, hit.snippet, hit.chunk_id)


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
