"""Crawled pages into the same ingest pipeline as files (one path, not two), provenance = the URL.

Per page: a 304 or an unchanged content hash costs nothing downstream; a changed page replaces
exactly its own facts; a 404/410 page is removed from the graph. When a crawl finishes normally, pages
of the source it no longer reached (unlinked, or gone from the sitemap) are removed too — never after
a failed or empty crawl, which would otherwise wipe a source because its site was down. Then the
search index is brought level with the graph, so answers change within the same run.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from crawlers.items import PageItem
from crawlers.spiders.site import CONTENT_TYPES
from graph import open_store
from ingest.loaders import DocumentRejected, document_id, load_bytes
from ingest.pipeline import IngestReport, Pipeline
from ingest.writer import remove_documents
from queries import load as load_query
from zhiku.settings import Settings

log = logging.getLogger(__name__)


def suffix_for(url: str, content_type: str) -> str | None:
    path_suffix = PurePosixPath(urlparse(url).path).suffix.lower()
    if content_type == "text/plain" and path_suffix in (".md", ".markdown", ".csv"):
        return path_suffix
    if content_type in CONTENT_TYPES:
        return CONTENT_TYPES[content_type]
    if content_type in ("", "application/octet-stream") and path_suffix in (".pdf", ".docx", ".md", ".txt"):
        return path_suffix
    return None


class IngestPipeline:
    @classmethod
    def from_crawler(cls, crawler: Any) -> IngestPipeline:
        from scrapy import signals

        pipeline = cls()
        # spider_closed carries the close reason (finished, closespider_pagecount, shutdown…), which an
        # item pipeline's close_spider does not; it fires after the last item.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Any) -> None:
        self.settings: Settings = spider.zhiku
        self.store = open_store(self.settings)
        self.pipeline = Pipeline(
            self.store, max_bytes=self.settings.ingest_max_bytes, ner_model=self.settings.ner_model
        )
        self.report = IngestReport()
        self.run_id = spider.state.start_run(spider.source.name)
        # What the graph really holds: a 304 is trusted only for pages whose document is stored with the
        # hash the crawl state remembers (a restored snapshot or a reset graph must not hide a page).
        rows = self.store.query(load_query("documents_under").text, {"prefix": "http"})
        spider.graph_hashes = {row["id"]: row["hash"] for row in rows}
        self.rejected: list[tuple[str, str]] = []

    def process_item(self, item: PageItem, spider: Any) -> PageItem:
        source, state, counts = spider.source, spider.state, spider.counts
        counts.pages += 1
        previous = state.page(source.name, item.url)
        if item.status == 304:
            counts.unchanged += 1
            state.record(source.name, item.url, status=200, error="")
            return item
        if item.status in (404, 410):
            if previous is not None and previous.doc_id:
                remove_documents(self.store, [previous.doc_id])
                counts.removed += 1
            state.forget(source.name, [item.url])
            return item
        fields: dict[str, Any] = {"etag": item.etag, "last_modified": item.last_modified, "links": item.links}
        suffix = suffix_for(item.url, item.content_type)
        if suffix is None:
            state.record(
                source.name, item.url, status=200, error=f"不支持的类型 {item.content_type}", **fields
            )
            return item
        meta: dict[str, Any] = {"access": source.access} if source.access else {}
        try:
            doc = load_bytes(
                item.body,
                uri=item.url,
                suffix=suffix,
                meta=meta,
                modified_at=item.last_modified or "",
                max_bytes=self.settings.ingest_max_bytes,
            )
        except DocumentRejected as exc:
            self.rejected.append((item.url, exc.message_zh))
            state.record(source.name, item.url, status=200, error=f"拒收：{exc.message_zh}", **fields)
            if previous is not None and previous.doc_id:  # it had content and now has none
                remove_documents(self.store, [previous.doc_id])
                counts.removed += 1
            return item
        if source.title_suffix:
            doc = dataclasses.replace(doc, title=doc.title.removesuffix(source.title_suffix).strip())
        self.pipeline.check_store()
        outcome = self.pipeline.ingest_document(doc, self.report)
        self.pipeline.check_store()  # a restarted server may have lost this page: stop, re-crawl later
        counts.new += outcome == "new"
        counts.changed += outcome == "changed"
        counts.unchanged += outcome == "unchanged"
        state.record(
            source.name, item.url, status=200, hash=doc.content_hash, doc_id=doc.id, error="", **fields
        )
        return item

    def spider_closed(self, spider: Any, reason: str) -> None:
        source, state, counts = spider.source, spider.state, spider.counts
        reached = len(spider.seen)
        sitemap_empty = getattr(spider, "sitemap_entries", None) == 0
        # "ok" needs a page actually fetched (200, 304 or 404): a site that only failed is not "ok"
        outcome = (
            "ok" if reason == "finished" and reached and counts.pages and not sitemap_empty else "failed"
        )
        if outcome == "ok":
            gone = [p for p in state.pages(source.name) if p.url not in spider.seen]
            docs = [p.doc_id for p in gone if p.doc_id]
            if docs:
                remove_documents(self.store, docs)
            counts.removed += len(docs)
            state.forget(source.name, [p.url for p in gone])
        synced = None
        if counts.new or counts.changed or counts.removed:
            from search.service import SearchService

            service = SearchService.open(self.store, self.settings)
            try:
                synced = service.sync()
            finally:
                service.close()
        detail = {
            "reason": reason if not sitemap_empty else "sitemap empty or invalid",
            "failures": spider.failures[:50],
            "rejected": self.rejected[:50],
            "chunks_indexed": synced.total_chunks if synced is not None else None,
        }
        state.finish_run(self.run_id, outcome, counts, detail)
        self.store.close()
        log.warning("crawl %s %s: %s", source.name, outcome, counts)


__all__ = ["IngestPipeline", "document_id", "suffix_for"]
