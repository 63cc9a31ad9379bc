"""A fake WeCom server for tests and local demos: the API endpoints Zhiku calls, with WeCom's real
error codes, and the other direction — signed, encrypted callbacks posted to Zhiku.

It speaks the protocol (token expiry, single-use OAuth codes and card response codes, task-id
rules, 或签/会签 approvals in the OA app), keeps what it was sent for assertions, and can be told
to fail (``fail_next``) or to go down (``down``). Run it with ``zhiku wecom fake`` for a demo.
The directory (通讯录: ``department/list``, ``user/list_id`` with its cursor, ``user/get``,
``user/list``) serves a :class:`Directory`, e.g. :func:`generate_directory`'s; ``directory_denied``
answers every directory call with 60011 or 48009 (a token without directory permission).
The WeChat side beside it: the official account's template messages, and the mini-program's
``/sns/jscode2session`` and ``subscribe/send`` (consent per template via :meth:`FakeWeCom.user_consents`;
43101 without it, 47003 for data that does not fit the template, 40001/42001 for a bad or expired token).

Example::

    fake = FakeWeCom(corp_id="ww-zhiku-demo", secret="s", token="t", aes_key=KEY, users={"E1040"})
    with running(fake.app) as base:
        ...
        await fake.post_callback(f"{zhiku}/wecom/callback", fake.text_message("E1040", "年假怎么请"))
"""

from __future__ import annotations

import itertools
import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from wecom.crypto import WeComCrypto, to_xml

TASK_ID = re.compile(r"^[A-Za-z0-9_\-@]{1,128}$")


@dataclass
class Directory:
    """A corp's 通讯录 as WeCom returns it: department dicts (``id``, ``name``, ``parentid``,
    ``department_leader``, ``order``) and member dicts (``user/get``'s fields)."""

    departments: list[dict[str, Any]]
    users: list[dict[str, Any]]


_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红梅文博思琪晓燕佳雪凯浩凡斌"
_UNITS = ("研发", "产品", "市场", "销售", "财务", "人力", "行政", "法务", "客服", "运维", "数据", "设计",
          "采购", "质量", "安全", "培训")  # fmt: skip
_TEAMS = ("一组", "二组", "三组", "中心", "部", "室", "项目组", "平台组")
_TITLES = ("工程师", "高级工程师", "产品经理", "专员", "主管", "经理", "分析师", "设计师", "顾问", "助理")


def generate_directory(members: int = 300, departments: int = 30, *, seed: int = 7,
                       corp_name: str = "云杉科技") -> Directory:  # fmt: skip
    """A realistic directory: nested departments under the corp's root (id 1), one or two leaders each,
    members with positions, some in several departments, some with an explicit ``direct_leader``, a
    few disabled (status 2). Deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    depts: list[dict[str, Any]] = [
        {"id": 1, "name": corp_name, "name_en": "Yunshan", "parentid": 0, "order": 100000000,
         "department_leader": []}
    ]  # fmt: skip
    names: set[tuple[int, str]] = set()
    for i in range(2, departments + 2):
        parent = 1 if i < 8 else rng.choice(depts[: max(2, len(depts))])["id"]
        name = f"{rng.choice(_UNITS)}{rng.choice(_TEAMS)}"
        while (parent, name) in names:
            name = f"{rng.choice(_UNITS)}{rng.choice(_TEAMS)}{rng.randint(2, 99)}"
        names.add((parent, name))
        depts.append({"id": i, "name": name, "name_en": "", "parentid": parent, "order": 1000 * i,
                      "department_leader": []})  # fmt: skip
    users: list[dict[str, Any]] = []
    member_of: dict[int, list[str]] = {d["id"]: [] for d in depts}
    for n in range(members):
        userid = f"u{n + 1:05d}"
        main = depts[1 + n % departments]["id"] if n < departments else rng.choice(depts[1:])["id"]
        extra = [rng.choice(depts[1:])["id"]] if rng.random() < 0.08 else []
        dept_ids = [main, *(d for d in extra if d != main)]
        rng.shuffle(dept_ids)
        member_of[main].append(userid)
        for d in dept_ids:
            if d != main:
                member_of[d].append(userid)
        users.append({
            "userid": userid,
            "name": rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2))),
            "department": dept_ids,
            "main_department": main,
            "order": [0] * len(dept_ids),
            "position": rng.choice(_TITLES),
            "mobile": f"13{rng.randint(100000000, 999999999)}",
            "email": f"{userid}@yunshan.example",
            "is_leader_in_dept": [0] * len(dept_ids),
            "direct_leader": [],
            "status": 2 if rng.random() < 0.01 else 1,
            "gender": str(rng.randint(1, 2)),
        })  # fmt: skip
    by_id = {u["userid"]: u for u in users}
    for d in depts[1:]:
        people = [u for u in member_of[d["id"]] if by_id[u]["main_department"] == d["id"]]
        if not people:
            continue
        leaders = people[: 2 if len(people) > 8 and rng.random() < 0.2 else 1]
        d["department_leader"] = leaders
        for leader in leaders:
            user = by_id[leader]
            user["is_leader_in_dept"][user["department"].index(d["id"])] = 1
            user["position"] = "负责人" if d["parentid"] == 1 else "主管"
        for u in people:
            if u not in leaders and rng.random() < 0.3:
                by_id[u]["direct_leader"] = [leaders[0]]
    depts[0]["department_leader"] = [by_id[depts[1]["department_leader"][0]]["userid"]] if (
        depts[1]["department_leader"]) else []  # fmt: skip
    return Directory(depts, users)


@dataclass
class Sent:
    touser: list[str]
    msgtype: str
    body: dict[str, Any]
    response_code: str = ""
    at: float = field(default_factory=time.time)


def _t(text: str) -> list[dict[str, str]]:
    return [{"text": text, "lang": "zh_CN"}]


def _control(kind: str, cid: str, title: str, require: int = 0, **config: Any) -> dict[str, Any]:
    prop: dict[str, Any] = {"control": kind, "id": f"{kind}-{cid}", "title": _t(title), "placeholder": _t("")}
    prop |= {"require": require, "un_print": 0}
    return {"property": prop, "config": config}


def _options(*texts: str) -> list[dict[str, Any]]:
    return [{"key": f"option-{1700000000 + i}", "value": _t(t)} for i, t in enumerate(texts)]


def sample_oa_templates() -> dict[str, dict[str, Any]]:
    """Three templates in ``oa/gettemplatedetail``'s documented format (template_names and
    template_content.controls; no approval flow — WeCom configures that in the admin console):
    expenses (money, dates, a selector, a detail table, attachments, a tip), leave (the Vacation
    control, a contact) and seal use (multi-select, number, related approval, date range, and a
    Formula control Zhiku has no field type for)."""
    expense = [
        _control("Tips", "1700000001", "说明"),
        _control("Money", "1700000002", "报销金额", 1),
        _control("Date", "1700000003", "发生日期", 1, date={"type": "day"}),
        _control("Selector", "1700000004", "费用类型", 1, selector={
            "type": "single", "exp_type": 0, "options": _options("差旅费", "业务招待费", "办公用品")}),
        _control("Textarea", "1700000005", "报销事由", 1),
        _control("Table", "1700000006", "费用明细", 0, table={"children": [
            _control("Text", "1700000007", "项目"), _control("Money", "1700000008", "金额")]}),
        _control("File", "1700000009", "发票及附件", 1),
    ]  # fmt: skip
    tip = {"type": 1, "content": {"plain_text": {"content": "单笔超过 5000 元需附预算说明"}}}
    expense[0]["config"] = {"tips": {"tips_content": [{"text": {"sub_text": [tip]}, "lang": "zh_CN"}]}}
    leave = [
        _control("Vacation", "1700000101", "请假类型", 1, vacation_list={"item": [
            {"id": 1, "name": _t("年假")}, {"id": 2, "name": _t("事假")}, {"id": 3, "name": _t("病假")}]}),
        _control("Textarea", "1700000102", "请假事由", 1),
        _control("Contact", "1700000103", "工作交接人", 0, contact={"type": "single", "mode": "user"}),
    ]  # fmt: skip
    seal = [
        _control("Selector", "1700000201", "印章类型", 1, selector={
            "type": "multi", "exp_type": 0, "options": _options("公章", "合同专用章", "财务章")}),
        _control("Number", "1700000202", "用印份数", 1),
        _control("DateRange", "1700000203", "外借期间", 0, date_range={"type": "halfday"}),
        _control("RelatedApproval", "1700000204", "关联合同审批", 0),
        _control("Formula", "1700000205", "合计金额", 0, formula={"value": "Money-1700000002"}),
        _control("Contact", "1700000206", "用印部门", 1, contact={"type": "single", "mode": "department"}),
    ]  # fmt: skip
    return {
        "3TkZjxgZcYQJ3YjhTE6Vq8vPTtgWUhG7SgYvZVr8a": {
            "template_names": [*_t("费用报销"), {"text": "Expense claim", "lang": "en"}],
            "template_content": {"controls": expense},
        },
        "C4UE6BHtFGtZ6RWCDZGo9dWZ5D5QUNckaDBbCAbJQ": {
            "template_names": _t("请假"),
            "template_content": {"controls": leave},
        },
        "1910324946027731_1688852032423522_1808577376_15111111111": {  # an older, numeric template id
            "template_names": _t("用印申请"),
            "template_content": {"controls": seal},
        },
    }


class FakeWeCom:
    """State and endpoints of one fake corp with one app."""

    def __init__(
        self,
        *,
        corp_id: str,
        secret: str,
        token: str,
        aes_key: str,
        agent_id: int = 1000002,
        users: set[str] | None = None,
        token_ttl_s: int = 7200,
        mp_app_id: str = "wx-zhiku-mp",
        mp_secret: str = "mp-secret",  # noqa: S107 - the fake's own test credential
        mini_app_id: str = "wx-zhiku-mini",
        mini_secret: str = "mini-secret",  # noqa: S107 - the fake's own test credential
    ) -> None:
        self.corp_id = corp_id
        # The mini-program (subscribe messages): its credentials, tokens, users' openids and consents.
        self.mini_app_id = mini_app_id
        self.mini_secret = mini_secret
        self.mini_tokens: dict[str, float] = {}
        self.mini_codes: dict[str, str] = {}  # wx.login code → openid (single use)
        self.subscribe_templates: dict[str, dict[str, str]] = {
            # template id → keyword → kind (thing: at most 20 characters; phrase: at most 5)
            "TMPL-approval-todo": {"thing1": "thing", "thing2": "thing", "time3": "time"},
            "TMPL-approval-result": {"thing1": "thing", "phrase2": "phrase", "thing3": "thing"},
        }
        self.subscribe_quota: dict[tuple[str, str], int] = {}  # (openid, template) → sends allowed
        # The WeChat official account beside it (template messages): its own credentials and tokens.
        self.mp_app_id = mp_app_id
        self.mp_secret = mp_secret
        self.mp_tokens: dict[str, float] = {}
        self.templates: dict[str, list[str]] = {"TM-approval": ["first", "keyword1", "keyword2", "remark"]}
        self.secret = secret
        self.agent_id = agent_id
        self.users = users  # None: everyone exists
        self.token_ttl_s = token_ttl_s
        self.crypto = WeComCrypto(token, aes_key, corp_id)
        self.tokens: dict[str, float] = {}  # token → expiry
        self.tokens_issued = 0
        self.sent: list[Sent] = []
        self.on_sent: list[Callable[[Sent], None]] = []  # called (on the fake's thread) per message
        self.card_updates: list[dict[str, Any]] = []
        self.response_codes: dict[str, bool] = {}  # code → used
        self.task_ids: set[str] = set()
        self.oauth_codes: dict[str, str] = {}  # code → userid (single use)
        self.js_codes: dict[str, str] = {}
        self.approvals: dict[str, dict[str, Any]] = {}
        self.fail_next: dict[str, list[int]] = {}  # path → errcodes to answer with, in order
        self.down = False
        self.down_for = 0  # the next N API calls answer 503 (a transient outage), then it recovers
        self.directory: Directory | None = None
        self.directory_denied: int | None = None  # 60011 / 48009 for every directory call
        self.directory_calls: dict[str, int] = {}
        self.oa_templates: dict[str, dict[str, Any]] = sample_oa_templates()  # template id → detail
        self._lock = threading.Lock()
        self._sp = itertools.count(202611240001)
        self._msg = itertools.count(7_000_000_000_000_000_001)
        self.app = self._build()

    # -- test helpers ---------------------------------------------------------------------------

    def issue_oauth_code(self, userid: str) -> str:
        code = secrets.token_urlsafe(16)
        self.oauth_codes[code] = userid
        return code

    def issue_js_code(self, userid: str) -> str:
        code = secrets.token_urlsafe(16)
        self.js_codes[code] = userid
        return code

    def expire_tokens(self) -> None:
        self.tokens = {t: 0.0 for t in self.tokens}
        self.mini_tokens = {t: 0.0 for t in self.mini_tokens}

    def issue_mini_code(self, openid: str) -> str:
        """A ``wx.login`` code of the mini-program user ``openid``."""
        code = secrets.token_urlsafe(16)
        self.mini_codes[code] = openid
        return code

    def user_consents(self, openid: str, template_id: str, times: int = 1) -> None:
        """The user tapped 允许 in ``wx.requestSubscribeMessage`` (WeChat's side of the consent)."""
        key = (openid, template_id)
        self.subscribe_quota[key] = self.subscribe_quota.get(key, 0) + times

    def messages_to(self, userid: str, msgtype: str | None = None) -> list[Sent]:
        return [s for s in self.sent if userid in s.touser and (msgtype is None or s.msgtype == msgtype)]

    def text_message(self, from_user: str, content: str, *, msg_id: int | None = None) -> str:
        return to_xml(
            {
                "ToUserName": self.corp_id,
                "FromUserName": from_user,
                "CreateTime": int(time.time()),
                "MsgType": "text",
                "Content": content,
                "MsgId": msg_id or next(self._msg),
                "AgentID": self.agent_id,
            }
        )

    def card_click(self, from_user: str, task_id: str, event_key: str, *, option: str | None = None) -> str:
        """A tap on a card's button; ``option``: what was chosen in its ``button_selection`` first."""
        code = secrets.token_hex(16)
        self.response_codes[code] = False
        xml = to_xml(
            {
                "ToUserName": self.corp_id,
                "FromUserName": from_user,
                "CreateTime": int(time.time()),
                "MsgType": "event",
                "Event": "template_card_event",
                "EventKey": event_key,
                "TaskId": task_id,
                "CardType": "button_interaction",
                "ResponseCode": code,
                "AgentID": self.agent_id,
            }
        )
        if option is None:
            return xml
        selected = (
            "<SelectedItems><SelectedItem><QuestionKey>reject_reason</QuestionKey>"
            f"<OptionIds><OptionId>{option}</OptionId></OptionIds></SelectedItem></SelectedItems>"
        )
        return xml.replace("</xml>", selected + "</xml>")

    def approval_change(self, sp_no: str) -> str:
        info = self.approvals[sp_no]
        return (
            f"<xml><ToUserName>{self.corp_id}</ToUserName><FromUserName>sys</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>event</MsgType>"
            f"<Event>sys_approval_change</Event><AgentID>{self.agent_id}</AgentID>"
            f"<ApprovalInfo><SpNo>{sp_no}</SpNo><SpStatus>{info['sp_status']}</SpStatus>"
            f"<TemplateId>{info['template_id']}</TemplateId></ApprovalInfo></xml>"
        )

    def decide_in_oa(self, sp_no: str, userid: str, approve: bool) -> int:
        """An approver acts in WeCom's own approval UI; returns the new sp_status."""
        info = self.approvals[sp_no]
        for node in info["sp_record"]:
            if node["sp_status"] != 1:
                continue
            for d in node["details"]:
                if d["approver"]["userid"] == userid:
                    d["sp_status"] = 2 if approve else 3
            statuses = [d["sp_status"] for d in node["details"]]
            if not approve:
                node["sp_status"] = 3
            elif (node["approverattr"] == 1 and 2 in statuses) or all(s == 2 for s in statuses):
                node["sp_status"] = 2
            break
        nodes = [n["sp_status"] for n in info["sp_record"]]
        info["sp_status"] = 3 if 3 in nodes else 2 if all(s == 2 for s in nodes) else 1
        return int(info["sp_status"])

    async def post_callback(
        self,
        url: str,
        inner_xml: str,
        *,
        timestamp: str | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """POST an encrypted, signed callback to Zhiku as WeCom does (on ``http`` if given: a new
        client costs tens of milliseconds, mostly its TLS context)."""
        envelope = self.crypto.encrypt_message(inner_xml, timestamp=timestamp)
        from wecom.crypto import parse_xml

        fields = parse_xml(envelope)
        params = {
            "msg_signature": fields["MsgSignature"],
            "timestamp": fields["TimeStamp"],
            "nonce": fields["Nonce"],
        }
        body = to_xml({"ToUserName": self.corp_id, "AgentID": self.agent_id, "Encrypt": fields["Encrypt"]})
        if http is not None:
            return await http.post(url, params=params, content=body.encode())
        async with httpx.AsyncClient(timeout=10) as own:
            return await own.post(url, params=params, content=body.encode())

    # -- the API --------------------------------------------------------------------------------

    def _err(self, errcode: int, errmsg: str) -> JSONResponse:
        return JSONResponse({"errcode": errcode, "errmsg": errmsg})

    def _check(
        self, request: Request, path: str, tokens: dict[str, float] | None = None
    ) -> JSONResponse | None:
        if self.down or self.down_for > 0:
            self.down_for = max(0, self.down_for - 1)
            return JSONResponse({"errcode": -1, "errmsg": "system busy"}, status_code=503)
        injected = self.fail_next.get(path)
        if injected:
            return self._err(injected.pop(0), "injected by the test")
        token = request.query_params.get("access_token", "")
        expiry = (self.tokens if tokens is None else tokens).get(token)
        if expiry is None:
            return self._err(40014, "invalid access_token")
        if expiry < time.time():
            return self._err(42001, "access_token expired")
        return None

    def _known(self, users: list[str]) -> list[str]:
        return users if self.users is None else [u for u in users if u in self.users]

    def _build(self) -> FastAPI:
        app = FastAPI(title="fake WeCom")
        ok = {"errcode": 0, "errmsg": "ok"}

        @app.get("/cgi-bin/gettoken")
        def gettoken(corpid: str = "", corpsecret: str = "") -> JSONResponse:
            if self.down:
                return JSONResponse({"errcode": -1, "errmsg": "system busy"}, status_code=503)
            injected = self.fail_next.get("/cgi-bin/gettoken")
            if injected:
                return self._err(injected.pop(0), "injected by the test")
            if corpid != self.corp_id:
                return self._err(40013, "invalid corpid")
            if corpsecret != self.secret:
                return self._err(40001, "invalid credential")
            with self._lock:
                token = secrets.token_urlsafe(32)
                self.tokens = {token: time.time() + self.token_ttl_s}  # a new token invalidates the old
                self.tokens_issued += 1
            return JSONResponse({**ok, "access_token": token, "expires_in": self.token_ttl_s})

        @app.post("/cgi-bin/message/send")
        async def send(request: Request) -> JSONResponse:
            if (bad := self._check(request, "/cgi-bin/message/send")) is not None:
                return bad
            body = await request.json()
            if body.get("agentid") != self.agent_id:
                return self._err(40056, "invalid agentid")
            users = [u for u in str(body.get("touser", "")).split("|") if u]
            known = self._known(users)
            if not known:
                return self._err(81013, "user & party & tag all invalid")
            msgtype = body.get("msgtype", "")
            content = body.get(msgtype) or {}
            if msgtype == "text" and len(content.get("content", "").encode()) > 2048:
                return self._err(44004, "content size out of limit")
            code = ""
            if msgtype == "template_card":
                task_id = content.get("task_id", "")
                if not TASK_ID.match(task_id) or task_id in self.task_ids:
                    return self._err(40056, "invalid or duplicate task_id")
                self.task_ids.add(task_id)
                code = secrets.token_hex(16)
                self.response_codes[code] = False
            sent = Sent(known, msgtype, content, code)
            self.sent.append(sent)
            for listener in self.on_sent:
                listener(sent)
            reply: dict[str, Any] = {**ok, "msgid": str(next(self._msg))}
            if code:
                reply["response_code"] = code
            if len(known) < len(users):
                reply["invaliduser"] = "|".join(u for u in users if u not in known)
            return JSONResponse(reply)

        @app.get("/cgi-bin/token")  # the official account's token (api.weixin.qq.com)
        def mp_token(grant_type: str = "", appid: str = "", secret: str = "") -> JSONResponse:
            if self.down:
                return JSONResponse({"errcode": -1, "errmsg": "system busy"}, status_code=503)
            if grant_type != "client_credential":
                return self._err(40002, "invalid grant_type")
            if appid == self.mini_app_id:  # the mini-program's token (same endpoint)
                if secret != self.mini_secret:
                    return self._err(40125, "invalid appsecret")
                with self._lock:
                    token = secrets.token_urlsafe(32)
                    self.mini_tokens = {token: time.time() + self.token_ttl_s}
                return JSONResponse({"access_token": token, "expires_in": self.token_ttl_s})
            if appid != self.mp_app_id:
                return self._err(40013, "invalid appid")
            if secret != self.mp_secret:
                return self._err(40125, "invalid appsecret")
            with self._lock:
                token = secrets.token_urlsafe(32)
                self.mp_tokens = {token: time.time() + self.token_ttl_s}
            return JSONResponse({"access_token": token, "expires_in": self.token_ttl_s})

        @app.post("/cgi-bin/message/template/send")
        async def template_send(request: Request) -> JSONResponse:
            if (bad := self._check(request, "/cgi-bin/message/template/send", self.mp_tokens)) is not None:
                return bad
            body = await request.json()
            keys = self.templates.get(body.get("template_id", ""))
            if keys is None:
                return self._err(40037, "invalid template_id")
            if not str(body.get("touser", "")).startswith("o"):
                return self._err(40003, "invalid openid")
            data = body.get("data") or {}
            if any(k not in keys or not isinstance(v, dict) or "value" not in v for k, v in data.items()):
                return self._err(47001, "data format error")
            sent = Sent([body["touser"]], "mp_template", body)
            self.sent.append(sent)
            for listener in self.on_sent:
                listener(sent)
            return JSONResponse({**ok, "msgid": int(next(self._msg))})

        @app.get("/sns/jscode2session")  # the mini-program's wx.login code → openid
        def sns_jscode2session(
            appid: str = "", secret: str = "", js_code: str = "", grant_type: str = ""
        ) -> JSONResponse:
            if self.down:
                return JSONResponse({"errcode": -1, "errmsg": "system busy"}, status_code=503)
            if appid != self.mini_app_id or secret != self.mini_secret:
                return self._err(40125, "invalid appsecret")
            if grant_type != "authorization_code":
                return self._err(40002, "invalid grant_type")
            openid = self.mini_codes.pop(js_code, None)
            if openid is None:
                return self._err(40029, "invalid code")
            return JSONResponse({"openid": openid, "session_key": secrets.token_hex(12)})

        @app.post("/cgi-bin/message/subscribe/send")  # subscribeMessage.send
        async def subscribe_send(request: Request) -> JSONResponse:
            if self.down:
                return JSONResponse({"errcode": -1, "errmsg": "system busy"}, status_code=503)
            injected = self.fail_next.get("/cgi-bin/message/subscribe/send")
            if injected:
                return self._err(injected.pop(0), "injected by the test")
            expiry = self.mini_tokens.get(request.query_params.get("access_token", ""))
            if expiry is None:
                return self._err(40001, "invalid credential, access_token is invalid or not latest")
            if expiry < time.time():
                return self._err(42001, "access_token expired")
            body = await request.json()
            keywords = self.subscribe_templates.get(body.get("template_id", ""))
            if keywords is None:
                return self._err(40037, "invalid template_id")
            openid = str(body.get("touser", ""))
            if not openid.startswith("o"):
                return self._err(40003, "invalid openid")
            data = body.get("data") or {}
            limits = {"thing": 20, "phrase": 5, "time": 32}
            for key, value in data.items():
                kind = keywords.get(key)
                text = value.get("value") if isinstance(value, dict) else None
                if kind is None or not isinstance(text, str) or len(text) > limits[kind]:
                    return self._err(47003, f"argument invalid! data.{key}.value invalid")
            with self._lock:
                key = (openid, body["template_id"])
                if self.subscribe_quota.get(key, 0) <= 0:
                    return self._err(43101, "user refuse to accept the msg")
                self.subscribe_quota[key] -= 1
            sent = Sent([openid], "subscribe", body)
            self.sent.append(sent)
            for listener in self.on_sent:
                listener(sent)
            return JSONResponse({**ok, "msgid": int(next(self._msg))})

        @app.post("/cgi-bin/message/update_template_card")
        async def update_card(request: Request) -> JSONResponse:
            if (bad := self._check(request, "/cgi-bin/message/update_template_card")) is not None:
                return bad
            body = await request.json()
            code = body.get("response_code", "")
            with self._lock:
                if self.response_codes.get(code) is not False:
                    return self._err(42014, "response_code used or invalid")
                self.response_codes[code] = True
            self.card_updates.append(body)
            return JSONResponse(ok)

        @app.get("/cgi-bin/auth/getuserinfo")
        def getuserinfo(request: Request, code: str = "") -> JSONResponse:
            if (bad := self._check(request, "/cgi-bin/auth/getuserinfo")) is not None:
                return bad
            userid = self.oauth_codes.pop(code, None)
            if userid is None:
                return self._err(40029, "invalid code")
            return JSONResponse({**ok, "userid": userid, "user_ticket": secrets.token_hex(8)})

        @app.get("/cgi-bin/miniprogram/jscode2session")
        def jscode2session(request: Request, js_code: str = "") -> JSONResponse:
            if (bad := self._check(request, "/cgi-bin/miniprogram/jscode2session")) is not None:
                return bad
            userid = self.js_codes.pop(js_code, None)
            if userid is None:
                return self._err(40029, "invalid code")
            return JSONResponse(
                {**ok, "corpid": self.corp_id, "userid": userid, "session_key": secrets.token_hex(12)}
            )

        def directory_check(request: Request, path: str) -> JSONResponse | None:
            if (bad := self._check(request, path)) is not None:
                return bad
            with self._lock:
                self.directory_calls[path] = self.directory_calls.get(path, 0) + 1
            if self.directory_denied == 48009:
                return self._err(48009, "api forbidden for contact assistant")
            if self.directory_denied is not None:
                return self._err(self.directory_denied, "no privilege to access/modify contact/party/agent")
            return None

        def directory() -> Directory:
            return self.directory or Directory([], [])

        @app.get("/cgi-bin/department/list")
        def department_list(request: Request, id: int | None = None) -> JSONResponse:
            if (bad := directory_check(request, "/cgi-bin/department/list")) is not None:
                return bad
            depts = directory().departments
            if id is not None:
                under = {id}
                for d in depts:  # parents come before their children in a generated directory
                    if d["parentid"] in under:
                        under.add(d["id"])
                depts = [d for d in depts if d["id"] in under]
            return JSONResponse({**ok, "department": depts})

        @app.post("/cgi-bin/user/list_id")
        async def user_list_id(request: Request) -> JSONResponse:
            if (bad := directory_check(request, "/cgi-bin/user/list_id")) is not None:
                return bad
            body = await request.json()
            limit = int(body.get("limit") or 1000)
            if not 1 <= limit <= 10000:
                return self._err(40058, "limit must be 1..10000")
            pairs = [
                {"userid": u["userid"], "department": d} for u in directory().users for d in u["department"]
            ]
            cursor = body.get("cursor") or ""
            start = int(cursor) if cursor.isdigit() else 0
            page = pairs[start : start + limit]
            following = str(start + limit) if start + limit < len(pairs) else ""
            return JSONResponse({**ok, "next_cursor": following, "dept_user": page})

        @app.get("/cgi-bin/user/get")
        def user_get(request: Request, userid: str = "") -> JSONResponse:
            if (bad := directory_check(request, "/cgi-bin/user/get")) is not None:
                return bad
            user = next((u for u in directory().users if u["userid"] == userid), None)
            if user is None:
                return self._err(60111, "userid not found")
            return JSONResponse({**ok, **user})

        @app.get("/cgi-bin/user/list")
        def user_list(request: Request, department_id: int = 0) -> JSONResponse:
            if (bad := directory_check(request, "/cgi-bin/user/list")) is not None:
                return bad
            if not any(d["id"] == department_id for d in directory().departments):
                return self._err(60003, "department not found")
            users = [u for u in directory().users if department_id in u["department"]]
            return JSONResponse({**ok, "userlist": users})

        @app.post("/cgi-bin/oa/applyevent")
        async def applyevent(request: Request) -> JSONResponse:
            if (bad := self._check(request, "/cgi-bin/oa/applyevent")) is not None:
                return bad
            body = await request.json()
            nodes = body.get("approver") or []
            if not nodes or any(n.get("attr") not in (1, 2) or not n.get("userid") for n in nodes):
                return self._err(301025, "invalid approver")
            sp_no = str(next(self._sp))
            self.approvals[sp_no] = {
                "sp_no": sp_no,
                "sp_name": body.get("template_id", ""),
                "template_id": body.get("template_id", ""),
                "sp_status": 1,
                "applyer": {"userid": body.get("creator_userid", "")},
                "apply_data": body.get("apply_data", {}),
                "sp_record": [
                    {
                        "sp_status": 1,
                        "approverattr": n["attr"],
                        "details": [{"approver": {"userid": u}, "sp_status": 1} for u in n["userid"]],
                    }
                    for n in nodes
                ],
            }
            return JSONResponse({**ok, "sp_no": sp_no})

        @app.post("/cgi-bin/oa/gettemplatedetail")
        async def template_detail(request: Request) -> JSONResponse:
            if (bad := self._check(request, "/cgi-bin/oa/gettemplatedetail")) is not None:
                return bad
            body = await request.json()
            detail = self.oa_templates.get(str(body.get("template_id", "")))
            if detail is None:
                return self._err(40058, "invalid template_id")
            return JSONResponse({**ok, **detail})

        @app.post("/cgi-bin/oa/getapprovaldetail")
        async def detail(request: Request) -> JSONResponse:
            if (bad := self._check(request, "/cgi-bin/oa/getapprovaldetail")) is not None:
                return bad
            body = await request.json()
            info = self.approvals.get(str(body.get("sp_no")))
            if info is None:
                return self._err(301055, "sp_no not found")
            return JSONResponse({**ok, "info": info})

        return app


class FakeAiBot:
    """The intelligent robot's long-connection server side (WeCom's ``openws``), on loopback.

    Speaks the SDK's frames: ``aibot_subscribe`` (checks bot id and secret), ``ping`` acks,
    ``aibot_msg_callback`` pushes, and ``aibot_respond_msg`` replies, each acknowledged. ``drop()``
    closes every connection (the SDK must reconnect).

    Example::

        async with FakeAiBot("bot-1", "s") as bot:      # bot.url is ws://127.0.0.1:PORT
            await bot.push_text("E1030", "年假怎么请")
    """

    def __init__(self, bot_id: str, secret: str) -> None:
        self.bot_id = bot_id
        self.secret = secret
        self.replies: list[dict[str, Any]] = []
        self.pings = 0
        self.subscriptions = 0
        self._conns: set[Any] = set()
        self._server: Any = None
        self.url = ""
        self._msg = itertools.count(1)

    async def __aenter__(self) -> FakeAiBot:
        from websockets.asyncio.server import serve

        self._server = await serve(self._handle, "127.0.0.1", 0)
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, ws: Any) -> None:
        import json

        async for raw in ws:
            frame = json.loads(raw)
            cmd = frame.get("cmd")
            req_id = frame.get("headers", {}).get("req_id", "")
            if cmd == "aibot_subscribe":
                body = frame.get("body", {})
                ok = body.get("bot_id") == self.bot_id and body.get("secret") == self.secret
                await ws.send(json.dumps({"headers": {"req_id": req_id}, "errcode": 0 if ok else 40001,
                                          "errmsg": "ok" if ok else "invalid bot secret"}))  # fmt: skip
                if ok:
                    self.subscriptions += 1
                    self._conns.add(ws)
            elif cmd == "ping":
                self.pings += 1
                await ws.send(json.dumps({"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok"}))
            elif cmd in ("aibot_respond_msg", "aibot_send_msg", "aibot_respond_update_msg"):
                self.replies.append(frame)
                await ws.send(json.dumps({"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok"}))
        self._conns.discard(ws)

    @property
    def connected(self) -> int:
        return len(self._conns)

    async def push_text(
        self, userid: str, content: str, *, chatid: str = "", msgid: str | None = None
    ) -> str:
        """Deliver a user's message to the connected bot; returns the callback's req_id."""
        import json

        req_id = f"aibot_msg_callback_{next(self._msg)}"
        body = {
            "msgid": msgid or secrets.token_hex(8),
            "aibotid": self.bot_id,
            "chatid": chatid,
            "chattype": "group" if chatid else "single",
            "from": {"userid": userid},
            "msgtype": "text",
            "text": {"content": content},
        }
        frame = {"cmd": "aibot_msg_callback", "headers": {"req_id": req_id}, "body": body}
        for ws in list(self._conns):
            await ws.send(json.dumps(frame, ensure_ascii=False))
        return req_id

    async def drop(self) -> None:
        for ws in list(self._conns):
            await ws.close()
        self._conns.clear()

    def replies_to(self, req_id: str) -> list[dict[str, Any]]:
        return [r for r in self.replies if r.get("headers", {}).get("req_id") == req_id]
