"""Administration: ingestion through the API (only under ``ZHIKU_INGEST_ROOTS``) and the crawl sources'
status."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import ctx
from zhiku.errors import InputError


@strawberry.type(description="摄取结果 / what an ingestion run did")
class IngestResult:
    documents: int
    new: int
    changed: int
    unchanged: int
    removed: int
    rejected: list[str]
    chunks_indexed: int


@strawberry.type(description="爬取源状态 / a crawl source's status")
class CrawlSource:
    name: str
    schedule: str
    last_run_at: str | None
    outcome: str | None = strawberry.field(description="ok / failed / running；null：尚未运行")
    pages: int
    new: int
    changed: int
    removed: int
    errors: int
    next_run_at: str | None
    recent_errors: list[str]


@strawberry.type
class AdminQuery:
    @strawberry.field(description="爬取源：上次运行、结果、变更页数、错误、下次运行（管理员）/ crawl sources")
    def crawl_sources(self, info: Info) -> list[CrawlSource]:
        c = ctx(info)
        c.require("admin")
        from datetime import UTC, datetime

        from crawlers.sources import load_sources
        from crawlers.state import source_statuses

        def iso(ts: float | None) -> str | None:
            return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None

        settings = c.state.settings
        return [
            CrawlSource(
                name=st.name,
                schedule=st.schedule,
                last_run_at=iso(st.last_run),
                outcome=st.outcome,
                pages=st.pages,
                new=st.new,
                changed=st.changed,
                removed=st.removed,
                errors=st.errors,
                next_run_at=iso(st.next_run),
                recent_errors=[f"{url}: {error}" for url, error in st.recent_errors],
            )
            for st in source_statuses(settings.data_dir, load_sources(settings.crawl_sources))
        ]


@strawberry.type
class AdminMutation:
    @strawberry.mutation(description="管理员触发摄取（仅限 ZHIKU_INGEST_ROOTS 下的目录）/ admin ingestion")
    async def ingest(self, info: Info, paths: list[str]) -> IngestResult:
        c = ctx(info)
        c.require("admin")
        from demo.load import demo_document_paths
        from ingest.pipeline import Pipeline

        roots = [r.resolve() for r in (c.state.settings.ingest_roots or demo_document_paths())]
        chosen = []
        for raw in paths:
            path = Path(raw).resolve()
            if not any(path == r or path.is_relative_to(r) for r in roots) or not path.exists():
                raise InputError(f"不允许摄取该路径：{raw}", f"path not under ZHIKU_INGEST_ROOTS: {raw}")
            chosen.append(path)

        def ingest_and_sync() -> tuple[Any, Any]:  # minutes of work: off the event loop
            report = Pipeline(c.state.store, ontology=c.state.ontology).ingest(chosen)
            return report, c.state.search.sync()

        report, synced = await asyncio.to_thread(ingest_and_sync)
        summary = report.summary()
        return IngestResult(
            documents=summary["documents"],
            new=summary["new"],
            changed=summary["changed"],
            unchanged=summary["unchanged"],
            removed=summary["removed"],
            rejected=[f"{uri}: {reason}" for uri, reason in report.rejected],
            chunks_indexed=synced.total_chunks,
        )
