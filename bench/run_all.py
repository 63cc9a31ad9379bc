"""Runs every benchmark in ``bench/`` (each bounded in time) and writes one Markdown results file with
the machine it ran on: ``bench/RESULTS.md`` (or ``--out``). ``make bench`` calls it.

    python bench/run_all.py [--quick] [--only graph_load,search]

``--quick`` passes smaller sizes where a program has them (minutes instead of tens of minutes).
Each program prints its own figures; this file only collects them, with each program's wall time and
exit status. A failing program is reported and the others still run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine

HERE = Path(__file__).resolve().parent
#: (program, full arguments, quick arguments), in data-flow order.
PROGRAMS: list[tuple[str, list[str], list[str]]] = [
    ("graph_load", [], ["--nodes", "20000", "--rels", "60000", "--queries", "500"]),
    ("ingest", [], ["--no-debian", "--pages", "1000"]),
    ("extraction_quality", [], []),
    ("search", [], ["--sizes", "10000,100000", "--queries", "200"]),
    # dev split only: the test split is run once, by hand (bench/RESULTS.md, "Retrieval on public corpora")
    ("retrieval_real", ["--split", "dev"], ["--split", "dev", "--corpora", "debian-edu"]),
    ("api_load", [], ["--seconds", "5"]),
    ("cost", ["--unlimited"], ["--seconds", "5"]),
    ("chat", [], ["--seconds", "5"]),
    ("cluster", [], ["--seconds", "5"]),
    ("failover", [], ["--before", "2", "--after", "1"]),
    ("wecom", [], ["--seconds", "10", "--instances", "30"]),
    ("freshness", [], ["--rounds", "2"]),
    ("soak", [], ["--minutes", "2"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated program names")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--timeout-s", type=int, default=3600, help="per program")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    sections = []
    summary = []
    for name, full, quick in PROGRAMS:
        if only and name not in only:
            continue
        cmd = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        started = time.perf_counter()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout_s)
            output, status = done.stdout + (done.stderr[-2000:] if done.returncode else ""), done.returncode
        except subprocess.TimeoutExpired as exc:
            output, status = (
                (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or ""),
                -1,
            )
        took = time.perf_counter() - started
        print(output, flush=True)
        state = "ok" if status == 0 else ("timeout" if status == -1 else f"exit {status}")
        summary.append(f"| `{name}` | {state} | {took:.0f} s |")
        sections.append(
            f"## {name}\n\n`python bench/{name}.py {' '.join(cmd[2:])}`\n\n```\n{output.strip()}\n```\n"
        )
    text = "\n".join(
        [
            "# 知库基准结果 / Zhiku benchmark results",
            "",
            f"{time.strftime('%Y-%m-%d %H:%M %Z')} — {machine()}" + (" — quick sizes" if args.quick else ""),
            "",
            "| program | status | wall time |",
            "|---|---|---|",
            *summary,
            "",
            *kept_sections(args.out),
            *sections,
        ]
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


KEPT = "(kept)"


def kept_sections(path: Path) -> list[str]:
    """Sections of the previous results whose heading says ``(kept)`` — figures measured once by
    hand (the retrieval test split) that a rerun must not erase — carried over as they were."""
    if not path.exists():
        return []
    parts = path.read_text(encoding="utf-8").split("\n## ")
    return [f"## {p.rstrip()}\n" for p in parts[1:] if KEPT in p.split("\n", 1)[0]]


if __name__ == "__main__":
    main()
