"""Crawled pages into the same ingest pipeline as files (one path, not two), provenance = the URL.

Per page: a 304 or an unchanged content hash costs nothing downstream; a changed page replaces
exactly its own facts; a 404/410 page is removed from the graph. When a crawl finishes normally, pages
of the source it no longer reached (unlinked, or gone from the sitemap) are removed too — never after
a failed or empty crawl, which would otherwise wipe a source because its site was down. The pages
go through one :class:`ingest.IngestRun`, whose last step brings the search index level with the
graph, so answers change within the same run.

The pipeline opens nothing itself: the crawl's process hands the spider its services (``spider.services``,
built by ``zhiku.services.open_state``) and the pipeline uses their store and search index.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from crawlers.items import PageItem
from crawlers.spiders.site import CONTENT_TYPES
from ingest.loaders import DocumentRejected, document_id, load_bytes
from ingest.pipeline import IngestRun
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
        services = spider.services  # zhiku.services.State, built by the crawl's process
        self.store = services.store
        self.batch = IngestRun(
            self.store,
            lambda: services.search,  # opened only if the crawl changed the graph
            sync="changed",
            max_bytes=self.settings.ingest_max_bytes,
            ner_model=self.settings.ner_model,
        )
        self.run_id = spider.state.start_run(spider.source.name)
        # What the graph really holds: a 304 is trusted only for pages whose document is stored with the
        # hash the crawl state remembers (a restored snapshot or a reset graph must not hide a page).
        rows = self.store.query(load_query("documents_under").text, {"prefix": "http"})
        spider.graph_hashes = {row["id"]: row["hash"] for row in rows}

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
                self.batch.remove([previous.doc_id])
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
            self.batch.reject(item.url, exc.message_zh)
            state.record(source.name, item.url, status=200, error=f"拒收：{exc.message_zh}", **fields)
            if previous is not None and previous.doc_id:  # it had content and now has none
                self.batch.remove([previous.doc_id])
                counts.removed += 1
            return item
        if source.title_suffix:
            doc = dataclasses.replace(doc, title=doc.title.removesuffix(source.title_suffix).strip())
        # a restarted server may have lost this page: the run stops, the page is crawled again later
        outcome = self.batch.document(doc)
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
            self.batch.remove(docs)
            counts.removed += len(docs)
            state.forget(source.name, [p.url for p in gone])
        report = self.batch.finish()  # the index, when the graph changed
        detail = {
            "reason": reason if not sitemap_empty else "sitemap empty or invalid",
            "failures": spider.failures[:50],
            "rejected": report.rejected[:50],
            "chunks_indexed": report.index.total_chunks if report.index is not None else None,
        }
        state.finish_run(self.run_id, outcome, counts, detail)
        log.warning("crawl %s %s: %s", source.name, outcome, counts)


__all__ = ["IngestPipeline", "document_id", "suffix_for"]
