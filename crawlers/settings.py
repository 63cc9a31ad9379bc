"""Scrapy settings for Zhiku's crawls: polite by default (robots.txt, AutoThrottle, a few requests per
domain, a clear user agent), bounded (size, redirects, depth and page count per source), and quiet.
Scrapy's own defaults do not obey robots.txt and do not throttle (see ../shared/FINDINGS.md)."""

from __future__ import annotations

BOT_NAME = "zhiku"
SPIDER_MODULES = ["crawlers.spiders"]
USER_AGENT = "ZhikuBot/0.1 (+https://zhiku.example.com/bot; 企业知识库爬虫)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # a larger page is abandoned and recorded
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 5  # redirect loops end here
RETRY_TIMES = 2
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"
DOWNLOADER_MIDDLEWARES = {"crawlers.middlewares.ConditionalGet": 590}
ITEM_PIPELINES = {"crawlers.pipelines.IngestPipeline": 300}
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
