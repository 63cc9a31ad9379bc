"""Org chart loading at company scale: a synthetic org (20,000 employees in 1,500 departments by default)
loaded from an XLSX export and from the fake WeCom directory on loopback, each into a store this program
creates (embedded FalkorDB in a temporary directory, the demo vocabulary first), then re-loaded with 1 %
of the employees changed (renamed, moved, new title). Prints wall time per phase and peak RSS of this
process (the graph server is a separate process, not counted; so is the fake WeCom server, which runs
in a child process with the directory as it stands, so that its request handling is neither counted
as the sync's CPU nor serialised with it); asserts nothing.

    python bench/org_load.py [--employees 20000] [--departments 1500] [--changed 0.01]

Targets (issue 17): full load ≤ 60 s, re-load ≤ 10 s, peak RSS ≤ 1 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl
import redis.asyncio

from bench.graph_load import machine
from demo.load import DEMO_DIR
from graph.falkordb_store import FalkorDBStore
from kb.org import read_org
from kb.orgsync import sync_org
from kb.wecom_directory import fetch_directory
from ontology.mapping import rdf_to_records
from ontology.model import Ontology, load_ontology, parse_rdf
from wecom.client import WeComClient
from wecom.fake import Directory, FakeWeCom, generate_directory
from zhiku.loopback import running


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_xlsx(directory: Directory, path: Path) -> None:
    """The directory as an HR export: a 部门 sheet and a 员工 sheet with Chinese headers."""
    book = openpyxl.Workbook(write_only=True)
    depts = book.create_sheet("部门")
    depts.append(["部门编号", "部门名称", "上级部门", "负责人"])
    for d in directory.departments:
        parent = f"WX-D{d['parentid']}" if d["parentid"] else ""
        depts.append([f"WX-D{d['id']}", d["name"], parent, ";".join(d["department_leader"])])
    people = book.create_sheet("员工")
    people.append(["工号", "姓名", "部门", "兼职部门", "职位", "直属上级", "邮箱", "手机", "状态"])
    leaders = {d["id"]: d["department_leader"] for d in directory.departments}
    parents = {d["id"]: d["parentid"] for d in directory.departments}
    for u in directory.users:
        main = u["main_department"]
        manager = u["direct_leader"][0] if u["direct_leader"] else ""
        dept = main if u["userid"] not in leaders[main] else parents.get(main, 0)
        while not manager and dept:
            manager = next((x for x in leaders.get(dept, []) if x != u["userid"]), "")
            dept = parents.get(dept, 0)
        people.append([
            u["userid"], u["name"], f"WX-D{main}",
            ";".join(f"WX-D{d}" for d in u["department"] if d != main), u["position"], manager, u["email"],
            u["mobile"], "离职" if u["status"] == 2 else "在职",
        ])  # fmt: skip
    book.save(path)


def change(directory: Directory, share: float, seed: int = 11) -> int:
    """Rename, move or re-title ``share`` of the members (in place); returns how many."""
    rng = random.Random(seed)
    depts = [d["id"] for d in directory.departments[1:]]
    picked = rng.sample(directory.users, max(1, int(len(directory.users) * share)))
    for i, u in enumerate(picked):
        if i % 3 == 0:
            u["name"] += "新"
        elif i % 3 == 1:
            u["position"] = "资深" + u["position"]
        elif not any(u["userid"] in d["department_leader"] for d in directory.departments):
            new = rng.choice(depts)
            u["department"] = [new]
            u["main_department"] = new
            u["is_leader_in_dept"] = [0]
            u["direct_leader"] = []
    return len(picked)


def _serve_fake(directory: Directory, conn: Connection) -> None:
    """The child process: the fake WeCom server on loopback until the parent says stop; then its
    directory-call counts go back."""
    fake = FakeWeCom(corp_id="ww-bench", secret="s", token="t", aes_key="a" * 43)
    fake.directory = directory
    with running(fake.app) as base:
        conn.send((base, fake.agent_id))
        conn.recv()
    conn.send(dict(fake.directory_calls))


@contextmanager
def fake_wecom(directory: Directory) -> Iterator[tuple[str, int, dict[str, int]]]:
    """The fake WeCom server serving ``directory`` in a child process: (base URL, agent id, the
    directory-call counts — filled when the block ends)."""
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_serve_fake, args=(directory, there), daemon=True)
    child.start()
    calls: dict[str, int] = {}
    try:
        base, agent_id = here.recv()
        yield base, agent_id, calls
    finally:
        here.send("stop")
        if here.poll(30):
            calls.update(here.recv())
        child.join(30)


def new_store(tmp: Path, name: str, onto: Ontology) -> FalkorDBStore:
    store = FalkorDBStore.embedded(tmp, name)
    nodes, edges = rdf_to_records(parse_rdf(DEMO_DIR / "vocabulary.ttl"), onto)
    store.apply_schema(onto.schema())
    store.upsert_nodes(nodes)
    store.upsert_relationships(edges)
    return store


def timed(label: str, fn: Any) -> Any:
    """Wall time, and the CPU time of this process (on a shared machine the wall time mostly measures
    the others; the graph server's own CPU is not counted)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"| {label} | {wall:.1f} s | {used:.1f} s | {rss_mb():.0f} MB |", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=20000)
    parser.add_argument("--departments", type=int, default=1500)
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args()
    onto = load_ontology()
    print(f"org_load: {args.employees} employees, {args.departments} departments; {machine()}")
    directory = generate_directory(args.employees, args.departments, seed=5)
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print("| phase | wall time | CPU (this process) | peak RSS (this process) |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="zhiku-org-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        xlsx = tmp / "花名册.xlsx"
        timed("write the XLSX export (setup)", lambda: write_xlsx(directory, xlsx))
        store = new_store(tmp / "g", "org_xlsx", onto)
        try:
            chart = timed("XLSX: read + check", lambda: read_org(xlsx))
            report = timed(
                "XLSX: full load (SHACL + write)", lambda: sync_org(store, chart, source="hr", onto=onto)
            )
            print(f"  {report.summary().splitlines()[0]}")
            changed = change(directory, args.changed)
            write_xlsx(directory, xlsx)

            def reload() -> Any:
                return sync_org(store, read_org(xlsx), source="hr", onto=onto)

            report = timed(f"XLSX: re-load with {changed} changed (read + diff + SHACL + write)", reload)
            print(f"  {report.summary().splitlines()[0]}")
            print(f"  {report.skipped} employees skipped by fingerprint (source and graph as last synced)")
        finally:
            store.close()

        wecom = generate_directory(args.employees, args.departments, seed=5)
        store = new_store(tmp / "g", "org_wecom", onto)
        try:

            def fetch(base: str, agent_id: int) -> Any:
                async def go() -> Any:
                    kv = redis.asyncio.Redis.from_url(store.kv_url, decode_responses=True)
                    try:
                        async with WeComClient("ww-bench", "s", agent_id, kv, base_url=base) as client:
                            return await fetch_directory(client)
                    finally:
                        await kv.aclose()

                return asyncio.run(go())

            with fake_wecom(wecom) as (base, agent_id, calls):
                chart = timed("WeCom: fetch directory (loopback)", lambda: fetch(base, agent_id))
            print(f"  {sum(calls.values())} directory API calls")
            report = timed(
                "WeCom: full load (SHACL + write)", lambda: sync_org(store, chart, source="wecom", onto=onto)
            )
            print(f"  {report.summary().splitlines()[0]}")
            changed = change(wecom, args.changed)
            with fake_wecom(wecom) as (base, agent_id, calls):
                report = timed(
                    f"WeCom: re-sync with {changed} changed (fetch + diff + SHACL + write)",
                    lambda: sync_org(store, fetch(base, agent_id), source="wecom", onto=onto),
                )
            print(f"  {report.summary().splitlines()[0]}")
            print(
                f"  {report.skipped} employees skipped by fingerprint;"
                f" {sum(calls.values())} directory API calls"
            )
        finally:
            store.close()
    print(f"peak RSS of this process: {rss_mb():.0f} MB; load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
