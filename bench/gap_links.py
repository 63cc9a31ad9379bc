"""What consulting the engineers' answer links costs the ask path (:mod:`chat.links`): one ``GET`` of
the links' version per question, then rapidfuzz over the linked wordings held in this process; the
links themselves are read again only after a link or an unlink.

Starts its own embedded server in a temporary directory (never the configured store), links 0, 100,
1,000 and 5,000 wordings, and prints the median and p90 of :meth:`AnswerLinks.match` for a question
that matches no link and for a near-duplicate of one, and the re-read after a change.

    python bench/gap_links.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine
from chat.gaps import RESOLVED, GapLog, group_questions
from chat.links import AnswerLinks
from graph.embedded import EmbeddedServer

SIZES = (0, 100, 1000, 5000)
ROUNDS = 500


def timed(links: AnswerLinks, question: str) -> list[float]:
    """Microseconds per :meth:`AnswerLinks.match`, sorted."""
    out = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        links.match(question)
        out.append((time.perf_counter() - start) * 1e6)
    return sorted(out)


def main() -> None:
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    root = Path(tempfile.mkdtemp(prefix="zhiku-bench-links-"))
    try:
        socket = EmbeddedServer(root / "graph").ensure_running()
        with redis.Redis(unix_socket_path=str(socket), decode_responses=True) as kv:
            log = GapLog(kv, None, None)  # type: ignore[arg-type]  # linking needs no counts nor graph
            links = AnswerLinks(kv)
            for size in SIZES:
                for i in range(len(kv.hkeys(RESOLVED)), size):
                    [group] = group_questions([(f"第{i}号问题：报销单{i}该找谁签字盖章", 1, 0)])
                    log.resolve(group, f"doc-{i}", "E1003")
                start = time.perf_counter()
                links.match("预热")  # the version moved: the links are read again
                reread = (time.perf_counter() - start) * 1e3
                miss = timed(links, "食堂几点开门，周末开不开")
                near = timed(links, f"第{max(size - 1, 0)}号问题报销单该找谁签字")
                p90 = int(ROUNDS * 0.9)
                print(
                    f"{size:5d} linked wordings: no link median {statistics.median(miss):.0f} µs "
                    f"(p90 {miss[p90]:.0f}); near-duplicate median {statistics.median(near):.0f} µs "
                    f"(p90 {near[p90]:.0f}); re-read after a change {reread:.1f} ms"
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
