"""The mini-program, measured where the employee is (a phone-sized browser on the H5 build, the same
pages as the WeChat build), against a real ``zhiku serve`` on loopback with the demo company:

1. the WeChat main package's size against the 2 MB limit (``miniprogram/dist/weapp``);
2. H5 first load: bytes the browser fetched (cold cache; gzipped by the server) and decoded, and the
   time until the sign-in page shows;
3. time to first answer: the question sent on the ask page → the answer's first piece shown
   (progressive replies), and → the whole answer with its citations shown.

    python bench/miniprogram.py [--questions 5]       # after `make miniprogram`
    python bench/miniprogram.py --base http://127.0.0.1:8000   # against a running `zhiku serve`

Loopback has no network latency: on a phone the load time adds the bytes over its link.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine
from bench.harness import ROOT, server_env, zhiku
from zhiku.loopback import serving

APP = ROOT / "miniprogram"
QUESTIONS = ["年假怎么请", "报销8000元谁审批", "病假需要什么材料", "出差住宿标准是多少", "公司有班车吗"]


def package_size() -> dict[str, object] | None:
    if not (APP / "dist" / "weapp" / "app.js").is_file():
        return None
    out = subprocess.run(
        ["node", "scripts/size.mjs", "--json"], cwd=APP, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def browse(base: str, questions: list[str]) -> tuple[int, int, float, list[float], list[float]]:
    """(bytes transferred, bytes decoded, ms to the sign-in page, ms to each answer's first piece,
    ms to each whole answer)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is needed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(60_000)
        started = time.perf_counter()
        page.goto(f"{base}/m/#/pages/login/index")
        page.locator(".persona").first.wait_for()
        load_ms = (time.perf_counter() - started) * 1000
        sizes = page.evaluate(
            "() => [...performance.getEntriesByType('resource'),"
            " ...performance.getEntriesByType('navigation')]"
            ".reduce((a, e) => [a[0] + (e.transferSize || 0), a[1] + (e.decodedBodySize || 0)], [0, 0])"
        )
        page.locator(".persona[data-id='E1031']").click()
        page.locator(".ask-send").wait_for()
        first: list[float] = []
        whole: list[float] = []
        for i, question in enumerate(questions):
            page.locator(".composer input").fill(question)
            sent = time.perf_counter()
            page.locator(".ask-send").click()
            page.locator(".bubble-bot").nth(i).wait_for()
            first.append((time.perf_counter() - sent) * 1000)
            page.locator(".bubble-bot:not([data-partial])").nth(i).wait_for()
            whole.append((time.perf_counter() - sent) * 1000)
        context.close()
        browser.close()
    return int(sizes[0]), int(sizes[1]), load_ms, first, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--base", help="a running `zhiku serve` (demo loaded) instead of a fresh one")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    size = package_size()
    if size is None:
        print("weapp main package: not built (run `make miniprogram`)")
    else:
        kb = int(size["bytes"]) / 1024  # type: ignore[call-overload]
        print(f"weapp main package: {kb:.1f} KB of 2048 KB ({100 * kb / 2048:.1f}%), {size['files']} files")
    if not (APP / "dist" / "h5" / "index.html").is_file():
        print("H5: not built (run `make miniprogram`)")
        return
    questions = (QUESTIONS * 4)[: args.questions]
    if args.base:
        print(f"server: {args.base} (running); chromium (Playwright) 390×844, cold cache")
        transferred, decoded, load_ms, first, whole = browse(args.base, questions)
    else:
        with tempfile.TemporaryDirectory(prefix="zhiku-bench-mp-") as tmp:
            env = server_env(tmp)
            zhiku("demo", "load", env=env)
            with serving(env, start_timeout_s=180) as server:
                print("server: zhiku serve, 1 worker, demo company; chromium 390×844, cold cache")
                transferred, decoded, load_ms, first, whole = browse(server.base, questions)
    print(f"H5 first load: {transferred / 1024:.1f} KB transferred ({decoded / 1024:.1f} KB decoded), "
          f"sign-in page shown after {load_ms:.0f} ms")  # fmt: skip
    for what, times in (("first piece of the answer", first), ("whole answer with sources", whole)):
        print(f"time to {what} ({len(times)} questions): median {statistics.median(times):.0f} ms, "
              f"first {times[0]:.0f} ms, max {max(times):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
