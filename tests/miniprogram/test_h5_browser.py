"""The mini-program's H5 build (miniprogram/dist/h5, the same Taro pages as the WeChat build) in Debian's
headless chromium, driven by Playwright at a phone's size, against a real Zhiku on loopback serving it
at /m/ on a copy of the demo company: an employee signs in (development login), asks and opens a
citation at the cited section, submits a leave application after seeing its approval chain; the
manager, in a second browser context, is refused a rejection without a comment and approves; the
employee's open page shows the change live (graphql-transport-ws), and again when HR's 或签 step
approves it. The bad-input paths: a submission whose answers are lost on a weak network is retried with
back-off, the page says so, and the idempotency key keeps it one application; reminders refused in the
consent dialog are recorded, nothing is sent, and the app works on; a process changed on the server
while its form is being filled in reloads the form, keeps the values that still fit and says why.

Screenshots go to miniprogram/test-results/ (look at them). `make miniprogram-test` builds the app and
runs this file; `make test` leaves it out (marker ``web``)."""

from __future__ import annotations

import base64
import os
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import httpx
import pytest
import redis

from api.auth import issue_token
from tests.browser import H5_DIST, H5_SHOTS, Phone, require_built, serving
from wecom.fake import FakeWeCom
from zhiku.loopback import running
from zhiku.settings import Settings

# The module's first test also waits for the session's demo index (minutes on a loaded machine).
pytestmark = [pytest.mark.web, pytest.mark.timeout(1200)]

APPLICANT, MANAGER = "E1031", "E1030"  # 胡小军 and his manager 朱红梅
CORP = "ww-zhiku-mp"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")


class Served(NamedTuple):
    base: str
    settings: Settings
    store: Any
    wechat: FakeWeCom  # the fake WeChat server the mini-program's subscribe messages go to

    def graphql(self, employee: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        r = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {issue_token(self.settings, employee)}"},
            timeout=60,
        )
        body: dict[str, Any] = r.json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture(scope="module")
def server(module_demo_copy: Any) -> Iterator[Served]:
    require_built(H5_DIST / "index.html", "miniprogram-test")
    store, search = module_demo_copy
    fake = FakeWeCom(corp_id=CORP, secret="app-secret", token="t", aes_key=AES_KEY)
    with running(fake.app) as wechat:
        settings = Settings(
            data_dir=search.directory.parent,
            wecom_corp_id=CORP,
            wecom_agent_id=fake.agent_id,
            wecom_secret="app-secret",  # type: ignore[arg-type]
            wecom_token="t",  # type: ignore[arg-type]
            wecom_aes_key=AES_KEY,  # type: ignore[arg-type]
            wecom_api_base=wechat,
            wechat_miniprogram_app_id=fake.mini_app_id,
            wechat_miniprogram_secret=fake.mini_secret,  # type: ignore[arg-type]
            wechat_api_base=wechat,
        )
        with serving(settings, store, search, shots=H5_SHOTS) as base:
            yield Served(base, settings, store, fake)


def wait_for(check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_ask_apply_and_approve_live(server: Served, browser: Any) -> None:
    from playwright.sync_api import expect

    base, settings = server.base, server.settings
    me = Phone(browser, base)
    page = me.go("ask/index")
    expect(page.locator(".persona").first).to_be_visible()  # not signed in: the sign-in page
    me.shot("01-login")

    # ask, then open the cited section
    page = me.sign_in(APPLICANT)
    page.locator(".composer input").fill("年假怎么请")
    page.locator(".ask-send").click()
    citation = page.locator("[data-testid='citation']").first
    expect(citation).to_be_visible(timeout=60_000)  # the first answer warms the models (slow when loaded)
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


def test_a_revoked_token_returns_to_sign_in_and_keeps_the_draft(server: Served, browser: Any) -> None:
    from playwright.sync_api import expect

    base = server.base
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


MINE = "query { myApprovals(role: APPLIED, first: 50) { id reason amount days processId } }"


def test_a_submission_lost_on_a_weak_network_is_retried_and_submitted_once(
    server: Served, browser: Any
) -> None:
    from playwright.sync_api import Route, expect

    me = Phone(browser, server.base)
    me.sign_in(APPLICANT)
    page = me.go("apply/index")
    page.locator(".process[data-id='PROC-LEAVE']").click()
    reason = f"弱网下提交 {secrets.token_hex(3)}"
    page.locator(".field-days input").fill("1")
    page.locator(".field-reason textarea").fill(reason)
    keys: list[str] = []

    def lose_three_answers(route: Route) -> None:
        body = route.request.post_data_json or {}
        if "MpSubmit" not in str(body.get("query")):
            route.continue_()
            return
        keys.append(body["variables"]["key"])
        if len(keys) <= 3:
            route.fetch()  # the server receives it and answers; the answer is lost on the way back
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/graphql", lose_three_answers)
    page.locator(".submit").click()
    expect(page.locator(".banner", has_text="网络不稳定，正在重试")).to_be_visible()
    me.shot("11-weak-network-retrying")
    submitted = page.locator(".submitted")
    expect(submitted).to_contain_text("胡小军的请假审批")
    expect(page.locator(".banner", has_text="网络不稳定")).to_have_count(0)  # the retry line is gone
    me.shot("12-weak-network-submitted")
    assert len(keys) == 4 and len(set(keys)) == 1  # four tries, one idempotency key
    mine = [a for a in server.graphql(APPLICANT, MINE)["myApprovals"] if a["reason"] == reason]
    assert [a["id"] for a in mine] == [submitted.get_attribute("data-id")]  # one application, not four
    me.close()


CONSENT = """mutation($choices: [SubscribeChoice!]!, $code: String) {
  recordSubscribeConsent(choices: $choices, code: $code) { templateId accepted } }"""
SUBMIT = """mutation($k: String) { submitApproval(process: "请假审批", days: 1, reason: "订阅拒绝后的申请",
  idempotencyKey: $k) { instance { id pendingWith } } }"""
REJECT = """mutation($id: ID!) { actOnApproval(id: $id, action: REJECT, comment: "请补充说明") {
  instance { status } } }"""


def test_refused_reminders_are_recorded_nothing_is_sent_and_the_app_works_on(
    server: Served, browser: Any
) -> None:
    from playwright.sync_api import expect

    fake = server.wechat
    code = fake.issue_mini_code(f"o-{APPLICANT}")
    me = Phone(browser, server.base, wechat={"answer": "reject", "code": code})
    me.sign_in(APPLICANT)
    page = me.go("notices/index")
    page.locator(".subscribe").click()
    expect(page.locator(".consent")).to_have_text("你未允许消息提醒；审批结果仍可在本页查看")
    me.shot("13-reminders-refused")
    templates = page.evaluate("window.zhikuAsked")
    assert len(templates) == 2  # the to-do and the result template, asked at once
    kv = redis.Redis.from_url(server.store.kv_url, decode_responses=True)
    try:
        assert kv.get(f"zhiku:mp:openid:{APPLICANT}") == f"o-{APPLICANT}"  # the login code was used
        assert all(kv.exists(f"zhiku:mp:refused:{APPLICANT}:{t}") for t in templates)  # recorded
    finally:
        kv.close()

    # the manager allows to-do reminders (so messages do go out from this server), the applicant applies
    fake.user_consents(f"o-{MANAGER}", templates[0])
    fake.user_consents(f"o-{MANAGER}", templates[1])
    choices = [{"templateId": t, "decision": "accept"} for t in templates]
    server.graphql(MANAGER, CONSENT, {"choices": choices, "code": fake.issue_mini_code(f"o-{MANAGER}")})
    inst = server.graphql(APPLICANT, SUBMIT, {"k": f"refused-{secrets.token_hex(4)}"})["submitApproval"]
    instance = inst["instance"]["id"]
    wait_for(lambda: fake.messages_to(f"o-{MANAGER}", "subscribe"))  # the manager's reminder went out
    server.graphql(MANAGER, REJECT, {"id": instance})
    # the applicant's open page shows the decision live; WeChat carried nothing to them
    expect(page.locator(".notice", has_text="已驳回").first).to_be_visible()
    me.shot("14-decision-in-app")
    time.sleep(1.0)  # let a message that should not exist have its chance to arrive
    assert fake.messages_to(f"o-{APPLICANT}", "subscribe") == []
    me.close()


def test_a_form_changed_on_the_server_reloads_and_keeps_what_still_fits(server: Served, browser: Any) -> None:
    from playwright.sync_api import expect

    me = Phone(browser, server.base)
    me.sign_in(APPLICANT)
    page = me.go("apply/index")
    page.locator(".process[data-id='PROC-TRAVEL']").click()
    reason = f"去上海拜访客户 {secrets.token_hex(3)}"
    page.locator(".field-days input").fill("2")
    page.locator(".field-amount input").fill("3000")
    page.locator(".field-reason textarea").fill(reason)
    expect(page.locator(".chain")).to_contain_text("财务总监审批")
    # meanwhile the travel process changes: the CFO's step no longer depends on the amount
    server.store.execute(
        "MATCH (:ApprovalProcess {id: 'PROC-TRAVEL'})-[:HAS_STEP]->(s:ApprovalStep {name: '财务总监审批'}) "
        "SET s.minAmount = null"
    )
    page.locator(".submit").click()
    expect(page.locator(".form-changed")).to_have_text("该流程的定义刚刚更新，表单已重新加载，请核对后再提交")
    expect(page.locator(".field-amount")).to_have_count(0)  # the amount no longer shapes the route
    expect(page.locator(".field-days input")).to_have_value("2")  # what still fits is kept
    expect(page.locator(".field-reason textarea")).to_have_value(reason)
    page.locator(".form-changed").scroll_into_view_if_needed()
    me.shot("15-form-changed")
    assert not [
        a for a in server.graphql(APPLICANT, MINE)["myApprovals"] if a["reason"] == reason
    ]  # not sent
    page.locator(".submit").click()
    expect(page.locator(".submitted")).to_be_visible()
    mine = [a for a in server.graphql(APPLICANT, MINE)["myApprovals"] if a["reason"] == reason]
    assert len(mine) == 1 and mine[0]["days"] == 2 and mine[0]["amount"] is None
    me.close()
