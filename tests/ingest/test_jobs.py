"""Re-ingestion jobs live in the shared Redis (the demo graph's server here): two instances' job
stores over it agree on a job's progress and outcome, start one job per document between them, and a
job whose instance stopped (its claim on the document expired) reads as failed and frees the document."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from ingest.jobs import JOB, JOB_TTL_S, LOST, RUNNING, ReingestJobs


@pytest.fixture
def kv(demo_graph) -> Iterator[redis.Redis]:  # type: ignore[no-untyped-def]
    with redis.Redis.from_url(demo_graph.kv_url, decode_responses=True) as client:
        yield client


def test_two_instances_agree_on_a_job_and_start_one_per_document(kv: redis.Redis) -> None:
    one, two = ReingestJobs(kv), ReingestJobs(kv)  # two instances' stores over one Redis
    doc = f"doc-{uuid.uuid4().hex[:8]}"
    job, started = one.start(doc, "值班安排", by="E1003")
    assert started and job.state == "running"
    same, again = two.start(doc, "值班安排", by="E1001")
    assert not again and same.id == job.id and same.by == "E1003"  # the running job, not a second one

    report = one.progress(job)
    report("embeddings", 3, 4)  # a new stage is written at once
    seen = two.get(job.id)
    assert seen is not None and (seen.state, seen.stage, seen.done, seen.total) == (
        "running",
        "embeddings",
        3,
        4,
    )

    one.finish(job, outcome="changed", chunks=2, indexed_chunks=301)
    done = two.get(job.id)
    assert done is not None and (done.state, done.outcome, done.chunks, done.indexed_chunks) == (
        "done",
        "changed",
        2,
        301,
    )
    assert 0 < kv.ttl(JOB + job.id) <= JOB_TTL_S and kv.exists(RUNNING + doc) == 0
    following, started = two.start(doc, "值班安排", by="E1003")
    assert started and following.id != job.id  # the document is free again
    two.fail(following, "无法读取", "cannot read")
    failed = one.get(following.id)
    assert failed is not None and (failed.state, failed.error, failed.error_en) == (
        "failed",
        "无法读取",
        "cannot read",
    )
    assert one.get("job-000000000000") is None


def test_a_job_whose_instance_stopped_reads_as_failed_and_frees_its_document(kv: redis.Redis) -> None:
    jobs = ReingestJobs(kv)
    doc = f"doc-{uuid.uuid4().hex[:8]}"
    job, _ = jobs.start(doc, "值班安排", by="E1003")
    kv.delete(RUNNING + doc)  # what the claim's expiry does when no instance renews it
    lost = jobs.get(job.id)
    assert lost is not None and (lost.state, lost.error, lost.error_en) == ("failed", *LOST)
    after, started = jobs.start(doc, "值班安排", by="E1003")
    assert started and after.id != job.id

    # a claim left by a job that is gone (its record expired) does not block the document either
    kv.delete(JOB + after.id)
    last, started = jobs.start(doc, "值班安排", by="E1003")
    assert started and last.id != after.id and kv.get(RUNNING + doc) == last.id
