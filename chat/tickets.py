"""Tickets: hand-off to a human agent, service requests, and applications until the approvals
module takes them. Stored in the graph (``Ticket`` -RAISED_BY-> ``Employee``, -CONCERNS-> entities)
with status, the conversation so far and what the bot found, so an agent starts where the bot
stopped. Idempotent by id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from graph.base import GraphStore
from queries import load as load_query
from zhiku.access import Principal


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    title: str
    category: str
    status: str


def open_ticket(
    store: GraphStore,
    who: Principal,
    title: str,
    *,
    category: str,
    conversation: list[str],
    found: list[str] | None = None,
    entities: list[str] | None = None,
    ticket_id: str | None = None,
) -> Ticket:
    ticket_id = ticket_id or f"TKT-{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:8]}"
    store.execute(
        load_query("create_ticket").text,
        {
            "id": ticket_id,
            "employee": who.id,
            "title": title[:200],
            "category": category,
            "conversation": [line[:2000] for line in conversation[-20:]],
            "found": (found or [])[:10],
            "entities": entities or [],
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    return Ticket(ticket_id, title[:200], category, "open")
