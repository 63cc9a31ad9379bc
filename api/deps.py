"""Typed dependencies built once at start-up and handed to every route and resolver.

Example::

    @router.get("/x")
    def x(store: StoreDep) -> dict: ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.auth import PrincipalCache
from api.cache import ResponseStore
from api.ratelimit import ChatLimit, TokenBucket
from approvals.engine import ApprovalEngine
from chat.desk import TicketDesk
from chat.dialog import DialogEngine
from crawlers.schedules import ScheduledCrawls
from graph.base import GraphStore
from graph.streams import EventStream, StreamHub
from ontology.model import Ontology
from search.follow import IndexFollower
from search.recommend import Recommender
from search.service import SearchService
from wecom.service import WeComService
from zhiku.settings import Settings


@dataclass(slots=True)
class AppState:
    """What the app holds for its lifetime."""

    settings: Settings
    store: GraphStore
    ontology: Ontology
    search: SearchService
    recommender: Recommender
    principals: PrincipalCache
    dialog: DialogEngine
    approvals: ApprovalEngine
    events: EventStream
    kv_url: str
    desk: TicketDesk
    hub: StreamHub  # ticket events by employee (chat sockets)
    approval_hub: StreamHub  # approval events by person and instance (subscriptions)
    chat_limit: ChatLimit  # chat messages per employee per minute, across sockets and workers
    wecom: WeComService | None = None
    responses: ResponseStore | None = None  # the GraphQL response cache (api/cache.py), when on
    rate_limiter: TokenBucket | None = None  # per-user / per-IP buckets in the shared Redis
    scheduler: ScheduledCrawls | None = None  # the crawl scheduler candidate (ZHIKU_SCHEDULER)
    index_follower: IndexFollower | None = None  # syncs the search index after writes elsewhere


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.zhiku
    return state


def get_store(request: Request) -> GraphStore:
    return get_state(request).store


StateDep = Annotated[AppState, Depends(get_state)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
