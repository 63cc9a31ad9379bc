"""Model threads for query embeddings: questions from many callers share model calls.

Distinct questions arriving together (concurrent ``ask``s, each in its own worker thread — the event
loop never runs the model) are queued; a model thread takes the first, waits at most ``window_s``
for more (or until ``max_batch`` are queued) and embeds them in one call. With the default window of
0 it takes exactly what queued while its previous call ran: a lone question waits for nothing, and
under load the batches grow by themselves (bench/embed.py measured this best). A batched call gives the
same vectors as one call per question (the model pools each text on its own), only cheaper per
question. ``model_threads`` threads take batches from the one queue and run the model at once (ONNX
Runtime runs one session from several threads; each call uses ``ZHIKU_EMBED_THREADS`` native
threads), so the embeddings need not be serialised on one thread. The first thread takes any
question; the others join only when half a batch waits: a batch costs less a question the larger it
is, so a light load keeps one thread's batches and only a backlog is split. Two threads (the
default) took distinct questions from 81–84 to 120–125 req/s on 2 idle cores (bench/RESULTS.md,
session 14).

The queue is bounded: past ``max_queue`` waiting questions a caller gets
:class:`~zhiku.errors.EmbedderBusy` (retryable, with ``retry_after``) at once instead of joining an
ever longer wait. The same bound holds before the queue: a server runs each question's work in a
thread pool whose own queue has no bound, so a burst would wait there instead;
:meth:`QueryBatcher.admit` (around that hand-off) refuses past ``max_queue + model_threads ×
max_batch`` questions in flight in the process (as many as the queue and the model calls hold), at
once, with the same error. :meth:`QueryBatcher.run` does both for a server: it admits a question and
runs it in the batcher's own pool of caller threads, ``(model_threads + 1) × max_batch`` of them (a
batch waiting in each model thread while as many more are searched and answered), so that full
batches can form (asyncio's default pool has ``cores + 4`` threads, six on two cores: under load the
batches stayed at two or three questions, and a query cost nearly what it costs alone).

Example::

    batcher = QueryBatcher(embedder, window_s=0.0, max_batch=16, max_queue=256, model_threads=2)
    vec = batcher.embed_query("年假怎么请")   # from any thread; blocks until its batch is embedded
    batcher.close()
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, runtime_checkable

import numpy as np

from search.embedders import Embedder, Vectors
from zhiku.errors import EmbedderBusy
from zhiku.i18n import N_
from zhiku.settings import EMBED_BATCH_MAX, EMBED_BATCH_WINDOW_MS, EMBED_MODEL_THREADS, EMBED_QUEUE_MAX


@runtime_checkable
class BatchEmbedder(Protocol):
    """What the batcher needs: many queries in one call (``E5Embedder.embed_queries``)."""

    def embed_queries(self, texts: Sequence[str]) -> Vectors: ...


class QueryBatcher:
    """Micro-batches ``embed_query`` calls from many threads into ``embed_queries`` calls."""

    def __init__(
        self,
        embedder: BatchEmbedder,
        *,
        window_s: float = EMBED_BATCH_WINDOW_MS / 1000,
        max_batch: int = EMBED_BATCH_MAX,
        max_queue: int = EMBED_QUEUE_MAX,
        seconds_per_query: float = 0.01,
        model_threads: int = EMBED_MODEL_THREADS,
    ) -> None:
        self._embedder = embedder
        self.window_s = max(0.0, window_s)
        self.max_batch = max(1, max_batch)
        self.max_queue = max(1, max_queue)
        self.model_threads = max(1, model_threads)
        self._seconds_per_query = seconds_per_query  # only for the Retry-After estimate
        self._waiting: collections.deque[tuple[str, Future[Vectors]]] = collections.deque()
        self._changed = threading.Condition()  # a question queued, or the batcher closing
        self._closed = False
        self._in_flight = 0
        self._admission = threading.Lock()
        self._callers: ThreadPoolExecutor | None = None  # made on the first run()
        self.calls = 0  # model calls made (a benchmark divides queries by it: the mean batch)
        self._calls_lock = threading.Lock()
        # the first thread takes any question; the others only a backlog of half a batch, so that a
        # lone question or a light load keeps one thread's larger, cheaper batches
        self.join_at = max(1, self.max_batch // 2)
        self._threads = [
            threading.Thread(
                target=self._run, args=(1 if i == 0 else self.join_at,), name=f"zhiku-query-batcher-{i}",
                daemon=True,
            )
            for i in range(self.model_threads)
        ]  # fmt: skip
        for thread in self._threads:
            thread.start()

    def embed_query(self, text: str) -> Vectors:
        """``text``'s query vector, embedded together with whatever else is waiting."""
        future: Future[Vectors] = Future()
        with self._changed:  # closed is read under the lock close() sets it with: never queued too late
            closed = self._closed
            if not closed:
                if len(self._waiting) >= self.max_queue:
                    raise self._busy()
                self._waiting.append((text, future))
                # wake the model threads only when a wait of theirs may end: the first question (the
                # first thread), half a batch (the others), any question while a window is open
                if len(self._waiting) in (1, self.join_at) or self.window_s > 0:
                    self._changed.notify_all()
        if closed:  # after close (a service shut down): embed alone, in this thread
            row: Vectors = np.asarray(self._embedder.embed_queries([text]))[0]
            return row
        return future.result()

    @property
    def waiting(self) -> int:
        """Questions queued for a model thread."""
        return len(self._waiting)

    def _busy(self) -> EmbedderBusy:
        wait = max(1, math.ceil(self.max_queue * self._seconds_per_query / self.model_threads))
        busy = EmbedderBusy.localized(
            N_("当前提问过多，请 {wait} 秒后再试"),
            f"too many questions waiting to be embedded ({self.max_queue}); retry in {wait} s",
            wait=wait,
        )
        busy.retry_after = wait
        return busy

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        """One question in flight for the block; past ``max_queue + model_threads × max_batch`` at
        once (what the queue and the model calls hold), :class:`EmbedderBusy`."""
        with self._admission:
            if self._in_flight >= self.max_queue + self.model_threads * self.max_batch:
                raise self._busy()
            self._in_flight += 1
        try:
            yield
        finally:
            with self._admission:
                self._in_flight -= 1

    async def run[T](self, fn: Callable[[], T]) -> T:
        """``fn()`` (a question's whole work: search, the answer, its records) admitted (:meth:`admit`)
        and run in one of the batcher's caller threads, with the caller's context variables (as
        ``asyncio.to_thread``); the event loop waits without blocking."""
        with self.admit():
            with self._admission:
                if self._callers is None:
                    size = (self.model_threads + 1) * self.max_batch
                    self._callers = ThreadPoolExecutor(size, thread_name_prefix="zhiku-ask")
                callers = self._callers
            context = contextvars.copy_context()
            return await asyncio.get_running_loop().run_in_executor(callers, context.run, fn)

    def close(self) -> None:
        """Stop the model threads after the questions already queued."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()
        with self._admission:
            callers, self._callers = self._callers, None
        if callers is not None:
            callers.shutdown(wait=False)

    def _run(self, least: int) -> None:
        while batch := self._take(least):
            self._embed(batch)

    def _take(self, least: int) -> list[tuple[str, Future[Vectors]]]:
        """The next batch, once ``least`` questions wait (any, when closing), with what else arrives
        within the window; empty only when closed and nothing is left. While this thread waits out the
        window (the lock released) another model thread may take every question queued: then it waits
        for the next ones instead of returning an empty batch, which would end the thread for good."""
        with self._changed:
            while True:
                while len(self._waiting) < least and not (self._closed and self._waiting):
                    if self._closed:
                        return []
                    self._changed.wait()
                end = time.monotonic() + self.window_s
                while len(self._waiting) < self.max_batch and not self._closed:
                    remaining = end - time.monotonic()
                    if remaining <= 0:
                        break
                    self._changed.wait(remaining)
                if self._waiting:
                    return [self._waiting.popleft() for _ in range(min(self.max_batch, len(self._waiting)))]

    def _embed(self, batch: list[tuple[str, Future[Vectors]]]) -> None:
        live = [(text, future) for text, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            vectors = self._embedder.embed_queries([text for text, _ in live])
            with self._calls_lock:
                self.calls += 1
        except BaseException as exc:  # the callers see the model's error, the thread lives on
            for _, future in live:
                future.set_exception(exc)
            return
        for row, (_, future) in zip(np.asarray(vectors), live, strict=True):
            future.set_result(row)


class BatchedEmbedder:
    """An :class:`~search.embedders.Embedder` whose queries go through a :class:`QueryBatcher`
    (passages go straight to the model: ingestion batches them itself)."""

    def __init__(self, embedder: Embedder, batcher: QueryBatcher) -> None:
        self.inner = embedder
        self.batcher = batcher
        self.name = embedder.name
        self.dim = embedder.dim

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> Vectors:
        return self.batcher.embed_query(text)

    def close(self) -> None:
        self.batcher.close()


def batched(embedder: Embedder, settings: Any) -> Embedder:
    """``embedder`` with a micro-batcher for its queries, sized by the settings
    (``ZHIKU_EMBED_BATCH_MAX=1`` turns batching off); an embedder that cannot embed many queries in
    one call (a fake in a test, the static model — already sub-millisecond) is returned as it is."""
    if not isinstance(embedder, BatchEmbedder) or settings.embed_batch_max <= 1:
        return embedder
    batcher = QueryBatcher(
        embedder,
        window_s=settings.embed_batch_window_ms / 1000,
        max_batch=settings.embed_batch_max,
        max_queue=settings.embed_queue_max,
        model_threads=settings.embed_model_threads,
    )
    return BatchedEmbedder(embedder, batcher)


async def run_admitted[T](search: object | None, fn: Callable[[], T]) -> T:
    """``fn()`` through the search service's batcher (:meth:`QueryBatcher.run`: admitted, in its caller
    threads), else in a worker thread (``asyncio.to_thread``)."""
    embedder = getattr(search, "embedder", None)
    if isinstance(embedder, BatchedEmbedder):
        return await embedder.batcher.run(fn)
    return await asyncio.to_thread(fn)
