""" "Run now": the API leaves a request in the shared Redis and the crawl scheduler's leader starts it —
refused with a reason when no scheduler leads, when the source is already running or already asked for
(asking twice starts one crawl). The rule is tested on its own; the round trip with a real leader
(a real crawl subprocess against a port nobody serves) is slow."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from crawlers import runnow
from crawlers.leader import PREFIX
from crawlers.schedules import NEXT_RUN, ScheduledCrawls
from crawlers.sources import Source
from crawlers.state import CrawlState
from zhiku.settings import Settings


@pytest.fixture
def kv(store) -> Iterator[redis.Redis]:  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(store.kv_url, decode_responses=True)

    def clear() -> None:
        client.delete(PREFIX + "crawl-scheduler", PREFIX + "crawl-scheduler:holder", NEXT_RUN, runnow.RUN_NOW)
        for key in client.scan_iter(f"{runnow.RUN_NOW}:taken:*"):
            client.delete(key)

    clear()
    yield client
    clear()
    client.close()


def _until(condition: Callable[[], bool], timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_the_rule_refuses_without_a_scheduler_and_never_starts_a_source_twice() -> None:
    assert runnow.decide(leader="h:1", running_since=None, requested_at=None) == runnow.Verdict(
        True, "queued", "h:1"
    )
    assert runnow.decide(leader=None, running_since=None, requested_at=None).state == "no_scheduler"
    running = runnow.decide(leader="h:1", running_since=100.0, requested_at=None)
    assert (running.accepted, running.state, running.since) == (False, "running", 100.0)
    assert runnow.decide(leader=None, running_since=None, requested_at=5.0).state == "already_queued"


def test_a_crawl_under_way_counts_as_running_until_it_ends_or_times_out(tmp_path: Path) -> None:
    state = CrawlState(tmp_path)
    assert runnow.running_since(state, "s", 60) is None
    taken = time.time()
    assert runnow.running_since(state, "s", 60, taken=taken) == taken  # taken, its process not up yet
    run = state.start_run("s")
    assert runnow.running_since(state, "s", 60, taken=taken) is not None
    assert runnow.running_since(state, "s", 60, now=time.time() + 120) is None  # died without an end
    from crawlers.state import RunCounts

    state.finish_run(run, "ok", RunCounts(), {})
    assert runnow.running_since(state, "s", 60, taken=taken) is None


def test_without_a_scheduler_run_now_is_refused_and_nothing_is_queued(
    kv: redis.Redis, tmp_path: Path
) -> None:
    verdict = runnow.request_run(kv, CrawlState(tmp_path), "hourly", by="E1001", timeout_s=60)
    assert (verdict.accepted, verdict.state) == (False, "no_scheduler")
    assert runnow.requested(kv) == {}


@pytest.mark.slow  # a real crawl subprocess (Scrapy start-up) under the leader
def test_the_leader_starts_a_requested_crawl_once(kv: redis.Redis, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, scheduler_lease_s=2.0, crawl_sources=tmp_path / "sources.yaml")
    settings.crawl_sources.write_text(
        "- name: hourly\n  start_urls: ['http://127.0.0.1:9/']\n  every: 1h\n", encoding="utf-8"
    )
    sources = {"hourly": Source(name="hourly", start_urls=["http://127.0.0.1:9/"], every="1h")}
    crawls = ScheduledCrawls(settings, kv, sources)
    state = CrawlState(tmp_path)
    try:
        crawls.start()
        assert _until(lambda: crawls.role == "leader" and runnow.scheduler_leader(kv) is not None)
        first = runnow.request_run(kv, state, "hourly", by="E1001", timeout_s=600)
        second = runnow.request_run(kv, state, "hourly", by="E1003", timeout_s=600)
        assert (first.accepted, first.state) == (True, "queued")
        assert not second.accepted and second.state in ("already_queued", "running")
        assert _until(lambda: runnow.requested(kv) == {})  # the leader took it
        again = runnow.request_run(kv, state, "hourly", by="E1003", timeout_s=600)
        assert (again.accepted, again.state) == (False, "running")
        assert _until(lambda: (state.last_run("hourly") or {}).get("finished") is not None, 180)
        assert state.last_run("hourly")["outcome"] == "failed"  # nobody serves that port
        import sqlite3

        with sqlite3.connect(state.path) as db:  # asked three times, crawled once
            assert db.execute("SELECT count(*) FROM runs WHERE source = 'hourly'").fetchone()[0] == 1
    finally:
        crawls.stop()
