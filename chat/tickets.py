"""Tickets: hand-off to a human agent, service requests, and applications until the approvals
module takes them. Stored in the graph (``Ticket`` -RAISED_BY-> ``Employee``, -CONCERNS-> entities)
with status, the conversation so far and what the bot found, so an agent starts where the bot
stopped. Idempotent by id.

The bot answered the employee from the documents *the employee* may read; an agent may not read
them all. So the ticket also records which documents each conversation line drew on
(``lineDocuments``, one JSON list per line of ``conversation``) and which document each ``found``
title is (``foundDocuments``): :func:`chat.desk.seen_by` decides from these ids, never from the text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chat.outbox import Outbox
from graph.base import GraphStore
from graph.versions import RECORDS
from queries import load as load_query
from zhiku.access import Principal
from zhiku.errors import GraphUnavailable
from zhiku.settings import MAX_TEXT_CHARS

MAX_LINES = 20  # the conversation a ticket keeps (the latest lines)
MAX_FOUND = 10


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
    line_documents: Sequence[Sequence[str]] | None = None,
    found_documents: list[str] | None = None,
) -> dict[str, Any]:
    """The ``create_ticket`` parameters (also what the outbox stores).

    ``line_documents``: the document ids each line of ``conversation`` drew on (same length);
    ``found_documents``: the document id of each ``found`` title. Without them an agent is shown no
    bot line and no found source (their provenance is unknown), only the employee's own words."""
    ticket_id = ticket_id or f"TKT-{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:8]}"
    lines = conversation[-MAX_LINES:]
    documents = None
    if line_documents is not None and len(line_documents) == len(conversation):
        documents = [json.dumps(list(d), ensure_ascii=False) for d in line_documents[-MAX_LINES:]]
    found = (found or [])[:MAX_FOUND]
    found_ids = None
    if found_documents is not None and len(found_documents) >= len(found):
        found_ids = found_documents[: len(found)]
    return {
        "id": ticket_id,
        "employee": who.id,
        "title": title[:200],
        "category": category,
        "conversation": [line[:MAX_TEXT_CHARS] for line in lines],
        "found": found,
        "entities": entities or [],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "session": session,
        "line_documents": documents,
        "found_documents": found_ids,
    }
