"""The agent desk end to end on the demo company: an employee hands off over ``/ws/chat``, an agent
works the ticket through GraphQL (queue, suggestion, claim, reply, close), the replies arrive on the
employee's socket (and after a reconnect, the ones missed meanwhile), and the employee's messages
reach the ticket while it is open. Roles and ownership are checked on every step."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from chat.desk import AGENT_PREFIX, WITHHELD, TicketView, seen_by
from zhiku.access import Principal
from zhiku.settings import Settings

EMPLOYEE, OTHER, AGENT, AGENT2 = "E1030", "E1031", "E1015", "E1017"


@pytest.fixture
def client(demo_copy, copy_search, fresh_limits) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """On this test's own copy of the demo: hand-offs open tickets, agents work them."""
    settings = Settings(data_dir=copy_search.directory.parent)
    with TestClient(create_app(settings, store=demo_copy, search=copy_search)) as c:
        yield c


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


def test_the_queue_shows_an_agent_the_conversation_and_a_title_from_the_question(
    client: TestClient,
) -> None:
    """The hand-off bug seen by agent E1015: the desk opens a ticket from the queue, and the queue's
    tickets came back with an empty conversation and the generic title "员工要求转人工"."""
    with client.websocket_connect(f"/ws/chat?token={token(client, EMPLOYEE)}") as ws:
        ws.receive_json()
        assert ask(ws, "在吗？")["type"] in ("greeting", "smalltalk", "clarify")
        assert ask(ws, "公司有班车吗")["type"] == "answer"
        ticket = ask(ws, "转人工")["ticketId"]
    queue = gql(
        client,
        AGENT,
        '{ tickets(status: "open") { id title messageCount conversation { speaker text } found } }',
    )["data"]["tickets"]
    mine = next(t for t in queue if t["id"] == ticket)
    assert mine["title"] == "公司有班车吗"
    lines = [(m["speaker"], m["text"]) for m in mine["conversation"]]
    assert ("员工", "公司有班车吗") in lines and lines[-1] == ("员工", "转人工")
    assert len(lines) == mine["messageCount"] == 5  # 在吗 + its reply, the question + its answer, 转人工
    bot = [text for speaker, text in lines if speaker == "知库"]
    assert any("通勤巴士" in text for text in bot) and mine["found"]  # E1015 may read the public source
    # the queue and the ticket itself agree
    detail = gql(client, AGENT, DETAIL, id=ticket)["data"]["ticket"]
    assert [(m["speaker"], m["text"]) for m in detail["conversation"]] == lines


def test_a_hand_off_before_any_question_keeps_the_generic_title(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/chat?token={token(client, EMPLOYEE)}") as ws:
        ws.receive_json()
        ticket = ask(ws, "转人工")["ticketId"]
    detail = gql(client, AGENT, "{ tickets { id title } }")["data"]["tickets"]
    assert {"id": ticket, "title": "员工要求转人工"} in detail


def test_the_queue_puts_the_longest_waiting_first_with_server_side_sla_clocks(
    client: TestClient, demo_copy
) -> None:  # type: ignore[no-untyped-def]
    """Three tickets: one an hour old and unanswered (breached), one just opened (waiting), one
    answered within its target (met). The queue lists the waiting ones oldest first, then the rest."""
    from datetime import UTC, datetime, timedelta

    from chat.tickets import open_ticket, ticket_params

    principal = client.app.state.zhiku.principals.get(EMPLOYEE)  # type: ignore[attr-defined]
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    for ticket_id, at in (("TKT-SLA-OLD", hour_ago), ("TKT-SLA-ANSWERED", hour_ago), ("TKT-SLA-NEW", "")):
        params = ticket_params(
            principal, "班车几点发车", "handoff", ["员工: 班车几点发车"], ticket_id=ticket_id
        )
        if at:
            params["at"] = at
        open_ticket(demo_copy, params)
    mutation = 'mutation { replyToTicket(id: "TKT-SLA-ANSWERED", text: "7:30 发车") { applied } }'
    assert gql(client, AGENT, mutation)["data"]["replyToTicket"]["applied"] is True

    fields = "id sla { state waitedSeconds targetSeconds nearSeconds remainingSeconds respondedAt asOf }"
    queue = gql(client, AGENT, "{ tickets { " + fields + " } }")["data"]["tickets"]
    ours = [t for t in queue if t["id"].startswith("TKT-SLA-")]
    assert [t["id"] for t in ours] == ["TKT-SLA-OLD", "TKT-SLA-NEW", "TKT-SLA-ANSWERED"]
    old, new, answered = (t["sla"] for t in ours)
    assert old["state"] == "breached" and old["waitedSeconds"] >= 3600 and old["remainingSeconds"] < 0
    assert old["targetSeconds"] == 300 and old["nearSeconds"] == 240 and old["respondedAt"] is None
    assert new["state"] in ("waiting", "near") and new["remainingSeconds"] == 300 - new["waitedSeconds"]
    # answered an hour after it was opened: the clock stopped at the reply, over the target
    assert answered["state"] == "missed" and answered["respondedAt"] and answered["waitedSeconds"] >= 3600


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
    # the page is also a static file: the same headers there (no framing, no inline script)
    for url in ("/agent", "/agent/static/index.html", "/agent/static/console.js"):
        response = client.get(url)
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, url
        assert "unsafe-inline" not in policy, url
        assert response.headers["x-frame-options"] == "DENY", url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert response.headers["referrer-policy"] == "no-referrer", url
    assert "<script>" not in client.get("/agent/static/index.html").text  # no inline code to allow
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


# -- scope: an agent sees only what both the employee and the agent may read --------------------------

SALARY = "2026年度薪酬调整方案（仅限人力资源部）"
SALARY_TEXT = ("调薪幅度", "10%—15%", "调薪总预算")  # lines of the HR-only document
# E1010 人力资源部负责人 (hr, level 9); E1016 员工服务中心 (under 人力资源部) manager and agent, level 7;
# E1015 / E1043 agents of level 3 (员工服务中心, IT); E1040 an admin
HR_EMPLOYEE, HR_AGENT, IT_AGENT, ADMIN = "E1010", "E1016", "E1043", "E1040"
SCOPED = """query T($id: ID!) { ticket(id: $id) { id title conversation { speaker text } found concerns history
  suggestion { text answered withheld notice citations { documentId chunkId title section snippet uri } } } }"""


def salary_doc_id(client: TestClient) -> str:
    store = client.app.state.zhiku.store  # type: ignore[attr-defined]
    rows = store.query("MATCH (d:Document) WHERE d.name = $n RETURN d.id AS id", {"n": SALARY})
    return str(rows[0]["id"])


def hr_salary_hand_off(client: TestClient) -> str:
    """An HR employee asks about the salary plan (the bot answers from the HR-only document) and hands
    off; the ticket's id."""
    with client.websocket_connect(f"/ws/chat?token={token(client, HR_EMPLOYEE)}") as ws:
        ws.receive_json()
        answer = ask(ws, "2026年调薪矩阵是怎样的")
        assert answer["type"] == "answer" and "调薪幅度" in answer["content"]
        assert SALARY in [c["title"] for c in answer["citations"]]
        handoff = ask(ws, "转人工")
        assert handoff["type"] == "handoff"
        return str(handoff["ticketId"])


def test_an_agent_who_may_not_read_the_source_sees_neither_it_nor_its_title(client: TestClient) -> None:
    ticket = hr_salary_hand_off(client)
    doc = salary_doc_id(client)
    claim = f'mutation {{ claimTicket(id: "{ticket}") {{ ticket {{ conversation {{ text }} found }} }} }}'
    for agent in (AGENT, IT_AGENT):
        body = gql(client, agent, SCOPED, id=ticket)
        seen = body["data"]["ticket"]
        shown = json.dumps(body, ensure_ascii=False)
        for secret in (SALARY, doc, *SALARY_TEXT):
            assert secret not in shown, (agent, secret)
        # the employee's own words are there; the bot's answer from the HR-only document is not
        assert seen["conversation"][0] == {"speaker": "员工", "text": "2026年调薪矩阵是怎样的"}
        assert seen["conversation"][1] == {"speaker": "知库", "text": f"（{WITHHELD}）"}
        assert seen["found"][-1] == f"（{WITHHELD}）"
        suggestion = seen["suggestion"]
        assert suggestion["withheld"] is True and suggestion["notice"] == WITHHELD
        assert all(c["documentId"] != doc for c in suggestion["citations"])
        # the queue and an action's result show the ticket the same way
        queue = json.dumps(
            gql(client, agent, "{ tickets { id conversation { text } found } }"), ensure_ascii=False
        )
        assert ticket in queue and not any(s in queue for s in (SALARY, doc, *SALARY_TEXT))
        claimed = json.dumps(gql(client, agent, claim), ensure_ascii=False)
        assert WITHHELD in claimed and not any(s in claimed for s in (SALARY, doc, *SALARY_TEXT))


def test_an_agent_who_may_read_the_source_and_an_admin_see_it_all(client: TestClient) -> None:
    ticket = hr_salary_hand_off(client)
    doc = salary_doc_id(client)
    for who in (HR_AGENT, ADMIN):
        seen = gql(client, who, SCOPED, id=ticket)["data"]["ticket"]
        assert "调薪幅度" in seen["conversation"][1]["text"], who
        assert SALARY in seen["found"] and f"（{WITHHELD}）" not in seen["found"]
        suggestion = seen["suggestion"]
        assert suggestion["withheld"] is False and suggestion["notice"] == ""
        assert suggestion["citations"][0]["documentId"] == doc and "调薪幅度" in suggestion["text"]
    # the employee who raised it reads their own ticket whole (and gets no suggestion: agents only)
    own = gql(
        client,
        HR_EMPLOYEE,
        "query T($id: ID!) { ticket(id: $id) { conversation { text } found } }",
        id=ticket,
    )
    assert "调薪幅度" in own["data"]["ticket"]["conversation"][1]["text"]
    assert SALARY in own["data"]["ticket"]["found"]


def test_public_answers_stay_visible_to_every_agent(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/chat?token={token(client, HR_EMPLOYEE)}") as ws:
        ws.receive_json()
        assert ask(ws, "公司有班车吗")["type"] == "answer"
        ticket = ask(ws, "转人工")["ticketId"]
    seen = gql(client, IT_AGENT, SCOPED, id=ticket)["data"]["ticket"]
    assert "通勤巴士" in seen["conversation"][1]["text"] and WITHHELD not in json.dumps(
        seen, ensure_ascii=False
    )
    assert seen["found"] and seen["suggestion"]["withheld"] is False


def _view(**fields: Any) -> TicketView:
    base: dict[str, Any] = dict(
        id="TKT-1", title="员工要求转人工", category="handoff", status="open", created_at="", updated_at="",
        employee_id="E1", employee_name="", department="", assignee_id=None, assignee_name=None,
    )  # fmt: skip
    return TicketView(**(base | fields))


def test_the_rule_without_a_database() -> None:
    agent = Principal("E2", roles=("employee", "agent"), level=3)
    conversation = ["员工: 调薪怎么算", "知库: 机密内容", "员工: 转人工", f"{AGENT_PREFIX} 何佳: 您好"]
    ticket = _view(
        conversation=conversation,
        line_documents=[(), ("D-secret",), ()],
        found=["公开制度", "机密方案"],
        found_documents=["D-public", "D-secret"],
    )
    seen = seen_by(ticket, agent, {"D-public"}.__contains__)
    assert seen.conversation == [
        "员工: 调薪怎么算",
        f"知库: （{WITHHELD}）",
        "员工: 转人工",
        f"{AGENT_PREFIX} 何佳: 您好",
    ]
    assert seen.found == ["公开制度", f"（{WITHHELD}）"]
    assert seen_by(ticket, agent, {"D-public", "D-secret"}.__contains__).conversation == conversation
    # the employee and admins see it whole, whatever they may read
    assert seen_by(ticket, Principal("E1"), lambda _: False) is ticket
    assert seen_by(ticket, Principal("E3", roles=("admin",)), lambda _: False) is ticket
    # a ticket written before sources were recorded: the bot's lines and found sources are withheld
    legacy = _view(conversation=conversation, found=["公开制度"])
    old = seen_by(legacy, agent, lambda _: True)
    assert old.conversation[1] == f"知库: （{WITHHELD}）" and old.conversation[0] == "员工: 调薪怎么算"
    assert old.found == [f"（{WITHHELD}）"]


def test_the_suggestion_answers_the_question_the_hand_off_was_about() -> None:
    lines = ["员工: 公司有班车吗", "知库: 有通勤巴士。", "员工: 转人工", "员工: 在吗？"]
    assert _view(title="公司有班车吗", conversation=lines).last_question() == "公司有班车吗"
    # a ticket titled otherwise (before titles were questions): the latest line not asking for a person
    assert _view(title="员工要求转人工", conversation=lines).last_question() == "在吗？"


SEARCH = (
    "query S($s: String!, $status: String) { tickets(search: $s, status: $status) { id title employeeName } }"
)


def test_searching_the_queue_by_employee_title_and_text_sees_only_what_the_agent_may_read(
    client: TestClient,
) -> None:
    ticket = hr_salary_hand_off(client)
    store = client.app.state.zhiku.store  # type: ignore[attr-defined]
    name = store.query("MATCH (e:Employee {id: $id}) RETURN e.name AS n", {"id": HR_EMPLOYEE})[0]["n"]

    def found(who: str, text: str, status: str | None = None) -> list[str]:
        body = gql(client, who, SEARCH, s=text, status=status)
        assert "errors" not in body, body
        return [t["id"] for t in body["data"]["tickets"]]

    for agent in (HR_AGENT, IT_AGENT):
        assert ticket in found(agent, "调薪矩阵")  # the employee's own words (and the title from them)
        assert ticket in found(agent, f"{name} 调薪矩阵")  # every word: the employee's name and the text
        assert ticket in found(agent, HR_EMPLOYEE.lower())  # the employee's id, any case
        assert ticket not in found(agent, "调薪矩阵 没有这个词")
        assert ticket not in found(agent, "调薪矩阵", status="closed")
    # the bot's answer from the HR-only document: found by an agent who may read it, not by one who may not
    assert ticket in found(HR_AGENT, SALARY_TEXT[0])
    assert ticket not in found(IT_AGENT, SALARY_TEXT[0])
    shown = json.dumps(gql(client, IT_AGENT, SEARCH, s="调薪矩阵"), ensure_ascii=False)
    assert not any(s in shown for s in SALARY_TEXT)
    refused = gql(client, HR_EMPLOYEE, SEARCH, s="调薪矩阵")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
