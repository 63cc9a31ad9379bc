"""WeCom ↔ Zhiku: callbacks in (messages, card taps, approval-app changes), answers and cards out.

A callback is verified, decrypted, de-duplicated and acknowledged at once (WeCom retries after
5 s, three times); the work — asking the chatbot, acting on an approval — happens in a background
task, and results go back through ``message/send`` / ``update_template_card``. De-duplication keys:
``MsgId`` for messages; ``TaskId`` + ``EventKey`` + sender + ``ResponseCode`` for card taps;
sender + ``CreateTime`` + event for other events; kept in Redis for a day. Approval-app changes are
not de-duplicated (their mirror is idempotent).

Approval events from the engine become notifications by the rules in ``wecom/rules.yaml`` (a
button card for the approvers now pending, text for the applicant...). Every push is recorded in
Redis for 7 days under the event and the recipient, so the same event never reaches someone twice.
A message WeCom would not take (down, rate limited past the retries) goes to a dead-letter list
with the reason, for :meth:`replay_failed`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio
import yaml

from approvals.attachments import open_path
from approvals.engine import ApprovalEngine, ApprovalEvent
from approvals.rules import Instance, attachments
from chat.dialog import DialogEngine, Reply
from chat.language import profile_language
from graph.base import GraphStore
from queries import load as load_query
from wecom.client import WeComClient, WeComError
from wecom.crypto import WeComCrypto, parse_xml
from wecom.oa import WeComOA
from wecom.subscribe import Outcome, SubscribeSender
from wecom.wechat_mp import WeChatMPClient
from zhiku.access import load_principal
from zhiku.errors import NotFoundError, ZhikuError
from zhiku.i18n import DEFAULT, N_, translate, using
from zhiku.i18n import tr as _
from zhiku.settings import Settings

log = logging.getLogger(__name__)

RULES_FILE = Path(__file__).with_name("rules.yaml")
DEDUP_TTL_S = 24 * 3600
PUSH_TTL_S = 7 * 24 * 3600
DEAD_LETTERS = "zhiku:wecom:dead"
#: Chat session ids of conversations held in WeCom (the app's messages and the intelligent robot).
WECOM_SESSIONS = ("wecom:", "aibot:")


@dataclass(frozen=True, slots=True)
class Rule:
    event: str  # e.g. approval.pending
    to: str  # recipients | role:NAME | all
    # card | text | markdown | mp_template (WeChat official account) | mp_subscribe (mini-program)
    message: str
    template: str  # str.format with the event's fields; for mp_template / mp_subscribe: the template id
    data: dict[str, str] = field(default_factory=dict)  # mp_*: keyword → str.format text
    page: str = ""  # mp_*: the mini-program page it opens (str.format)


def employee_of(store: GraphStore, userid: str) -> str:
    """The employee a WeCom member is; :class:`NotFoundError` when none."""
    rows = store.query(load_query("wecom_employee").text, {"userid": userid})
    if not rows:
        raise NotFoundError(f"企业微信成员 {userid} 没有对应的员工", f"no employee for WeCom user {userid}")
    return str(rows[0]["id"])


def load_rules(path: Path = RULES_FILE) -> list[Rule]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        Rule(
            r["event"],
            r.get("to", "recipients"),
            r.get("message", "text"),
            r.get("template", "{summary}"),
            {str(k): str(v) for k, v in (r.get("data") or {}).items()},
            str(r.get("page") or ""),
        )
        for r in data
    ]


#: The reasons a card offers for 驳回 (a rejection needs a comment; a card cannot carry free text).
REJECT_REASONS = {
    "papers": N_("材料或票据不全，请补充后重新提交"),
    "amount": N_("金额或预算不符"),
    "policy": N_("不符合公司制度"),
    "talk": N_("请与我沟通后重新提交"),
}
REJECT_QUESTION = "reject_reason"
#: What a tap on 驳回 or 退回 without a chosen reason is told (the card stays as it is).
REASON_NEEDED = {
    "reject": N_("驳回需要说明原因：请先在卡片的“驳回原因”中选择一项再点驳回，或在知库中填写驳回意见。"),
    "return": N_("退回需要说明原因：请先在卡片的“驳回原因”中选择一项再点退回，或在知库中填写退回意见。"),
}
#: The notices of the shipped rules (rules.yaml), so the catalogue translates them.
NOTICES = (
    N_("您的申请有进展：{summary}"),
    N_("✅ 审批通过：{summary}"),
    N_("❌ 审批被驳回：{summary}"),
    N_("申请已撤回，无需再审批：{summary}"),
    N_("您的工单有更新：{summary}"),
    N_("**制度更新**：{summary}"),
    N_("系统维护通知：{summary}"),
)


def approval_card(
    inst: Instance, task_id: str, language: str = DEFAULT, base_url: str = ""
) -> dict[str, Any]:
    """The button card an approver taps (同意 / 退回 / 驳回; 驳回 and 退回 — back to the applicant for
    changes — take the reason chosen in the card's selection, since both need a comment), its fixed
    texts in ``language``. A step that reached the approver as someone's 代理 says for whom. Attachments
    are links to ``base_url`` + ``/attachment/{id}``, the console page that signs in and downloads (no secret
    in the link)."""

    def t(message: str, **params: object) -> str:
        return translate(message, language, **params)

    step = inst.current
    rows: list[dict[str, Any]] = [
        {"keyname": t(N_("申请人")), "value": inst.applicant_name},
        {"keyname": t(N_("流程")), "value": inst.process_name},
        {"keyname": t(N_("当前步骤")), "value": f"{step.name}（{step.mode}）" if step else ""},
    ]
    behalf = sorted({p.on_behalf_of for p in step.approvers if p.on_behalf_of}) if step else []
    if behalf:
        rows.append(
            {
                "keyname": t(N_("代理")),
                "value": t(N_("代 {names} 审批"), names="、".join(inst.name_of(b) for b in behalf)),
            }
        )
    if inst.amount is not None:
        rows.append({"keyname": t(N_("金额")), "value": t(N_("{amount}元"), amount=format(inst.amount, "g"))})
    if inst.days is not None:
        rows.append({"keyname": t(N_("天数")), "value": t(N_("{days}天"), days=format(inst.days, "g"))})
    for a in attachments(inst)[: max(0, 6 - len(rows))]:  # a card shows six rows at most
        rows.append({"keyname": t(N_("附件")), "value": a.name, "type": 1, "url": base_url + open_path(a.id)})
    return {
        "card_type": "button_interaction",
        "source": {"desc": t(N_("知库审批"))},
        "main_title": {"title": inst.name, "desc": (inst.reason or "")[:60]},
        "horizontal_content_list": rows[:6],
        "task_id": task_id,
        "button_selection": {
            "question_key": REJECT_QUESTION,
            "title": t(N_("驳回原因")),
            "option_list": [{"id": k, "text": t(v)} for k, v in REJECT_REASONS.items()],
        },
        "button_list": [
            {"text": t(N_("驳回")), "style": 2, "key": "reject"},
            {"text": t(N_("退回修改")), "style": 2, "key": "return"},
            {"text": t(N_("同意")), "style": 1, "key": "approve"},
        ],
    }


def task_id_for(inst: Instance) -> str:
    """A card's task id: unique per instance, step and version (WeCom refuses a reused one)."""
    return f"{inst.id}-s{inst.step_index}-v{inst.version}"


class WeComService:
    """The WeCom layer of one deployment."""

    def __init__(
        self,
        settings: Settings,
        store: GraphStore,
        kv: redis.asyncio.Redis,
        client: WeComClient,
        *,
        dialog: DialogEngine | None,
        engine: ApprovalEngine | None,
        rules: list[Rule] | None = None,
        oa: WeComOA | None = None,
        mp: WeChatMPClient | None = None,
        subscribe: SubscribeSender | None = None,
    ) -> None:
        self.oa = oa
        self.mp = mp  # the WeChat official account, for mp_template rules
        self.subscribe = subscribe  # the mini-program's subscribe messages, for mp_subscribe rules
        self.settings = settings
        self.store = store
        self.kv = kv
        self.client = client
        self.dialog = dialog
        self.engine = engine
        self.rules = rules if rules is not None else load_rules()
        self.crypto = WeComCrypto(
            settings.wecom_token.get_secret_value(),
            settings.wecom_aes_key.get_secret_value(),
            settings.wecom_corp_id,
            max_skew_s=settings.wecom_timestamp_skew_s,
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._replays: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.handled = 0  # callbacks fully processed (for tests and the bench)
        self.duplicates = 0  # retried callbacks recognised and ignored
        # Answers are CPU work in threads; a few at a time keeps the event loop (and so the callback
        # acknowledgement, due within WeCom's 5 s) responsive when many questions arrive at once.
        self._answering = asyncio.Semaphore(settings.wecom_answer_concurrency)

    # -- lifecycle ------------------------------------------------------------------------------

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Approval events may come from worker threads; they are handed to this loop."""
        self._loop = loop

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Wait for background work (tests, shutdown)."""
        deadline = time.monotonic() + timeout_s
        while self._tasks and time.monotonic() < deadline:
            await asyncio.wait(list(self._tasks), timeout=max(deadline - time.monotonic(), 0.01))

    async def close(self, timeout_s: float = 5.0) -> None:
        """Shutdown: stop replaying, let running work finish for ``timeout_s``, cancel the rest (before
        the store connections they use are closed), close the API client."""
        self._loop = None  # approval events from now on are not pushed from this process
        if self._replays is not None:
            self._replays.cancel()
        await self.drain(timeout_s)
        leftovers = list(self._tasks) + ([self._replays] if self._replays is not None else [])
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        await self.client.aclose()
        if self.mp is not None:
            await self.mp.aclose()
        if self.subscribe is not None:
            await self.subscribe.client.aclose()

    def start_replays(self, every_s: float = 30.0) -> None:
        """Retry failed deliveries every ``every_s`` seconds until :meth:`close`."""
        self._replays = asyncio.get_running_loop().create_task(self.replay_forever(every_s))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- identity -------------------------------------------------------------------------------

    def employee_of(self, userid: str) -> str:
        return employee_of(self.store, userid)

    def userids_of(self, employees: list[str]) -> dict[str, str]:
        """employee id → WeCom userid, for the employees that exist."""
        rows = self.store.query(load_query("wecom_userids").text, {"ids": employees})
        return {str(r["id"]): str(r["userid"]) for r in rows}

    # -- callbacks ------------------------------------------------------------------------------

    async def accept(self, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> str:
        """Verify, decrypt and schedule one callback. No I/O before the acknowledgement: the
        de-duplication (a shared store, busy with graph queries at times) happens in the background."""
        xml = self.crypto.decrypt_message(body, msg_signature, timestamp, nonce)
        msg = parse_xml(xml)
        self._spawn(self._process_once(msg, self._dedup_key(msg)))
        return "accepted"

    async def _process_once(self, msg: dict[str, str], key: str) -> None:
        # An approval-app change is never skipped: two decisions in one second carry the same SpNo,
        # SpStatus and CreateTime, and the mirror (WeComOA.sync) is idempotent — it fetches the detail
        # and writes only what changed — so a redelivered callback costs a fetch, not a double write.
        if key.startswith("sp:"):
            await self._process(msg, key)
            return
        if not await self.kv.set(f"zhiku:wecom:seen:{key}", "1", nx=True, ex=DEDUP_TTL_S):
            log.info("duplicate WeCom callback %s ignored", key)
            self.duplicates += 1
            return
        await self._process(msg, key)

    @staticmethod
    def _dedup_key(msg: dict[str, str]) -> str:
        if msg.get("MsgId"):
            return f"msg:{msg['MsgId']}"
        if msg.get("Event") == "template_card_event":
            # each tap has its own ResponseCode (a retried callback repeats it): a second tap after
            # choosing a 驳回原因 is a new event, a redelivered one is not
            tap = (msg.get("TaskId"), msg.get("EventKey"), msg.get("FromUserName"), msg.get("ResponseCode"))
            return "card:" + ":".join(str(x) for x in tap)
        if msg.get("Event") == "sys_approval_change":
            sp = f"{msg.get('ApprovalInfo.SpNo')}:{msg.get('ApprovalInfo.SpStatus')}"
            return f"sp:{sp}:{msg.get('CreateTime')}"
        return f"event:{msg.get('FromUserName')}:{msg.get('CreateTime')}:{msg.get('Event')}"

    async def _process(self, msg: dict[str, str], key: str) -> None:
        try:
            kind = msg.get("MsgType")
            if kind == "text":
                await self.on_text(msg["FromUserName"], msg.get("Content", ""))
            elif kind == "event" and msg.get("Event") == "template_card_event":
                await self.on_card(msg["FromUserName"], msg.get("TaskId", ""), msg.get("EventKey", ""),
                                   msg.get("ResponseCode", ""),
                                   msg.get("SelectedItems.OptionId", ""))  # fmt: skip
            elif kind == "event" and msg.get("Event") == "sys_approval_change":
                sp_no = msg.get("ApprovalInfo.SpNo", "")
                log.info("WeCom approval %s changed", sp_no)
                if self.oa is not None and sp_no:
                    await self.oa.sync(sp_no)
            else:
                log.info("WeCom %s/%s ignored", kind, msg.get("Event"))
        except Exception as exc:  # logged with the key; the callback was acknowledged already
            log.exception("WeCom callback %s failed", key)
            await self._dead_letter({"callback": key, "error": str(exc), "msg": msg})
        finally:
            self.handled += 1

    async def on_text(self, userid: str, content: str) -> None:
        if self.dialog is None:
            return
        async with self._answering:  # graph and model work off the event loop, bounded
            text = await asyncio.to_thread(self._answer, userid, content)
        await self._send_text([userid], text)

    def _answer(self, userid: str, content: str) -> str:
        assert self.dialog is not None
        try:
            employee = self.employee_of(userid)
        except NotFoundError:
            return translate(N_("抱歉，没有找到您的员工信息，请联系管理员开通知库权限。"), DEFAULT)
        who = load_principal(self.store, employee)
        # the member's profile language (from the directory) when set, else the message's own
        reply = self.dialog.handle(f"wecom:{employee}", who, content, profile_language(self.store, employee))
        with using(reply.language):
            return render_reply(reply)

    async def on_card(
        self, userid: str, task_id: str, event_key: str, response_code: str, option: str = ""
    ) -> None:
        record = await self.kv.get(f"zhiku:wecom:card:{task_id}")
        if self.engine is None or not record:
            log.warning("tap on unknown or expired card %s", task_id)
            await self._send_text(
                [userid], translate(N_("该审批卡片已失效，请在知库中查看最新状态。"), DEFAULT)
            )
            return
        card = json.loads(record)
        kind = event_key if event_key in ("approve", "reject", "return") else ""
        employee = await asyncio.to_thread(self.employee_of, userid)
        language = await asyncio.to_thread(profile_language, self.store, employee) or DEFAULT
        reason = REJECT_REASONS.get(option, "") if kind in ("reject", "return") else ""
        if kind in ("reject", "return") and not reason:  # the card stays: choose a reason and tap again
            message = REASON_NEEDED[kind]
            await self._send_text(
                [userid],
                translate(message, language),
            )
            return
        try:
            result = await asyncio.to_thread(
                self.engine.act,
                card["instance"],
                kind,
                actor=employee,
                step=int(card["step"]),
                key=f"card:{task_id}:{employee}",
                channel="wecom_card",
                comment=reason,
            )
        except ZhikuError as exc:  # not an approver, closed instance...: tell the person who tapped
            log.warning("card tap by %s on %s refused: %s", userid, task_id, exc.one_line())
            await self._update_card([userid], response_code, translate(N_("无法操作"), language))
            await self._send_text([userid], exc.message_in(language))
            return
        inst = result.instance
        if result.applied:
            decision = {"approve": N_("已同意"), "reject": N_("已驳回"), "return": N_("已退回修改")}[kind]
            mine = translate(decision, language)
            step_done = inst.step_index != int(card["step"]) or inst.status != "pending"
            others = [u for u in card["userids"] if u != userid]
            # this person's card shows their decision; the others' cards close when the step is done
            await self._update_card([userid], response_code, mine)
            if step_done and others and card.get("response_code"):
                await self._update_card(
                    others, card["response_code"], f"{inst.name_of(employee)}{translate(decision, DEFAULT)}"
                )
        else:
            await self._update_card([userid], response_code, translate(N_("已处理"), language))
            await self._send_text([userid], result.message)

    async def _update_card(self, userids: list[str], response_code: str, label: str) -> None:
        if not response_code:
            return
        try:
            await self.client.update_card(userids, response_code, replace_name=label)
        except WeComError as exc:  # 42014: the code was used already — the card shows a decision
            log.info("card update skipped: %s", exc.one_line())

    # -- notifications --------------------------------------------------------------------------

    def on_approval_event(self, event: ApprovalEvent) -> None:
        """The engine's listener (any thread): hand the event to the event loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(lambda: self._spawn(self.notify("approval." + event.kind, event.as_dict())))

    async def on_ticket_event(self, event: dict[str, Any]) -> None:
        """An agent's reply to, or closure of, a ticket raised in WeCom goes back through WeCom
        (``ticket.updated`` rule; the push record, keyed by the stream event id, sends it once even
        when several API processes follow the stream)."""
        if event.get("kind") not in ("agent_message", "ticket_closed"):
            return
        if not str(event.get("session") or "").startswith(WECOM_SESSIONS):
            return  # the web/mini-program chat socket delivers those
        text = str(event.get("text") or "")
        summary = f"客服{event.get('agent_name') or ''}：{text}" if event["kind"] == "agent_message" else text
        fields = {"recipients": [event["employee"]], "summary": summary, "id": event["id"], "at": event["at"]}
        await self.notify("ticket.updated", fields)

    async def notify(self, event: str, fields: dict[str, Any]) -> int:
        """Apply the rules for ``event``; returns how many messages were sent."""
        sent = 0
        for rule in self.rules:
            if rule.event != event:
                continue
            if rule.message == "mp_template":
                sent += await self._notify_mp(rule, event, fields)
                continue
            if rule.message == "mp_subscribe":
                sent += await self._notify_subscribe(rule, event, fields)
                continue
            recipients = await asyncio.to_thread(self._recipients, rule, fields)
            known = await asyncio.to_thread(self.userids_of, recipients)
            userids = []
            subject = f"{event}:{fields.get('instance_id', fields.get('id', ''))}:{fields.get('at', '')}"
            employees = {}
            for employee, userid in known.items():
                record = f"zhiku:wecom:push:{subject}:{employee}"
                if await self.kv.set(record, rule.message, nx=True, ex=PUSH_TTL_S):
                    userids.append(userid)
                    employees[userid] = employee
            if not userids:
                continue
            if rule.message == "card" and self.engine is not None:
                inst = await asyncio.to_thread(self.engine.get, fields["instance_id"])
                await self._send_card(userids, inst)
            else:
                # each recipient reads the notice in their profile's language (a template of the
                # shipped rules is in the catalogue; a company's own template stays as written)
                groups: dict[str, list[str]] = {}
                for userid in userids:
                    language = await asyncio.to_thread(profile_language, self.store, employees[userid])
                    groups.setdefault(language or DEFAULT, []).append(userid)
                for language, group in groups.items():
                    text = translate(rule.template, language).format(**fields)
                    await self._send_text(group, text, markdown=rule.message == "markdown")
            sent += len(userids)
        return sent

    async def _notify_mp(self, rule: Rule, event: str, fields: dict[str, Any]) -> int:
        """A template message on the official account to each recipient who has an openid."""
        if self.mp is None:
            return 0  # no official account configured: the rule does not apply
        recipients = await asyncio.to_thread(self._recipients, rule, fields)
        rows = await asyncio.to_thread(
            self.store.query, load_query("wechat_openids").text, {"ids": recipients}
        )
        data = {key: text.format(**fields) for key, text in rule.data.items()}
        page = rule.page.format(**fields)
        subject = f"{event}:{fields.get('instance_id', fields.get('id', ''))}:{fields.get('at', '')}"
        sent = 0
        for row in rows:
            if not await self.kv.set(f"zhiku:wechat:push:{subject}:{row['id']}", "1", nx=True, ex=PUSH_TTL_S):
                continue  # pushed before (another process, or a replay)
            try:
                await self.mp.send_template(str(row["openid"]), rule.template, data, page=page)
                sent += 1
            except ZhikuError as exc:
                await self._dead_letter(
                    {"mp": rule.template, "openid": row["openid"], "data": data, "page": page,
                     "error": exc.one_line()}
                )  # fmt: skip
        return sent

    async def _notify_subscribe(self, rule: Rule, event: str, fields: dict[str, Any]) -> int:
        """A subscribe message to each recipient who consented to the rule's template
        (:mod:`wecom.subscribe`); refusals are recorded there and never retried."""
        if self.subscribe is None:
            return 0  # the mini-program's subscribe messages are not configured
        recipients = await asyncio.to_thread(self._recipients, rule, fields)
        data = {key: text.format(**fields) for key, text in rule.data.items()}
        page = rule.page.format(**fields)
        subject = f"{event}:{fields.get('instance_id', fields.get('id', ''))}:{fields.get('at', '')}"
        sent = 0
        for employee in recipients:
            if not await self.kv.set(f"zhiku:mp:push:{subject}:{employee}", "1", nx=True, ex=PUSH_TTL_S):
                continue  # pushed before (another process, or a replay)
            try:
                outcome = await self.subscribe.send(employee, rule.template, data, page=page)
            except ZhikuError as exc:
                await self._dead_letter(
                    {"sub": rule.template, "employee": employee, "data": data, "page": page,
                     "error": exc.one_line()}
                )  # fmt: skip
                continue
            sent += outcome is Outcome.SENT
        return sent

    def _recipients(self, rule: Rule, fields: dict[str, Any]) -> list[str]:
        if rule.to == "recipients":
            return [str(r) for r in fields.get("recipients", [])]
        role = rule.to.removeprefix("role:") if rule.to.startswith("role:") else None
        rows = self.store.query(load_query("employees_with_role").text, {"role": role})
        return [str(r["id"]) for r in rows]

    async def _send_card(self, userids: list[str], inst: Instance) -> None:
        task_id = task_id_for(inst)
        try:
            code = await self.client.send_card(
                userids, approval_card(inst, task_id, base_url=self.settings.public_base_url)
            )
        except (WeComError, ZhikuError) as exc:
            item = {"card": task_id, "instance": inst.id, "step": inst.step_index, "to": userids}
            await self._dead_letter({**item, "error": exc.one_line()})
            return
        await self._remember_card(task_id, inst, userids, code)

    async def _remember_card(self, task_id: str, inst: Instance, userids: list[str], code: str) -> None:
        record = {"instance": inst.id, "step": inst.step_index, "userids": userids, "response_code": code}
        await self.kv.set(
            f"zhiku:wecom:card:{task_id}", json.dumps(record), ex=self.settings.wecom_card_code_ttl_s
        )

    async def _send_text(self, userids: list[str], text: str, *, markdown: bool = False) -> None:
        try:
            await self.client.send_text(userids, text, markdown=markdown)
        except ZhikuError as exc:
            await self._dead_letter(
                {"text": text, "to": userids, "markdown": markdown, "error": exc.one_line()}
            )

    async def _dead_letter(self, item: dict[str, Any]) -> None:
        log.error("WeCom delivery failed, kept for replay: %s", item.get("error"))
        item["at"] = time.time()
        await self.kv.rpush(DEAD_LETTERS, json.dumps(item, ensure_ascii=False, default=str))

    async def replay_failed(self) -> int:
        """Re-send what WeCom did not take: texts as they were, cards if their step still waits for
        those approvers (a decided step's card is dropped). Returns how many went; what fails again
        stays for the next round."""
        done = 0
        for _round in range(await self.kv.llen(DEAD_LETTERS)):
            raw: Any = await self.kv.lpop(DEAD_LETTERS)
            if raw is None:
                break
            item = json.loads(raw)
            try:
                if "text" in item:
                    await self.client.send_text(
                        item["to"], item["text"], markdown=item.get("markdown", False)
                    )
                elif "card" in item and self.engine is not None:
                    inst = await asyncio.to_thread(self.engine.get, item["instance"])
                    if inst.status != "pending" or inst.step_index != item["step"]:
                        continue
                    code = await self.client.send_card(
                        item["to"], approval_card(inst, item["card"], base_url=self.settings.public_base_url)
                    )
                    await self._remember_card(item["card"], inst, item["to"], code)
                elif "mp" in item and self.mp is not None:
                    await self.mp.send_template(item["openid"], item["mp"], item["data"], page=item["page"])
                elif "sub" in item and self.subscribe is not None:
                    await self.subscribe.send(item["employee"], item["sub"], item["data"], page=item["page"])
                else:
                    continue
                done += 1
            except (WeComError, ZhikuError):
                await self.kv.rpush(DEAD_LETTERS, raw)
        if done:
            log.info("WeCom: %d failed deliveries sent on replay", done)
        return done

    async def replay_forever(self, every_s: float = 30.0) -> None:
        """The API runs this: deliveries that failed while WeCom was unreachable go out once it is back."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.replay_failed()
            except Exception:  # the store may be away too; try again next round
                log.exception("WeCom replay round failed")


def render_reply(reply: Reply) -> str:
    """The chatbot's reply as a WeCom text message: the answer, its sources, follow-ups."""
    lines = [reply.text]
    if reply.citations:
        lines.append("")
        lines.append(_("来源："))
        for i, c in enumerate(reply.citations, 1):
            lines.append(f"[{i}] {c.title}" + (f" · {c.section}" if c.section else ""))
            if c.uri.startswith(("http://", "https://")):  # a deep link the phone can open
                lines.append(f"    {c.uri}")
    if reply.follow_ups:
        lines.append("")
        lines.append(_("您可能还想问：") + "；".join(reply.follow_ups[:3]))
    return "\n".join(lines)
