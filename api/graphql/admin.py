"""Administration: ingestion through the API (only under ``ZHIKU_INGEST_ROOTS``) and the crawl sources'
status."""

from __future__ import annotations

import asyncio
from pathlib import Path

import strawberry
from strawberry.types import Info

import ingest
from api.graphql.context import ctx
from zhiku.errors import ConfigError, InputError


def allowed_paths(roots: list[Path], paths: list[str]) -> list[Path]:
    """``paths`` resolved, each under one of ``roots`` (``ZHIKU_INGEST_ROOTS``); with none configured the
    mutation is refused — it never falls back to the demo's documents. A refusal names the first path
    that is not allowed."""
    if not roots:
        raise ConfigError(
            "未配置 ZHIKU_INGEST_ROOTS：通过 API 摄取只接受该设置列出的目录",
            "ZHIKU_INGEST_ROOTS is not set: ingestion through the API only reads the directories it lists",
            hint="设置 ZHIKU_INGEST_ROOTS='[\"/srv/knowledge\"]' 后重启服务，或在服务器上运行 zhiku ingest",
        )
    resolved = [r.resolve() for r in roots]
    chosen = []
    for raw in paths:
        path = Path(raw).resolve()
        if not any(path == r or path.is_relative_to(r) for r in resolved) or not path.exists():
            raise InputError(f"不允许摄取该路径：{raw}", f"path not under ZHIKU_INGEST_ROOTS: {raw}")
        chosen.append(path)
    return chosen


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
    @strawberry.field(
        description="爬取源：上次运行、结果、变更页数、错误、下次运行（知识工程师、管理员）/ crawl sources"
    )
    def crawl_sources(self, info: Info) -> list[CrawlSource]:
        c = ctx(info)
        c.require("knowledge_engineer", "admin")
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
        state = c.state
        chosen = allowed_paths(state.settings.ingest_roots, paths)
        report = await asyncio.to_thread(  # minutes of work: off the event loop
            ingest.run,
            chosen,
            state.store,
            state.search,
            ontology=state.ontology,
            max_bytes=state.settings.ingest_max_bytes,
            ner_model=state.settings.ner_model,
        )
        summary = report.summary()
        return IngestResult(
            documents=summary["documents"],
            new=summary["new"],
            changed=summary["changed"],
            unchanged=summary["unchanged"],
            removed=summary["removed"],
            rejected=[f"{uri}: {reason}" for uri, reason in report.rejected + report.skipped],
            chunks_indexed=report.index.total_chunks if report.index is not None else 0,
        )
