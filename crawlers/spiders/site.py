"""Spiders for any site described in ``sources.yaml``.

``SiteSpider`` follows links from the start pages within the allowed domains and patterns, to the
source's depth. ``SitemapCrawl`` reads a sitemap (and sitemap indexes) instead; pages that leave the
sitemap are removed. Both hand every response to the same ``PageItem`` path, record failures
(timeouts, 5xx after retries, oversized pages, redirect loops) in the crawl state, and keep going.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import SitemapSpider
from twisted.python.failure import Failure

from crawlers.items import PageItem
from crawlers.sources import Source
from crawlers.state import CrawlState, RunCounts

#: Content types we ingest, and the loader suffix for each.
CONTENT_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/markdown": ".md",
    "text/plain": ".txt",
    "text/csv": ".csv",
}


def content_type(response: Response) -> str:
    raw = response.headers.get(b"Content-Type", b"") or b""
    return raw.decode("latin-1").split(";")[0].strip().lower()


class _Common:
    """What both spiders share: state, counts, the page callback and the failure callback."""

    source: Source
    state: CrawlState
    counts: RunCounts
    seen: set[str]
    failures: list[tuple[str, str]]
    handle_httpstatus_list: ClassVar[list[int]] = [304, 404, 410]

    def _setup(self, source: Source, state: CrawlState) -> None:
        self.source = source
        self.state = state
        self.counts = RunCounts()
        self.seen = set()
        self.failures = []
        self._links = LinkExtractor(
            allow=source.allow or (), deny=source.deny or (), allow_domains=source.domains()
        )

    def page(self, response: Response) -> Iterator[Any]:
        url = response.url
        self.seen.add(url)
        if response.status == 304:
            previous = self.state.page(self.source.name, url)
            links = previous.links if previous else []
            yield PageItem(url, 304, links=links)
            yield from self._next_requests(links, response)
            return
        if response.status in (404, 410):
            yield PageItem(url, response.status)
            return
        links = []
        if isinstance(response, TextResponse) and content_type(response) in (
            "text/html",
            "application/xhtml+xml",
        ):
            links = sorted({link.url for link in self._links.extract_links(response)})
        yield PageItem(
            url,
            200,
            body=response.body,
            content_type=content_type(response),
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            links=links,
        )
        yield from self._next_requests(links, response)

    def _next_requests(self, links: list[str], response: Response) -> Iterator[scrapy.Request]:
        return iter(())

    def failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        reason = failure.getErrorMessage() or str(failure.type)
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        self.failures.append((url, reason))
        self.seen.add(url)  # reached but failed: kept (and its facts too) until a later run succeeds
        self.counts.errors += 1
        self.state.record(self.source.name, url, status=getattr(response, "status", 0) or 0, error=reason)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class SiteSpider(_Common, scrapy.Spider):
    name = "site"

    def __init__(self, source: Source, state: CrawlState, **kwargs: Any) -> None:
        super().__init__(name=f"site:{source.name}", **kwargs)
        self._setup(source, state)
        if source.allowed_domains:
            self.allowed_domains = source.allowed_domains

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start_urls:
            yield scrapy.Request(url, callback=self.page, errback=self.failed)

    def _next_requests(self, links: list[str], response: Response) -> Iterator[scrapy.Request]:
        depth = int(response.meta.get("depth", 0))
        if depth >= self.source.depth:
            return
        for link in links:
            yield scrapy.Request(link, callback=self.page, errback=self.failed)


class SitemapCrawl(_Common, SitemapSpider):
    name = "sitemap"

    def __init__(self, source: Source, state: CrawlState, **kwargs: Any) -> None:
        assert source.sitemap
        self.sitemap_urls = [source.sitemap]
        pattern = "|".join(f"(?:{p})" for p in source.allow) or ""
        self.sitemap_rules = [(re.compile(pattern) if pattern else "", "page")]
        super().__init__(name=f"sitemap:{source.name}", **kwargs)
        self._setup(source, state)
        self.sitemap_entries = 0
        if source.allowed_domains:
            self.allowed_domains = source.allowed_domains

    def sitemap_filter(self, entries: Any) -> Iterator[Any]:
        deny = [re.compile(p) for p in self.source.deny]
        for entry in entries:
            if not any(d.search(entry["loc"]) for d in deny):
                self.sitemap_entries += 1
                yield entry

    def _parse_sitemap(self, response: Response) -> Any:
        if response.status >= 400:
            self.failures.append((response.url, f"sitemap HTTP {response.status}"))
            self.counts.errors += 1
            return iter(())
        return super()._parse_sitemap(response)
