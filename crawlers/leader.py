"""Leadership: one process at a time holds a named lease in the shared Redis and does the job (the
crawl scheduler); the others wait and take over when the leader stops renewing.

The lease is a Redis key with a time-to-live (redis-py's :class:`~redis.lock.Lock`): the leader renews
it every third of the lease; a standby tries to take it as often. A leader that is killed stops
renewing, so a standby takes over at most ``lease_s`` plus a third of it later (30 s lease: within 40 s).
Time is the Redis server's (key expiry), so instances whose clocks disagree agree on who leads. A
leader that cannot renew in time (Redis unreachable, the process stalled) steps down before its lease
can have passed to another, so two leaders overlap only if a process stalls for longer than the
lease — the crawls it runs are idempotent (content hashes), so even then nothing is doubled in the graph.

Example::

    lead = Leadership(kv, "crawl-scheduler", on_elected=start, on_demoted=stop)
    lead.start()        # a background thread; lead.is_leader says where we stand
    ...
    lead.stop()         # steps down (releases the lease: a standby takes over at once)
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

import redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

PREFIX = "zhiku:leader:"


class Leadership:
    """Hold ``name``'s lease while alive; ``on_elected`` / ``on_demoted`` run in the lease thread."""

    def __init__(
        self,
        kv: redis.Redis,
        name: str,
        *,
        on_elected: Callable[[], None],
        on_demoted: Callable[[], None],
        lease_s: float = 30.0,
    ) -> None:
        self.name = name
        self.lease_s = lease_s
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self._lock = kv.lock(PREFIX + name, timeout=lease_s, blocking=False, thread_local=False)
        self._kv = kv
        self._on_elected = on_elected
        self._on_demoted = on_demoted
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renewed = 0.0
        self.is_leader = False

    @property
    def role(self) -> str:
        return "leader" if self.is_leader else "standby"

    def holder(self) -> str | None:
        """Who leads now (their ``host:pid``), as recorded beside the lease."""
        try:
            value = self._kv.get(PREFIX + self.name + ":holder")
        except RedisError:
            return None
        return value.decode() if isinstance(value, bytes) else value

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"leader-{self.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.lease_s)
            self._thread = None

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._step()
                self._stop.wait(self.lease_s / 3)
        finally:
            if self.is_leader:
                self._step_down(release=True)

    def _step(self) -> None:
        now = time.monotonic()
        try:
            if self.is_leader:
                self._lock.reacquire()  # the lease runs ``lease_s`` from now again
                self._renewed = now
            elif self._lock.acquire():
                self._renewed = now
                self._kv.set(PREFIX + self.name + ":holder", self.identity, ex=int(self.lease_s) + 1)
                log.info("%s: leading (%s)", self.name, self.identity)
                self.is_leader = True
                self._elected()
                return
            if self.is_leader:
                self._kv.set(PREFIX + self.name + ":holder", self.identity, ex=int(self.lease_s) + 1)
        except LockError:  # the lease had expired and another took it
            log.warning("%s: lost the lease", self.name)
            self._step_down(release=False)
        except (RedisError, OSError) as exc:
            # Not renewed: still ours until the lease runs out, so step down before anyone else can
            # have taken it (two renewal attempts before then).
            if self.is_leader and now - self._renewed > self.lease_s * 2 / 3:
                log.warning("%s: cannot renew the lease (%s); stepping down", self.name, exc)
                self._step_down(release=False)

    def _elected(self) -> None:
        try:
            self._on_elected()
        except Exception:  # could not start the job: give the lease to someone who can
            log.exception("%s: starting as leader failed; stepping down", self.name)
            self._step_down(release=True)

    def _step_down(self, *, release: bool) -> None:
        self.is_leader = False
        try:
            self._on_demoted()
        except Exception:
            log.exception("%s: stopping as leader failed", self.name)
        if release:
            # expired already, or Redis away: the lease runs out on its own (and the holder record,
            # which describes it, with it)
            with contextlib.suppress(LockError, RedisError, OSError):
                self._lock.release()
