"""Several server workers open a new search catalogue at the same moment (``zhiku serve --workers N`` on
a fresh data directory): every one of them opens it."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from search.catalog import Catalog


def _open(path: str, start: object, results: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    try:
        Catalog(Path(path)).close()
        results.put("ok")  # type: ignore[attr-defined]
    except Exception as exc:  # reported to the test, which shows it
        results.put(f"{type(exc).__name__}: {exc}")  # type: ignore[attr-defined]


def test_workers_opening_a_new_catalogue_at_once_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    for attempt in range(3):
        path = tmp_path / str(attempt) / "search.sqlite"
        start, results = context.Barrier(6), context.Queue()
        workers = [context.Process(target=_open, args=(str(path), start, results)) for _ in range(6)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert outcomes == ["ok"] * len(workers), outcomes
