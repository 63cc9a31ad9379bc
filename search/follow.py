"""Keep one instance's search index level with a graph that other processes write to.

Each API instance keeps its own index (in its data directory) and syncs it from the graph — the
graph is the source of truth, so there is nothing to replicate and no second store to keep
consistent. What an instance needs is to know *when* to sync: every write through any Zhiku process
changes the graph's content version token in Redis (:mod:`graph.versions`), so the follower reads the
token every ``every_s`` and syncs when it moved. The token is read before the sync, so a write that
lands during a sync moves it again and is picked up on the next round: an instance is at most one
round plus one sync behind (``bench/cluster.py`` measures it). Until then it answers from its previous
index version — a documented degradation, never a mixed one (versions swap whole).

Example::

    follower = IndexFollower(service, store.versions, every_s=1.0)
    follower.start()
    ...
    follower.stop()
"""

from __future__ import annotations

import logging
import threading

from graph.versions import DataVersions
from search.service import SearchService

log = logging.getLogger(__name__)


class IndexFollower:
    def __init__(self, service: SearchService, versions: DataVersions, *, every_s: float = 1.0) -> None:
        self.service = service
        self.versions = versions
        self.every_s = every_s
        self.syncs = 0  # syncs that changed the index (for /healthz and the tests)
        self._seen: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Follow from the current token on (the caller has just synced)."""
        try:
            self._seen = self.versions.current(records=False)
        except Exception:  # Redis away at start: the first round syncs
            self._seen = None
        self._thread = threading.Thread(target=self._run, name="index-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def step(self) -> bool:
        """One round: sync if the graph's content changed since the last; True if the index changed."""
        token = self.versions.current(records=False)
        if token == self._seen:
            return False
        report = self.service.sync()
        self._seen = token  # only once synced: a failed sync is retried next round
        changed = bool(report.documents_changed or report.documents_removed)
        if changed:
            self.syncs += 1
            log.info(
                "search index synced after a graph write elsewhere: %d changed, %d removed, %d chunks",
                report.documents_changed,
                report.documents_removed,
                report.total_chunks,
            )
        return changed

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.step()
            except Exception as exc:  # graph or Redis away: keep serving the index we have
                log.warning("search index not synced (%s); retrying in %.0f s", exc, self.every_s)
