""" "Run now": a crawl started on request by whichever instance leads the crawl scheduler.

The API never crawls itself (a second crawler beside the scheduler's would race it): it leaves a request
in the shared Redis (``zhiku:crawl:run-now``, one field per source, set only if absent) and the leader's
scheduler picks requests up every couple of seconds (:func:`take_requests`, a job of its own), starting
each as a one-off job that runs the same subprocess as the schedule's. Whether a request is accepted is
one pure rule, :func:`decide`: refused when no scheduler leads (nobody would pick it up), when the
source is already running or already requested (so asking twice starts one crawl), accepted otherwise.

    verdict = request_run(kv, state, "intranet-hr", by="E1001", timeout_s=settings.crawl_timeout_s)
    verdict.accepted, verdict.state          # True, "queued"  /  False, "running" | "no_scheduler"
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import redis

from crawlers.leader import PREFIX
from crawlers.state import CrawlState

log = logging.getLogger(__name__)

RUN_NOW = "zhiku:crawl:run-now"
SCHEDULER_LEASE = "crawl-scheduler"
#: How often the leader looks for requests.
POLL_S = 2.0
State = Literal["queued", "running", "already_queued", "no_scheduler"]


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    state: State
    leader: str | None = None  # host:pid of the scheduler that will run it
    since: float | None = None  # when the running crawl started, or the request was made


def decide(*, leader: str | None, running_since: float | None, requested_at: float | None) -> Verdict:
    """Whether a "run now" request is accepted, from what is known of the scheduler and the source."""
    if running_since is not None:
        return Verdict(False, "running", leader, running_since)
    if requested_at is not None:
        return Verdict(False, "already_queued", leader, requested_at)
    if leader is None:
        return Verdict(False, "no_scheduler")
    return Verdict(True, "queued", leader, None)


def scheduler_leader(kv: redis.Redis) -> str | None:
    """Who leads the crawl scheduler now (``host:pid``), or ``None`` when no scheduler runs."""
    value: Any = kv.get(PREFIX + SCHEDULER_LEASE + ":holder")
    return value.decode() if isinstance(value, bytes) else value


def running_since(
    state: CrawlState, name: str, timeout_s: float, *, taken: float | None = None, now: float | None = None
) -> float | None:
    """When the source's crawl under way started; ``None`` if none is. ``taken``: when the leader took
    a request for it — running from then on until a run finishes (its subprocess records its start only
    once it is up). A run older than the crawl timeout without an end died with its process."""
    run = state.last_run(name)
    now = now or time.time()
    if run is not None and run.get("finished") is None and now - float(run["started"]) < timeout_s:
        return float(run["started"])
    ended = None if run is None or run.get("finished") is None else float(run["finished"])
    if taken is not None and now - taken < timeout_s and (ended is None or ended < taken):
        return taken
    return None


def taken(kv: redis.Redis, name: str) -> float | None:
    value: Any = kv.get(f"{RUN_NOW}:taken:{name}")
    return float(value) if value is not None else None


def requested(kv: redis.Redis) -> dict[str, float]:
    """The pending requests: source → when it was requested."""
    raw: Any = kv.hgetall(RUN_NOW)
    out = {}
    for key, value in raw.items():
        name = key.decode() if isinstance(key, bytes) else key
        try:
            out[name] = float(json.loads(value)["at"])
        except (ValueError, KeyError, TypeError):
            out[name] = 0.0
    return out


def request_run(kv: redis.Redis, state: CrawlState, name: str, *, by: str, timeout_s: float) -> Verdict:
    """Ask the scheduler's leader to crawl ``name`` now (see :func:`decide`)."""
    verdict = decide(
        leader=scheduler_leader(kv),
        running_since=running_since(state, name, timeout_s, taken=taken(kv, name)),
        requested_at=requested(kv).get(name),
    )
    if not verdict.accepted:
        return verdict
    now = time.time()
    if not kv.hsetnx(RUN_NOW, name, json.dumps({"by": by, "at": now})):  # another request just won
        return Verdict(False, "already_queued", verdict.leader, now)
    log.info("crawl %s requested by %s", name, by)
    return Verdict(True, "queued", verdict.leader, now)


def take_requests(
    scheduler: Any, kv: redis.Redis, job_args: dict[str, list[Any]], *, timeout_s: float
) -> list[str]:
    """On the leader: start a one-off crawl for every pending request (``job_args``: each source's
    arguments for :func:`crawlers.schedules.run_source`); return the sources started."""
    from crawlers.schedules import run_source

    started: list[str] = []
    try:
        pending = requested(kv)
    except redis.RedisError as exc:
        log.warning("run-now requests not read (Redis: %s)", exc)
        return started
    for name in pending:
        if name in job_args:
            scheduler.add_job(
                run_source,
                args=job_args[name],
                id=f"now:{name}",
                name=f"crawl {name} (now)",
                jobstore="memory",
                replace_existing=True,
                next_run_time=datetime.now(UTC),
            )
            kv.set(f"{RUN_NOW}:taken:{name}", repr(time.time()), ex=max(1, int(timeout_s)))
            started.append(name)
        kv.hdel(RUN_NOW, name)  # an unknown source's request is dropped
    return started
