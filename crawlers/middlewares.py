"""Conditional requests: a page fetched before is asked for with ``If-None-Match`` /
``If-Modified-Since`` from the crawl state, so an unchanged page costs a 304 and nothing downstream."""

from __future__ import annotations

from typing import Any

from scrapy import Request


class ConditionalGet:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalGet:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        state, source = getattr(spider, "state", None), getattr(spider, "source", None)
        if state is None or source is None or request.meta.get("zhiku_unconditional"):
            return
        page = state.page(source.name, request.url)
        if page is None or page.status != 200:
            return
        held = getattr(spider, "graph_hashes", None)
        if page.doc_id and held is not None and held.get(page.doc_id) != page.hash:
            return  # the graph lost (or never got) this page: fetch it whole
        if page.etag:
            request.headers.setdefault(b"If-None-Match", page.etag.encode())
        if page.last_modified:
            request.headers.setdefault(b"If-Modified-Since", page.last_modified.encode())
