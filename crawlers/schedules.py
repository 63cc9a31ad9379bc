"""The crawl scheduler: APScheduler 3.x with a persistent job store, one job per source.

    zhiku scheduler            # runs until Ctrl-C

Jobs live in ``<data_dir>/crawl/jobs.sqlite`` (SQLAlchemy job store), so a restart keeps their next
run times; sources added to or removed from ``sources.yaml`` are added or removed at start. Each job
coalesces missed runs into one, never overlaps itself (``max_instances=1``), has a misfire grace of one
interval, and runs the crawl in a subprocess (``python -m crawlers.run``) so Twisted's reactor is
never restarted in-process and a crashing crawl takes nothing else down. Next run times are written to
the crawl state for ``zhiku crawl status`` and GraphQL.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawlers.sources import Source, load_sources
from crawlers.state import CrawlState
from zhiku.settings import Settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


def run_source(name: str, sources_file: str, data_dir: str, timeout_s: int) -> dict[str, Any]:
    """One crawl in a subprocess; its failures are recorded, never raised into the scheduler."""
    env = {**os.environ, "ZHIKU_DATA_DIR": data_dir}
    cmd = [sys.executable, "-m", "crawlers.run", name, "--sources", sources_file]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        log.error("crawl %s timed out after %d s", name, timeout_s)
        return {"source": name, "outcome": "timeout"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        log.error("crawl %s failed: %s", name, done.stderr.strip()[-500:])
        return {"source": name, "outcome": "error", "error": done.stderr.strip()[-500:]}
    result: dict[str, Any] = json.loads(lines[-1])
    log.info("crawl %s: %s", name, result)
    return result


def build_scheduler(settings: Settings, sources: dict[str, Source] | None = None) -> Any:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    sources = sources if sources is not None else load_sources(settings.crawl_sources)
    state = CrawlState(settings.data_dir)
    store = SQLAlchemyJobStore(url=f"sqlite:///{settings.data_dir.resolve() / 'crawl' / 'jobs.sqlite'}")
    scheduler = BackgroundScheduler(
        jobstores={"default": store}, executors={"default": ThreadPoolExecutor(max_workers=2)}, timezone="UTC"
    )

    triggers: dict[str, Any] = {}

    def remember_next(event: JobEvent) -> None:
        # Computed from the trigger, not scheduler.get_job(): listeners run while the scheduler may hold
        # its job-store lock (shutdown waits for this very thread), so looking the job up deadlocks.
        name = event.job_id.removeprefix("crawl:")
        trigger = triggers.get(name)
        if trigger is None:
            return
        now = datetime.now(UTC)
        following = trigger.get_next_fire_time(getattr(event, "scheduled_run_time", None), now)
        while following is not None and following < now:
            following = trigger.get_next_fire_time(following, now)
        state.set_next_run(name, following.timestamp() if following else None)

    scheduler.add_listener(remember_next, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.start(paused=True)
    wanted = {f"crawl:{name}" for name in sources}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for name, source in sources.items():
        trigger = (
            CronTrigger.from_crontab(source.cron, timezone="UTC")
            if source.cron
            else IntervalTrigger(seconds=source.every_s)
        )
        triggers[name] = trigger
        scheduler.add_job(
            run_source,
            trigger,
            id=f"crawl:{name}",
            name=f"crawl {name}",
            args=[
                name,
                str(settings.crawl_sources.resolve()),
                str(settings.data_dir.resolve()),
                settings.crawl_timeout_s,
            ],
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=source.every_s,
        )
    for job in scheduler.get_jobs():
        name = job.id.removeprefix("crawl:")
        state.set_next_run(name, job.next_run_time.timestamp() if job.next_run_time else None)
    return scheduler
