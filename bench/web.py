"""The web console's weight and first load: what the initial route downloads (raw and gzipped), each
route's own lazy chunks (its page and the static imports it adds to the initial ones), and the first
load of the sign-in page in Debian's headless chromium against a real ``zhiku serve`` on loopback
(cold: a fresh browser context each time, nothing cached; warm: a reload with the bundle cached);
and the chat's first token: on ``/chat`` (the demo company loaded, a real ``zhiku serve``), the time from
pressing Enter on a question to the first piece of the streamed reply rendered in the thread (the
console asks ``/ws/chat`` with ``stream: true``), and to the whole reply, measured in the page
(``performance.now()``: a keydown listener and a MutationObserver on the thread).

Needs the built bundle (``make web``) and chromium (``make web-test`` installs it). The server starts on
a fresh, empty data directory: the sign-in page needs no company data. Figures are medians over
``--runs``; the server and the browser share the machine's cores.

    python bench/web.py [--runs 5] [--no-chat]
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine
from bench.harness import demo_company, server_env
from zhiku.loopback import serving

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "web" / "dist"
#: Each route's page module (web/src/App.tsx's lazy imports), by its chunk's name.
ROUTES = {
    "/chat": "Chat", "/doc/:id": "DocumentView", "/kb/hit-test": "HitTest", "/kb/documents": "Documents",
    "/kb/review": "Review", "/kb/upload": "Upload", "/kb/graph": "GraphView", "/analytics": "Dashboard",
    "/analytics/queries": "NamedQueries", "/desk": "Desk", "/admin": "Admin",
}  # fmt: skip


def kib(n: float) -> str:
    return f"{n / 1024:8.1f}"


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def initial_files() -> list[str]:
    """What index.html loads before any route: its scripts, module preloads and styles, and the
    static imports of those scripts."""
    html = (DIST / "index.html").read_text(encoding="utf-8")
    found = re.findall(r'(?:src|href)="/assets/([^"]+\.(?:js|css))"', html)
    return sorted(closure(found))


def closure(files: list[str]) -> set[str]:
    """``files`` and every chunk they import statically (dynamic ``import()`` is left out)."""
    seen: set[str] = set()
    todo = list(files)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name.endswith(".js"):
            text = (DIST / "assets" / name).read_text(encoding="utf-8")
            todo.extend(static_imports(text))
    return seen


def static_imports(text: str) -> list[str]:
    """Static ``import … from "./x.js"`` statements anywhere in a chunk (not ``import("./x.js")``)."""
    return re.findall(r"""import\s*(?:[\w*{}\s,$]+from\s*)?["']\./([\w.-]+\.js)["']""", text)


def sizes() -> None:
    assets = DIST / "assets"
    initial = initial_files()
    raw = sum((assets / f).stat().st_size for f in initial)
    packed = sum(gz(assets / f) for f in initial)
    print(f"initial route: {len(initial)} files, {kib(raw).strip()} KiB raw, "
          f"{kib(packed).strip()} KiB gzipped (target ≤ 1024 KiB gzipped)")  # fmt: skip
    print()
    print(f"{'route':20} {'page chunk':28} {'files':>5} {'KiB raw':>8} {'KiB gz':>8}")
    for route, page in ROUTES.items():
        chunk = next((p.name for p in assets.glob(f"{page}-*.js")), None)
        if chunk is None:
            print(f"{route:20} {'(not found)':28}")
            continue
        own = sorted(closure([chunk]) - set(initial))
        r = sum((assets / f).stat().st_size for f in own)
        g = sum(gz(assets / f) for f in own)
        print(f"{route:20} {chunk:28} {len(own):5d} {kib(r)} {kib(g)}")


def first_load(runs: int) -> None:
    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        sys.exit("chromium is not installed: `make web-test` installs it")
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-web-") as tmp:
        env = server_env(tmp, web_dir=str(DIST))
        with serving(env) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, headless=True)
            cold: list[dict[str, float]] = []
            warm: list[dict[str, float]] = []
            for _ in range(runs):
                context = browser.new_context(locale="zh-CN")
                page = context.new_page()
                for into in (cold, warm):  # the first visit, then a reload with the bundle cached
                    if into is cold:
                        page.goto(f"{server.base}/login")
                    else:
                        page.reload()
                    page.get_by_role("heading", name="登录知库").wait_for()
                    into.append(page.evaluate("""() => {
                        const n = performance.getEntriesByType('navigation')[0];
                        const seen = performance.now();
                        const res = performance.getEntriesByType('resource');
                        return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd || seen, seen,
                                bytes: res.reduce((s, r) => s + r.transferSize, n.transferSize)};
                    }"""))  # fmt: skip
                context.close()
            browser.close()
    print()
    print(f"first load of /login in headless chromium, loopback, median of {runs} "
          f"(target: first page ≤ 1500 ms)")  # fmt: skip
    print(f"{'visit':6} {'DOMContentLoaded ms':>20} {'load ms':>9} {'sign-in shown ms':>17} "
          f"{'KiB transferred':>16}")  # fmt: skip
    for label, rows in (("cold", cold), ("warm", warm)):
        med = {k: statistics.median(r[k] for r in rows) for k in ("dcl", "load", "seen", "bytes")}
        print(f"{label:6} {med['dcl']:20.0f} {med['load']:9.0f} {med['seen']:17.0f} "
              f"{med['bytes'] / 1024:16.1f}")  # fmt: skip


#: Questions the demo answers, each asked once (a repeat would find the query's embedding cached);
#: the warm-up ones first load the server's models and are not counted.
CHAT_WARMUP = ("你好", "食堂在哪")
CHAT_QUESTIONS = (
    "年假怎么请", "报销8000元谁审批", "出差住宿标准是多少", "病假需要什么证明",
    "加班费怎么算", "怎么申请笔记本电脑", "婚假有几天", "公司班车几点发车",
)  # fmt: skip
CHAT_EMPLOYEE = "E1030"  # an employee of 行政部
#: Installed before each question: times Enter (t0), the first non-empty reply bubble (first) and its
#: last change (last); the reply is whole once it has not changed for QUIET_MS (a declined reply has no
#: 👍 button to wait for).
QUIET_MS = 1500
_WATCH = """() => {
  const thread = document.querySelector('[data-testid=thread]');
  const before = thread.querySelectorAll('[data-testid=msg-bot]').length;
  window.__zk = {t0: null, first: null, last: null};
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && window.__zk.t0 === null) window.__zk.t0 = performance.now();
  }, {capture: true, once: true});
  new MutationObserver(() => {
    const bots = thread.querySelectorAll('[data-testid=msg-bot]');
    const last = bots.length > before ? bots[bots.length - 1] : null;
    if (!last || !last.textContent.trim()) return;
    const now = performance.now();
    if (window.__zk.first === null) window.__zk.first = now;
    window.__zk.last = now;
  }).observe(thread, {childList: true, subtree: true, characterData: true});
}"""
_WHOLE = f"() => window.__zk.last !== null && performance.now() - window.__zk.last > {QUIET_MS}"


def chat_first_token() -> None:
    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        sys.exit("chromium is not installed: `make web-test` installs it")
    first: list[float] = []
    whole: list[float] = []
    with demo_company("zhiku-bench-web-chat-") as settings:
        env = server_env(str(settings.data_dir), web_dir=str(DIST))
        with serving(env) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, headless=True)
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{server.base}/login")  # the development login's persona picker
            page.get_by_role("combobox", name="选择员工").click()
            page.keyboard.type(CHAT_EMPLOYEE)
            page.locator(".ant-select-item-option", has_text=CHAT_EMPLOYEE).first.click()
            page.get_by_role("button", name="登 录").click()
            page.goto(f"{server.base}/chat")
            page.get_by_test_id("status").filter(has_text="已连接").wait_for()
            box = page.get_by_role("textbox", name="输入问题，例如：年假怎么请？")
            for i, question in enumerate((*CHAT_WARMUP, *CHAT_QUESTIONS)):
                page.evaluate(_WATCH)
                box.fill(question)
                box.press("Enter")
                page.wait_for_function(_WHOLE, timeout=60_000)
                t = page.evaluate("() => window.__zk")
                if i >= len(CHAT_WARMUP):
                    first.append(t["first"] - t["t0"])
                    whole.append(t["last"] - t["t0"])
            browser.close()
    print()
    print(f"chat on /chat in headless chromium, loopback, demo company, median of {len(first)} questions "
          f"(target: first token ≤ 300 ms)")  # fmt: skip
    print(f"{'first token ms':>15} {'p90':>6} {'whole reply ms':>15} {'p90':>6}")
    med, p90 = statistics.median, (lambda xs: statistics.quantiles(xs, n=10)[-1] if len(xs) > 1 else xs[0])
    print(f"{med(first):15.0f} {p90(first):6.0f} {med(whole):15.0f} {p90(whole):6.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="page loads per figure (median)")
    parser.add_argument("--no-chat", action="store_true", help="leave out the chat's first token")
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        sys.exit("web/dist is not built: run `make web`")
    print(f"# web console — {machine()}")
    sizes()
    first_load(args.runs)
    if not args.no_chat:
        chat_first_token()


if __name__ == "__main__":
    main()
