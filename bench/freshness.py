"""Freshness: how long after a page changes on a site does ``ask`` answer from the new text?

Serves Debian's Chinese reference (``debian-reference-zh-cn``, real pages nobody here wrote) on
loopback, crawls it once (pages/second crawled and ingested end to end, index included), then runs
``zhiku scheduler`` (every 30 s) and ``zhiku serve`` and, several times, writes a new fact into a page
and polls GraphQL ``ask`` once a second until an answer cites the new text. Target: ≤ 60 s with a
30 s schedule (the worst case is one full interval plus one crawl). Bounded; prints its figures.

    python bench/freshness.py [--rounds 3] [--every 30s] [--embed static]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine
from bench.harness import server_env, zhiku
from ingest.corpora import debian_package
from zhiku.loopback import spawn_serve, stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
ASK = "query($q: String!) { ask(question: $q) { answered citations { uri snippet } } }"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--every", default="30s")
    parser.add_argument(
        "--embed", default="static", help="embedding model for the index (static or e5-small)"
    )
    parser.add_argument("--limit-s", type=float, default=180.0, help="give up on one round after this long")
    args = parser.parse_args()
    docs = debian_package("debian-reference-zh-cn")
    if docs is None:
        sys.exit("apt could not fetch debian-reference-zh-cn")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="zhiku-fresh-") as tmp:
        www = Path(tmp) / "www"
        shutil.copytree(docs, www, ignore=shutil.ignore_patterns("*.pdf", "*.gz"))
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Quiet, directory=str(www))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        sources = Path(tmp) / "sources.yaml"
        source = {
            "name": "debref",
            "start_urls": [f"{base}/index.zh-cn.html"],
            "allow": [r"\.zh-cn\.html$"],
            "depth": 2,
            "every": args.every,
        }
        sources.write_text(yaml.safe_dump([source]), encoding="utf-8")
        env = server_env(f"{tmp}/data")
        env.update(
            {
                "ZHIKU_CRAWL_SOURCES": str(sources),
                "ZHIKU_CRAWL_START_DELAY_S": "0",
                "ZHIKU_EMBED_MODEL": args.embed,
            }
        )
        zhiku("demo", "load", env=env)
        token = zhiku("token", "E1030", env=env).stdout.strip()
        pages = len(list(www.glob("*.zh-cn.html")))
        started = time.perf_counter()
        first = zhiku("crawl", "debref", env=env).stdout.strip().splitlines()[-1]
        took = time.perf_counter() - started
        print(
            f"first crawl: {pages} pages crawled, ingested and indexed in {took:.1f} s"
            f" = {pages / took:.2f} pages/s"
        )
        print(f"  {first}")
        started = time.perf_counter()
        again = zhiku("crawl", "debref", env=env).stdout.strip().splitlines()[-1]
        print(f"re-crawl, nothing changed: {time.perf_counter() - started:.1f} s  {again}")

        scheduler = subprocess.Popen(
            [sys.executable, "-m", "zhiku.cli", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        served = spawn_serve(env)
        try:
            api = served.base
            wait_healthy(api, timeout_s=180, process=served.process)
            page = www / "pr01.zh-cn.html"
            print(f"scheduler every {args.every}; a new fact in {page.name}, then `ask` polled each second")
            results = []
            for round_no in range(1, args.rounds + 1):
                word = secrets.token_hex(3)
                fact = f"知库新鲜度测试第{round_no}轮：本轮的校验口令是 {word}。"
                html = page.read_text(encoding="utf-8")
                # inside the main content (after its first paragraph): boilerplate outside it is not indexed
                body = html.index("<body")
                cut = html.index("</p>", body) + len("</p>")
                page.write_text(html[:cut] + f"<p>{fact}</p>" + html[cut:], encoding="utf-8")
                changed = time.perf_counter()
                found = None
                while time.perf_counter() - changed < args.limit_s:
                    question = f"知库新鲜度测试第{round_no}轮的校验口令是什么"
                    r = httpx.post(
                        f"{api}/graphql",
                        json={"query": ASK, "variables": {"q": question}},
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=30,
                    )
                    citations = r.json().get("data", {}).get("ask", {}).get("citations", [])
                    if any(word in c["snippet"] for c in citations):
                        found = time.perf_counter() - changed
                        break
                    time.sleep(1.0)
                results.append(found)
                print(
                    f"  round {round_no}: "
                    + (
                        f"answered from the new text after {found:.1f} s"
                        if found
                        else f"not within {args.limit_s:.0f} s"
                    )
                )
            seen = [r for r in results if r is not None]
            if seen:
                print(
                    f"freshness: max {max(seen):.1f} s, mean {sum(seen) / len(seen):.1f} s"
                    f" over {len(seen)}/{len(results)} rounds (target ≤ 60 s)"
                )
        finally:
            scheduler.terminate()
            stop(served)
            scheduler.wait(timeout=60)
            server.shutdown()


if __name__ == "__main__":
    main()
