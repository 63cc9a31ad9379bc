"""Data versions of the graph: what a cache compares to know whether what it holds is still current.

Every write through a :class:`~graph.base.GraphStore` changes a version token in Redis *after* the
write, whichever process made it (the API's workers, an ingestion run, a crawl, a notebook). A reader
reads the token *before* it reads the graph and files its result under it, so a result can only ever
be filed under a token older than the data it saw, never newer: a write that lands mid-read makes
the next reader miss, not hit stale data. Tokens are random, not counters: a Redis that comes back
from an older snapshot cannot make an old token current again.

Two kinds of write, so that the activity recorded on every question does not invalidate everything:

* ``records`` — writes that only touch records about particular people (tickets, answer feedback,
  approval instances and actions: ``zhiku.access.PRIVATE_LABELS``) or who-read-what edges
  (``PRIVATE_RELATIONSHIPS``). Only admins see these through the generic entity fields, so only
  admins' cached results depend on them.
* ``content`` — everything else (the default: a write not marked otherwise invalidates everything).

Example::

    versions = DataVersions(lambda: redis_client, "zhiku")
    token = versions.current(records=False)   # before reading
    store.execute(cypher, params)              # some process writes: the store calls versions.bump()
    versions.current(records=False) != token   # True
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Literal

import redis

WriteKind = Literal["content", "records"]
CONTENT: WriteKind = "content"
RECORDS: WriteKind = "records"


class DataVersions:
    """The version tokens of one graph, kept in the Redis ``client()`` returns."""

    def __init__(self, client: Callable[[], redis.Redis], graph_name: str) -> None:
        self._client = client
        self._keys = {kind: f"zhiku:graph-version:{graph_name}:{kind}" for kind in (CONTENT, RECORDS)}

    def bump(self, kind: WriteKind = CONTENT) -> None:
        """Mark a write of this kind as done (a fresh random token)."""
        self._client().set(self._keys[kind], secrets.token_hex(8))

    def current(self, *, records: bool) -> str:
        """The token a result depends on: content only, or content and records (what admins see)."""
        if not records:
            value = self._client().get(self._keys[CONTENT])
            return _text(value)
        content, recs = self._client().mget([self._keys[CONTENT], self._keys[RECORDS]])
        return f"{_text(content)}.{_text(recs)}"


def _text(value: object) -> str:
    if value is None:
        return "-"  # never written through a versioned store since the server started empty
    return value.decode() if isinstance(value, bytes) else str(value)
