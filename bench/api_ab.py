"""Two (or more) Zhiku trees or settings under the same wrk load, cell by cell, with where the CPU goes.

For a before/after on a shared machine: one ``zhiku serve`` per ``--tree`` (each from its own
checkout, e.g. a detached worktree of the starting commit, and its own demo data directory), and the
cells run alternately tree by tree, round after round, so every tree sees the same machine state.
Each row prints wrk's req/s and p50/p99, the server's CPU milliseconds per request, split into the
event loop (the main thread), the busiest other threads (the query model's, the answering threads)
and the embedded graph server's process (a separate redis-server: its CPU is not the server's), plus
wrk's own and the 1-minute load average. ``ask-distinct`` sends new questions in every cell.

    python bench/api_ab.py --tree base=/work/wt-base --tree new=.:ZHIKU_EMBED_MODEL_THREADS=2 \\
        --cells ask-distinct:32,entity-nc:32 --rounds 3 [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_load import EMPLOYEES, QUERIES, QUERY_OF, WRK_SCRIPT, _ms, entity_ids, write_bodies
from bench.embed import distinct_questions
from bench.graph_load import machine
from bench.harness import server_env
from bench.retrieval_eval import load_eval
from zhiku.loopback import Served, free_port, stop, wait_healthy


def zhiku_in(tree: Path, env: dict[str, str], *args: str) -> str:
    """``zhiku ARGS`` run from ``tree`` (its code, the shared virtualenv)."""
    return subprocess.run([sys.executable, "-m", "zhiku.cli", *args], cwd=tree, env=env, text=True,
                          capture_output=True, check=True, timeout=900).stdout  # fmt: skip


def thread_cpu(process: psutil.Process) -> dict[int, float]:
    return {t.id: t.user_time + t.system_time for t in process.threads()}


def graph_servers(data_dir: Path) -> list[psutil.Process]:
    """The embedded graph server(s) of ``data_dir`` (daemonised: not the server's children)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if cmd and "redis-server" in cmd[0] and str(data_dir) in " ".join(cmd):
            found.append(proc)
    return found


def cpu_of(processes: list[psutil.Process]) -> float:
    return float(sum(p.cpu_times().user + p.cpu_times().system for p in processes))


HEADER = (
    f"{'tree':8} {'query':12} {'clients':>7} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
    f"{'CPU ms/req':>10}  {'loop':>5} {'busiest threads':>22} {'graph':>5} {'wrk':>5} load"
)


def wrk_cell(served: Served, graph: list[psutil.Process], script: Path, clients: str, seconds: int,
             env: dict[str, str]) -> str:  # fmt: skip
    """One wrk cell against ``served``: the row's figures after the tree's name and the query."""
    server = psutil.Process(served.process.pid)
    before, graph_before = thread_cpu(server), cpu_of(graph)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        served.base,
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, env=env, check=True, timeout=seconds + 60
    ).stdout
    after, graph_after = thread_cpu(server), cpu_of(graph)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = max(1, int(re.search(r"(\d+) requests in", out).group(1)))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    per = {t: (after[t] - before.get(t, 0.0)) * 1000 / n for t in after}
    loop = per.pop(served.process.pid, 0.0)
    busiest = " ".join(f"{ms:.2f}" for ms in sorted(per.values(), reverse=True)[:3])
    wrk_s = wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime
    graph_ms = (graph_after - graph_before) * 1000 / n
    return (
        f"{clients:>7} {rate:6.0f} {p50:7.1f} {p99:7.1f} {int(bad.group(1)) if bad else 0:6d} "
        f"{loop + sum(per.values()):10.2f}  {loop:5.2f} {busiest:>22} {graph_ms:5.2f} "
        f"{wrk_s * 1000 / n:5.2f} {os.getloadavg()[0]:4.1f}"
    )


def start(spec: str, tmp: Path) -> tuple[str, Served, list[str], Path]:
    """``NAME=PATH[:ZHIKU_X=V,…]``: the demo loaded into its own data directory, served from PATH."""
    name, _, rest = spec.partition("=")
    path, _, extra = rest.partition(":")
    tree = Path(path).resolve()
    env = server_env(str(tmp / name))
    zhiku_in(tree, env, "demo", "load")
    tokens = [zhiku_in(tree, env, "token", e).strip() for e in EMPLOYEES]
    for setting in filter(None, extra.split(",")):
        key, _, value = setting.partition("=")
        env[key] = value
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "zhiku.cli", "serve", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(f"server {name}: {tree} {extra}")
    return name, Served(process, f"http://127.0.0.1:{port}"), tokens, tmp / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tree", action="append", required=True, metavar="NAME=PATH[:ZHIKU_X=V,…]")
    parser.add_argument("--cells", default="ask-distinct:32", help="kind:clients,… (kinds as api_load's)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    asked = 0
    with tempfile.TemporaryDirectory(prefix="zhiku-ab-") as tmp_name:
        tmp = Path(tmp_name)
        servers: dict[str, tuple[Served, list[str], list[psutil.Process]]] = {}
        try:
            for spec in args.tree:
                name, served, tokens, data_dir = start(spec, tmp)
                servers[name] = (served, tokens, [])
                wait_healthy(served.base, process=served.process)
                servers[name] = (served, tokens, graph_servers(data_dir))
            first, tokens, _ = next(iter(servers.values()))
            ids = entity_ids(first.base, tokens[0])
            script = tmp / "zhiku.lua"
            script.write_text(WRK_SCRIPT, encoding="utf-8")
            questions = [i.question for i in load_eval()]
            print(HEADER)
            for _ in range(args.rounds):
                for cell in args.cells.split(","):
                    kind, _, clients = cell.partition(":")
                    query = QUERY_OF[kind]
                    for name, (served, tokens, graph) in servers.items():
                        if kind == "ask-distinct":  # new questions in every cell
                            fresh = distinct_questions(args.seconds * 2000, start=asked)
                            asked += len(fresh)
                            variables = [{"q": q} for q in fresh]
                        elif query == "entity":
                            variables = [{"id": e} for e in ids]
                        else:
                            variables = [{"q": q} for q in questions]
                        bodies, token_file = tmp / f"{kind}.txt", tmp / "tokens.txt"
                        write_bodies(bodies, QUERIES[query], variables)
                        token_file.write_text("\n".join(tokens) + "\n", encoding="utf-8")
                        env = {
                            **os.environ,
                            "ZHIKU_WRK_BODIES": str(bodies),
                            "ZHIKU_WRK_TOKENS": str(token_file),
                            "ZHIKU_WRK_NOCACHE": "1" if kind == "entity-nc" else "0",
                        }
                        row = wrk_cell(served, graph, script, clients, args.seconds, env)
                        print(f"{name:8} {kind:12} {row}", flush=True)
        finally:
            for served, _, _ in servers.values():
                stop(served)


if __name__ == "__main__":
    main()
