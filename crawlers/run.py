"""One crawl of one source, in its own process (Twisted's reactor cannot restart in-process):

    python -m crawlers.run SOURCE [--sources FILE]

The scheduler and ``zhiku crawl SOURCE`` start it; it prints one JSON line with the run's counts and
exits 0 (ok), 1 (the crawl failed: site down, empty sitemap…) or 2 (configuration error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crawlers.sources import load_sources
from crawlers.state import CrawlState
from zhiku.errors import ZhikuError
from zhiku.services import open_state
from zhiku.settings import Settings, load_settings


def scrapy_settings(settings: Settings, max_pages: int, depth: int) -> dict[str, object]:
    import crawlers.settings as ours

    values: dict[str, object] = {k: getattr(ours, k) for k in dir(ours) if k.isupper()}
    values.update(
        {
            "CLOSESPIDER_PAGECOUNT": max_pages,
            "DEPTH_LIMIT": depth + 1,
            "DOWNLOAD_MAXSIZE": settings.ingest_max_bytes,
            "AUTOTHROTTLE_START_DELAY": settings.crawl_start_delay_s,
        }
    )
    if settings.crawl_start_delay_s == 0:
        values["AUTOTHROTTLE_ENABLED"] = False  # tests on loopback
    return values


def crawl(name: str, sources_file: Path | None = None) -> dict[str, object]:
    from scrapy.crawler import CrawlerProcess

    from crawlers.spiders.site import SitemapCrawl, SiteSpider

    settings = load_settings()
    sources = load_sources(sources_file or settings.crawl_sources)
    if name not in sources:
        raise ZhikuError(f"没有名为 {name} 的爬取源", f"no crawl source named {name}")
    source = sources[name]
    state = CrawlState(settings.data_dir)
    if source.api is not None:  # a JSON endpoint: plain requests, no Scrapy
        from crawlers.api import crawl_api

        with open_state(settings) as services:
            return crawl_api(
                source,
                state,
                services.store,
                lambda: services.search,
                max_bytes=settings.ingest_max_bytes,
                ner_model=settings.ner_model,
            )
    process = CrawlerProcess(
        {**scrapy_settings(settings, source.max_pages, source.depth), "LOG_INSTALL_ROOT_HANDLER": False}
    )
    spider = SitemapCrawl if source.sitemap else SiteSpider
    # The pipeline ingests into these (the store, the index when pages changed); closed after the crawl.
    with open_state(settings) as services:
        process.crawl(spider, source=source, state=state, zhiku=settings, services=services)
        process.start()
    run = state.last_run(name) or {}
    return {
        k: run.get(k)
        for k in ("source", "outcome", "pages", "new", "changed", "unchanged", "removed", "errors")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Crawl one source now.")
    parser.add_argument("source")
    parser.add_argument("--sources", type=Path, default=None)
    args = parser.parse_args()
    try:
        result = crawl(args.source, args.sources)
    except ZhikuError as exc:
        print(exc.one_line(), file=sys.stderr)
        sys.exit(2)
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result.get("outcome") == "ok" else 1)


if __name__ == "__main__":
    main()
