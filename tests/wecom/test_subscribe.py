"""Mini-program subscribe messages (订阅消息) against the fake WeChat server on loopback: consent per
template, 43101 recorded and not retried, 47003 not retried, 40001/42001 refreshed and retried once,
WeChat down → consent given back; then the whole path through a real Zhiku: the app records consent
(GraphQL), an approval waits for the approver → one message; it is decided → one to the applicant."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis.asyncio

from api.app import create_app
from api.auth import issue_token
from wecom.client import WeComError, WeComUnavailable
from wecom.fake import FakeWeCom
from wecom.subscribe import MiniProgramClient, Outcome, SubscribeConsents, SubscribeSender
from zhiku.loopback import running
from zhiku.settings import Settings

CORP = "ww-zhiku-sub"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")
TODO, RESULT = "TMPL-approval-todo", "TMPL-approval-result"
GOOD = {"thing1": "罗斌的费用报销", "thing2": "直属上级审批", "time3": "2026-12-01 20:00"}


def wait_for(check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _fake() -> FakeWeCom:
    return FakeWeCom(corp_id=CORP, secret="app-secret", token="t", aes_key=AES_KEY)


def test_consent_refusals_bad_data_and_token_errors(demo_graph: Any) -> None:
    fake = _fake()
    employee = f"E-sub-{secrets.token_hex(3)}"  # this test's own keys in the shared Redis
    openid = f"o-{employee}"

    async def scenario(base: str) -> None:
        kv = redis.asyncio.Redis.from_url(demo_graph.kv_url, decode_responses=True)
        client = MiniProgramClient(fake.mini_app_id, fake.mini_secret, kv, base_url=base)
        consents = SubscribeConsents(kv)
        sender = SubscribeSender(client, consents)
        try:
            await kv.delete(client._token_key)
            # the app: the user allowed the to-do template and refused the result one
            found = await client.openid_of(fake.issue_mini_code(openid))
            recorded = await consents.record(employee, {TODO: "accept", RESULT: "reject"}, openid=found)
            assert [(c.template_id, c.accepted, c.remaining) for c in recorded] == [
                (TODO, True, 1),
                (RESULT, False, 0),
            ]
            fake.user_consents(openid, TODO)  # WeChat's side of the same tap
            assert (
                await sender.send(employee, TODO, GOOD, page="pages/approval/detail?id=AP-1") is Outcome.SENT
            )
            sent = fake.messages_to(openid, "subscribe")
            assert len(sent) == 1 and sent[0].body["page"] == "pages/approval/detail?id=AP-1"
            assert sent[0].body["data"]["thing1"] == {"value": "罗斌的费用报销"}
            # one message per consent; the refused template is never sent
            assert await sender.send(employee, TODO, GOOD) is Outcome.NO_CONSENT
            assert await sender.send(employee, RESULT, GOOD) is Outcome.NO_CONSENT
            assert len(fake.messages_to(openid, "subscribe")) == 1

            # the app says accepted but WeChat has no consent: 43101 → recorded as refused, not retried
            await consents.record(employee, {TODO: "accept"})
            assert await sender.send(employee, TODO, GOOD) is Outcome.REFUSED
            state = await consents.state(employee, TODO)
            assert state.refused and state.remaining == 0
            await consents.record(employee, {TODO: "accept"})  # ...until the user allows it again
            assert not (await consents.state(employee, TODO)).refused

            # 47003: data that does not fit the template (thing: ≤ 20 characters) — not retried
            fake.user_consents(openid, TODO)
            too_long = {**GOOD, "thing1": "长" * 25}
            assert await sender.send(employee, TODO, too_long) is Outcome.BAD_DATA
            assert len(fake.messages_to(openid, "subscribe")) == 1

            # 42001 (expired) and 40001 (invalid): one refresh and one retry each
            await consents.record(employee, {TODO: "accept"})
            fake.expire_tokens()
            before = await kv.get(client._token_key)
            assert await sender.send(employee, TODO, GOOD) is Outcome.SENT
            assert await kv.get(client._token_key) != before
            await consents.record(employee, {TODO: "accept"})
            fake.user_consents(openid, TODO)
            fake.fail_next["/cgi-bin/message/subscribe/send"] = [40001]
            assert await sender.send(employee, TODO, GOOD) is Outcome.SENT
            assert len(fake.messages_to(openid, "subscribe")) == 3

            # WeChat unreachable: an error for the caller to keep, and the consent is not used up
            await consents.record(employee, {TODO: "accept"})
            fake.down = True
            with pytest.raises(WeComUnavailable):
                await sender.send(employee, TODO, GOOD)
            assert (await consents.state(employee, TODO)).remaining == 1
            fake.down = False

            with pytest.raises(WeComError) as used:  # a wx.login code is single-use
                code = fake.issue_mini_code(openid)
                await client.openid_of(code)
                await client.openid_of(code)
            assert used.value.errcode == 40029
        finally:
            fake.down = False
            for key in await kv.keys(f"zhiku:mp:*:{employee}*"):
                await kv.delete(key)
            await client.aclose()
            await kv.aclose()

    with running(fake.app) as base:
        asyncio.run(scenario(base))


# -- the whole path through a real Zhiku --------------------------------------------------------------


@dataclass
class Env:
    fake: FakeWeCom
    base: str
    settings: Settings

    def graphql(self, employee: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        r = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {issue_token(self.settings, employee)}"},
            timeout=30,
        )
        body: dict[str, Any] = r.json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture(scope="module")
def env(module_demo_copy: Any) -> Iterator[Env]:
    store, search = module_demo_copy
    fake = _fake()
    with running(fake.app) as fake_base:
        settings = Settings(
            data_dir=search.directory.parent,
            wecom_corp_id=CORP,
            wecom_agent_id=fake.agent_id,
            wecom_secret="app-secret",  # type: ignore[arg-type]
            wecom_token="t",  # type: ignore[arg-type]
            wecom_aes_key=AES_KEY,  # type: ignore[arg-type]
            wecom_api_base=fake_base,
            wechat_miniprogram_app_id=fake.mini_app_id,
            wechat_miniprogram_secret=fake.mini_secret,  # type: ignore[arg-type]
            wechat_api_base=fake_base,
        )
        with running(create_app(settings, store=store, search=search)) as base:
            yield Env(fake, base, settings)


CONSENT = """mutation($choices: [SubscribeChoice!]!, $code: String) {
  recordSubscribeConsent(choices: $choices, code: $code) { templateId accepted remaining refused } }"""
SUBMIT = """mutation($k: String) { submitApproval(process: "请假审批", days: 2, reason: "家中有事", idempotencyKey: $k) {
  instance { id pendingWith } } }"""
ACT = """mutation($id: ID!, $a: ApprovalAction!, $c: String!) { actOnApproval(id: $id, action: $a, comment: $c) {
  instance { status } } }"""


def test_the_app_records_consent_and_messages_follow_the_approval(env: Env) -> None:
    templates = env.graphql("E1031", "{ subscribeTemplates { templateId purpose } }")["subscribeTemplates"]
    assert {(t["templateId"], t["purpose"]) for t in templates} == {(TODO, "todo"), (RESULT, "result")}
    # the approver (E1030, E1031's manager) allows reminders of approvals waiting for them
    code = env.fake.issue_mini_code("o-E1030")
    env.fake.user_consents("o-E1030", TODO)
    got = env.graphql(
        "E1030", CONSENT, {"choices": [{"templateId": TODO, "decision": "accept"}], "code": code}
    )
    assert got["recordSubscribeConsent"] == [
        {"templateId": TODO, "accepted": True, "remaining": 1, "refused": False}
    ]
    # the applicant allows results, refuses reminders
    env.fake.user_consents("o-E1031", RESULT)
    choices = [{"templateId": RESULT, "decision": "accept"}, {"templateId": TODO, "decision": "reject"}]
    env.graphql("E1031", CONSENT, {"choices": choices, "code": env.fake.issue_mini_code("o-E1031")})

    inst = env.graphql("E1031", SUBMIT, {"k": f"sub-{secrets.token_hex(4)}"})["submitApproval"]["instance"]
    assert inst["pendingWith"] == ["E1030"]
    todo = wait_for(lambda: env.fake.messages_to("o-E1030", "subscribe"))
    assert todo[0].body["template_id"] == TODO
    assert todo[0].body["page"] == f"pages/approval/detail?id={inst['id']}"
    assert all(len(v["value"]) <= 20 for v in todo[0].body["data"].values())  # fits the template

    env.graphql("E1030", ACT, {"id": inst["id"], "a": "REJECT", "c": "请补充请假证明"})
    result = wait_for(lambda: env.fake.messages_to("o-E1031", "subscribe"))
    assert result[0].body["template_id"] == RESULT and result[0].body["data"]["phrase2"] == {
        "value": "已驳回"
    }
    time.sleep(0.3)
    assert len(env.fake.messages_to("o-E1030", "subscribe")) == 1  # once each
    assert len(env.fake.messages_to("o-E1031", "subscribe")) == 1

    notices = env.graphql("E1031", "{ myNotifications(first: 5) { kind instanceId status } }")[
        "myNotifications"
    ]
    assert notices[0] == {"kind": "rejected", "instanceId": inst["id"], "status": "rejected"}


def test_consent_needs_known_templates_and_my_tickets_are_mine(env: Env) -> None:
    r = httpx.post(
        f"{env.base}/graphql",
        json={"query": CONSENT, "variables": {"choices": [{"templateId": "TMPL-x", "decision": "accept"}]}},
        headers={"Authorization": f"Bearer {issue_token(env.settings, 'E1031')}"},
    )
    error = r.json()["errors"][0]
    assert "TMPL-x" in error["message"] and error["extensions"]["code"]
    mine = env.graphql("E1031", "{ myTickets { id employeeId } }")["myTickets"]
    assert all(t["employeeId"] == "E1031" for t in mine)
