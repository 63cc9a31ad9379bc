"""The mini-program's H5 build (miniprogram/dist/h5, the same Taro pages as the WeChat build) in Debian's
headless chromium, driven by Playwright at a phone's size, against a real Zhiku on loopback serving it
at /m/ on a copy of the demo company: an employee signs in (development login), asks and opens a
citation at the cited section, submits a leave application after seeing its approval chain; the
manager, in a second browser context, is refused a rejection without a comment and approves; the
employee's open page shows the change live (graphql-transport-ws), and again when HR's 或签 step
approves it.

Screenshots go to miniprogram/test-results/ (look at them). `make miniprogram-test` builds the app and
runs this file; `make test` leaves it out (marker ``web``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import issue_token
from zhiku.loopback import running
from zhiku.settings import Settings

# The module's first test also waits for the session's demo index (minutes on a loaded machine).
pytestmark = [pytest.mark.web, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "miniprogram" / "dist" / "h5"
SHOTS = ROOT / "miniprogram" / "test-results"
APPLICANT, MANAGER = "E1031", "E1030"  # 胡小军 and his manager 朱红梅


@pytest.fixture(scope="module")
def server(module_demo_copy: Any) -> Iterator[tuple[str, Settings]]:
    if not (DIST / "index.html").is_file():
        pytest.fail("miniprogram/dist/h5 is not built: run `make miniprogram-test` (it builds it first)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    store, search = module_demo_copy
    settings = Settings(data_dir=search.directory.parent)
    with running(create_app(settings, store=store, search=search)) as base:
        yield base, settings


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `make miniprogram-test` installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True)
        yield b
        b.close()


class Phone:
    """A fresh browser context the size of a phone, on the H5 app; page errors fail the test."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.context = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN", is_mobile=True
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.set_default_timeout(30_000)

    def go(self, route: str) -> Any:
        self.page.goto(f"{self.base}/m/#/pages/{route}")
        return self.page

    def sign_in(self, employee: str) -> Any:
        page = self.go("login/index")
        page.locator(f".persona[data-id='{employee}']").click()
        page.locator(".ask-send").wait_for()  # on the ask page
        return page

    def shot(self, name: str) -> None:
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors


def test_ask_apply_and_approve_live(server: tuple[str, Settings], browser: Any) -> None:
    from playwright.sync_api import expect

    base, settings = server
    me = Phone(browser, base)
    page = me.go("ask/index")
    expect(page.locator(".persona").first).to_be_visible()  # not signed in: the sign-in page
    me.shot("01-login")

    # ask, then open the cited section
    page = me.sign_in(APPLICANT)
    page.locator(".composer input").fill("年假怎么请")
    page.locator(".ask-send").click()
    citation = page.locator("[data-testid='citation']").first
    expect(citation).to_be_visible()
    expect(page.locator(".bubble-bot").last).to_contain_text("年假")
    me.shot("02-ask")
    citation.click()
    expect(page.locator(".section-cited")).to_be_visible()
    expect(page.locator(".section-cited")).to_contain_text("引用的段落")
    me.shot("03-cited-section")

    # a leave application: the form from the process definition, the chain before submitting
    page = me.go("apply/index")
    page.locator(".process[data-id='PROC-LEAVE']").click()
    page.locator(".submit").click()
    expect(page.locator(".error")).to_contain_text("请填写")  # validation before anything is sent
    page.locator(".field-days input").fill("2")
    page.locator(".field-reason textarea").fill("家中有事，请假两天")
    chain = page.locator(".chain")
    expect(chain).to_contain_text("直属上级审批")
    expect(chain).to_contain_text("朱红梅")
    expect(chain).to_contain_text("或签：任意一位同意即可")  # HR's step said plainly
    expect(chain).to_contain_text("部门负责人审批")  # skipped: not more than 3 days
    me.shot("04-apply-chain")
    page.locator(".submit").click()
    submitted = page.locator(".submitted")
    expect(submitted).to_contain_text("胡小军的请假审批")
    me.shot("05-submitted")
    instance = submitted.get_attribute("data-id")
    assert instance

    # my application in 我提交的, opened on the employee's phone
    page = me.go("approvals/index")
    page.locator(".tab", has_text="我提交的").click()
    page.locator(f".approval-item[data-id='{instance}']").click()
    expect(page.locator(".approval-detail .status")).to_have_text("审批中")

    # the manager, on another phone: a rejection needs a comment; approve
    boss = Phone(browser, base)
    other = boss.sign_in(MANAGER)
    other = boss.go("approvals/index")
    other.locator(f".approval-item[data-id='{instance}']").click()
    other.locator(".reject").click()
    expect(other.locator(".error")).to_have_text("驳回须填写审批意见")
    other.locator(".comment textarea").fill("同意，注意交接")
    boss.shot("06-manager-detail")
    other.locator(".approve").click()
    expect(other.locator(".approval-detail .step").first).to_contain_text("已通过")
    boss.shot("07-manager-approved")
    boss.close()

    # the employee's page changed by itself (approvalStatus over graphql-transport-ws)
    expect(page.locator(".live")).to_be_visible()
    expect(page.locator(".approval-detail .step").first).to_contain_text("已通过")
    me.shot("08-live-step")

    # HR's 或签 step: one of them approves (through the API) → approved, live
    query = "query($id: ID!) { approvalInstance(id: $id) { pendingWith } }"
    token = issue_token(settings, APPLICANT)
    r = httpx.post(f"{base}/graphql", json={"query": query, "variables": {"id": instance}},
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    hr = r.json()["data"]["approvalInstance"]["pendingWith"][0]
    act = 'mutation($id: ID!) { actOnApproval(id: $id, action: APPROVE, comment: "已备案") { instance { status } } }'
    r = httpx.post(f"{base}/graphql", json={"query": act, "variables": {"id": instance}},
                   headers={"Authorization": f"Bearer {issue_token(settings, hr)}"})  # fmt: skip
    assert r.json()["data"]["actOnApproval"]["instance"]["status"] == "approved"
    expect(page.locator(".approval-detail .status")).to_have_text("已通过")
    expect(page.locator(".live")).to_contain_text("已通过")
    me.shot("09-live-approved")
    me.close()


def test_a_revoked_token_returns_to_sign_in_and_keeps_the_draft(
    server: tuple[str, Settings], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    me = Phone(browser, base)
    page = me.sign_in(APPLICANT)
    page.locator(".composer input").fill("还没发出去的问题")
    # the token is revoked (here: forged) while the app is closed; the next request is refused
    page.evaluate(
        """() => {
          const raw = JSON.parse(localStorage.getItem('zhiku.session'));
          const s = JSON.parse(raw.data); s.token = 'forged.' + s.token; raw.data = JSON.stringify(s);
          localStorage.setItem('zhiku.session', JSON.stringify(raw));
        }"""
    )
    page.goto(f"{base}/m/#/pages/approvals/index")
    page.reload()
    expect(page.locator(".banner")).to_have_text("登录已过期，请重新登录（未发送的内容已保留）")
    me.shot("10-expired")
    page.locator(f".persona[data-id='{APPLICANT}']").click()
    expect(page.locator(".composer input")).to_have_value("还没发出去的问题")
    me.close()
