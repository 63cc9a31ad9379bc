"""Tickets: hand-off to a human agent, service requests, and applications until the approvals
module takes them. Stored in the graph (``Ticket`` -RAISED_BY-> ``Employee``, -CONCERNS-> entities)
with status, the conversation so far and what the bot found, so an agent starts where the bot
stopped. Idempotent by id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chat.outbox import Outbox
from graph.base import GraphStore
from graph.versions import RECORDS
from queries import load as load_query
from zhiku.access import Principal
from zhiku.errors import GraphUnavailable


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    title: str
    category: str
    status: str


def open_ticket(store: GraphStore, params: dict[str, Any], *, outbox: Outbox | None = None) -> Ticket:
    """Write a ticket built by :func:`ticket_params`; with an outbox, a store that is down queues it."""
    category = str(params["category"])
    try:
        store.execute(load_query("create_ticket").text, params, writes=RECORDS)
    except GraphUnavailable:
        if outbox is None:
            raise
        outbox.put(params)  # replayed when the store is back
    return Ticket(params["id"], params["title"], category, "open")


def ticket_params(
    who: Principal,
    title: str,
    category: str,
    conversation: list[str],
    found: list[str] | None = None,
    entities: list[str] | None = None,
    ticket_id: str | None = None,
    session: str = "",
) -> dict[str, Any]:
    """The ``create_ticket`` parameters (also what the outbox stores)."""
    ticket_id = ticket_id or f"TKT-{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:8]}"
    return {
        "id": ticket_id,
        "employee": who.id,
        "title": title[:200],
        "category": category,
        "conversation": [line[:2000] for line in conversation[-20:]],
        "found": (found or [])[:10],
        "entities": entities or [],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "session": session,
    }
