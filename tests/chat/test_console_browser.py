"""The agent console in a real headless browser (Debian's chromium driven by Playwright) against a
real uvicorn server on loopback, with the employee on a real WebSocket: the hand-off appears in the
queue, the agent reads the conversation and the suggested answer, claims, replies (the employee's
socket receives it), sees the employee's next message arrive, and closes the ticket. Also: a
non-agent is turned away, and ticket text is shown as text (no HTML injection)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from api.app import create_app
from api.auth import issue_token
from zhiku.loopback import running
from zhiku.settings import Settings

EMPLOYEE, AGENT = "E1030", "E1015"
INJECTION = "<img src=x onerror=\"document.title='pwned'\">"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    return path


@pytest.fixture
def server(demo_copy, copy_search, fresh_limits) -> Iterator[tuple[str, Settings]]:  # type: ignore[no-untyped-def]
    """On this test's own copy of the demo: hand-offs open tickets, the agent works them."""
    settings = Settings(data_dir=copy_search.directory.parent)
    with running(create_app(settings, store=demo_copy, search=copy_search)) as base:
        yield base, settings


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), headless=True)
        yield b
        b.close()


def receive(ws: ClientConnection, *types: str) -> dict[str, Any]:
    """The next event of one of ``types`` (typing and heartbeats skipped)."""
    while True:
        event: dict[str, Any] = json.loads(ws.recv(timeout=15))
        if event["type"] in types:
            return event
        assert event["type"] in ("typing", "heartbeat"), event


def ask(ws: ClientConnection, text: str) -> dict[str, Any]:
    ws.send(json.dumps({"type": "question", "content": text}))
    return receive(ws, "answer", "clarify", "handoff", "forwarded")


def test_agent_answers_a_hand_off_from_the_console(server: tuple[str, Settings], browser: Any) -> None:
    from playwright.sync_api import expect

    base, settings = server
    ws_url = base.replace("http", "ws") + f"/ws/chat?token={issue_token(settings, EMPLOYEE)}"
    with connect(ws_url) as ws:
        receive(ws, "ready")
        assert ask(ws, INJECTION)["type"] in ("answer", "clarify")
        assert ask(ws, "公司有班车吗")["type"] == "answer"
        ticket = ask(ws, "转人工")["ticketId"]

        page = browser.new_page()
        page.goto(f"{base}/agent#token={issue_token(settings, AGENT)}")
        expect(page.locator("#me")).to_contain_text("何佳")
        assert "token" not in page.url  # the token is moved out of the address bar
        item = page.locator(f'[data-ticket-id="{ticket}"]')
        expect(item).to_contain_text("朱红梅")
        item.click()
        expect(page.locator("#conversation")).to_contain_text("公司有班车吗")
        expect(page.locator("#conversation")).to_contain_text(INJECTION)  # shown as text…
        assert page.locator("#conversation img").count() == 0 and page.title() != "pwned"  # …not run
        expect(page.locator("#s-text")).to_contain_text("通勤巴士")
        expect(page.locator("#s-sources li").first).to_be_visible()

        page.locator("#claim").click()
        expect(page.locator("#status")).to_contain_text("已接手")
        assert receive(ws, "agent_joined")["agent"] == "何佳"

        page.locator("#use-suggestion").click()
        expect(page.locator("#reply")).to_have_value(page.locator("#s-text").inner_text())
        page.locator("#reply").fill("您好，班车工作日 7:30 发车，时刻表见通勤巴士制度。")
        page.locator("#send").click()
        message = receive(ws, "agent_message")
        assert message["content"] == "您好，班车工作日 7:30 发车，时刻表见通勤巴士制度。"
        assert message["ticketId"] == ticket
        expect(page.locator("#reply")).to_have_value("")

        assert ask(ws, "谢谢，周末也有吗？")["type"] == "forwarded"
        expect(page.locator("#conversation")).to_contain_text("谢谢，周末也有吗？", timeout=10_000)

        page.locator("#resolution").fill("已答复班车时间")
        page.locator("#close").click()
        closed = receive(ws, "ticket_closed")
        assert "已答复班车时间" in closed["content"]
        expect(page.locator("#t-meta")).to_contain_text("已关闭")
        expect(page.locator("#send")).to_be_disabled()
        page.close()


def test_console_turns_away_a_non_agent(server: tuple[str, Settings], browser: Any) -> None:
    from playwright.sync_api import expect

    base, settings = server
    page = browser.new_page(locale="zh-CN")  # the errors come in the browser's language
    page.goto(f"{base}/agent#token={issue_token(settings, EMPLOYEE)}")
    expect(page.locator("#status")).to_contain_text("没有客服角色")
    expect(page.locator("#desk")).to_be_hidden()
    page.goto(f"{base}/agent#token=forged")
    expect(page.locator("#status")).to_contain_text("令牌")
    expect(page.locator("#login")).to_be_visible()
    page.close()


def test_console_withholds_what_the_agent_may_not_read(server: tuple[str, Settings], browser: Any) -> None:
    """An HR manager's hand-off about the HR-only salary plan: the agent (level 3, not HR) sees the
    employee's question and the marker, not the bot's answer, its source or a suggestion from it."""
    from playwright.sync_api import expect

    from chat.desk import WITHHELD

    base, settings = server
    ws_url = base.replace("http", "ws") + f"/ws/chat?token={issue_token(settings, 'E1010')}"
    with connect(ws_url) as ws:
        receive(ws, "ready")
        assert "调薪幅度" in ask(ws, "2026年调薪矩阵是怎样的")["content"]
        ticket = ask(ws, "转人工")["ticketId"]
    page = browser.new_page()
    page.goto(f"{base}/agent#token={issue_token(settings, AGENT)}")
    page.locator(f'[data-ticket-id="{ticket}"]').click()
    expect(page.locator("#conversation")).to_contain_text("2026年调薪矩阵是怎样的")
    expect(page.locator("#conversation")).to_contain_text(WITHHELD)
    expect(page.locator("#found")).to_contain_text(WITHHELD)
    expect(page.locator("#s-notice")).to_be_visible()
    expect(page.locator("#s-notice")).to_contain_text(WITHHELD)
    text = page.locator("#detail").inner_text()
    assert "调薪幅度" not in text and "仅限人力资源部" not in text
    page.close()
