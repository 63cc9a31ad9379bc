"""The whole WeCom loop on loopback: the fake WeCom server (real signed, encrypted protocol) ↔ a real
uvicorn Zhiku on the demo company. Nothing is mocked: callbacks are encrypted by the fake with the
same scheme WeCom uses, answers and cards come back over its HTTP API."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis.asyncio

from api.app import create_app
from api.auth import issue_token
from wecom.client import WeComClient, WeComConfigError, WeComUnavailable
from wecom.fake import FakeWeCom
from wecom.service import DEAD_LETTERS, REJECT_REASONS
from zhiku.loopback import running
from zhiku.settings import Settings

CORP = "ww-zhiku-test"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")
TOKEN = "zhiku-callback-token"


@dataclass
class Env:
    fake: FakeWeCom
    base: str
    settings: Settings
    app: Any
    api_base: str

    def fake_base(self) -> str:
        return self.api_base

    def callback(self, xml: str) -> httpx.Response:
        return asyncio.run(self.fake.post_callback(f"{self.base}/wecom/callback", xml))

    def graphql(self, employee: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        token = issue_token(self.settings, employee)
        r = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        body: dict[str, Any] = r.json()
        assert "errors" not in body, body
        return body["data"]


def wait_for(check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.fixture(scope="module")
def env(module_demo_copy: Any) -> Iterator[Env]:
    """One server for the module, on the module's copy of the demo (applications, approvals,
    tickets and views are written; its tests each assert on what they wrote themselves)."""
    store, search = module_demo_copy
    fake = FakeWeCom(corp_id=CORP, secret="app-secret", token=TOKEN, aes_key=AES_KEY)
    with running(fake.app) as fake_base:
        settings = Settings(
            data_dir=search.directory.parent,
            wecom_corp_id=CORP,
            wecom_agent_id=fake.agent_id,
            wecom_secret="app-secret",  # type: ignore[arg-type]
            wecom_token=TOKEN,  # type: ignore[arg-type]
            wecom_aes_key=AES_KEY,  # type: ignore[arg-type]
            wecom_api_base=fake_base,
            wecom_oa_templates={"PROC-TRAVEL": "tmpl-travel", "PROC-LOAN": "tmpl-loan"},
            wechat_mp_app_id=fake.mp_app_id,
            wechat_mp_secret=fake.mp_secret,  # type: ignore[arg-type]
            wechat_miniprogram_app_id="wx-mini-test",
            wechat_api_base=fake_base,
        )
        app = create_app(settings, store=store, search=search)
        with running(app) as base:
            yield Env(fake, base, settings, app, fake_base)


def test_url_verification_returns_the_bare_echostr(env: Env) -> None:
    from wecom.crypto import signature

    echostr = env.fake.crypto.encrypt("6021416573201820953")
    params = {"timestamp": str(int(time.time())), "nonce": "42", "echostr": echostr}
    params["msg_signature"] = signature(TOKEN, params["timestamp"], "42", echostr)
    r = httpx.get(f"{env.base}/wecom/callback", params=params)
    assert r.status_code == 200 and r.content == b"6021416573201820953"
    forged = httpx.get(f"{env.base}/wecom/callback", params={**params, "msg_signature": "0" * 40})
    assert forged.status_code == 403
    stale = {**params, "timestamp": "1409659589"}
    stale["msg_signature"] = signature(TOKEN, stale["timestamp"], "42", echostr)
    assert httpx.get(f"{env.base}/wecom/callback", params=stale).status_code == 403


def test_a_question_in_wecom_gets_a_cited_answer_once(env: Env) -> None:
    xml = env.fake.text_message("E1030", "年假怎么请？", msg_id=9_000_001)
    first = env.callback(xml)
    assert first.status_code == 200 and first.content == b""
    assert env.callback(xml).status_code == 200  # WeCom's retry: acknowledged, not answered again
    sent = wait_for(lambda: env.fake.messages_to("E1030", "text"))
    time.sleep(0.5)  # a second answer would arrive by now
    answers = [s for s in env.fake.messages_to("E1030", "text") if "年假" in s.body["content"]]
    assert len(answers) == 1, sent
    assert "来源" in answers[0].body["content"]
    assert env.app.state.zhiku.wecom.duplicates == 1


def test_bad_callbacks_are_refused(env: Env) -> None:
    r = httpx.post(f"{env.base}/wecom/callback", params={"msg_signature": "x", "timestamp": "1", "nonce": "1"},
                   content=b"<xml><Encrypt>")  # fmt: skip
    assert r.status_code == 400
    other = FakeWeCom(corp_id="ww-other-corp", secret="s", token=TOKEN, aes_key=AES_KEY)
    r = asyncio.run(other.post_callback(f"{env.base}/wecom/callback", other.text_message("E1030", "hi")))
    assert r.status_code == 403


SUBMIT = """mutation($p: String!, $a: Float, $k: String) {
  submitApproval(process: $p, amount: $a, reason: "客户招待", idempotencyKey: $k) {
    applied message instance { id status pendingWith currentStep steps { name mode } } } }"""
GET = "query($id: ID!) { approvalInstance(id: $id) { status currentStep pendingWith audit { kind actorId channel } } }"


def test_card_tap_approves_updates_the_cards_and_notifies(env: Env) -> None:
    data = env.graphql("E1040", SUBMIT, {"p": "费用报销", "a": 8000, "k": "wecom-test-1"})["submitApproval"]
    inst = data["instance"]
    assert data["applied"] and inst["pendingWith"] == ["E1002"]
    card = wait_for(lambda: env.fake.messages_to("E1002", "template_card"))[-1]
    task_id = card.body["task_id"]
    assert [b["key"] for b in card.body["button_list"]] == ["reject", "return", "approve"]
    # someone who is not the approver taps a forwarded card: refused, nothing changes
    env.callback(env.fake.card_click("E1050", task_id, "approve"))
    wait_for(
        lambda: any("审批人" in s.body.get("content", "") for s in env.fake.messages_to("E1050", "text"))
    )
    assert env.graphql("E1040", GET, {"id": inst["id"]})["approvalInstance"]["currentStep"] == 0
    # the approver taps twice (a retried callback and a second tap): counted once
    tap = env.fake.card_click("E1002", task_id, "approve")
    env.callback(tap)
    env.callback(tap)
    env.callback(env.fake.card_click("E1002", task_id, "approve"))
    after = wait_for(
        lambda: (
            (r := env.graphql("E1040", GET, {"id": inst["id"]})["approvalInstance"])["currentStep"] == 1 and r
        )
    )
    approvals = [a for a in after["audit"] if a["kind"] == "approve"]
    assert approvals == [{"kind": "approve", "actorId": "E1002", "channel": "wecom_card"}]
    assert any(u["button"]["replace_name"] == "已同意" for u in env.fake.card_updates)
    # the next step's approver (会计, 依次: any holder of the role) got a card; the applicant a note
    wait_for(lambda: any(env.fake.messages_to(p, "template_card") for p in after["pendingWith"]))
    wait_for(lambda: any("进展" in s.body.get("content", "") for s in env.fake.messages_to("E1040", "text")))
    # the same submission retried returns the same instance
    again = env.graphql("E1040", SUBMIT, {"p": "费用报销", "a": 8000, "k": "wecom-test-1"})["submitApproval"]
    assert not again["applied"] and again["instance"]["id"] == inst["id"]


def test_deliveries_while_wecom_is_down_are_kept_and_replayed_once(env: Env) -> None:
    env.fake.down = True
    try:
        data = env.graphql("E1040", SUBMIT, {"p": "费用报销", "a": 6000, "k": "wecom-down-1"})[
            "submitApproval"
        ]
        wait_for(lambda: _dead(env) >= 1)  # the approver's card could not go out
        question = env.fake.text_message("E1030", "公司有班车吗", msg_id=9_000_777)
        assert env.callback(question).status_code == 200  # Zhiku itself is up: acknowledged
        wait_for(lambda: _dead(env) >= 2)
    finally:
        env.fake.down = False
    cards_before = len(env.fake.messages_to("E1002", "template_card"))
    assert asyncio.run(_replay(env)) == 2  # the approver's card and the answer
    assert len(env.fake.messages_to("E1002", "template_card")) == cards_before + 1
    assert any("班车" in s.body.get("content", "") for s in env.fake.messages_to("E1030", "text"))
    assert asyncio.run(_replay(env)) == 0  # nothing is sent twice
    # the replayed card works: a tap moves the instance on
    card = env.fake.messages_to("E1002", "template_card")[-1]
    env.callback(env.fake.card_click("E1002", card.body["task_id"], "approve"))
    inst = data["instance"]
    wait_for(lambda: env.graphql("E1040", GET, {"id": inst["id"]})["approvalInstance"]["currentStep"] == 1)


def _dead(env: Env) -> int:
    async def count() -> int:
        kv = redis.asyncio.Redis.from_url(env.app.state.zhiku.kv_url)
        try:
            return int(await kv.llen(DEAD_LETTERS))
        finally:
            await kv.aclose()

    return asyncio.run(count())


async def _replay(env: Env) -> int:
    """Replay on the API's own loop (its clients belong to it), as its periodic task does."""
    service = env.app.state.zhiku.wecom
    loop = service._loop
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(service.replay_failed(), loop))


def test_others_cannot_see_or_act_on_an_application(env: Env) -> None:
    inst = env.graphql("E1040", SUBMIT, {"p": "费用报销", "a": 100, "k": None})["submitApproval"]["instance"]
    assert env.graphql("E1050", GET, {"id": inst["id"]})["approvalInstance"] is None
    token = issue_token(env.settings, "E1050")
    r = httpx.post(f"{env.base}/graphql", headers={"Authorization": f"Bearer {token}"}, json={
        "query": 'mutation($id: ID!) { actOnApproval(id: $id, action: APPROVE) { applied } }',
        "variables": {"id": inst["id"]}})  # fmt: skip
    assert r.json()["errors"][0]["extensions"]["code"] == "NOT_AN_APPROVER"
    mine = env.graphql("E1002", "{ myApprovals(role: TODO) { id } }")["myApprovals"]
    assert inst["id"] in {m["id"] for m in mine}


def test_sso_web_and_mini_program(env: Env) -> None:
    login = httpx.get(f"{env.base}/auth/wecom/login", params={"redirect": "/console"})
    assert login.status_code == 302 and "open.weixin.qq.com" in login.headers["location"]
    state = httpx.URL(login.headers["location"]).params["state"]
    code = env.fake.issue_oauth_code("E1030")
    r = httpx.get(f"{env.base}/auth/wecom/callback", params={"code": code, "state": state})
    assert r.status_code == 302 and r.headers["location"].startswith("/console#token=")
    token = r.headers["location"].split("#token=")[1]
    me = httpx.post(
        f"{env.base}/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert me.json()["data"]["me"]["id"] == "E1030"
    reused = httpx.get(f"{env.base}/auth/wecom/callback", params={"code": code, "state": state})
    assert reused.status_code >= 400 and "40029" in reused.text  # OAuth codes are single-use
    forged = httpx.get(f"{env.base}/auth/wecom/callback", params={"code": "x", "state": "forged"})
    assert forged.status_code == 400
    open_redirect = httpx.get(f"{env.base}/auth/wecom/login", params={"redirect": "//evil.example"})
    assert "evil" not in open_redirect.headers["location"]
    mp = httpx.post(f"{env.base}/auth/miniprogram", json={"code": env.fake.issue_js_code("E1040")})
    assert mp.status_code == 200 and mp.json()["employee"] == "E1040" and "session_key" not in mp.text
    stranger = httpx.post(f"{env.base}/auth/miniprogram", json={"code": env.fake.issue_js_code("nobody")})
    assert stranger.status_code == 403


def test_client_token_refresh_errors_and_backoff(env: Env) -> None:
    async def scenario() -> None:
        kv = redis.asyncio.Redis.from_url(env.app.state.zhiku.kv_url, decode_responses=True)
        clients = [
            WeComClient(CORP, "app-secret", env.fake.agent_id, kv, base_url=env.fake_base()) for _ in range(4)
        ]
        try:
            await kv.delete(clients[0]._token_key)
            before = env.fake.tokens_issued
            await asyncio.gather(*(c.send_text(["E1030"], "并发测试") for c in clients))
            assert env.fake.tokens_issued == before + 1  # one shared token, fetched once
            env.fake.expire_tokens()
            before = env.fake.tokens_issued
            await asyncio.gather(*(c.send_text(["E1030"], "过期后") for c in clients))
            assert env.fake.tokens_issued == before + 1  # 42001 → one refresh, not four
            env.fake.fail_next["/cgi-bin/message/send"] = [45009, 45009]
            await clients[0].send_text(["E1030"], "限流后重试")
            env.fake.fail_next["/cgi-bin/message/send"] = [60020]
            with pytest.raises(WeComConfigError) as refused:
                await clients[0].send_text(["E1030"], "x")
            assert "可信 IP" in refused.value.message_zh and refused.value.hint
            assert await clients[0].send_text(["E1030"], "长" * 3000) == 5
            env.fake.down = True
            with pytest.raises(WeComUnavailable):
                await clients[0].send_text(["E1030"], "x")
        finally:
            env.fake.down = False
            for c in clients:
                await c.aclose()
            await kv.aclose()

    asyncio.run(scenario())
    long_parts = [s for s in env.fake.messages_to("E1030", "text") if s.body["content"].startswith("长")]
    assert len(long_parts) == 5 and all(len(p.body["content"].encode()) <= 2048 for p in long_parts)


def test_wecom_approval_app_is_mirrored_after_its_callback(env: Env) -> None:
    travel = """mutation { submitApproval(process: "出差申请", days: 2, reason: "上海客户拜访") {
      instance { id status steps { name mode } } } }"""
    data = env.graphql("E1040", travel)["submitApproval"]
    inst = data["instance"]
    assert inst["id"].startswith("WX-") and inst["status"] == "pending"
    sp_no = inst["id"].removeprefix("WX-")
    nodes = env.fake.approvals[sp_no]["sp_record"]
    assert [n["approverattr"] for n in nodes] == [1 if s["mode"] != "会签" else 2 for s in inst["steps"]]
    for node in nodes:  # every approver acts in WeCom's own approval UI
        for d in node["details"]:
            env.fake.decide_in_oa(sp_no, d["approver"]["userid"], approve=True)
    assert env.fake.approvals[sp_no]["sp_status"] == 2
    env.callback(env.fake.approval_change(sp_no))
    env.callback(env.fake.approval_change(sp_no))  # a repeated callback changes nothing
    after = wait_for(
        lambda: (
            (r := env.graphql("E1040", GET, {"id": inst["id"]})["approvalInstance"])["status"] == "approved"
            and r
        )
    )
    assert [a["kind"] for a in after["audit"]].count("sync") == 1
    wait_for(
        lambda: any("审批通过" in s.body.get("content", "") for s in env.fake.messages_to("E1040", "text"))
    )


AUDIT = (
    "query($id: ID!) { approvalInstance(id: $id) { status currentStep pendingWith audit { kind comment } } }"
)


def test_a_card_rejection_takes_the_reason_chosen_on_the_card(env: Env) -> None:
    data = env.graphql("E1040", SUBMIT, {"p": "费用报销", "a": 300, "k": "wecom-reject-1"})["submitApproval"]
    inst = data["instance"]
    card = wait_for(lambda: [c for c in env.fake.messages_to("E1002", "template_card")
                             if c.body["task_id"].startswith(inst["id"])])[-1]  # fmt: skip
    assert card.body["button_selection"]["title"] == "驳回原因"
    task_id = card.body["task_id"]
    # 驳回 with no reason chosen: nothing changes, the approver is told to choose one
    env.callback(env.fake.card_click("E1002", task_id, "reject"))
    wait_for(
        lambda: any(
            "驳回需要说明原因" in s.body.get("content", "") for s in env.fake.messages_to("E1002", "text")
        )
    )
    assert env.graphql("E1040", AUDIT, {"id": inst["id"]})["approvalInstance"]["status"] == "pending"
    env.callback(env.fake.card_click("E1002", task_id, "reject", option="papers"))
    after = wait_for(
        lambda: ((r := env.graphql("E1040", AUDIT, {"id": inst["id"]})["approvalInstance"])["status"] == "rejected" and r)
    )  # fmt: skip
    assert after["audit"][-1] == {"kind": "reject", "comment": REJECT_REASONS["papers"]}
    assert after["pendingWith"] == []


def test_a_card_return_sends_the_application_back_to_the_applicant(env: Env) -> None:
    data = env.graphql("E1040", SUBMIT, {"p": "费用报销", "a": 300, "k": "wecom-return-1"})["submitApproval"]
    inst = data["instance"]
    card = wait_for(lambda: [c for c in env.fake.messages_to("E1002", "template_card")
                             if c.body["task_id"].startswith(inst["id"])])[-1]  # fmt: skip
    env.callback(env.fake.card_click("E1002", card.body["task_id"], "return", option="papers"))
    after = wait_for(
        lambda: ((r := env.graphql("E1040", AUDIT, {"id": inst["id"]})["approvalInstance"])["status"] == "returned" and r)
    )  # fmt: skip
    assert after["audit"][-1] == {"kind": "return", "comment": REJECT_REASONS["papers"]}
    assert after["pendingWith"] == ["E1040"]
    wait_for(
        lambda: any("退回修改" in s.body.get("content", "") for s in env.fake.messages_to("E1040", "text"))
    )


def test_one_countersigner_in_the_approval_app_is_mirrored_as_progress(env: Env) -> None:
    """借款申请's 财务会签 (an accountant — three hold the role — and the finance director) goes to WeCom
    as one 或签 node per role; one of them approving is written to the graph and announced as
    ``signed``, not as "step approved"."""
    events: list[Any] = []
    engine = env.app.state.zhiku.approvals
    engine.listeners.append(events.append)
    try:
        loan = 'mutation { submitApproval(process: "借款申请", amount: 3000, reason: "备用金") { instance { id steps { name mode } } } }'
        inst = env.graphql("E1040", loan)["submitApproval"]["instance"]
        sp_no = inst["id"].removeprefix("WX-")
        nodes = env.fake.approvals[sp_no]["sp_record"]
        assert [n["approverattr"] for n in nodes] == [1, 1, 1]
        assert sorted(len(n["details"]) for n in nodes[1:]) == [1, 3]  # the finance director; the accountants
        env.fake.decide_in_oa(sp_no, nodes[0]["details"][0]["approver"]["userid"], approve=True)
        env.callback(env.fake.approval_change(sp_no))
        wait_for(
            lambda: env.graphql("E1040", AUDIT, {"id": inst["id"]})["approvalInstance"]["currentStep"] == 1
        )
        env.fake.decide_in_oa(sp_no, nodes[1]["details"][-1]["approver"]["userid"], approve=True)  # one role
        env.callback(env.fake.approval_change(sp_no))
        after = wait_for(
            lambda: ((r := env.graphql("E1040", AUDIT, {"id": inst["id"]})["approvalInstance"])["audit"][-1]["kind"] == "sync"
                     and len(r["audit"]) == 3 and r)
        )  # fmt: skip
        other_role = sorted(d["approver"]["userid"] for d in nodes[2]["details"])
        assert after["currentStep"] == 1 and sorted(after["pendingWith"]) == other_role
        mine = [(e.kind, set(e.recipients)) for e in events if e.instance_id == inst["id"]]
        assert mine == [
            ("step_approved", {"E1040", "E1020", "E1021", "E1022", "E1024"}),
            ("signed", {"E1040"}),  # progress within the step: no "step approved" for the applicant
        ]
    finally:
        engine.listeners.remove(events.append)


def test_status_subscription_pushes_in_real_time(env: Env) -> None:
    from gql import Client
    from gql import gql as parse
    from gql.transport.websockets import WebsocketsTransport

    inst = env.graphql("E1040", SUBMIT, {"p": "费用报销", "a": 50, "k": None})["submitApproval"]["instance"]

    async def scenario() -> list[dict[str, Any]]:
        transport = WebsocketsTransport(
            url=env.base.replace("http", "ws") + "/graphql",
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            init_payload={"Authorization": f"Bearer {issue_token(env.settings, 'E1040')}"},
        )
        got: list[dict[str, Any]] = []
        async with Client(transport=transport) as session:
            sub = parse(
                "subscription($id: ID!) { approvalStatus(instanceId: $id) { kind status instanceId } }"
            )
            sub.variable_values = {"id": inst["id"]}

            async def listen() -> None:
                async for event in session.subscribe(sub):
                    got.append(event["approvalStatus"])
                    if event["approvalStatus"]["kind"] == "step_approved":
                        return

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0.5)  # subscribed before the approval happens
            await asyncio.to_thread(env.graphql, "E1002", 'mutation($id: ID!) { actOnApproval(id: $id, action: APPROVE) { applied } }', {"id": inst["id"]})  # fmt: skip
            await asyncio.wait_for(listener, 20)
        return got

    events = asyncio.run(scenario())
    assert events[-1] == {"kind": "step_approved", "status": "pending", "instanceId": inst["id"]}


def test_an_application_started_in_the_chat_goes_through_the_approvals_engine(env: Env) -> None:
    env.callback(env.fake.text_message("E1041", "我要提交费用报销，金额800元"))
    confirm = wait_for(
        lambda: [s for s in env.fake.messages_to("E1041", "text") if "确认提交" in s.body["content"]]
    )
    assert "审批路径" in confirm[-1].body["content"]
    env.callback(env.fake.text_message("E1041", "确认"))
    done = wait_for(
        lambda: [s for s in env.fake.messages_to("E1041", "text") if "已提交审批" in s.body["content"]]
    )
    mine = env.graphql("E1041", "{ myApprovals { id processId status channel: audit { channel } } }")[
        "myApprovals"
    ]
    assert any(m["processId"] == "PROC-EXPENSE" and m["id"] in done[-1].body["content"] for m in mine)


def test_an_agent_reply_to_a_wecom_hand_off_goes_back_through_wecom(env: Env) -> None:
    env.callback(env.fake.text_message("E1031", "转人工", msg_id=9_000_901))
    handoff = wait_for(
        lambda: [s for s in env.fake.messages_to("E1031", "text") if "转接人工客服" in s.body["content"]]
    )
    ticket = handoff[0].body["content"].split("工单 ")[1].split("）")[0]
    reply = "您好，我是客服何佳，请问需要办理什么业务？"
    result = env.graphql("E1015", 'mutation($id: ID!, $t: String!) { replyToTicket(id: $id, text: $t) { applied } }',
                         {"id": ticket, "t": reply})  # fmt: skip
    assert result["replyToTicket"]["applied"]
    wait_for(lambda: any(reply in s.body["content"] for s in env.fake.messages_to("E1031", "text")))
    # the employee answers in WeCom: it reaches the ticket, not the bot
    env.callback(env.fake.text_message("E1031", "我想开一份在职证明", msg_id=9_000_902))
    wait_for(lambda: any("请稍候" in s.body["content"] for s in env.fake.messages_to("E1031", "text")))
    lines = env.graphql(
        "E1015", "query($id: ID!) { ticket(id: $id) { conversation { text } } }", {"id": ticket}
    )
    assert lines["ticket"]["conversation"][-1]["text"] == "我想开一份在职证明"
    env.graphql(
        "E1015",
        'mutation($id: ID!) { closeTicket(id: $id, resolution: "已开具") { applied } }',
        {"id": ticket},
    )
    wait_for(lambda: any("已开具" in s.body["content"] for s in env.fake.messages_to("E1031", "text")))
    time.sleep(0.5)
    assert sum(reply in s.body["content"] for s in env.fake.messages_to("E1031", "text")) == 1  # once


def test_official_account_template_messages_open_the_mini_program(env: Env) -> None:
    """With the official account configured, approvers with a WeChat openid also get a template
    message (once) whose tap opens the approval in the mini-program."""
    store = env.app.state.zhiku.store  # the module's copy of the demo: restored for the module's other tests
    store.execute("MATCH (e:Employee {id: 'E1002'}) SET e.wechatOpenId = 'o-E1002-openid'")
    dead_before = _dead(env)  # the module's earlier tests share the dead-letter list
    try:
        data = env.graphql("E1040", SUBMIT, {"p": "费用报销", "a": 7000, "k": "mp-test-1"})["submitApproval"]
        inst = data["instance"]["id"]
        sent = wait_for(lambda: env.fake.messages_to("o-E1002-openid", "mp_template"))
        body = sent[0].body
        assert body["template_id"] == "TM-approval"
        assert body["miniprogram"] == {
            "appid": "wx-mini-test",
            "pagepath": f"pages/approval/detail?id={inst}",
        }
        assert (
            body["data"]["first"]["value"] == "有一条申请待您审批"
            and "费用报销" in body["data"]["keyword1"]["value"]
        )
        time.sleep(0.5)
        assert len(env.fake.messages_to("o-E1002-openid", "mp_template")) == 1  # once
        # employees without an openid get no template message, and nothing failed
        assert not [s for s in env.fake.sent if s.msgtype == "mp_template" and s.touser != ["o-E1002-openid"]]
        assert _dead(env) == dead_before
    finally:
        store.execute("MATCH (e:Employee {id: 'E1002'}) REMOVE e.wechatOpenId")


def test_a_member_is_answered_in_the_language_of_their_profile(env: Env) -> None:
    # issue 19: the profile's language (from the directory) wins over the message's own
    env.app.state.zhiku.store.execute("MATCH (e:Employee {id: 'E1044'}) SET e.language = 'ja-JP'")
    env.callback(env.fake.text_message("E1044", "hello", msg_id=9_000_019))
    replies = wait_for(
        lambda: [s for s in env.fake.messages_to("E1044", "text") if "ご用件" in s.body["content"]]
    )
    assert "知庫" in replies[0].body["content"]
