"""Re-ingestion jobs in the shared Redis, so that every API instance (``zhiku serve --workers N``, N
replicas) reports a job's progress and its outcome, whichever instance runs it.

* ``zhiku:reingest:job:<id>`` — a hash: the document, who asked, the state (``running`` / ``done`` /
  ``failed``), the stage and its counts, the outcome or the error. It expires :data:`JOB_TTL_S` after
  its last change (the console reads a finished job's outcome once; a day is plenty).
* ``zhiku:reingest:running:<document id>`` — the running job's id: one job per document across the
  instances (asking again answers the running job). The instance running the job renews it with every
  progress write; it expires :data:`RUNNING_TTL_S` after the last one, so a job whose instance died
  frees its document and reads as ``failed`` instead of running for ever.

Progress is written at most every :data:`PROGRESS_EVERY_S` (and whenever the stage changes); the final
state always. A Redis that cannot be reached is a retryable ``SHARED_STATE_UNAVAILABLE`` error.

Example::

    jobs = ReingestJobs(kv)
    job, started = jobs.start("doc-1", "值班安排", by="E1003")   # started=False: one was running
    progress = jobs.progress(job)                               # ingest.run's progress callback
    jobs.finish(job, outcome="changed", chunks=3, indexed_chunks=300)
    jobs.get(job.id)                                            # from any instance
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields

import redis
from redis.exceptions import RedisError

from zhiku.errors import SharedStateUnavailable

JOB = "zhiku:reingest:job:"
RUNNING = "zhiku:reingest:running:"
#: How long a job is readable after its last change.
JOB_TTL_S = 86_400
#: How long a running job holds its document without a progress write (its instance may have died).
RUNNING_TTL_S = 900
#: Progress writes at most this often (the final state is always written).
PROGRESS_EVERY_S = 0.5
#: What a running job whose instance stopped reports.
LOST = (
    "任务所在的服务进程已停止，请重新摄取",
    "the server process running this job stopped: re-ingest again",
)


#: Delete KEYS[1] only while it holds ARGV[1] (atomic in the server).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass(slots=True)
class Job:
    id: str
    document_id: str
    title: str
    by: str
    state: str = "running"
    stage: str = "ingest"
    done: int = 0
    total: int = 0
    outcome: str = ""
    chunks: int = 0
    indexed_chunks: int = 0
    error: str = ""
    error_en: str = ""

    @classmethod
    def from_hash(cls, values: dict[str, str]) -> Job:
        ints = {"done", "total", "chunks", "indexed_chunks"}
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) if k in ints else v for k, v in values.items() if k in known})  # type: ignore[arg-type]


@contextmanager
def _shared() -> Iterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise SharedStateUnavailable(
            "任务状态存储暂时无法访问，请稍后再试",
            f"the shared job store (Redis) cannot be reached: {exc}",
        ) from exc


class ReingestJobs:
    """The re-ingestion jobs of every instance (``kv``: a client with ``decode_responses``)."""

    def __init__(self, kv: redis.Redis) -> None:
        self.kv = kv

    def get(self, job_id: str) -> Job | None:
        """The job as it is now; a running job whose instance stopped reads as failed."""
        with _shared():
            values = self.kv.hgetall(JOB + job_id)
            if not values:
                return None
            job = Job.from_hash({str(k): str(v) for k, v in values.items()})
            if job.state == "running" and self.kv.get(RUNNING + job.document_id) != job.id:
                job.state, (job.error, job.error_en) = "failed", LOST
            return job

    def start(self, document_id: str, title: str, *, by: str) -> tuple[Job, bool]:
        """A new running job for ``document_id``, or the one already running (``False``)."""
        job = Job(f"job-{uuid.uuid4().hex[:12]}", document_id, title, by)
        with _shared():
            for _ in range(2):
                if self.kv.set(RUNNING + document_id, job.id, nx=True, ex=RUNNING_TTL_S):
                    self._save(job)
                    return job, True
                running = self.kv.get(RUNNING + document_id)
                found = self.get(str(running)) if running else None
                if found is not None and found.state == "running":
                    return found, False
                # a claim whose job is gone or over (its instance stopped before finishing): free it
                self._release(document_id, str(running))
            raise SharedStateUnavailable(
                "任务状态存储繁忙，请稍后再试", "the shared job store is busy: try again"
            )

    def progress(self, job: Job) -> Callable[[str, int, int], None]:
        """A progress callback for ``job`` (``ingest.run``'s): written when the stage changes, else at
        most every :data:`PROGRESS_EVERY_S`."""
        last = [0.0]

        def report(stage: str, done: int, total: int) -> None:
            changed = stage != job.stage
            job.stage, job.done, job.total = stage, done, total
            now = time.monotonic()
            if changed or now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                with _shared():
                    self._save(job)

        return report

    def finish(self, job: Job, *, outcome: str, chunks: int, indexed_chunks: int) -> None:
        job.state, job.outcome, job.chunks, job.indexed_chunks = "done", outcome, chunks, indexed_chunks
        self._end(job)

    def fail(self, job: Job, error: str, error_en: str) -> None:
        job.state, job.error, job.error_en = "failed", error, error_en
        self._end(job)

    def _end(self, job: Job) -> None:
        with _shared():
            self._save(job)
            self._release(job.document_id, job.id)

    def _save(self, job: Job) -> None:
        pipe = self.kv.pipeline(transaction=False)
        pipe.hset(JOB + job.id, mapping=asdict(job))  # type: ignore[arg-type]  # redis-py's Mapping types
        pipe.expire(JOB + job.id, JOB_TTL_S)
        if job.state == "running":
            pipe.expire(RUNNING + job.document_id, RUNNING_TTL_S)
        pipe.execute()

    def _release(self, document_id: str, job_id: str) -> None:
        """Free ``document_id`` if ``job_id`` still holds it (another job's claim is left alone)."""
        self.kv.eval(_RELEASE, 1, RUNNING + document_id, job_id)
