"""Crawl sources are data: ``crawlers/sources.yaml`` (or ``ZHIKU_CRAWL_SOURCES``) lists each site, so a
knowledge engineer adds one without writing Python.

Each source::

    - name: hr-policies                 # unique; jobs and crawl state are keyed by it
      start_urls: [https://intranet.example.com/hr/]      # a site crawl from these pages, or
      sitemap: https://intranet.example.com/sitemap.xml   # a sitemap crawl (pages gone from it are removed)
      allowed_domains: [intranet.example.com]   # default: the hosts of start_urls / sitemap
      allow: ['/hr/']                   # URL patterns to follow and ingest (regular expressions)
      deny: ['/login', '\\?print=']
      depth: 3                          # link depth from the start pages
      every: 30m                        # schedule: 30s, 15m, 2h, 1d …, or cron: "0 */2 * * *"
      access: {departments: [D-HR]}     # who may read what comes from here (like a sidecar)
      max_pages: 2000                   # a bound for runaway sites

    - name: policy-api                  # or a JSON/REST endpoint (crawlers/api.py), records → documents
      api:
        url: https://hr.example.com/api/policies   # answers JSON; ETag / 304 honoured
        records: data.items             # where the list of records is (dotted path; default: the body)
        id: id                          # each record's stable id
        title: name                     # the document title
        text: [summary, body]           # fields whose text is the document (in this order)
        fields: [owner, effective_date] # more fields kept as one "名称：值" paragraph
        updated_at: updated_at          # a record whose value is unchanged is not re-read
        link: https://hr.example.com/policies/{id}   # the record's address for citations
        metadata: {policy: policy_id}   # document metadata from fields: links it to known entities
        next: links.next                # the next page's URL (pagination), bounded by max_pages
      every: 1h
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zhiku.errors import ConfigError

DEFAULT_SOURCES = Path(__file__).resolve().parent / "sources.yaml"
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ApiMapping(BaseModel):
    """How a JSON endpoint's records become documents (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://")
    records: str = ""
    id: str = "id"
    title: str = "title"
    text: list[str] = Field(default_factory=lambda: ["body"], min_length=1)
    fields: list[str] = Field(default_factory=list)
    updated_at: str | None = None
    link: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    next: str | None = None


class Source(BaseModel):
    """One site, sitemap or JSON endpoint to crawl."""

    # a misspelled key (``depht: 3``) is an error, not a silently ignored setting
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    start_urls: list[str] = Field(default_factory=list)
    sitemap: str | None = None
    api: ApiMapping | None = None
    allowed_domains: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    depth: int = Field(3, ge=0, le=20)
    every: str = "1h"
    cron: str | None = None
    access: dict[str, Any] = Field(default_factory=dict)
    max_pages: int = Field(2000, ge=1)
    title_suffix: str = ""  # parser hint: a site-wide suffix to drop from page titles

    def domains(self) -> list[str]:
        """Where the crawl may go: ``allowed_domains``, else the sites it starts from, as host and as
        host:port (Scrapy's link extractor compares the URL's netloc) — a link to another site is
        not followed unless that site is listed."""
        if self.allowed_domains:
            return self.allowed_domains
        starts = self.start_urls or [u for u in (self.sitemap, self.api.url if self.api else None) if u]
        found: set[str] = set()
        for url in starts:
            parts = urlparse(url)
            found.update(x for x in (parts.hostname, parts.netloc.lower()) if x)
        return sorted(found)

    @model_validator(mode="after")
    def _one_entry_point(self) -> Source:
        if sum((bool(self.start_urls), bool(self.sitemap), self.api is not None)) != 1:
            raise ValueError("give one of start_urls, sitemap or api")
        return self

    @field_validator("allow", "deny")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            re.compile(pattern)
        return value

    @property
    def every_s(self) -> int:
        match = _EVERY.match(self.every)
        if not match:
            raise ValueError(f"bad schedule {self.every!r} (use 30s, 15m, 2h or 1d)")
        return int(match.group(1)) * _UNITS[match.group(2)]


def load_sources(path: Path | None = None) -> dict[str, Source]:
    """Read and check a sources file; a mistake is one clear error naming the source and field."""
    path = path or DEFAULT_SOURCES
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"无法读取爬取源配置 {path}：{exc}", f"cannot read crawl sources {path}: {exc}"
        ) from exc
    if not isinstance(raw, list):
        raise ConfigError(f"{path} 应为源的列表", f"{path} must be a list of sources")
    sources: dict[str, Source] = {}
    for i, entry in enumerate(raw):
        try:
            source = Source.model_validate(entry)
            _ = source.every_s
        except (ValidationError, ValueError, re.error) as exc:
            name = entry.get("name", f"#{i + 1}") if isinstance(entry, dict) else f"#{i + 1}"
            unknown = _unknown_keys(exc)
            if unknown:
                zh = "、".join(k + (f"（是否应为 {c}？）" if c else "") for k, c in unknown)
                en = ", ".join(k + (f" (did you mean {c}?)" if c else "") for k, c in unknown)
                raise ConfigError(
                    f"爬取源 {name} 有未知的键 {zh}（{path}）",
                    f"crawl source {name} in {path} has an unknown key: {en}",
                    hint="可用的键 / known keys: " + ", ".join(Source.model_fields),
                ) from exc
            raise ConfigError(
                f"爬取源 {name} 配置有误（{path}）：{exc}", f"crawl source {name} in {path} is invalid: {exc}"
            ) from exc
        if source.name in sources:
            raise ConfigError(f"爬取源名称重复：{source.name}", f"duplicate crawl source {source.name}")
        sources[source.name] = source
    return sources


def _unknown_keys(exc: Exception) -> list[tuple[str, str | None]]:
    """Each key a source may not have (``depht``), with the known key it is closest to (``depth``)."""
    if not isinstance(exc, ValidationError):
        return []
    found = []
    for error in exc.errors():
        if error["type"] == "extra_forbidden" and error["loc"]:
            key = str(error["loc"][-1])
            close = difflib.get_close_matches(key, list(Source.model_fields), n=1)
            found.append((key, close[0] if close else None))
    return found
