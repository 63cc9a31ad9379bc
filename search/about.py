"""What each document is about: the entities its title and top heading name (issue 19).

The entity boost of :mod:`search.service` reads the entities linked *per chunk*. A section that
never names what its document is about gets nothing from it: the Tokyo office guide's
"4. Earthquakes and emergencies" says "take cover under a desk", never "Tokyo office", so
"东京办公室地震时应该怎么做" — which links 东京办公室 through the vocabulary's Chinese label —
could not lift it over the Chinese fire-safety notice e5 prefers by meaning. A reader knows
which office the section is about from the document's title; so does this: every chunk of a
document counts the entities named in the document's title and top heading, at a weight
below the chunk's own mentions (:data:`search.service.ABOUT_WEIGHT`).

Only the title and a heading above the whole document count, not what the document mentions
somewhere: a policy that mentions 上海总部 once in passing is not about it.

Example::

    about = document_entities(docs, chunks, gazetteer)
    about["doc-tokyo-guide"]  # frozenset({'LOC-TYO'})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from lang.gazetteer import Gazetteer
from search.catalog import ChunkRow, DocRow


def named_entities(gazetteer: Gazetteer, texts: Iterable[str]) -> frozenset[str]:
    """The entities (best candidate of each match) that ``texts`` name."""
    return frozenset(hit.candidates[0][0] for text in texts for hit in gazetteer.find(text) if hit.candidates)


def document_entities(
    docs: Mapping[str, DocRow], chunks: Sequence[ChunkRow], gazetteer: Gazetteer
) -> dict[str, frozenset[str]]:
    """Document id → the entities its title and top heading name (documents naming none are left
    out). The top heading is a heading above every chunk of the document (a Markdown file's ``#``
    line, often the title again); a document whose first headings differ (chapters) has none. FAQ
    rows' headings are their categories, not what the document is about."""
    tops: dict[str, set[str]] = {}
    for c in chunks:
        if c.kind != "faq":
            tops.setdefault(c.doc_id, set()).add(c.heading[0] if c.heading else "")
    out: dict[str, frozenset[str]] = {}
    for doc_id, doc in docs.items():
        top = tops.get(doc_id, set())
        found = named_entities(gazetteer, [doc.title, *(top if len(top) == 1 else ())])
        if found:
            out[doc_id] = found
    return out


def with_topics(
    about: Mapping[str, frozenset[str]], topics: Mapping[str, frozenset[str]]
) -> dict[str, frozenset[str]]:
    """Document id → the entities it is about and the topics those are filed under: a clause of
    差旅管理办法 (about ``POL-travel``) is about 差旅 (``TOPIC-travel``) as a reader sees it, though it
    names only cities and amounts."""
    out: dict[str, frozenset[str]] = {}
    for doc_id, entities in about.items():
        out[doc_id] = entities.union(*(topics.get(e, frozenset()) for e in entities))
    return out
