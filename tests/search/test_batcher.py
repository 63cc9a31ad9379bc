"""The query micro-batcher: concurrent questions share model calls and get exactly the vectors one
call each would give; a full queue refuses at once with a retryable, coded error."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest

from search.batcher import BatchedEmbedder, QueryBatcher, batched, run_admitted
from search.embedders import E5Embedder, Vectors, load_embedder
from zhiku.errors import EmbedderBusy
from zhiku.settings import Settings

QUESTIONS = [f"{q}{suffix}" for q in ("年假怎么请", "报销8000元需要谁审批", "VPN连不上怎么办", "班车几点出发")
             for suffix in ("", "？", "，谢谢", "（急）")]  # fmt: skip


def test_batched_vectors_match_one_at_a_time_within_float_tolerance(e5: E5Embedder) -> None:
    alone = np.stack([e5.embed_query(q) for q in QUESTIONS])
    batcher = QueryBatcher(e5, window_s=0.05, max_batch=8, model_threads=2)  # the session run at once
    try:
        with ThreadPoolExecutor(8) as pool:
            together = np.stack(list(pool.map(batcher.embed_query, QUESTIONS)))
    finally:
        batcher.close()
    assert batcher.calls < len(QUESTIONS)  # some questions really shared a model call
    np.testing.assert_allclose(together, alone, atol=1e-5)


class Gated:
    """A model whose call blocks until the test opens the gate (so the queue fills)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.batches: list[list[str]] = []

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        self.entered.set()
        self.gate.wait(timeout=30)
        self.batches.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def test_a_full_queue_refuses_at_once_with_a_retryable_error() -> None:
    model = Gated()
    batcher = QueryBatcher(model, window_s=0, max_batch=4, max_queue=2, model_threads=1)
    pool = ThreadPoolExecutor(3)
    try:
        first = pool.submit(batcher.embed_query, "a")
        assert model.entered.wait(timeout=30)  # the model thread is busy with "a"
        waiting = [pool.submit(batcher.embed_query, t) for t in ("bb", "ccc")]
        while batcher.waiting < 2:  # both queued behind the busy call
            threading.Event().wait(0.001)
        with pytest.raises(EmbedderBusy) as refused:
            batcher.embed_query("dddd")
        assert refused.value.retryable and refused.value.code == "EMBEDDER_BUSY"
        assert refused.value.retry_after >= 1
        assert "稍后" in refused.value.message_zh or "秒后" in refused.value.message_zh
        model.gate.set()
        assert first.result(timeout=30)[0] == 1.0
        assert [w.result(timeout=30)[0] for w in waiting] == [2.0, 3.0]
        assert model.batches == [["a"], ["bb", "ccc"]]  # the two queued shared one call
    finally:
        model.gate.set()
        pool.shutdown()
        batcher.close()


def test_a_model_error_reaches_every_caller_and_the_thread_lives_on() -> None:
    class Failing:
        fail = True

        def embed_queries(self, texts: Sequence[str]) -> Vectors:
            if self.fail:
                self.fail = False
                raise RuntimeError("model broke")
            return np.ones((len(texts), 2), dtype=np.float32)

    batcher = QueryBatcher(Failing(), window_s=0)
    try:
        with pytest.raises(RuntimeError, match="model broke"):
            batcher.embed_query("x")
        assert batcher.embed_query("y").tolist() == [1.0, 1.0]
    finally:
        batcher.close()
    assert batcher.embed_query("after close").tolist() == [1.0, 1.0]  # embeds alone, never hangs


def test_settings_wrap_the_default_model_and_leave_others_alone(e5: E5Embedder) -> None:
    wrapped = batched(e5, Settings(embed_batch_max=16))
    assert isinstance(wrapped, BatchedEmbedder) and wrapped.name == e5.name
    wrapped.close()
    assert batched(e5, Settings(embed_batch_max=1)) is e5
    static = load_embedder("static")
    assert batched(static, Settings()) is static


def test_questions_in_flight_past_the_bound_are_refused_before_they_queue_anywhere() -> None:
    """A server hands each question to a thread pool whose own queue has no bound: ``admit``
    refuses past what the batcher's queue and one model call hold, and frees a place on the way out;
    without a batcher (no service yet, an embedder without one) ``run_admitted`` bounds nothing."""
    batcher = QueryBatcher(Gated(), window_s=0, max_batch=2, max_queue=1, model_threads=1)
    try:
        with batcher.admit(), batcher.admit(), batcher.admit():  # 1 queued + a call of 2
            with pytest.raises(EmbedderBusy) as refused, batcher.admit():
                pass
            assert refused.value.retry_after >= 1 and refused.value.code == "EMBEDDER_BUSY"
        with batcher.admit():  # the three left: places again
            pass
        for unbatched in (None, SimpleNamespace(embedder=Gated())):  # nothing to bound
            assert asyncio.run(run_admitted(unbatched, lambda: "answered")) == "answered"
    finally:
        batcher.close()


def test_a_second_model_thread_takes_a_backlog_beside_a_busy_call_and_the_bound_counts_it() -> None:
    """With two model threads a backlog is embedded beside a call already in the model (a question no
    longer waits for the other thread's call to end); the second thread joins only once half a batch
    waits, so one question behind a busy call is not embedded alone. In flight the process holds the
    queue plus a batch in each thread."""

    class Entering(Gated):
        """Records each call's questions as it enters, then waits at the gate."""

        def __init__(self) -> None:
            super().__init__()
            self.started: list[list[str]] = []
            self.two_inside = threading.Event()

        def embed_queries(self, texts: Sequence[str]) -> Vectors:
            self.started.append(list(texts))
            if len(self.started) == 2:
                self.two_inside.set()
            return super().embed_queries(texts)

    model = Entering()
    batcher = QueryBatcher(model, window_s=0, max_batch=4, max_queue=8, model_threads=2)  # joins at 2
    pool = ThreadPoolExecutor(3)
    try:
        first = pool.submit(batcher.embed_query, "a")
        assert model.entered.wait(timeout=30)  # one thread busy with "a"
        second = pool.submit(batcher.embed_query, "bb")
        while batcher.waiting < 1:
            threading.Event().wait(0.001)
        third = pool.submit(batcher.embed_query, "ccc")  # a backlog of two: the other thread takes it
        assert model.two_inside.wait(timeout=30)  # two calls in the model at once
        assert model.started == [["a"], ["bb", "ccc"]]
        with contextlib.ExitStack() as held:
            for _ in range(8 + 2 * 4):  # the queue's 8 + a batch of 4 in each thread
                held.enter_context(batcher.admit())
            with pytest.raises(EmbedderBusy), batcher.admit():
                pass
        model.gate.set()
        assert [f.result(timeout=30)[0] for f in (first, second, third)] == [1.0, 2.0, 3.0]
    finally:
        model.gate.set()
        pool.shutdown()
        batcher.close()
    assert not any(thread.is_alive() for thread in batcher._threads)  # close stopped both


ASKER: contextvars.ContextVar[str] = contextvars.ContextVar("asker", default="")


def test_run_admitted_lets_a_full_batch_form_with_the_callers_context() -> None:
    """asyncio's default pool has cores + 4 threads, at most 32 (six on two cores), which capped a
    batch at that many questions however many clients waited: ``run_admitted`` runs questions in the
    batcher's own caller threads, so 36 questions queued behind a busy call share the next one."""
    model = Gated()
    batcher = QueryBatcher(model, window_s=0, max_batch=36, max_queue=64, model_threads=1)
    service = SimpleNamespace(embedder=BatchedEmbedder(load_embedder("static"), batcher))

    def question(text: str) -> tuple[str, float]:
        return ASKER.get(), float(batcher.embed_query(text)[0])

    async def ask(text: str) -> tuple[str, float]:
        ASKER.set(f"asker of {text}")  # as a resolver's context (the reply language) travels
        return await run_admitted(service, lambda: question(text))

    async def main() -> list[tuple[str, float]]:
        first = asyncio.ensure_future(ask("a"))
        while not model.entered.is_set():  # the model thread is busy with "a"
            await asyncio.sleep(0.001)
        rest = [asyncio.ensure_future(ask("b" * n)) for n in range(2, 38)]
        while batcher.waiting < 36:  # all 36 queued behind the busy call
            await asyncio.sleep(0.001)
        model.gate.set()
        return [await first, *[await r for r in rest]]

    try:
        answers = asyncio.run(asyncio.wait_for(main(), timeout=30))
    finally:
        model.gate.set()
        batcher.close()
    assert [len(b) for b in model.batches] == [1, 36]
    assert answers[0] == ("asker of a", 1.0)
    assert answers[1:] == [(f"asker of {'b' * n}", float(n)) for n in range(2, 38)]


class Quick:
    """A model that answers after a few milliseconds (long enough for another thread's window to open)."""

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        threading.Event().wait(0.005)
        return np.ones((len(texts), 2), dtype=np.float32)


def test_model_threads_outlive_a_window_in_which_another_thread_took_every_question() -> None:
    """With a batch window, one model thread may wait out its window while another takes every queued
    question; it must go back to waiting, not end (a lone question would then wait forever)."""
    batcher = QueryBatcher(Quick(), window_s=0.02, max_batch=4, max_queue=64, model_threads=2)
    pool = ThreadPoolExecutor(16)
    try:
        for burst in range(12):
            for future in [
                pool.submit(batcher.embed_query, f"q{burst}-{i}") for i in range((1, 5, 8)[burst % 3])
            ]:
                future.result(timeout=10)
            assert all(thread.is_alive() for thread in batcher._threads), burst
        assert pool.submit(batcher.embed_query, "lone").result(timeout=10).shape == (2,)
    finally:
        batcher.close()
        pool.shutdown(wait=False)
    assert not any(thread.is_alive() for thread in batcher._threads)
