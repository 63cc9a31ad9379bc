"""The crawl scheduler: APScheduler 3.x with a persistent job store, one job per source.

    zhiku scheduler            # runs until Ctrl-C

Jobs live in ``<data_dir>/crawl/jobs.sqlite`` (SQLAlchemy job store), so a restart keeps their next
run times; sources added to or removed from ``sources.yaml`` are added or removed at start. Each job
coalesces missed runs into one, never overlaps itself (``max_instances=1``), has a misfire grace of one
interval, and runs the crawl in a subprocess (``python -m crawlers.run``) so Twisted's reactor is
never restarted in-process and a crashing crawl takes nothing else down. Next run times are written to
the crawl state for ``zhiku crawl status`` and GraphQL.

Several instances (API replicas with ``ZHIKU_SCHEDULER=true``, or several ``zhiku scheduler``) run
:class:`ScheduledCrawls`: one leads (:mod:`crawlers.leader`, a lease in the shared Redis) and runs the
scheduler; the others wait and take over within a lease when it dies. The leader also keeps each
source's next run in Redis (``zhiku:crawl:next-run``), so a new leader carries on the schedule —
a run that was due, or that the old leader died in the middle of, starts at once — rather than
starting every interval afresh.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from crawlers.leader import Leadership
from crawlers.sources import Source, load_sources
from crawlers.state import CrawlState
from zhiku.settings import Settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
NEXT_RUN = "zhiku:crawl:next-run"


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


def build_scheduler(
    settings: Settings, sources: dict[str, Source] | None = None, *, kv: redis.Redis | None = None
) -> Any:
    """The scheduler (paused) with one job per source. With ``kv``, next run times are shared there:
    read at start (a due run starts at once), written after every run."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    sources = sources if sources is not None else load_sources(settings.crawl_sources)
    state = CrawlState(settings.data_dir)
    store = SQLAlchemyJobStore(url=f"sqlite:///{settings.data_dir.resolve() / 'crawl' / 'jobs.sqlite'}")
    scheduler = BackgroundScheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        timezone="UTC",
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
        if kv is not None and following is not None:
            _share_next_run(kv, name, following.timestamp())

    scheduler.add_listener(remember_next, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.start(paused=True)
    wanted = {f"crawl:{name}" for name in sources}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    shared = _shared_next_runs(kv) if kv is not None else {}
    for name, source in sources.items():
        trigger = (
            CronTrigger.from_crontab(source.cron, timezone="UTC")
            if source.cron
            else IntervalTrigger(seconds=source.every_s)
        )
        triggers[name] = trigger
        carried = {}
        if name in shared:  # where the previous leader left this source's schedule
            carried["next_run_time"] = datetime.fromtimestamp(max(shared[name], time.time()), UTC)
        scheduler.add_job(
            run_source,
            trigger,
            id=f"crawl:{name}",
            name=f"crawl {name}",
            args=_run_args(settings, name),
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=source.every_s,
            **carried,
        )
    if kv is not None:  # "run now" requests from the API (crawlers.runnow), checked every POLL_S
        from crawlers.runnow import POLL_S, take_requests

        job_args = {name: _run_args(settings, name) for name in sources}
        scheduler.add_job(
            take_requests,
            IntervalTrigger(seconds=POLL_S),
            args=[scheduler, kv, job_args],
            kwargs={"timeout_s": settings.crawl_timeout_s},
            id="run-now",
            name="run-now requests",
            jobstore="memory",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
    if kv is not None and settings.nlu_train_cron:  # the monthly `zhiku nlu train` (crawlers.nlu_train)
        from crawlers.nlu_train import retrain_job

        scheduler.add_job(
            retrain_job,
            CronTrigger.from_crontab(settings.nlu_train_cron, timezone="UTC"),
            args=[str(settings.data_dir.resolve()), kv],
            id="nlu-train",
            name="nlu train",
            jobstore="memory",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
    for job in scheduler.get_jobs("default"):
        name = job.id.removeprefix("crawl:")
        state.set_next_run(name, job.next_run_time.timestamp() if job.next_run_time else None)
        if kv is not None and job.next_run_time is not None and name not in shared:
            _share_next_run(kv, name, job.next_run_time.timestamp())
    return scheduler


def _run_args(settings: Settings, name: str) -> list[Any]:
    """:func:`run_source`'s arguments for one source."""
    sources, data = str(settings.crawl_sources.resolve()), str(settings.data_dir.resolve())
    return [name, sources, data, settings.crawl_timeout_s]


def _share_next_run(kv: redis.Redis, name: str, at: float) -> None:
    try:
        kv.hset(NEXT_RUN, name, repr(at))
    except redis.RedisError as exc:
        log.warning("next run of %s not shared (Redis: %s)", name, exc)


def _shared_next_runs(kv: redis.Redis) -> dict[str, float]:
    try:
        raw: Any = kv.hgetall(NEXT_RUN)
    except redis.RedisError as exc:
        log.warning("shared crawl schedule not read (Redis: %s)", exc)
        return {}
    return {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}


class ScheduledCrawls:
    """The crawl scheduler on whichever instance leads: every candidate runs this; one schedules.

    >>> crawls = ScheduledCrawls(settings, kv)   # kv: the shared Redis (graph.kv.open_kv)
    >>> crawls.start()                           # standby until elected
    >>> crawls.role                              # "leader" | "standby"
    >>> crawls.stop()
    """

    def __init__(self, settings: Settings, kv: redis.Redis, sources: dict[str, Source] | None = None) -> None:
        self.settings = settings
        self.kv = kv
        self.sources = sources
        self.scheduler: Any = None
        self.leadership = Leadership(
            kv,
            "crawl-scheduler",
            on_elected=self._lead,
            on_demoted=self._stand_by,
            lease_s=settings.scheduler_lease_s,
        )
        self.elected: list[Callable[[Any], None]] = []  # told the scheduler when this instance leads

    @property
    def role(self) -> str:
        return self.leadership.role

    def start(self) -> None:
        self.leadership.start()

    def stop(self) -> None:
        self.leadership.stop()

    def _lead(self) -> None:
        self.scheduler = build_scheduler(self.settings, self.sources, kv=self.kv)
        self.scheduler.resume()
        for listener in self.elected:
            listener(self.scheduler)

    def _stand_by(self) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            # A crawl under way finishes in its own process; no new one starts here.
            scheduler.shutdown(wait=False)
