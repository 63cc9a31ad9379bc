"""Crawl sources, run now: ``runCrawl(name)`` asks the crawl scheduler's leader to crawl a source at once
(:mod:`crawlers.runnow`; the API never crawls itself), and ``crawlRuns`` says, per source, whether a
crawl is queued or under way (with the pages fetched so far) and who leads the scheduler — the sources
page polls it for live progress. Knowledge engineers and admins; ``crawlSources`` (in ``admin.py``)
gives each source's last run, next run and errors.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from api.deps import AppState
from api.graphql.context import ctx
from crawlers import runnow
from crawlers.sources import load_sources
from crawlers.state import CrawlState
from graph.kv import open_kv
from zhiku.errors import NotFoundError

ROLES = ("knowledge_engineer", "admin")


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None


@strawberry.type(description="立即运行的请求结果 / what a run-now request did")
class CrawlRunRequest:
    source: str
    accepted: bool
    state: str = strawberry.field(description="queued / running / already_queued / no_scheduler")
    message: str
    message_en: str
    leader: str | None = strawberry.field(description="将运行它的主调度实例（host:pid）")


@strawberry.type(description="爬取源此刻的运行状态 / a source's crawl right now")
class CrawlRun:
    source: str
    state: str = strawberry.field(description="idle / queued / running")
    since: str | None
    pages: int = strawberry.field(description="本次运行已抓取的页数（运行中）")


@strawberry.type(description="爬取调度与各源运行状态 / the scheduler and each source's crawl now")
class CrawlRuns:
    leader: str | None = strawberry.field(description="主调度实例（host:pid）；null：没有调度器在运行")
    runs: list[CrawlRun]


_MESSAGES = {
    "queued": (
        "已请求立即爬取 {name}：调度器（{leader}）几秒内开始",
        "crawl of {name} requested: the scheduler starts it within seconds",
    ),
    "running": (
        "{name} 正在爬取（开始于 {since}），未重复启动",
        "{name} is being crawled already (since {since}): not started twice",
    ),
    "already_queued": (
        "{name} 已在等待调度器开始，未重复请求",
        "{name} is already waiting for the scheduler: not requested twice",
    ),
    "no_scheduler": (
        "没有运行中的爬取调度器，无法立即运行：请启动 zhiku scheduler（或 ZHIKU_SCHEDULER=true 的服务），"
        "或在服务器上运行 zhiku crawl {name}",
        "no crawl scheduler is running: start `zhiku scheduler` (or serve with ZHIKU_SCHEDULER=true), "
        "or run `zhiku crawl {name}` on the server",
    ),
}


def _run_crawl(state: AppState, name: str, by: str) -> CrawlRunRequest:
    settings = state.settings
    if name not in load_sources(settings.crawl_sources):
        raise NotFoundError(f"没有名为 {name} 的爬取源", f"no crawl source {name}")
    kv = open_kv(settings, state.store)
    try:
        verdict = runnow.request_run(
            kv, CrawlState(settings.data_dir), name, by=by, timeout_s=settings.crawl_timeout_s
        )
    finally:
        kv.close()
    zh, en = _MESSAGES[verdict.state]
    since = _iso(verdict.since) or ""
    return CrawlRunRequest(
        source=name,
        accepted=verdict.accepted,
        state=verdict.state,
        message=zh.format(name=name, leader=verdict.leader, since=since),
        message_en=en.format(name=name, leader=verdict.leader, since=since),
        leader=verdict.leader,
    )


def _runs(state: AppState) -> CrawlRuns:
    settings = state.settings
    sources = load_sources(settings.crawl_sources)
    crawl_state = CrawlState(settings.data_dir)
    kv = open_kv(settings, state.store)
    try:
        leader = runnow.scheduler_leader(kv)
        pending = runnow.requested(kv)
        taken = {name: runnow.taken(kv, name) for name in sources}
    finally:
        kv.close()
    runs = []
    for name in sources:
        since = runnow.running_since(crawl_state, name, settings.crawl_timeout_s, taken=taken[name])
        if since is not None:
            runs.append(
                CrawlRun(
                    source=name,
                    state="running",
                    since=_iso(since),
                    pages=crawl_state.pages_since(name, since),
                )
            )
        elif name in pending:
            runs.append(CrawlRun(source=name, state="queued", since=_iso(pending[name]), pages=0))
        else:
            runs.append(CrawlRun(source=name, state="idle", since=None, pages=0))
    return CrawlRuns(leader=leader, runs=runs)


@strawberry.type
class CrawlQuery:
    @strawberry.field(description="爬取调度器与各源此刻的运行状态（知识工程师、管理员）/ crawls now")
    async def crawl_runs(self, info: Info) -> CrawlRuns:
        c = ctx(info)
        c.require(*ROLES)
        return await asyncio.to_thread(_runs, c.state)


@strawberry.type
class CrawlMutation:
    @strawberry.mutation(
        description="立即运行一个爬取源（由主调度器执行；正在运行或已请求时不重复启动）/ crawl a source now"
    )
    async def run_crawl(self, info: Info, name: str) -> CrawlRunRequest:
        c = ctx(info)
        who = c.require(*ROLES)
        return await asyncio.to_thread(_run_crawl, c.state, name[:200], who.id)
