"""Write one document's chunks, mentions and facts to the graph — replaceable exactly, crash-safe.

Order matters: first the document's previous chunks and their support for facts are removed, then
chunks, mentions, candidates and facts are written, and *last* the document's ``contentHash`` is set.
A crash anywhere leaves an old or missing hash, so the next run redoes the document from scratch;
every step is an idempotent MERGE. Facts carry ``chunkIds`` (provenance); a fact loses a chunk when
that chunk's document changes or goes, and is deleted when no chunk supports it — unless it was there
before extraction (curated data), which is never deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.base import GraphStore
from ingest.chunking import document_language
from queries import load as load_query
from zhiku.errors import GraphUnavailable
from zhiku.types import (
    Chunk,
    Document,
    EdgeRecord,
    ExtractedRelation,
    Mention,
    NodeRecord,
    WriteStats,
    check_identifier,
)

CANDIDATE_LABEL = "Candidate"


@dataclass(slots=True)
class DocumentWrite:
    """Everything ingestion derived from one document."""

    document: Document
    chunks: list[Chunk]
    mentions: list[Mention]
    relations: list[ExtractedRelation]
    chunk_topics: dict[str, str] = field(default_factory=dict)


def fact_key(start: str, rel_type: str, end: str) -> str:
    return f"{start}|{rel_type}|{end}"


def _split_key(key: str) -> tuple[str, str, str]:
    start, rel_type, end = key.split("|", 2)
    return start, rel_type, end


def remove_document_facts(store: GraphStore, doc_id: str, *, delete_document: bool = False) -> WriteStats:
    """Remove a document's chunks (and their mentions) and its support for facts."""
    stats = WriteStats()
    rows = store.query(load_query("document_state").text, {"id": doc_id})
    if not rows:
        return stats
    chunks = [c for c in rows[0]["chunks"] if c]
    facts = rows[0]["facts"] or []
    by_type: dict[str, list[dict[str, str]]] = defaultdict(list)
    for key in facts:
        start, rel_type, end = _split_key(key)
        by_type[check_identifier(rel_type)].append({"start": start, "end": end})
    template = load_query("strip_facts")
    for rel_type, fact_rows in by_type.items():
        stats += store.execute(
            template.render(type=f":`{rel_type}`"), {"rows": fact_rows, "chunks": chunks, "doc": doc_id}
        )
    stats += store.delete_nodes(chunks)
    if delete_document:
        stats += store.delete_nodes([doc_id])
    stats += store.execute(load_query("orphan_candidates").text)
    return stats


def _document_node(doc: Document, facts: Sequence[str], chunks: Sequence[Chunk]) -> NodeRecord:
    props: dict[str, Any] = {
        "language": document_language(chunks),
        "name": doc.title,
        "sourceUri": doc.uri,
        "format": doc.format,
        "modifiedAt": doc.modified_at or None,
        "accessDepartments": list(doc.scope.departments),
        "accessRoles": list(doc.scope.roles),
        "level": doc.scope.level,
        "factKeys": list(facts),
        "chunkCount": len(chunks),
        "contentHash": None,  # set last, once everything else is written
    }
    return NodeRecord(doc.id, ("Document",), props)


def write_document(store: GraphStore, item: DocumentWrite, *, reconnects: int | None = None) -> WriteStats:
    """Replace the document's facts in the graph with ``item``'s. The content hash (what makes a re-run
    skip the document) is written last, and only if the store has not reconnected since ``reconnects``
    (default: since this call began; a pipeline passes the count from its own start)."""
    doc = item.document
    reconnects = store.reconnects if reconnects is None else reconnects
    stats = remove_document_facts(store, doc.id)

    facts: dict[tuple[str, str, str], list[ExtractedRelation]] = defaultdict(list)
    for rel in item.relations:
        facts[(rel.start, rel.type, rel.end)].append(rel)
    keys = sorted(fact_key(*k) for k in facts)

    nodes = [_document_node(doc, keys, item.chunks)]
    edges: list[EdgeRecord] = []
    for chunk in item.chunks:
        nodes.append(
            NodeRecord(
                chunk.id,
                ("Chunk",),
                {
                    "text": chunk.text,
                    "ordinal": chunk.ordinal,
                    "headingPath": list(chunk.heading_path),
                    "anchor": chunk.anchor or None,  # the section's fragment in the document's URI
                    "documentId": doc.id,
                    "kind": chunk.kind,
                    "language": chunk.language or None,
                    "accessDepartments": list(doc.scope.departments),
                    "accessRoles": list(doc.scope.roles),
                    "level": doc.scope.level,
                },
            )
        )
        edges.append(EdgeRecord(doc.id, "HAS_CHUNK", chunk.id, {"ordinal": chunk.ordinal}))
        topic = item.chunk_topics.get(chunk.id)
        if topic:
            edges.append(EdgeRecord(chunk.id, "HAS_TOPIC", topic))

    grouped: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in item.mentions:
        if m.entity_id and m.type not in ("Amount", "Duration", "Date"):
            grouped[(m.chunk_id, m.entity_id)].append(m)
    for (chunk_id, entity_id), group in grouped.items():
        first = group[0]
        if entity_id.startswith("cand-"):
            nodes.append(
                NodeRecord(
                    entity_id,
                    (CANDIDATE_LABEL,),
                    {"name": first.text, "candidateType": first.type, "status": "candidate"},
                )
            )
        edges.append(
            EdgeRecord(
                chunk_id,
                "MENTIONS",
                entity_id,
                {
                    "count": len(group),
                    "surfaces": sorted({m.text for m in group}),
                    "type": first.type,
                    "source": first.source,
                    "confidence": max(m.confidence for m in group),
                },
            )
        )
    policy = doc.metadata.get("policy")
    stats += store.upsert_nodes(nodes)
    stats += store.upsert_relationships(edges)
    if isinstance(policy, str) and policy:
        stats += store.upsert_relationships([EdgeRecord(policy, "DEFINED_IN", doc.id)])

    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (start, rel_type, end), rels in facts.items():
        best = max(rels, key=lambda r: r.confidence)
        by_type[check_identifier(rel_type)].append(
            {
                "start": start,
                "end": end,
                "chunks": sorted({r.chunk_id for r in rels}),
                "confidence": best.confidence,
                "sentence": best.sentence,
                "props": dict(best.properties),
            }
        )
    template = load_query("merge_facts")
    for rel_type, rows in by_type.items():
        _keep_other_sources(store, doc.id, rel_type, rows)
        merged = store.query_write_count(template.render(type=f":`{rel_type}`"), {"rows": rows}, stats)
        stats.unmatched += len(rows) - merged
    if store.reconnects != reconnects:
        # The server went away during this document and came back from its last snapshot: earlier
        # steps may be lost. Without the hash the document counts as changed and is rewritten next run.
        raise GraphUnavailable(
            f"写入文档 {doc.id} 时图数据库重启，请重新运行摄取",
            f"the graph server restarted while writing {doc.id}; run the ingestion again",
        )
    stats += store.upsert_nodes([NodeRecord(doc.id, ("Document",), {"contentHash": doc.content_hash})])
    return stats


def _keep_other_sources(store: GraphStore, doc_id: str, rel_type: str, rows: list[dict[str, Any]]) -> None:
    """Where other sources (documents or curated data) already give a fact's properties and this
    document says otherwise, keep theirs and record the disagreement for review instead of
    overwriting it (last writer wins would make the graph depend on ingestion order). Properties no
    source gave yet are added."""
    state = store.query(load_query("fact_state").render(type=f":`{rel_type}`"), {"rows": rows})
    existing = {(r["start"], r["end"]): r["props"] for r in state}
    settled = _settled(
        store, [fact_key(r["start"], rel_type, r["end"]) for r in rows if (r["start"], r["end"]) in existing]
    )
    for row in rows:
        row["conflict"] = None
        current = existing.get((row["start"], row["end"]))
        if current is None or not (
            current.get("chunkIds") or current.get("curated") or "chunkIds" not in current
        ):
            continue  # a new fact, or one no other source supports any more: this document's values
        decided = settled.get(fact_key(row["start"], rel_type, row["end"]), {})
        differing = {
            k: v
            for k, v in row["props"].items()
            if current.get(k) is not None
            and current[k] != v
            # a knowledge engineer already chose the graph's value over this one (zhiku review resolve)
            and (str(current[k]), str(v)) not in decided.get(k, ())
        }
        if differing:
            notes = "；".join(f"{k}: {current[k]} ≠ {v}" for k, v in sorted(differing.items()))
            row["conflict"] = f"{doc_id}|{notes}"
        row["props"] = {k: v for k, v in row["props"].items() if current.get(k) is None or current[k] == v}


def _settled(store: GraphStore, keys: list[str]) -> dict[str, dict[str, set[tuple[str, str]]]]:
    """Per fact key and property, the (chosen, overruled) value pairs of the conflicts knowledge
    engineers resolved (``ReviewDecision`` nodes, :mod:`ingest.review`): values as the notes print them."""
    if not keys:
        return {}
    out: dict[str, dict[str, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for row in store.query(load_query("review_resolutions").text, {"keys": keys}):
        chosen = dict(_pair(item) for item in row["chosen"] or [])
        for item in row["overruled"] or []:
            prop, value = _pair(item)
            if prop in chosen:
                out[row["key"]][prop].add((chosen[prop], value))
    return out


def _pair(item: str) -> tuple[str, str]:
    prop, _, value = item.partition("=")
    return prop, value


def parse_conflict_note(note: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """A conflict note as :func:`_keep_other_sources` writes it — ``"docId|k: kept ≠ said；…"`` — as
    the document id and, per property, the value the graph kept and the one the document said.

    >>> parse_conflict_note("doc-1|minAmount: 50000.0 ≠ 30000.0；mode: 会签 ≠ 依次")
    ('doc-1', {'minAmount': ('50000.0', '30000.0'), 'mode': ('会签', '依次')})
    """
    doc_id, _, text = note.partition("|")
    values: dict[str, tuple[str, str]] = {}
    for part in text.split("；"):
        prop, _, rest = part.partition(": ")
        kept, _, said = rest.partition(" ≠ ")
        if prop and said:
            values[prop] = (kept, said)
    return doc_id, values


def remove_documents(store: GraphStore, doc_ids: Iterable[str]) -> WriteStats:
    stats = WriteStats()
    for doc_id in doc_ids:
        stats += remove_document_facts(store, doc_id, delete_document=True)
    return stats
