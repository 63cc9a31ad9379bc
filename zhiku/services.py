"""The one place Zhiku's services are built: store, search index, approvals, ticket desk, dialog —
and, for a serving process, the event hubs, the index follower, the crawl scheduler and WeCom.

This is the CLI's wiring layer: the one module in ``zhiku/`` allowed to import the stages (graph,
search, chat, approvals, crawlers, wecom); everything else in ``zhiku/`` imports none of them. The
API's lifespan, the CLI (``chat``, ``ingest``, ``crawl``, ``scheduler``, ``index …``), a crawl's own
process and the notebooks' helper all build their services here, so a terminal chat has the same
approvals engine and ticket desk as the API::

    async with build_state(settings, serve=True) as state:     # the API's lifespan
        state.dialog.handle(None, who, "我要请3天年假")

    with open_state(settings) as state:                         # synchronous callers (CLI, crawls, notebooks)
        ingest.run(paths, state.store, state.search)

Only the store is opened at once; every other part is built on first use and closed with the state
(in reverse order, on one :class:`contextlib.AsyncExitStack`), so ``zhiku search`` never trains the
chat's models and ``zhiku ingest`` never starts WeCom. A serving state (``serve=True``) builds every
part during start-up, before requests can reach it from several threads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from zhiku.settings import Settings

if TYPE_CHECKING:
    import redis
    import redis.asyncio

    from approvals.engine import ApprovalEngine
    from approvals.events import WebhookSender
    from chat.desk import TicketDesk
    from chat.dialog import DialogEngine
    from chat.intents import IntentModel
    from chat.links import AnswerLinks
    from chat.rewrite import AnswerRewriter
    from chat.sentiment import SentimentModel
    from crawlers.schedules import ScheduledCrawls
    from graph.base import GraphStore
    from graph.streams import EventStream, StreamHub
    from ontology.model import Ontology
    from search.follow import IndexFollower
    from search.recommend import Recommender
    from search.service import SearchService
    from wecom.aibot import AiBotChannel
    from wecom.service import WeComService
    from zhiku.access import Principal

log = logging.getLogger(__name__)


class Principals(Protocol):
    """Employee id → principal (the API passes its token-aware cache, ``api.auth.PrincipalCache``)."""

    def get(self, employee_id: str) -> Principal: ...


class _GraphPrincipals:
    """Principals read from the graph on every call (a command line asks for a few)."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def get(self, employee_id: str) -> Principal:
        from zhiku.access import load_principal

        return load_principal(self.store, employee_id)


class State:
    """The services of one process. The store is open; the rest is built on first use.

    Not for concurrent first use: a serving state is built whole at start-up (``build_state(...,
    serve=True)``); a command line uses it from one thread.
    """

    def __init__(
        self,
        settings: Settings,
        stack: AsyncExitStack,
        store: GraphStore,
        *,
        search: SearchService | None = None,
        ontology: Ontology | None = None,
        principals: Callable[[GraphStore], Principals] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._stack = stack
        self._principals = principals or _GraphPrincipals
        self.owns_search = search is None
        if search is not None:
            self.__dict__["search"] = search  # given: used, never closed here
        if ontology is not None:
            self.__dict__["ontology"] = ontology
        # the serving parts (build_state(serve=True)); None in a command line
        self.async_kv: redis.asyncio.Redis | None = None
        self.hub: StreamHub | None = None  # ticket events by employee (chat sockets)
        self.approval_hub: StreamHub | None = None  # approval events by person and instance
        self.index_follower: IndexFollower | None = None
        self.scheduler: ScheduledCrawls | None = None
        self.wecom: WeComService | None = None
        self.bot: AiBotChannel | None = None

    def _closing(self, close: Callable[[], Any]) -> None:
        self._stack.callback(close)

    # -- knowledge ----------------------------------------------------------------------------------

    @cached_property
    def ontology(self) -> Ontology:
        from ontology.model import configured_ontology

        return configured_ontology(self.settings)

    @cached_property
    def search(self) -> SearchService:
        """The search index (its embedder loads here: seconds)."""
        from search.service import SearchService

        service = SearchService.open(self.store, self.settings)
        self._closing(service.close)
        return service

    @cached_property
    def recommender(self) -> Recommender:
        from search.recommend import Recommender

        return Recommender(self.search)

    # -- the shared Redis ---------------------------------------------------------------------------

    @property
    def kv_url(self) -> str:
        from graph.kv import kv_url

        return kv_url(self.settings, self.store)

    @cached_property
    def kv(self) -> redis.Redis:
        """The shared Redis (the embedded server's own, or ``ZHIKU_REDIS_URL``)."""
        from graph.kv import open_kv

        kv = open_kv(self.settings, self.store)
        self._closing(kv.close)
        return kv

    # -- behaviour ----------------------------------------------------------------------------------

    @cached_property
    def events(self) -> EventStream:
        """Approval status events (the stream every instance reads)."""
        from approvals.events import approval_stream

        return approval_stream(self.kv)

    @cached_property
    def webhooks(self) -> WebhookSender | None:
        from approvals.events import WebhookSender

        if not self.settings.approval_webhooks:
            return None
        sender = WebhookSender(self.settings.approval_webhooks, self.settings.secret_key.get_secret_value())
        self._closing(sender.close)
        return sender

    @cached_property
    def approvals(self) -> ApprovalEngine:
        from approvals.engine import ApprovalEngine
        from approvals.events import load_triggers

        listeners: list[Any] = [self.events.publish] + ([self.webhooks] if self.webhooks else [])
        return ApprovalEngine(self.store, listeners=listeners, triggers=load_triggers())

    @cached_property
    def principals(self) -> Principals:
        return self._principals(self.store)

    @cached_property
    def tickets(self) -> EventStream:
        """Ticket events (agents' replies, status changes)."""
        from chat.desk import ticket_stream

        return ticket_stream(self.kv)

    @cached_property
    def desk(self) -> TicketDesk:
        from chat.desk import TicketDesk

        return TicketDesk(self.store, self.search, self.principals.get, self.tickets, links=self.links)

    @cached_property
    def links(self) -> AnswerLinks:
        """The answers knowledge engineers linked to unanswered questions (in the shared Redis)."""
        from chat.links import AnswerLinks

        return AnswerLinks(self.kv)

    @cached_property
    def rewriter(self) -> AnswerRewriter | None:
        """The optional LLM wording of answers (off by default)."""
        from chat.rewrite import AnswerRewriter

        rewriter = AnswerRewriter.from_settings(self.settings)
        if rewriter is not None:
            self._closing(rewriter.close)
        return rewriter

    @cached_property
    def dialog(self) -> DialogEngine:
        """The chatbot, with the approvals engine and the ticket desk; conversations live in the
        shared Redis, so any instance (or the next ``zhiku chat``) carries one on."""
        from chat.dialog import SESSION_TTL_S, DialogEngine
        from chat.outbox import Outbox
        from chat.questions import QuestionLog
        from chat.sessions import RedisSessions
        from graph.kv import open_kv

        intents, sentiment = chat_models(self.settings.data_dir / "models")
        session_kv = open_kv(self.settings, self.store, decode=False)  # sessions are compressed bytes
        self._closing(session_kv.close)
        return DialogEngine(
            self.store,
            self.search,
            intents,
            sentiment=sentiment,
            outbox=Outbox(self.settings.data_dir / "outbox"),
            approvals=self.approvals,
            desk=self.desk,
            rewriter=self.rewriter,
            sessions=RedisSessions(session_kv, SESSION_TTL_S),
            questions=QuestionLog(self.kv),  # questions per day, answered or not (the analysts' dashboard)
            links=self.links,
        )

    # -- serving ------------------------------------------------------------------------------------

    async def _serve(self) -> None:
        """Build every part, then start what a serving process runs beside its requests."""
        from approvals.events import approval_hub
        from chat.desk import ticket_hub
        from chat.gate import warm
        from graph.kv import open_async_kv

        settings, store = self.settings, self.store
        store.apply_schema(self.ontology.schema())
        if self.owns_search:
            report = self.search.sync()
            log.info("search index: %d chunks (%d embedded now)", report.total_chunks, report.embedded)
        for part in ("recommender", "dialog"):  # and what they use: approvals, desk, kv…
            getattr(self, part)
        # The answer gate's general-Chinese word frequencies and part-of-speech table (jieba's dictionary,
        # 1-5 s of CPU) load now, not inside the first questions' requests (profiled under load: 40 % of
        # the GIL for seconds).
        warm()
        stack = self._stack
        self.async_kv = async_kv = open_async_kv(self.kv_url)
        stack.push_async_callback(async_kv.aclose)
        self.hub = hub = ticket_hub(self.tickets, async_kv)  # agents' replies → employees' sockets
        hub.start()
        stack.push_async_callback(hub.stop)
        self.approval_hub = approval_events = approval_hub(self.events, async_kv)  # → subscriptions
        approval_events.start()
        stack.push_async_callback(approval_events.stop)
        if settings.wecom_corp_id:
            from wecom.client import WeComClient
            from wecom.oa import WeComOA
            from wecom.service import WeComService, load_rules
            from wecom.wechat_mp import WeChatMPClient

            engine = self.approvals
            client = WeComClient.from_settings(settings, async_kv)
            oa = WeComOA(engine, client, settings.wecom_oa_templates) if settings.wecom_oa_templates else None
            mp = WeChatMPClient.from_settings(settings, async_kv) if settings.wechat_mp_app_id else None
            subscribe = None
            if settings.wechat_miniprogram_app_id and settings.wechat_miniprogram_secret.get_secret_value():
                from wecom.subscribe import MiniProgramClient, SubscribeConsents, SubscribeSender

                mini = MiniProgramClient.from_settings(settings, async_kv)
                subscribe = SubscribeSender(mini, SubscribeConsents(async_kv))
            self.wecom = wecom = WeComService(
                settings, store, async_kv, client, dialog=self.dialog, engine=engine, oa=oa, mp=mp,
                subscribe=subscribe,
                rules=load_rules(settings.wecom_rules),
            )  # fmt: skip
            wecom.bind_loop(asyncio.get_running_loop())
            engine.listeners.append(wecom.on_approval_event)
            hub.listeners.append(wecom.on_ticket_event)
            wecom.start_replays()
            stack.push_async_callback(wecom.close)
        if settings.wecom_bot_id:  # the intelligent robot's long connection (no public IP needed)
            from wecom.aibot import AiBotChannel

            self.bot = bot = AiBotChannel(settings, store, self.dialog, async_kv)
            await bot.start()
            stack.callback(bot.stop)
        # Shared with the other instances: the search index follows their graph writes; one of them
        # (when ZHIKU_SCHEDULER is on) runs the crawl scheduler.
        if self.owns_search and settings.index_follow_s > 0 and store.versions is not None:
            from search.follow import IndexFollower

            self.index_follower = follower = IndexFollower(
                self.search, store.versions, every_s=settings.index_follow_s
            )
            follower.start()
            stack.callback(follower.stop)
        if settings.scheduler:
            self.scheduler = self.crawl_scheduler()
            self.scheduler.start()
            stack.callback(self.scheduler.stop)

    def crawl_scheduler(self) -> ScheduledCrawls:
        """A crawl scheduler candidate on the shared Redis (started by the caller). Whichever instance
        leads also sweeps approval SLAs (reminders, escalation) every minute."""
        from crawlers.schedules import ScheduledCrawls

        crawls = ScheduledCrawls(self.settings, self.kv)
        crawls.elected.append(self._sweep_approval_slas)
        return crawls

    def _sweep_approval_slas(self, scheduler: Any) -> None:
        from approvals.calendar import load_calendar
        from approvals.sla import SWEEP_INTERVAL_S, SlaSweep

        sweep = SlaSweep(self.approvals, load_calendar(self.store))
        # in memory: the job holds live services (the crawl jobs' store pickles), and every leader adds it
        if "approvals" not in getattr(scheduler, "_jobstores", {}):
            scheduler.add_jobstore("memory", alias="approvals")
        scheduler.add_job(
            sweep.sweep, "interval", seconds=SWEEP_INTERVAL_S, id="approvals-sla", replace_existing=True,
            name="approvals-sla", max_instances=1, coalesce=True, jobstore="approvals",
        )  # fmt: skip


@asynccontextmanager
async def build_state(
    settings: Settings,
    *,
    store: GraphStore | None = None,
    search: SearchService | None = None,
    ontology: Ontology | None = None,
    principals: Callable[[GraphStore], Principals] | None = None,
    serve: bool = False,
) -> AsyncIterator[State]:
    """Zhiku's services, closed on exit. With ``store`` / ``search`` given they are used and not
    closed (tests share one demo graph). ``serve``: also sync the index, start the event hubs, the
    index follower, the scheduler (``ZHIKU_SCHEDULER``) and WeCom — what the API runs."""
    async with AsyncExitStack() as stack:
        if store is None:
            from graph import open_store

            store = open_store(settings)
            stack.callback(store.close)
        state = State(settings, stack, store, search=search, ontology=ontology, principals=principals)
        if serve:
            await state._serve()
        yield state


@contextmanager
def open_state(
    settings: Settings,
    *,
    store: GraphStore | None = None,
    search: SearchService | None = None,
) -> Iterator[State]:
    """:func:`build_state` for synchronous callers — the CLI, a crawl's own process (Twisted runs its
    own loop), the notebooks (whose kernel runs its own loop in this thread): the same parts, closed
    the same way. One private event loop runs only while they are built and while they are closed
    (not ``asyncio.run`` twice: ending a run would finalise the state's generator, closing it all)."""
    manager = build_state(settings, store=store, search=search)
    loop = asyncio.new_event_loop()
    try:
        state = _run(loop, manager.__aenter__())
        try:
            yield state
        except BaseException as exc:
            if not _run(loop, manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            _run(loop, manager.__aexit__(None, None, None))
    finally:
        loop.close()


def _run[R](loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, R]) -> R:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return loop.run_until_complete(coro)
    with ThreadPoolExecutor(1) as pool:  # this thread runs a loop already (a notebook's kernel)
        return pool.submit(loop.run_until_complete, coro).result()


# -- the chat's models --------------------------------------------------------------------------------


def chat_model_digest() -> str:
    """What the chat's models are trained from: their code, shipped data and scikit-learn (the cache's
    key, and the base a retrained intent model records, :mod:`chat.nlu`)."""
    import sklearn

    import chat.intents
    import chat.sentiment

    parts = [sklearn.__version__.encode(), sys.version.encode()]
    for module in (chat.intents, chat.sentiment):
        parts.append(Path(module.__file__ or "").read_bytes())
    for data in (chat.intents.TRAIN, chat.sentiment.DATA):
        parts.append(data.read_bytes())
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def chat_models(cache: Path) -> tuple[IntentModel, SentimentModel]:
    """The chat's intent and sentiment classifiers, trained once per change of their data, code or
    scikit-learn, and kept in ``cache`` (joblib): training them took 2.5 of the 6 s a
    ``zhiku chat --as … "…"`` took (measured), and every command line run trained them again. The
    cache holds pickles, so it lives in the data directory, which only Zhiku writes (trusted as the
    graph beside it is). An intent model retrained with labelled questions (``zhiku nlu train``,
    :mod:`chat.nlu`) on the same shipped data is used instead of the shipped one."""
    import joblib

    from chat.nlu import load_trained

    digest = chat_model_digest()
    try:
        memory = joblib.Memory(cache, verbose=0)
        intents, sentiment = memory.cache(_train_chat_models)(digest)
    except OSError as exc:  # a read-only data directory: train in memory, as before
        log.info("chat models not cached (%s)", exc)
        intents, sentiment = _train_chat_models(digest)
    return load_trained(cache, digest) or intents, sentiment


def _train_chat_models(digest: str) -> tuple[IntentModel, SentimentModel]:
    """``digest`` names what the models are trained from (the cache's key)."""
    from chat.intents import IntentModel
    from chat.sentiment import SentimentModel

    return IntentModel.train(), SentimentModel.train()


__all__ = ["Principals", "State", "build_state", "chat_model_digest", "chat_models", "open_state"]
