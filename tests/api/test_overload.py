"""Past the query-embedding queue's bound, ``ask`` answers at once with a retryable 503 and
``Retry-After`` (the coded ``EMBEDDER_BUSY`` error), and the queued questions are still answered."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np

from search.batcher import BatchedEmbedder, QueryBatcher
from search.embedders import Embedder, Vectors
from tests.api.conftest import serve

ASK = "query($q: String!) { ask(question: $q) { text } }"


class Gated:
    """The real model behind a gate the test opens (so the queue fills while a call runs)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        self.entered.set()
        self.gate.wait(timeout=60)
        return np.stack([self.inner.embed_query(t) for t in texts])


def test_an_overloaded_embedder_answers_503_with_retry_after(demo_copy: Any, copy_search: Any) -> None:
    real = copy_search.embedder
    model = Gated(real)
    batcher = QueryBatcher(model, window_s=0, max_batch=4, max_queue=1, model_threads=1)
    copy_search.embedder = BatchedEmbedder(real, batcher)
    pool = ThreadPoolExecutor(2)
    try:
        with serve(demo_copy, copy_search) as live:
            headers = {"Authorization": f"Bearer {live.token('E1030')}"}

            def ask(question: str) -> httpx.Response:
                body = {"query": ASK, "variables": {"q": question}}
                return httpx.post(live.graphql, json=body, headers=headers, timeout=60)

            first = pool.submit(ask, "过载测试：年假可以分几次休")
            assert model.entered.wait(timeout=60)
            second = pool.submit(ask, "过载测试：报销需要谁审批")
            while batcher.waiting < 1:  # the second question waits behind the first call
                threading.Event().wait(0.005)
            refused = ask("过载测试：班车几点出发")
            assert refused.status_code == 503
            assert int(refused.headers["Retry-After"]) >= 1
            error = refused.json()["errors"][0]
            assert error["extensions"]["code"] == "EMBEDDER_BUSY"
            assert error["extensions"]["retryable"] is True
            assert "秒后再试" in error["message"]
            model.gate.set()
            for done in (first.result(timeout=60), second.result(timeout=60)):
                assert done.status_code == 200 and done.json()["data"]["ask"]["text"]
    finally:
        model.gate.set()
        pool.shutdown()
        batcher.close()
        copy_search.embedder = real
