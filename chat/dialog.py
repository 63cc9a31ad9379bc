"""The dialog engine: one reply per message, with per-session state.

Each message is classified (:mod:`chat.intents`), its slots filled from the gazetteer's entities
and the rules' values (amounts, durations), then routed:

* questions about policies, procedures, attendance, seals, IT, supplies, onboarding, benefits,
  people → a cited answer from retrieval (:mod:`chat.answer`), or an honest "I don't know" with the
  offer of a human;
* 谁来审批 → the concrete approval chain from the graph for the caller (amount/days slots; the
  process from the message or from the previous turn);
* 转人工 → a ticket with the conversation and what the bot found (hand-off); until an agent closes
  it, the employee's further messages go to the ticket (:mod:`chat.desk`) instead of the bot;
* 提交工单 → a confirmation first, then a service ticket;
* 请假 / 报销 / 提交审批 → the concrete approval chain and a confirmation, then an instance in the
  approvals engine, for every process the graph defines ("我要请3天年假": the leave type names the
  process); when no process is named, the bot asks which, listing the graph's processes;
* 问候/感谢, 闲聊, 不明确 → a short reply or a clarifying question.

Follow-ups keep the topic and substitute any slot: after "年假怎么请？", "那病假呢？" is understood as
"病假怎么请？"; after a hotel question naming 北京, "那去成都呢？" asks it for 成都; an entity (leave
type, process, department, person…), a place, an amount or a number of days in the follow-up replaces
the one of its kind in the previous question. Approval-chain answers cite the process definition and
the policy that sets its thresholds. Sessions expire after ``ttl_s`` of silence.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from circuitbreaker import CircuitBreaker, CircuitBreakerError

from approvals.attachments import open_path
from approvals.chain import resolve_chain
from approvals.engine import ApprovalEngine
from approvals.labels import chain_labels
from approvals.rules import Instance, attachments
from chat.answer import PINYIN, Answer, Citation, compose_answer
from chat.chain_sources import chain_citations
from chat.desk import TICKET_STATUS_ZH, TicketDesk
from chat.intents import LANGUAGE_DATA, UNCLEAR, IntentModel
from chat.language import NLU_LANGUAGES, Spoken, spoken
from chat.language import reply_language as reply_language_for
from chat.links import AnswerLinks
from chat.outbox import Outbox
from chat.questions import QuestionLog
from chat.rewrite import AnswerRewriter
from chat.sentiment import THRESHOLD as FRUSTRATED
from chat.sentiment import SentimentModel
from chat.sessions import Expired, MemorySessions, Pending, Session, SessionStore
from chat.tickets import open_ticket, ticket_params
from graph.base import GraphStore
from lang.gazetteer import MENTION_TYPES
from lang.places import named_places, places
from lang.text import has_content, well_formed
from lang.values import find_values, foreign_amount, foreign_days, parse_amount
from queries import load as load_query
from search.service import SearchService
from zhiku.access import Principal
from zhiku.errors import GraphUnavailable, NotFoundError, ZhikuError
from zhiku.i18n import DEFAULT, N_, current, everywhere, using
from zhiku.i18n import tr as _

MAX_MESSAGE_CHARS = 500
#: A hand-off ticket's title when the employee asked nothing before asking for a person; otherwise
#: the title is their question (at most ``TITLE_CHARS``), so the agents' queue says what it is about.
GENERIC_HANDOFF_TITLE = "员工要求转人工"
TITLE_CHARS = 60
#: Frustration this high on an unanswered message hands the conversation to a human at once.
STRONGLY_FRUSTRATED = 0.75
SESSION_TTL_S = 1800.0
RETRIEVAL_INTENTS = {
    "查询政策",
    "办事流程",
    "考勤",
    "合同盖章",
    "IT支持",
    "办公用品",
    "入职离职",
    "福利",
    "找人找部门",
}
APPLICATION_INTENTS = {"请假申请", "报销申请", "提交审批"}
#: Below this the classifier's first choice is not trusted on its own: retrieval decides.
MIN_INTENT_CONFIDENCE = 0.25
QUESTION = re.compile(
    r"怎么|如何|多久|多长|什么|吗|哪|几|能否|可以.*[吗么]|[？?]"
    r"|^(how|what|when|where|which|why|is|are|does|do|can)\b|ますか|方法|どう|いつ|どこ|何",
    re.I,
)
YES = re.compile(r"^(是|是的|好|好的|确认|确定|对|可以|行|嗯|ok|yes)[。!！~]*$", re.I)
NO = re.compile(r"^(不|不要|不用|取消|算了|否|no)[。!！~]*$", re.I)
YES_ANY = {"yes", "y", "ok", "okay", "sure", "はい", "ええ", "네", "예", "ja", "oui", "sì", "si", "sim", "да"}
NO_ANY = {"no", "nope", "いいえ", "아니요", "nein", "non", "nee", "não", "nao", "нет", "キャンセル"}
FOLLOW_UP = re.compile(r"^(那|那么|那如果|如果是|换成)?(?P<rest>.{1,12}?)(呢|怎么样|如何)?[？?]?$")
#: English follow-ups ("What about sick leave?", "And for 20,000 yuan?"): carried over as 那…呢 is.
FOLLOW_UP_EN = re.compile(
    r"^(?:(?:and\s+)?(?:what|how)\s+about|and)\s+(?:for\s+)?(?P<rest>.{1,40}?)\s*[?？]?$", re.I
)
PROCESS_FOR_TYPE = {"LeaveType": "PROC-LEAVE"}
#: An unanswered message this short, after an answer, is asked again about that answer's topic.
SHORT_FOLLOW_UP = 8
#: How each mode reads in an answer (docs/approvals.md); a step's mode is as resolved (approvals.chain).
MODE_NOTE = {"会签": N_("（会签：每个角色各一人同意）"), "或签": N_("（或签：任一人同意即可）"), "依次": ""}


def is_follow_up(text: str) -> bool:
    """ "那病假呢？" or "What about sick leave?": a short message that keeps the last question's topic."""
    return (len(text) <= 16 and bool(FOLLOW_UP.match(text))) or bool(FOLLOW_UP_EN.match(text.strip()))


#: What a reply may say to reach a person, confirm or cancel, in any of the ten languages (the prompts
#: name the word in the asker's language; a reply in any language is understood).
HUMAN = N_("转人工")
UNSUPPORTED_NOTE = N_("（您使用的语言暂不支持，以下用英文回答。）")
YES_WORD = N_("确认")
NO_WORD = N_("取消")
THANKS = ("谢", "感谢", "辛苦", "thank", "thx", "ありがと", "感謝", "고마", "감사", "danke", "merci",
          "grazie", "bedankt", "dank je", "dank u", "obrigad", "спасибо", "謝")  # fmt: skip


def is_yes(text: str) -> bool:
    return bool(YES.match(text)) or text.strip(" 。.!！~").casefold() in everywhere(YES_WORD) | YES_ANY


def is_no(text: str) -> bool:
    return bool(NO.match(text)) or text.strip(" 。.!！~").casefold() in everywhere(NO_WORD) | NO_ANY


def wants_human(text: str) -> bool:
    """“转人工” said in any of the ten languages (what the fallback replies ask for)."""
    return text.strip(" 。.!！~").casefold() in everywhere(HUMAN)


def confirm_prompt() -> str:
    return _("确认提交吗？（回复“{yes}”或“{no}”）", yes=_(YES_WORD), no=_(NO_WORD))


def _ticket_line(row: dict[str, str]) -> str:
    status = TICKET_STATUS_ZH.get(row["status"])
    return f"{row['id']}：{row['title']}（{_(status) if status else row['status']}）"


#: Words of processes' English names that name no process on their own.
_GENERIC_PROCESS_WORDS = {"approval", "request", "company", "business", "office", "and", "with"}


#: Mention type → graph label (Person → Employee; for Role the later label, ApproverRole, wins).
LABEL_OF_MENTION = {mention: label for label, mention in MENTION_TYPES.items()}
#: Words that make a bare number in a message an amount of money.
MONEY_WORDS = ("元", "块", "万", "千", "报销", "借", "采购", "claim", "expense", "reimburs", "purchase",
               "精算", "経費", "購買", "円")  # fmt: skip
_KANA_OR_LATIN_ONLY = re.compile(r"[\u3040-\u30ff]|^[^\u4e00-\u9fff]*$")


def amount_and_days(text: str, *, bare_numbers: bool = False) -> tuple[float | None, float | None]:
    """The first amount (元) and the first duration (days) in a message. A number the rules do not
    type (两万五, 20000多) counts as an amount when a money word is present — or always, with
    ``bare_numbers``, where the conversation is already about amounts."""
    amount = days = None
    for value in find_values(text, "chat"):
        if not isinstance(value.value, int | float):
            continue
        if value.type == "Amount" and amount is None:
            amount = float(value.value)
        elif value.type == "Duration" and days is None:
            days = float(value.value)
    if _KANA_OR_LATIN_ONLY.search(text):  # English and Japanese write amounts and days their own way
        amount = amount if amount is not None else foreign_amount(text)
        days = days if days is not None else foreign_days(text)
    if amount is None and days is None:
        parsed = parse_amount(text)
        if parsed is not None and (bare_numbers or any(w in text for w in MONEY_WORDS)):
            amount = parsed
    return amount, days


@dataclass(slots=True)
class Reply:
    session_id: str
    type: str  # answer | clarify | confirm | handoff | action | greeting | smalltalk | cancelled
    text: str
    intent: str
    confidence: float = 0.0
    citations: list[Citation] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    ticket_id: str | None = None
    entities: list[tuple[str, str]] = field(default_factory=list)
    notice: str = ""  # e.g. the session had expired
    frustration: float = 0.0  # 0–1, from chat.sentiment
    language: str = DEFAULT  # the language the reply is in (zhiku.i18n)
    answer_id: str = ""  # the knowledge-base answer's own id (chat.answer), which feedback names


class DialogEngine:
    def __init__(
        self,
        store: GraphStore,
        search: SearchService,
        intents: IntentModel | None = None,
        *,
        sentiment: SentimentModel | None = None,
        outbox: Outbox | None = None,
        ttl_s: float = SESSION_TTL_S,
        approvals: ApprovalEngine | None = None,
        desk: TicketDesk | None = None,
        rewriter: AnswerRewriter | None = None,
        sessions: SessionStore | None = None,
        questions: QuestionLog | None = None,
        links: AnswerLinks | None = None,
    ) -> None:
        """``sessions``: where conversations live between turns (:mod:`chat.sessions`; default this
        process's memory; the API passes the shared Redis store). ``ttl_s`` applies to either.
        ``questions``: where answered and unanswered questions are counted (the analysts' dashboard).
        ``links``: the answers knowledge engineers linked to unanswered questions (:mod:`chat.links`)."""
        self.questions = questions
        self.links = links
        # applications always go through the approvals engine (one without listeners unless given)
        self.approvals = approvals or ApprovalEngine(store)
        self.desk = desk
        self.rewriter = rewriter  # optional LLM wording of answers (chat.rewrite)
        self.store = store
        self.search = search
        self.intents = intents or IntentModel.train()
        #: One intent model per language it was trained in (chat.intents.LANGUAGE_DATA); Chinese is
        #: ``intents``, the others are trained on first use.
        self._intent_models: dict[str, IntentModel] = {"zh": self.intents}
        self.sentiment = sentiment or SentimentModel.train()
        self.outbox = outbox
        # After 3 graph failures in a row, stop calling the graph for 15 s: answer at once instead
        # of waiting on a dead store (the index in memory still answers what it can).
        self._breaker = CircuitBreaker(
            failure_threshold=3, recovery_timeout=15, expected_exception=GraphUnavailable, name="graph"
        )
        self.sessions: SessionStore = sessions or MemorySessions(ttl_s)
        self.sessions.ttl_s = ttl_s
        self._process_names: list[tuple[str, str]] | None = None

    # -- sessions ------------------------------------------------------------------------------------

    @property
    def ttl_s(self) -> float:
        """Seconds of silence after which a session is over."""
        return self.sessions.ttl_s

    @ttl_s.setter
    def ttl_s(self, value: float) -> None:
        self.sessions.ttl_s = value

    def has_session(self, session_id: str | None, who: Principal) -> bool:
        found = self.sessions.load(session_id) if session_id else None
        return isinstance(found, Session) and found.employee == who.id

    def session(self, session_id: str | None, who: Principal) -> tuple[Session, str]:
        """The caller's session ``session_id`` (created, and saved, when new), and a notice when it
        had timed out. A session belongs to one employee: another's id starts a new session."""
        session, notice, new = self._load(session_id, who)
        if new:
            self.sessions.save(session)
        return session, notice

    def _load(self, session_id: str | None, who: Principal) -> tuple[Session, str, bool]:
        found = self.sessions.load(session_id) if session_id else None
        notice = _("上次的会话已超时，我们重新开始。") if isinstance(found, Expired) else ""
        if isinstance(found, Session) and found.employee == who.id:
            found.updated = time.monotonic()
            return found, notice, False
        mine = session_id if session_id and (found is None or found.employee == who.id) else None
        current = Session(mine or f"s-{uuid.uuid4().hex[:16]}", who.id, time.monotonic())
        return current, notice, True

    @contextlib.contextmanager
    def _turn_of(self, session_id: str | None, who: Principal) -> Iterator[tuple[Session, str]]:
        """The session for one turn, held against other turns of it and saved when the turn ends."""
        with self.sessions.turn(session_id) if session_id else contextlib.nullcontext():
            session, notice, _ = self._load(session_id, who)
            try:
                yield session, notice
            finally:
                self.sessions.save(session)

    # -- the turn ------------------------------------------------------------------------------------

    def handle(
        self, session_id: str | None, who: Principal, message: str, language: str | None = None
    ) -> Reply:
        """One turn. ``language``: the reply language the caller chose (an explicit argument, the
        request's Accept-Language, the employee's profile — :func:`zhiku.i18n.resolve`); without one the
        reply is in the message's own language (or the conversation's, for a bare “ok”), Chinese when
        neither can be told, English with a note for a language outside the ten."""
        message = well_formed(message or "")  # a lone surrogate would fail every store it reaches
        text = message.strip()
        said = spoken(text[:MAX_MESSAGE_CHARS])
        with self._turn_of(session_id, who) as (session, notice):
            if said.weak and said.code not in NLU_LANGUAGES and session.language in NLU_LANGUAGES:
                # a guess ("And in Chengdu?" → Dutch) yields to the conversation's language, whose
                # intent model reads it (a language without one would answer from retrieval only)
                said = Spoken(session.language, True)
            reply_language, outside = reply_language_for(language, said, session.language)
            with using(reply_language):
                reply = self._handle(session, notice, who, message, said)
                if outside:
                    reply.notice = f"{reply.notice} {_(UNSUPPORTED_NOTE)}".strip()
            session.language = reply.language = reply_language
            return reply

    def _handle(self, session: Session, notice: str, who: Principal, message: str, said: Spoken) -> Reply:
        text = (message or "").strip()
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[:MAX_MESSAGE_CHARS]
            notice = (notice + " " if notice else "") + _(
                "消息过长，只读取了前 {limit} 个字。", limit=MAX_MESSAGE_CHARS
            )
        if not text or not has_content(text):
            return Reply(
                session.id,
                "clarify",
                _("请问有什么可以帮您？可以问我制度、流程、审批人等问题。")
                if not text
                else _("我只看到了表情或符号。请用文字描述您的问题，例如“年假怎么请”。"),
                UNCLEAR,
                notice=notice,
            )
        forwarded = self._forward_to_agent(session, who, text)
        if forwarded is not None:
            return forwarded
        if said.pinyin:
            return Reply(
                session.id,
                "clarify",
                _(PINYIN),
                UNCLEAR,
                notice=notice,
            )
        session.add_turn(f"员工: {text}")
        frustration = self.sentiment.frustration(text)
        # "那两万五呢？" is a follow-up, not a complaint (the small frustration model scores it 0.53)
        follow_up = (
            len(text) <= 12 and text.startswith(("那", "如果", "换成")) and bool(FOLLOW_UP.match(text))
        )
        upset = frustration >= FRUSTRATED and not follow_up
        session.frustrated_turns = session.frustrated_turns + 1 if upset else 0
        try:
            if self._breaker.opened:
                # CircuitBreaker.call() counts failures but does not refuse while open (circuitbreaker
                # 2.1: only its decorator checks), so without this the dead store is tried every turn
                raise CircuitBreakerError(self._breaker)
            reply: Reply = self._breaker.call(self._turn, session, who, text, said)
        except (GraphUnavailable, CircuitBreakerError):
            reply = self._degraded(session, who, text)
        else:
            self._replay_outbox()
        if session.frustrated_turns and reply.type not in ("handoff", "action", "confirm"):
            if (
                reply.type == "clarify" and frustration >= STRONGLY_FRUSTRATED
            ) or session.frustrated_turns >= 2:
                # clearly upset and not helped, or upset twice running: a human takes over
                reply = self._handoff(session, who, f"情绪升级：{text[:60]}", [], category="escalation")
                reply.text = _("非常抱歉给您带来不便。") + reply.text
            else:
                reply.text += "\n" + _(
                    "如果问题还没解决，回复“{human}”，我马上为您转接人工客服。", human=_(HUMAN)
                )
        reply.frustration = frustration
        reply.notice = notice
        session.add_turn(f"知库: {reply.text}", (c.document_id for c in reply.citations))
        return reply

    def _turn(self, session: Session, who: Principal, text: str, said: Spoken) -> Reply:
        if session.pending is not None:
            pending, session.pending = session.pending, None
            if is_yes(text) and pending.kind == "approval" and self.approvals is not None:
                return self._submit(session, who, pending)
            if is_yes(text):
                params = ticket_params(
                    who,
                    pending.title,
                    pending.kind,
                    session.turns,
                    entities=pending.entities,
                    session=session.id,
                    line_documents=session.turn_documents,
                )
                ticket = open_ticket(self.store, params, outbox=self.outbox)
                done = (
                    _("已为您提交申请（编号 {ticket}），处理进展会通知您。", ticket=ticket.id)
                    if pending.kind == "application"
                    else _("已为您提交工单（编号 {ticket}），处理进展会通知您。", ticket=ticket.id)
                )
                return Reply(
                    session.id,
                    "action",
                    done,
                    "确认",
                    1.0,
                    ticket_id=ticket.id,
                )
            if is_no(text):
                return Reply(session.id, "cancelled", _("好的，已取消。还有什么可以帮您？"), "取消", 1.0)
            if pending.kind == "choose_process" and self._process_named_in(text):
                # the answer to "which process?": the application goes on with the first message's details
                return self._application(session, who, "提交审批", f"{pending.title} {text}")

        if wants_human(text):
            return self._handoff(session, who, GENERIC_HANDOFF_TITLE, [])
        if said.code is not None and said.code not in NLU_LANGUAGES:
            # no intent model in this language: answer from retrieval, and always offer a person
            reply = self._answer(session, who, "查询政策", text)
            if reply.type == "answer":
                reply.text += "\n" + _("如果这没有解答您的问题，回复“{human}”联系人工客服。", human=_(HUMAN))
            return reply
        entities = self._entities(text)
        # "那两万呢？" after a who-approves answer: same process, new amount or days
        if (
            not entities
            and session.last_intent == "谁来审批"
            and is_follow_up(text)
            and amount_and_days(text, bare_numbers=True) != (None, None)
        ):
            return self._route(session, who, "谁来审批", text, session.last_entities)
        question, carried, focus = self._carry_over(session, text, entities)
        prediction = self.intent_model(said.code).predict(question)
        intent = session.last_intent if carried and session.last_intent else prediction.intent
        confidence = 1.0 if carried else prediction.confidence
        if confidence < MIN_INTENT_CONFIDENCE and intent not in RETRIEVAL_INTENTS:
            intent = "查询政策"  # a weak guess: let retrieval decide whether the knowledge base knows
        if (intent in APPLICATION_INTENTS or intent == "提交工单") and QUESTION.search(question):
            intent = "办事流程"  # "报销多久到账？" asks about the process; it does not start one
        reply = self._route(
            session, who, intent, question, entities or (session.last_entities if carried else []), focus
        )
        if reply.type == "answer":
            session.last_question, session.last_intent = question, intent
            if intent != "谁来审批":  # that route keeps the process it resolved as the topic
                session.last_entities = entities or session.last_entities
            session.last_sources = [c.title for c in reply.citations]
            session.last_documents = [c.document_id for c in reply.citations]
        return reply

    def intent_model(self, language: str | None) -> IntentModel:
        """The intent model for a message in ``language`` (Chinese for anything without its own)."""
        key = (language or "zh")[:2]
        if key not in LANGUAGE_DATA:
            key = "zh"
        model = self._intent_models.get(key)
        if model is None:  # two turns racing here train twice; both results are the same model
            model = self._intent_models[key] = IntentModel.train(language=key)
        return model

    def _entities(self, text: str) -> list[tuple[str, str, str]]:
        out = []
        for hit in self.search.gazetteer.find(text):
            entity_id, mention_type = hit.candidates[0]
            out.append((entity_id, hit.surface, LABEL_OF_MENTION.get(mention_type, mention_type)))
        return out

    def slots(self, text: str) -> dict[str, str | float]:
        """Slots of one message: process, leave_type, department, person, form, system (entity ids)
        and amount (元), days. The first mention of each kind wins."""
        kinds = {"ApprovalProcess": "process", "LeaveType": "leave_type", "Department": "department",
                 "Employee": "person", "Form": "form", "ITSystem": "system"}  # fmt: skip
        out: dict[str, str | float] = {}
        surfaces = []
        for entity_id, surface, label in self._entities(text):
            if label in ("Form", "ITSystem", "LeaveType"):  # "annual leave" names no process
                surfaces.append(surface)
            slot = kinds.get(label)
            if slot and slot not in out:
                out[slot] = entity_id
        if "process" not in out:
            # a process named by its stem (请假 of 请假审批) — not inside a form or system name
            # (请假申请单, 费控报销系统 name a form and a system, not a process)
            rest = text
            for surface in surfaces:
                rest = rest.replace(surface, " ")
            named = self._process_named_in(rest)
            if named:
                out["process"] = named
        amount, days = amount_and_days(text)
        if amount is not None:
            out["amount"] = amount
        if days is not None:
            out["days"] = days
        return out

    def _carry_over(
        self, session: Session, text: str, entities: list[tuple[str, str, str]]
    ) -> tuple[str, bool, str]:
        """ "那病假呢？" after "年假怎么请？" → "病假怎么请？"; "那去成都呢？" after a hotel question about
        北京 → the same question about 成都 (same intent, the slot's value swapped). Also returns the
        new value (the word the answer must be about)."""
        last = session.last_question
        if not last or not is_follow_up(text):
            return text, False, ""
        for old, new in self._substitutions(session, last, text, entities):
            if old != new and old in last:
                return last.replace(old, new, 1), True, new
        return text, False, ""

    def _substitutions(
        self, session: Session, last: str, text: str, entities: list[tuple[str, str, str]]
    ) -> Iterator[tuple[str, str]]:
        """(old, new) pairs of the same slot: an entity of the same kind, a place, an amount, days."""
        before = [*session.last_entities, *self._entities(last)]
        for _entity, surface, kind in entities:
            for _old_entity, old, old_kind in before:
                if old_kind == kind:
                    yield old, surface
        new_process, old_process = self._process_surface(text), self._process_surface(last)
        if new_process and old_process:
            yield old_process, new_process
        # a city: 北京 → 成都 (jieba's place names, also in Japanese), Beijing → Chengdu (proper nouns)
        new_places, old_places = places(text) or named_places(text), places(last) or named_places(last)
        if new_places and old_places:
            yield old_places[0], new_places[0]
        new_values = {v.type: v.text for v in find_values(text, "chat") if v.type in ("Amount", "Duration")}
        for value in find_values(last, "chat"):
            if value.type in new_values:
                yield value.text, new_values.pop(value.type)

    # -- routes --------------------------------------------------------------------------------------

    def _route(
        self,
        session: Session,
        who: Principal,
        intent: str,
        text: str,
        entities: list[tuple[str, str, str]],
        focus: str = "",
    ) -> Reply:
        sid = session.id
        if intent == "问候感谢":
            thanks = any(w in text.casefold() for w in THANKS)
            reply = (
                _("不客气，还有其他问题随时问我。")
                if thanks
                else _("您好，我是知库智能客服。请问有什么可以帮您？")
            )
            return Reply(sid, "greeting", reply, intent, 1.0)
        if intent == "闲聊":
            return Reply(
                sid,
                "smalltalk",
                _(
                    "我是知库智能客服，擅长回答公司制度、办事流程和审批相关的问题，"
                    "例如“年假怎么请”“报销8000元谁审批”。"
                ),
                intent,
                1.0,
            )
        if intent == "转人工":
            return self._handoff(session, who, GENERIC_HANDOFF_TITLE, entities)
        if intent == "不明确":
            if len(text) >= 5:  # a real sentence the classifier could not place: the knowledge base may know
                attempt = self._answer(session, who, intent, text)
                if attempt.type == "answer":
                    return attempt
            return Reply(
                sid, "clarify", _("能再具体一点吗？比如：请假、报销、审批进度、IT 问题或找人。"), intent, 0.0
            )
        if intent == "谁来审批":
            return self._who_approves(session, who, text, entities)
        if intent == "提交工单":
            session.pending = Pending("service", text, [e[0] for e in entities])
            return Reply(
                sid,
                "confirm",
                _("将为您提交服务工单：“{text}”。", text=text) + confirm_prompt(),
                intent,
                1.0,
            )
        if intent in APPLICATION_INTENTS:
            return self._application(session, who, intent, text)
        if intent == "审批进度查询":
            rows = self.store.query(load_query("my_tickets").text, {"employee": who.id, "limit": 5})
            if self.approvals is not None:
                mine = self.approvals.list_for(who.id, "applied", limit=5)
                if mine:
                    # each read whole (with its audit trail): the list has no attachments
                    lines = [
                        f"{i.id}：{i.summary()}" + _attachment_links(self.approvals.get(i.id)) for i in mine
                    ]
                    lines += [_ticket_line(r) for r in rows]
                    return Reply(
                        sid, "answer", _("您最近的审批与工单：") + "\n" + "\n".join(lines), intent, 0.9
                    )
            if not rows:
                return Reply(
                    sid,
                    "answer",
                    _("您目前没有通过知库提交的申请或工单。OA 中的审批进度请在OA“我的申请”查看。"),
                    intent,
                    0.9,
                )
            lines = [_ticket_line(r) for r in rows]
            return Reply(sid, "answer", _("您最近的申请/工单：") + "\n" + "\n".join(lines), intent, 0.9)
        return self._answer(session, who, intent, text, focus)

    def _application(self, session: Session, who: Principal, intent: str, text: str) -> Reply:
        """Start an application: the process from the message (or its leave type), else ask which."""
        slots = self.slots(text)
        if "process" not in slots and "leave_type" in slots:
            slots["process"] = PROCESS_FOR_TYPE["LeaveType"]
        if "process" in slots:
            return self._confirm_approval(session, who, intent, text, slots)
        names = [r["name"] for r in self.store.query(load_query("process_names").text)]
        session.pending = Pending("choose_process", text, [])
        return Reply(
            session.id,
            "clarify",
            _("请问要提交哪个流程的申请？可以提交：{names}。", names="、".join(names)),
            intent,
            0.5,
        )

    def _confirm_approval(
        self, session: Session, who: Principal, intent: str, text: str, slots: dict[str, str | float]
    ) -> Reply:
        """Show the concrete chain for this applicant, then ask before submitting."""
        amount = float(slots["amount"]) if "amount" in slots else None
        days = float(slots["days"]) if "days" in slots else None
        chain = resolve_chain(self.store, str(slots["process"]), applicant=who.id, amount=amount, days=days)
        sep, unassigned = _("、"), _("待指定")
        route = " → ".join(
            f"{s.name}（{sep.join(a.name for a in s.approvers) or unassigned}"
            + (f"，{s.mode}）" if s.mode != "依次" else "）")
            for s in chain.active_steps
        )
        what = chain.process_name + (
            _("（{amount}元）", amount=format(amount, "g")) if amount is not None else ""
        )
        what += _("（{days}天）", days=format(days, "g")) if days is not None else ""
        session.pending = Pending("approval", text, [chain.process_id], chain.process_id, amount, days)
        return Reply(
            session.id,
            "confirm",
            _("将为您提交{what}，审批路径：{route}。", what=what, route=route) + confirm_prompt(),
            intent,
            1.0,
        )

    def _submit(self, session: Session, who: Principal, pending: Pending) -> Reply:
        assert self.approvals is not None
        result = self.approvals.submit(
            pending.process,
            applicant=who.id,
            amount=pending.amount,
            days=pending.days,
            reason=pending.title,
            key=f"chat:{session.id}:{len(session.turns)}",
            channel="chat",
        )
        inst = result.instance
        return Reply(
            session.id,
            "action",
            _(
                "已提交审批（编号 {id}）：{summary}。审批人会在企业微信收到待办卡片，进展会通知您。",
                id=inst.id,
                summary=inst.summary(),
            ),
            "确认",
            1.0,
            ticket_id=inst.id,
        )

    def _answer(self, session: Session, who: Principal, intent: str, text: str, focus: str = "") -> Reply:
        answer = compose_answer(self.search, text, who, focus=focus, links=self.links)
        topic = next((e[1] for e in session.last_entities if e[1] not in text), None)
        if not answer.answered and topic and len(text) <= SHORT_FOLLOW_UP:
            # "地址是什么" right after a VPN answer asks about the VPN's address
            retry = compose_answer(self.search, f"{topic}{text}", who, links=self.links)
            answer = retry if retry.answered else answer
        answer = self.rewrite(answer)
        self.count(answer)
        reply_type = "answer" if answer.answered else "clarify"
        body = (
            answer.text
            if answer.answered or answer.offers_handoff
            else answer.text + " " + _("回复“{human}”联系人工客服。", human=_(HUMAN))
        )
        return Reply(
            session.id,
            reply_type,
            body,
            intent,
            answer.confidence,
            answer.citations,
            answer.follow_ups,
            entities=answer.entities,
            answer_id=answer.id,
        )

    def _degraded(self, session: Session, who: Principal, text: str) -> Reply:
        """The graph is down: say so, and queue a hand-off so the question is not lost."""
        ticket_id = None
        if self.outbox is not None:
            params = ticket_params(
                who,
                f"知识库不可用时的提问：{text[:60]}",
                "handoff",
                session.turns,
                session=session.id,
                line_documents=session.turn_documents,
            )
            self.outbox.put(params)
            ticket_id = str(params["id"])
            session.handoff_ticket = ticket_id
        text = _("知库暂时无法访问完整的知识库，请稍后再试。") + (
            _("您的问题已记录并转交人工客服（工单 {ticket}）。", ticket=ticket_id)
            if ticket_id
            else _("如有急事请联系员工服务中心。")
        )
        return Reply(
            session.id, "handoff" if ticket_id else "clarify", text, "降级", 0.0, ticket_id=ticket_id
        )

    def count(self, answer: Answer) -> None:
        """Count the question as answered or not (``ask`` calls this too)."""
        if self.questions is not None:
            self.questions.record(answer.question, answered=answer.answered)

    def rewrite(self, answer: Answer) -> Answer:
        return self.rewriter.rewrite(answer) if self.rewriter is not None else answer

    def _forward_to_agent(self, session: Session, who: Principal, text: str) -> Reply | None:
        """While a hand-off ticket is open the employee is talking to a person: pass the message on."""
        ticket = session.handoff_ticket
        if ticket is None or self.desk is None:
            return None
        try:
            still_open = self.desk.employee_message(
                ticket, who, text, key=f"{session.id}:{len(session.turns)}"
            )
        except (GraphUnavailable, NotFoundError):
            still_open = False
        if not still_open:  # closed by the agent (or never written): the bot answers again
            session.handoff_ticket = None
            return None
        session.add_turn(f"员工: {text}")
        return Reply(
            session.id,
            "forwarded",
            _("已转给人工客服（工单 {ticket}），请稍候。", ticket=ticket),
            "转人工",
            1.0,
            ticket_id=ticket,
        )

    def _replay_outbox(self) -> None:
        if self.outbox is not None and self.outbox.path.exists():
            with contextlib.suppress(GraphUnavailable):  # still down for writes: the next good turn retries
                self.outbox.replay(self.store)

    def _process_named_in(self, text: str) -> str | None:
        """A process whose name, alias or name stem (请假 of 请假审批) the message contains."""
        if self._process_names is None:
            rows = self.store.query(
                "MATCH (p:ApprovalProcess) RETURN p.id AS id, p.name AS name, p.aliases AS aliases, "
                "p.nameEn AS nameEn, p.aliasesEn AS aliasesEn, p.labelsI18n AS labelsI18n, "
                "p.aliasesI18n AS aliasesI18n"
            )
            names: list[tuple[str, str]] = []
            for row in rows:
                # Chinese and Japanese names, and their stems (请假 of 请假审批, 経費精算 of 経費精算申請)
                labels = [*(row.get("labelsI18n") or []), *(row.get("aliasesI18n") or [])]
                tagged = [t.split("=", 1)[1] for t in labels if "=" in t]  # "ja=経費精算申請"
                for name in [row["name"], *(row["aliases"] or []), *tagged]:
                    if name:
                        names.append((name.lower(), row["id"]))
                        stem = re.sub(
                            r"(审批|申请|流程|办理|申請|請求|の承認|承認|審査|フロー|処理)$", "", name
                        )
                        if len(stem) >= 2 and stem != name:
                            names.append((stem.lower(), row["id"]))
                # English synonyms whole; the English name's own words (expense, leave, purchase…), not
                # the generic ones
                names.extend((f" {alias.lower()}", row["id"]) for alias in row.get("aliasesEn") or [])
                for word in re.findall(r"[a-z]{4,}", (row.get("nameEn") or "").lower()):
                    if word not in _GENERIC_PROCESS_WORDS:
                        names.append((f" {word}", row["id"]))
            self._process_names = sorted(names, key=lambda n: -len(n[0]))
        padded = " " + re.sub(r"[^\w\u4e00-\u9fff]+", " ", text.lower())
        return next((pid for name, pid in self._process_names if name in padded), None)

    def _process_surface(self, text: str) -> str | None:
        """The words naming a process in ``text`` (its name, an alias or its stem), if any."""
        found = self._process_named_in(text)
        assert self._process_names is not None or found is None
        return next((n for n, pid in self._process_names or [] if pid == found and n in text), None)

    def _handoff(
        self,
        session: Session,
        who: Principal,
        title: str,
        entities: list[tuple[str, str, str]],
        *,
        category: str = "handoff",
    ) -> Reply:
        if title == GENERIC_HANDOFF_TITLE:
            title = self._asked(session.turns) or title
        params = ticket_params(
            who,
            title,
            category,
            session.turns,
            found=session.last_sources,
            found_documents=session.last_documents,
            entities=[e[0] for e in entities],
            session=session.id,
            line_documents=session.turn_documents,
        )
        ticket = open_ticket(self.store, params, outbox=self.outbox)
        session.handoff_ticket = ticket.id
        return Reply(
            session.id,
            "handoff",
            _(
                "已为您转接人工客服（工单 {ticket}），客服会尽快联系您，之前的对话和我找到的资料已一并转交。",
                ticket=ticket.id,
            ),
            "转人工",
            1.0,
            ticket_id=ticket.id,
        )

    def _asked(self, turns: list[str]) -> str:
        """The question an employee handing off wants answered, for the ticket's title: their latest
        line that is neither the request for a person nor a greeting or small talk ("在吗？")."""
        for line in reversed(turns):
            speaker, _sep, text = line.partition(": ")
            if speaker != "员工" or not has_content(text) or wants_human(text) or "人工" in text:
                continue
            said = spoken(text)
            model = self.intent_model(said.code if said.code in NLU_LANGUAGES else None)
            if model.predict(text).intent in ("问候感谢", "闲聊", "转人工"):
                continue
            return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"
        return ""

    def _who_approves(
        self, session: Session, who: Principal, text: str, entities: list[tuple[str, str, str]]
    ) -> Reply:
        process = next((e[0] for e in entities if e[2] == "ApprovalProcess"), None)
        if process is None:
            process = next((PROCESS_FOR_TYPE[e[2]] for e in entities if e[2] in PROCESS_FOR_TYPE), None)
        if process is None:
            process = self._process_named_in(text)
        if process is None:
            process = next((e[0] for e in session.last_entities if e[2] == "ApprovalProcess"), None)
        if process is None:
            return Reply(
                session.id,
                "clarify",
                _("请问是哪个流程的审批？例如：请假、费用报销、采购、合同、用印。"),
                "谁来审批",
            )
        amount, days = amount_and_days(text, bare_numbers=True)
        try:
            chain = resolve_chain(self.store, process, applicant=who.id, amount=amount, days=days)
        except GraphUnavailable:
            raise  # the breaker and the degraded reply handle a store that is down
        except ZhikuError as exc:
            return Reply(session.id, "clarify", exc.message_zh, "谁来审批")
        # the process and its steps as the asker's language names them, where the data does
        names = chain_labels(self.store, chain, current())
        steps = []
        for i, step in enumerate(chain.active_steps, 1):
            people = _("、").join(a.name for a in step.approvers) or _("（暂无人担任，请联系管理员）")
            note = _(MODE_NOTE[step.mode]) if MODE_NOTE.get(step.mode) else ""
            steps.append(f"{i}. {names.step(step)}：{people}{note}")
        condition = _("、").join(
            x
            for x in (
                _("金额 {amount} 元", amount=format(amount, "g")) if amount is not None else "",
                _("{days} 天", days=format(days, "g")) if days is not None else "",
            )
            if x
        )
        head = (
            _(
                "按“{process}”流程（{condition}），审批步骤如下：",
                process=names.process,
                condition=condition,
            )
            if condition
            else _("按“{process}”流程，审批步骤如下：", process=names.process)
        ) + "\n"
        skipped = [names.step(s) for s in chain.steps if not s.applies]
        tail = "\n" + _("（条件未触发而跳过：{steps}）", steps=_("、").join(skipped)) if skipped else ""
        if (amount is None and any("金额" in s.condition for s in chain.steps)) or (
            days is None and any("天" in s.condition for s in chain.steps)
        ):
            tail += "\n" + _("告诉我金额或天数，我可以算出更准确的审批链。")
        session.last_entities = [(chain.process_id, chain.process_name, "ApprovalProcess")]
        session.last_intent = "谁来审批"
        citations = chain_citations(self.store, self.search, chain, who)
        sources = _("、").join(dict.fromkeys(f"《{c.title}》{c.section}".strip() for c in citations))
        basis = "\n" + _("（依据：{sources}）", sources=sources) if sources else ""
        return Reply(
            session.id,
            "answer",
            head + "\n".join(steps) + tail + basis,
            "谁来审批",
            0.95,
            citations,
            entities=[(chain.process_id, chain.process_name)],
        )


def _attachment_links(inst: Instance) -> str:
    """An application's attachments as links that need sign-in (the web chat is on the same server)."""
    files = attachments(inst)
    if not files:
        return ""
    links = "、".join(f"[{a.name}]({open_path(a.id)})" for a in files)
    return "\n  " + _("附件：{files}", files=links)
