"""Graph store load and query speed: bulk node and relationship upserts, then 2-hop lookups.

Runs on the embedded FalkorDB in a temporary data directory (or the store ZHIKU_GRAPH_URI names when
``--use-settings`` is given). Prints its figures and the machine it ran on; asserts nothing.

    python bench/graph_load.py [--nodes 100000] [--rels 300000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph import open_store
from graph.falkordb_store import FalkorDBStore
from zhiku.settings import load_settings
from zhiku.types import EdgeRecord, GraphSchema, IndexSpec, NodeRecord

TWO_HOP = "MATCH (a:Resource {id: $id})-[]-(b)-[]-(c) RETURN DISTINCT c.id AS id LIMIT 50"


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{system}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--rels", type=int, default=300_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--use-settings", action="store_true", help="bench the configured store")
    args = parser.parse_args()
    rng = random.Random(42)

    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp:
        if args.use_settings:
            store = open_store(load_settings())
        else:
            store = FalkorDBStore.embedded(Path(tmp) / "graph", "bench", batch_size=args.batch)
        store.batch_size = args.batch
        store.apply_schema(GraphSchema(("Employee",), (), (IndexSpec("Resource", "id", unique=True),)))

        nodes = [
            NodeRecord(f"N{i}", ("Employee",), {"name": f"员工{i}", "level": i % 12 + 1})
            for i in range(args.nodes)
        ]
        start = time.perf_counter()
        stats = store.upsert_nodes(nodes)
        node_s = time.perf_counter() - start

        edges = []
        seen: set[tuple[int, int]] = set()
        while len(edges) < args.rels:
            a, b = rng.randrange(args.nodes), rng.randrange(args.nodes)
            if a != b and (a, b) not in seen:
                seen.add((a, b))
                edges.append(EdgeRecord(f"N{a}", "KNOWS", f"N{b}"))
        start = time.perf_counter()
        rel_stats = store.upsert_relationships(edges)
        rel_s = time.perf_counter() - start

        start = time.perf_counter()
        again = store.upsert_nodes(nodes[: args.batch * 2])
        remerge_s = time.perf_counter() - start

        latencies = []
        for _ in range(args.queries):
            node_id = f"N{rng.randrange(args.nodes)}"
            t0 = time.perf_counter()
            store.query(TWO_HOP, {"id": node_id})
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        store.reset()
        store.close()

    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"machine: {machine()}")
    print(f"backend: {store.backend}, batch size {args.batch}")
    node_rate = args.nodes / node_s
    rel_rate = args.rels / rel_s
    print(f"node upsert:         {args.nodes:>9,} nodes in {node_s:6.2f} s = {node_rate:>10,.0f} nodes/s")
    print(f"                     (created {stats.nodes_created:,})")
    print(f"relationship upsert: {args.rels:>9,} rels  in {rel_s:6.2f} s = {rel_rate:>10,.0f} rels/s")
    print(
        f"                     (created {rel_stats.relationships_created:,}, unmatched {rel_stats.unmatched})"
    )
    print(f"idempotent re-merge: {args.batch * 2:>9,} nodes in {remerge_s:6.2f} s")
    print(f"                     (created {again.nodes_created})")
    p50 = statistics.median(latencies)
    print(f"2-hop neighbourhood (LIMIT 50), {args.queries:,} queries:")
    print(f"                     p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {latencies[-1]:.2f} ms")


if __name__ == "__main__":
    main()
