"""External knowledge from a JSON/REST endpoint, a source type in ``sources.yaml`` (``api:``, see
:mod:`crawlers.sources`): each record becomes a document by the declared mapping — its title, the
text fields in order, the other fields as one ``名称：值`` paragraph, metadata (``policy``,
``processes``…) that links the document to entities the graph knows — cited at the record's own
address (``link`` template, else ``<url>#id=<id>``).

Incremental twice over: the endpoint is asked with ``If-None-Match`` (its last ETag) and a 304 costs
nothing; a record's content hash is its ``updated_at`` value when the mapping names one (else the
record's mapped fields), so an unchanged record is skipped by ingestion without being re-read.
After a complete fetch, records the endpoint no longer returns are removed with their facts — never
after a failed one, which would otherwise wipe the source because the endpoint was down.

No Scrapy here (one request per page of records): :func:`crawl_api` is called by ``crawlers.run`` for
a source with ``api:`` and goes through the same :class:`ingest.IngestRun` as every crawl.

Example::

    result = crawl_api(source, CrawlState(data_dir), store, lambda: search)
    result["new"], result["unchanged"]
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx

from crawlers.sources import ApiMapping, Source
from crawlers.state import CrawlState, RunCounts
from graph.base import GraphStore
from ingest.loaders import document_id
from ingest.loaders.base import normalise, text_blocks
from ingest.pipeline import IndexSync, IngestRun
from zhiku.types import AccessScope, Block, Document, PropertyValue

TIMEOUT_S = 30.0


def pick(data: Any, path: str) -> Any:
    """A value by dotted path (``data.items``, ``links.next``; list positions as numbers)."""
    for part in (p for p in path.split(".") if p):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(_text(v) for v in value if _text(v))
    if isinstance(value, dict):
        return "；".join(f"{k}：{_text(v)}" for k, v in value.items() if _text(v))
    return normalise(str(value)).strip()


def to_document(record: dict[str, Any], mapping: ApiMapping, source: Source) -> Document | None:
    """The record as a document (None when it has no id)."""
    rid = _text(pick(record, mapping.id))
    if not rid:
        return None
    fields = {k: _text(v) for k, v in record.items()}
    uri = mapping.link.format_map(_Missing(fields)) if mapping.link else f"{mapping.url}#id={rid}"
    title = _text(pick(record, mapping.title)) or rid
    blocks = [Block("heading", title, level=1)]
    for name in mapping.text:
        value = pick(record, name)
        blocks.extend(text_blocks(str(value).splitlines()) if isinstance(value, str) else [])
        if value is not None and not isinstance(value, str) and _text(value):
            blocks.append(Block("paragraph", _text(value)))
    extra = [(name, _text(pick(record, name))) for name in mapping.fields]
    if any(v for _, v in extra):
        blocks.append(Block("paragraph", "；".join(f"{n}：{v}" for n, v in extra if v)))
    metadata: dict[str, PropertyValue] = {"record_id": rid}
    for key, name in mapping.metadata.items():
        value = pick(record, name)
        metadata[key] = [_text(v) for v in value] if isinstance(value, list) else _text(value)
    stamp = _text(pick(record, mapping.updated_at)) if mapping.updated_at else ""
    basis = stamp or json.dumps(
        [title, *(pick(record, n) for n in (*mapping.text, *mapping.fields)), metadata],
        ensure_ascii=False,
        default=str,
    )
    access = source.access or {}
    return Document(
        id=document_id(uri),
        uri=uri,
        title=title,
        format="json",
        blocks=tuple(b for b in blocks if b.text),
        content_hash=hashlib.sha256(f"{uri}\n{basis}".encode()).hexdigest(),
        modified_at=stamp,
        scope=AccessScope(
            departments=tuple(access.get("departments") or ()),
            roles=tuple(access.get("roles") or ()),
            level=int(access.get("level") or 0),
        ),
        metadata=metadata,
    )


class _Missing(dict[str, str]):
    """``str.format_map`` that leaves an unknown ``{field}`` empty instead of raising."""

    def __missing__(self, key: str) -> str:
        return ""


def crawl_api(
    source: Source,
    state: CrawlState,
    store: GraphStore,
    index: IndexSync | Callable[[], IndexSync] | None,
    *,
    client: httpx.Client | None = None,
    **options: Any,
) -> dict[str, Any]:
    """One crawl of a JSON endpoint: fetch (all pages), ingest changed records, remove vanished ones,
    sync the index if anything changed; returns the run's counts like a site crawl."""
    assert source.api is not None
    mapping = source.api
    counts = RunCounts()
    run_id = state.start_run(source.name)
    batch = IngestRun(store, index, sync="changed", **options)
    http = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=True)
    outcome, reason = "ok", ""
    seen: set[str] = set()
    try:
        url: str | None = mapping.url
        while url and counts.pages < source.max_pages:
            known = state.page(source.name, url)
            headers = {"Accept": "application/json"}
            if known is not None and known.etag:
                headers["If-None-Match"] = known.etag
            response = http.get(url, headers=headers)
            counts.pages += 1
            if response.status_code == 304 and known is not None:  # nothing changed on this page
                records = json.loads(known.links[0]) if known.links else []
                seen.update(records)
                counts.unchanged += len(records)
                url = known.links[1] if len(known.links) > 1 else None
                continue
            response.raise_for_status()
            body = response.json()
            found = pick(body, mapping.records) if mapping.records else body
            if not isinstance(found, list):
                raise ValueError(f"records at {mapping.records or '(body)'} are not a list")
            uris = []
            for record in found:
                doc = to_document(record, mapping, source) if isinstance(record, dict) else None
                if doc is None:
                    counts.errors += 1
                    continue
                uris.append(doc.uri)
                seen.add(doc.uri)
                result = batch.document(doc)
                counts.new += result == "new"
                counts.changed += result == "changed"
                counts.unchanged += result == "unchanged"
                state.record(source.name, doc.uri, status=200, hash=doc.content_hash, doc_id=doc.id, error="")
            following = _text(pick(body, mapping.next)) if mapping.next else ""
            # the page's ETag, and (as its "links") the records it held and the next page, for a 304
            state.record(
                source.name,
                url,
                status=200,
                etag=response.headers.get("ETag"),
                links=[json.dumps(uris), following],
            )
            url = following or None
    except (httpx.HTTPError, ValueError) as exc:
        outcome, reason = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        if client is None:
            http.close()
    if outcome == "ok":
        gone = [p for p in state.pages(source.name) if p.doc_id and p.url not in seen]
        batch.remove([p.doc_id for p in gone if p.doc_id])
        counts.removed += len(gone)
        state.forget(source.name, [p.url for p in gone])
    report = batch.finish()
    detail = {"reason": reason, "rejected": report.rejected[:50]}
    state.finish_run(run_id, outcome, counts, detail)
    return {"source": source.name, "outcome": outcome, **dataclasses.asdict(counts), "reason": reason}
