"""One crawl scheduler at a time: candidates share a lease in Redis (the embedded graph server); a
standby takes over when the leader steps down or dies, and carries on the leader's schedule."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from crawlers.leader import PREFIX, Leadership
from crawlers.schedules import NEXT_RUN, ScheduledCrawls
from crawlers.sources import Source
from zhiku.settings import Settings


@pytest.fixture
def kv(store) -> Iterator[redis.Redis]:  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(store.kv_url, decode_responses=True)
    client.delete(PREFIX + "crawl-scheduler", NEXT_RUN)
    yield client
    client.delete(PREFIX + "crawl-scheduler", NEXT_RUN)
    client.close()


def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_one_leads_and_a_standby_takes_over(kv: redis.Redis) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    log: list[str] = []
    candidates = [
        Leadership(
            kv,
            name,
            lease_s=1.0,
            on_elected=lambda i=i: log.append(f"up{i}"),
            on_demoted=lambda i=i: log.append(f"down{i}"),
        )
        for i in range(3)
    ]
    try:
        for c in candidates:
            c.start()
        assert _until(lambda: any(c.is_leader for c in candidates))
        time.sleep(1.5)  # more than a lease: renewals keep the same leader, nobody else is elected
        leaders = [c for c in candidates if c.is_leader]
        assert len(leaders) == 1 and len([e for e in log if e.startswith("up")]) == 1
        first = leaders[0]
        assert first.holder() == first.identity
        first.stop()  # steps down and releases: another is elected
        assert _until(lambda: sum(c.is_leader for c in candidates) == 1 and not first.is_leader)
    finally:
        for c in candidates:
            c.stop()
    assert sum(e.startswith("up") for e in log) == sum(e.startswith("down") for e in log) == 2


def test_a_lease_held_by_a_dead_leader_passes_on_when_it_runs_out(kv: redis.Redis) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    kv.set(PREFIX + name, "a-process-that-died", px=1500)  # its lease, never renewed
    standby = Leadership(kv, name, lease_s=1.0, on_elected=lambda: None, on_demoted=lambda: None)
    try:
        standby.start()
        time.sleep(0.5)
        assert not standby.is_leader  # the dead leader's lease still runs
        assert _until(lambda: standby.is_leader)  # and then it has run out
    finally:
        standby.stop()


def test_the_new_leader_carries_on_the_schedule(kv: redis.Redis, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, scheduler_lease_s=1.0)
    # a site nobody serves, hourly: no crawl runs during the test
    sources = {"hourly": Source(name="hourly", start_urls=["http://127.0.0.1:9/"], every="1h")}
    a, b = ScheduledCrawls(settings, kv, sources), ScheduledCrawls(settings, kv, sources)
    try:
        a.start()
        assert _until(lambda: a.role == "leader")
        b.start()
        time.sleep(1.0)
        assert b.role == "standby" and b.scheduler is None and a.scheduler is not None
        planned = a.scheduler.get_job("crawl:hourly").next_run_time
        assert float(kv.hget(NEXT_RUN, "hourly")) == pytest.approx(planned.timestamp(), abs=1e-3)
        time.sleep(0.2)  # a fresh schedule made now would be later than the one planned
        a.stop()
        assert _until(lambda: b.role == "leader" and b.scheduler is not None)
        carried = b.scheduler.get_job("crawl:hourly").next_run_time
        assert carried.timestamp() == pytest.approx(planned.timestamp(), abs=1e-3)
        assert a.scheduler is None
    finally:
        a.stop()
        b.stop()
