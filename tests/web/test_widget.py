"""The embeddable chat widget in Debian's headless chromium: a plain HTML page on another loopback
origin (with CSS that would wreck an unprotected widget) carries the one `<script src=…/widget.js>`
tag; the employee opens the floating chat, signs in through the console's pop-up, asks, and sees the
answer with its sources. A site not in ZHIKU_WIDGET_ORIGINS gets no token. Screenshots go to
web/test-results/ (``3x-…``)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.browser import WEB_DIST, WEB_SHOTS, Page, console, require_built
from zhiku.loopback import free_port
from zhiku.settings import Settings

pytestmark = pytest.mark.web

EMPLOYEE = "E1030"
HOSTILE = "* { font-size: 40px !important; color: red !important; } button, input, form { display: none !important; }"


def host_page(base: str) -> str:
    return (
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>内网首页</title>"
        f"<style>{HOSTILE}</style></head><body><h1>云杉内网</h1><p>欢迎。</p>"
        f"<script src='{base}/widget.js' data-title='问问知库' async></script></body></html>"
    )


@pytest.fixture(scope="module")
def sites(module_demo_copy: Any, tmp_path_factory: Any) -> Iterator[tuple[str, str, str]]:
    """(Zhiku's base URL, an allowed intranet site, a site that is not allowed). On a copy of the
    demo: asking records which documents the employee viewed."""
    require_built(WEB_DIST / "widget.js", "web-test")
    store, search = module_demo_copy
    allowed_port, other_port = free_port(), free_port()
    allowed, other = f"http://127.0.0.1:{allowed_port}", f"http://localhost:{other_port}"
    settings = Settings(data_dir=search.directory.parent, web_dir=WEB_DIST, widget_origins=[allowed])
    with console(settings, store, search) as base:
        root = tmp_path_factory.mktemp("intranet")
        (root / "index.html").write_text(host_page(base), encoding="utf-8")
        handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        handler.log_message = lambda *a: None  # type: ignore[attr-defined]
        servers = [
            http.server.ThreadingHTTPServer(("127.0.0.1", p), handler) for p in (allowed_port, other_port)
        ]
        for s in servers:
            threading.Thread(target=s.serve_forever, daemon=True).start()
        try:
            yield base, allowed, other
        finally:
            for s in servers:
                s.shutdown()
                s.server_close()


def test_a_page_with_the_tag_opens_a_chat_that_signs_in_and_answers(
    sites: tuple[str, str, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, allowed, _ = sites
    ui = Page(browser, base)
    ui.sign_in(EMPLOYEE)  # signed in to the console in this browser (as after WeCom SSO)
    page = ui.context.new_page()
    page.goto(allowed + "/index.html")
    fab = page.get_by_role("button", name="问问知库")
    expect(fab).to_be_visible()  # the page's `button { display: none }` does not reach into the widget
    assert fab.evaluate("b => getComputedStyle(b).fontSize") == "14px"
    fab.click()
    with page.expect_popup() as popup:
        page.get_by_role("button", name="登录").click()
    popup.value.wait_for_event("close", timeout=30_000)  # it handed the token over and closed
    box = page.get_by_role("textbox", name="输入问题，例如：年假怎么请？")
    expect(page.get_by_test_id("status")).to_have_text("已连接", timeout=30_000)
    box.fill("公司有班车吗")
    box.press("Enter")
    answer = page.get_by_test_id("msg-bot").last
    expect(answer).to_contain_text("班车", timeout=60_000)
    source = answer.locator("a").first
    expect(source).to_have_attribute(
        "href", f"{base}/doc/" + source.get_attribute("href").split("/doc/", 1)[1]
    )
    page.screenshot(path=str(WEB_SHOTS / "31-widget-answer.png"))
    ui.close()


def test_a_site_that_is_not_allowed_gets_no_token(sites: tuple[str, str, str], browser: Any) -> None:
    from playwright.sync_api import expect

    base, _, other = sites
    ui = Page(browser, base)
    ui.sign_in(EMPLOYEE)
    page = ui.context.new_page()
    page.goto(other + "/index.html")
    page.get_by_role("button", name="问问知库").click()
    with page.expect_popup() as popup:
        page.get_by_role("button", name="登录").click()
    expect(popup.value.get_by_text("未获准嵌入知库")).to_be_visible()
    popup.value.screenshot(path=str(WEB_SHOTS / "32-widget-refused.png"))
    expect(page.get_by_role("button", name="登录")).to_be_visible()  # still signed out
    ui.close()


def test_the_script_and_the_chat_socket_follow_the_widget_origins(sites: tuple[str, str, str]) -> None:
    import httpx
    from websockets.sync.client import connect

    base, allowed, other = sites
    script = httpx.get(base + "/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cross-origin-resource-policy"] == "cross-origin"
    assert httpx.get(base + "/auth/widget/origins").json() == {"origins": [allowed]}
    ws = base.replace("http", "ws") + "/ws/chat"
    with connect(ws, origin=allowed) as sock:  # type: ignore[arg-type]
        sock.send('{"type": "ping"}')
    with pytest.raises(Exception, match="403"):
        connect(ws, origin=other).close()  # type: ignore[arg-type]


def test_no_copy_of_the_chat_protocol() -> None:
    """The widget reads /ws/chat events through the same module as the console's chat page
    (web/src/lib/chatThread.ts's ``interpret``)."""
    src = Path(__file__).resolve().parents[2] / "web" / "src"
    for name in ("widget.ts", "pages/Chat.tsx"):
        text = (src / name).read_text(encoding="utf-8")
        assert 'from "./lib/chatThread"' in text or 'from "../lib/chatThread"' in text
        assert "interpret(" in text and "new ChatSocket(" in text
