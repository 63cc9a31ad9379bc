"""The agent desk end to end on the demo company: an employee hands off over ``/ws/chat``, an agent
works the ticket through GraphQL (queue, suggestion, claim, reply, close), the replies arrive on the
employee's socket (and after a reconnect, the ones missed meanwhile), and the employee's messages
reach the ticket while it is open. Roles and ownership are checked on every step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from zhiku.settings import Settings

EMPLOYEE, OTHER, AGENT, AGENT2 = "E1030", "E1031", "E1015", "E1017"


@pytest.fixture
def client(demo_graph, demo_search) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=demo_search.directory.parent)
    with TestClient(create_app(settings, store=demo_graph, search=demo_search)) as c:
        yield c
    demo_graph.execute("MATCH (t:Ticket) DETACH DELETE t")


def token(client: TestClient, who: str) -> str:
    return issue_token(client.app.state.zhiku.settings, who)  # type: ignore[attr-defined]


def gql(client: TestClient, who: str, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token(client, who)}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ask(ws: Any, text: str) -> dict[str, Any]:
    ws.send_json({"type": "question", "content": text})
    assert ws.receive_json()["type"] == "typing"
    reply: dict[str, Any] = ws.receive_json()
    return reply


RESULT = "applied message ticket { id status assigneeId messageCount }"
DETAIL = """query T($id: ID!) { ticket(id: $id) { id status employeeId assigneeName conversation { speaker text }
  history found suggestion { text answered citations { title } } } }"""


def test_hand_off_reply_and_close_reach_the_employee(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/chat?token={token(client, EMPLOYEE)}") as ws:
        session = ws.receive_json()["sessionId"]
        assert ask(ws, "公司有班车吗")["type"] == "answer"
        handoff = ask(ws, "转人工")
        assert handoff["type"] == "handoff" and handoff["ticketId"]
        ticket = handoff["ticketId"]

        queue = gql(client, AGENT, '{ tickets(status: "open") { id employeeName category } }')
        assert {"id": ticket, "employeeName": "朱红梅", "category": "handoff"} in queue["data"]["tickets"]
        detail = gql(client, AGENT, DETAIL, id=ticket)["data"]["ticket"]
        speakers = [m["speaker"] for m in detail["conversation"]]
        assert speakers[:2] == ["员工", "知库"] and detail["conversation"][0]["text"] == "公司有班车吗"
        # the suggestion answers the employee's real question, not "转人工", with sources
        assert detail["suggestion"]["answered"] and "通勤巴士" in detail["suggestion"]["text"]
        assert detail["suggestion"]["citations"] and detail["found"]

        claimed = gql(client, AGENT, f'mutation {{ claimTicket(id: "{ticket}") {{ {RESULT} }} }}')
        assert claimed["data"]["claimTicket"]["applied"] is True
        assert claimed["data"]["claimTicket"]["ticket"]["status"] == "in_progress"
        joined = ws.receive_json()
        assert joined["type"] == "agent_joined" and joined["ticketId"] == ticket and joined["agent"] == "何佳"

        reply = "您好，班车每天 7:30 从地铁站发车，详见通勤巴士时刻表。"
        mutation = 'mutation R($id: ID!, $t: String!) { replyToTicket(id: $id, text: $t, idempotencyKey: "k1") { %s } }'
        first = gql(client, AGENT, mutation % RESULT, id=ticket, t=reply)["data"]["replyToTicket"]
        again = gql(client, AGENT, mutation % RESULT, id=ticket, t=reply)["data"]["replyToTicket"]
        assert first["applied"] is True and again["applied"] is False  # a retried send counts once
        message = ws.receive_json()
        assert message == {
            "type": "agent_message",
            "eventId": message["eventId"],
            "ticketId": ticket,
            "sessionId": session,
            "agent": "何佳",
            "content": reply,
            "at": message["at"],
        }

        forwarded = ask(ws, "好的，那周末有吗？")
        assert forwarded["type"] == "forwarded" and forwarded["ticketId"] == ticket
        lines = [m["text"] for m in gql(client, AGENT, DETAIL, id=ticket)["data"]["ticket"]["conversation"]]
        assert lines[-2:] == [reply, "好的，那周末有吗？"]

        closed = gql(
            client,
            AGENT,
            f'mutation {{ closeTicket(id: "{ticket}", resolution: "已答复班车时间") {{ {RESULT} }} }}',
        )["data"]["closeTicket"]
        assert closed["applied"] is True and closed["ticket"]["status"] == "closed"
        bye = ws.receive_json()
        assert bye["type"] == "ticket_closed" and "已答复班车时间" in bye["content"]
        late = gql(client, AGENT, mutation.replace("k1", "k2") % RESULT, id=ticket, t="补充一句")
        assert late["data"]["replyToTicket"]["applied"] is False
        assert "关闭" in late["data"]["replyToTicket"]["message"]
        # the ticket is closed: the bot answers again
        assert ask(ws, "公司有班车吗")["type"] == "answer"

    history = gql(client, AGENT, DETAIL, id=ticket)["data"]["ticket"]["history"]
    kinds = [h.split(":")[0].split("@")[0] for h in history]
    assert kinds == ["open", "claimed", "reply", "message", "closed"]


def test_replies_missed_while_disconnected_arrive_on_resume(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/chat?token={token(client, EMPLOYEE)}") as ws:
        session = ws.receive_json()["sessionId"]
        ticket = ask(ws, "转人工")["ticketId"]
        gql(client, AGENT, f'mutation {{ claimTicket(id: "{ticket}") {{ applied }} }}')
        last = ws.receive_json()["eventId"]
    gql(client, AGENT, f'mutation {{ replyToTicket(id: "{ticket}", text: "在吗？我来帮您") {{ applied }} }}')
    url = f"/ws/chat?token={token(client, EMPLOYEE)}&sessionId={session}&lastEventId={last}"
    with client.websocket_connect(url) as ws:
        ready = ws.receive_json()
        assert ready["resumed"] is True
        missed = ws.receive_json()
        assert missed["type"] == "agent_message" and missed["content"] == "在吗？我来帮您"
        # the session still belongs to the hand-off: messages go to the agent
        assert ask(ws, "我在")["type"] == "forwarded"


def test_roles_and_ownership(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/chat?token={token(client, EMPLOYEE)}") as ws:
        ws.receive_json()
        ticket = ask(ws, "转人工")["ticketId"]
    forbidden = gql(client, EMPLOYEE, "{ tickets { id } }")
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for mutation in ("claimTicket(id: $id)", "closeTicket(id: $id)", 'replyToTicket(id: $id, text: "x")'):
        body = gql(client, EMPLOYEE, f"mutation M($id: ID!) {{ {mutation} {{ applied }} }}", id=ticket)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    own = gql(client, EMPLOYEE, "query T($id: ID!) { ticket(id: $id) { id status } }", id=ticket)
    assert own["data"]["ticket"] == {"id": ticket, "status": "open"}
    assert (
        gql(client, OTHER, "query T($id: ID!) { ticket(id: $id) { id } }", id=ticket)["data"]["ticket"]
        is None
    )
    # the suggestion is for agents only
    body = gql(client, EMPLOYEE, "query T($id: ID!) { ticket(id: $id) { suggestion { text } } }", id=ticket)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # another agent takes it over (a transfer), then bad input is refused clearly
    moved = gql(client, AGENT2, f'mutation {{ claimTicket(id: "{ticket}") {{ {RESULT} }} }}')
    assert moved["data"]["claimTicket"]["ticket"]["assigneeId"] == AGENT2
    empty = gql(client, AGENT, f'mutation {{ replyToTicket(id: "{ticket}", text: "  ") {{ applied }} }}')
    assert empty["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    huge = gql(client, AGENT, "mutation R($id: ID!, $t: String!) { replyToTicket(id: $id, text: $t) { applied } }",
               id=ticket, t="长" * 2001)  # fmt: skip
    assert huge["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    missing = gql(client, AGENT, 'mutation { claimTicket(id: "TKT-nope") { applied } }')
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = gql(client, AGENT, '{ tickets(status: "whatever") { id } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT"


def test_console_page_is_served_with_strict_headers(client: TestClient) -> None:
    page = client.get("/agent")
    assert page.status_code == 200 and "人工客服工作台" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    script = client.get("/agent/static/console.js")
    assert script.status_code == 200 and "replyToTicket" in script.text
    assert client.get("/agent/static/../../app.py").status_code == 404


def test_tickets_do_not_show_in_anyones_entity_relations(client: TestClient) -> None:
    """A ticket is linked to the employee who raised it (RAISED_BY): nobody browsing that employee's
    relations — a colleague, an agent, the employee — learns of it there (the desk is the way in)."""
    with client.websocket_connect(f"/ws/chat?token={token(client, EMPLOYEE)}") as ws:
        ws.receive_json()
        ticket = ask(ws, "转人工")["ticketId"]
    query = 'query { entity(id: "E1030") { relations(first: 200) { type targetId targetLabels } } }'
    for who in (OTHER, AGENT, EMPLOYEE):
        relations = gql(client, who, query)["data"]["entity"]["relations"]
        assert relations, who  # the employee's department, manager, position… are there
        assert not [r for r in relations if r["targetId"] == ticket or "Ticket" in r["targetLabels"]], who
