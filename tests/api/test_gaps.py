"""Knowledge gaps end to end on a copy of the demo: an employee's questions the bot declines (and one
it answers that gets 👎) show up for a knowledge engineer grouped with their near-duplicates, counts
and nearest topics; the engineer answers the group with a FAQ entry, which is stored and indexed at
once; the group leaves the list; asking again is answered from the new entry; the confirmed intent is
saved for `zhiku nlu train`. Roles and scopes are checked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from chat.gaps import GapLog, group_questions, normalise
from chat.questions import QuestionLog
from zhiku.settings import Settings

KE, EMPLOYEE = "E1003", "E1030"  # a knowledge engineer in 总经办 (D-GMO, level 6); an employee in 行政部

GAPS = "query G { knowledgeGaps(first: 100) { key question variants asked downVoted nearest { title } } }"
RESOLVE = """mutation R($key: ID!, $q: String!, $a: String!, $v: [String!], $d: [String!], $l: Int!, $i: String) {
  resolveKnowledgeGap(key: $key, question: $q, answer: $a, variants: $v, departments: $d, level: $l, intent: $i) {
    key documentId outcome chunks labelled } }"""
ASK = "query A($q: String!) { ask(question: $q) { id answered text citations { documentId title } } }"


@pytest.fixture
def client(demo_copy, copy_search_writable, fresh_limits) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=copy_search_writable.directory.parent)
    with TestClient(create_app(settings, store=demo_copy, search=copy_search_writable)) as c:
        yield c


def gql(client: TestClient, who: str, query: str, **variables: Any) -> dict[str, Any]:
    token = issue_token(client.app.state.zhiku.settings, who)  # type: ignore[attr-defined]
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_near_duplicates_are_one_group_most_asked_first() -> None:
    groups = group_questions(
        [
            ("班车几点发车", 3, 0),
            ("班车几点发车？", 1, 1),
            ("班車幾點發車", 1, 0),
            ("食堂在哪", 2, 0),
            ("食堂在哪里", 1, 0),
        ]
    )
    assert [(g.question, g.variants, g.asked, g.down_voted) for g in groups] == [
        ("班车几点发车", (), 5, 1),
        ("食堂在哪", ("食堂在哪里",), 3, 0),
    ]


def test_a_declined_question_becomes_a_faq_entry_and_is_answered_next_time(client: TestClient) -> None:
    pet = f"猫{uuid.uuid4().hex[:4]}"  # the shared Redis counts every test's questions: ours are unique
    asked = [f"公司养的{pet}叫什么名字？", f"公司养的{pet}叫什么名字", f"公司养的{pet}叫啥名字"]
    for question in asked:
        answer = gql(client, EMPLOYEE, ASK, q=question)["data"]["ask"]
        assert answer["answered"] is False, answer["text"]

    # employees see no gaps; the engineer sees one group with its wordings and counts
    refused = gql(client, EMPLOYEE, GAPS)
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    gaps = gql(client, KE, GAPS)["data"]["knowledgeGaps"]
    ours = [g for g in gaps if pet in g["question"]]
    assert len(ours) == 1, ours
    group = ours[0]
    assert group["asked"] == 3 and group["downVoted"] == 0
    wordings = [group["question"], *group["variants"]]  # "…？" and "…" are one wording
    assert sorted(map(normalise, wordings)) == sorted({normalise(q) for q in asked})
    assert len(group["nearest"]) <= 3

    # a scope wider than the engineer may read is refused and stores nothing
    wider = gql(client, KE, RESOLVE, key=group["key"], q=asked[0], a="叫橘子。", d=["D-HR"], l=0)
    assert wider["errors"][0]["extensions"]["code"] == "BAD_INPUT", wider
    answer_text = f"公司养的{pet}叫橘子，住在三楼前台，每天下午三点喂食。"
    made = gql(
        client,
        KE,
        RESOLVE,
        key=group["key"],
        q=asked[0],
        a=answer_text,
        v=["前台的猫叫什么"],
        l=0,
        i="查询政策",
    )["data"]["resolveKnowledgeGap"]
    assert made["outcome"] == "new" and made["chunks"] >= 1 and made["labelled"] == 2
    assert made["documentId"]

    # resolved: gone from the list; asking again is answered from the new entry
    again = gql(client, KE, GAPS)["data"]["knowledgeGaps"]
    assert not [g for g in again if pet in g["question"]]
    reply = gql(client, EMPLOYEE, ASK, q=f"公司养的{pet}叫什么名字")["data"]["ask"]
    assert reply["answered"] is True and "橘子" in reply["text"], reply
    assert made["documentId"] in [c["documentId"] for c in reply["citations"]]
    state = client.app.state.zhiku  # type: ignore[attr-defined]
    questions: QuestionLog = state.dialog.questions
    labelled = GapLog(questions.kv, questions, state.store).labelled()
    assert {(i, normalise(q)) for i, q in labelled} >= {("查询政策", normalise(q)) for q in asked}

    # the group cannot be resolved twice
    twice = gql(client, KE, RESOLVE, key=group["key"], q=asked[0], a=answer_text, l=0)
    assert twice["errors"][0]["extensions"]["code"] == "NOT_FOUND"


LINK = """mutation L($key: ID!, $doc: ID!, $s: String!, $i: String) {
  linkKnowledgeGap(key: $key, documentId: $doc, section: $s, intent: $i) {
    key documentId title section labelled } }"""
LABEL = """mutation B($key: ID!, $i: String!) { labelKnowledgeGap(key: $key, intent: $i) { key intent labelled } }"""


def _declined_group(client: TestClient, asked: list[str], marker: str) -> dict[str, Any]:
    for question in asked:
        assert gql(client, EMPLOYEE, ASK, q=question)["data"]["ask"]["answered"] is False
    ours = [g for g in gql(client, KE, GAPS)["data"]["knowledgeGaps"] if marker in g["question"]]
    assert len(ours) == 1, ours
    return ours[0]


def test_a_gap_is_linked_to_an_existing_answer_or_only_labelled(client: TestClient) -> None:
    state = client.app.state.zhiku  # type: ignore[attr-defined]
    questions: QuestionLog = state.dialog.questions
    log = GapLog(questions.kv, questions, state.store)
    store = state.store
    open_doc = store.query(
        "MATCH (d:Document) WHERE coalesce(size(d.accessDepartments), 0) = 0 "
        "AND coalesce(d.level, 0) = 0 RETURN d.id AS id, d.name AS title LIMIT 1"
    )[0]
    hr_doc = store.query("MATCH (d:Document) WHERE 'D-HR' IN d.accessDepartments RETURN d.id AS id")[0]["id"]

    # label only: the intent is saved, the group stays listed (no answer was written)
    fish = f"鱼{uuid.uuid4().hex[:4]}"
    fish_group = _declined_group(client, [f"前台的{fish}谁来喂？", f"前台的{fish}谁喂"], fish)
    bad = gql(client, KE, LABEL, key=fish_group["key"], i="没有的意图")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    refused = gql(client, EMPLOYEE, LABEL, key=fish_group["key"], i="查询政策")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    labelled = gql(client, KE, LABEL, key=fish_group["key"], i="查询政策")["data"]["labelKnowledgeGap"]
    assert labelled == {"key": fish_group["key"], "intent": "查询政策", "labelled": 2}
    assert ("查询政策", normalise(f"前台的{fish}谁来喂")) in {(i, normalise(q)) for i, q in log.labelled()}
    assert [g for g in gql(client, KE, GAPS)["data"]["knowledgeGaps"] if fish in g["question"]]

    # link: a document the engineer may not read does not exist for them; nothing is resolved
    pet = f"狗{uuid.uuid4().hex[:4]}"
    asked = [f"公司的{pet}在哪里？", f"公司的{pet}在哪"]
    group = _declined_group(client, asked, pet)
    hidden = gql(client, KE, LINK, key=group["key"], doc=hr_doc, s="")
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND", hidden
    assert [g for g in gql(client, KE, GAPS)["data"]["knowledgeGaps"] if pet in g["question"]]

    linked = gql(client, KE, LINK, key=group["key"], doc=open_doc["id"], s=" 第二节 ", i="查询政策")
    assert linked["data"]["linkKnowledgeGap"] == {
        "key": group["key"],
        "documentId": open_doc["id"],
        "title": open_doc["title"],
        "section": "第二节",
        "labelled": 2,
    }
    # resolved by the linked answer: gone from the list, each wording recorded against it
    assert not [g for g in gql(client, KE, GAPS)["data"]["knowledgeGaps"] if pet in g["question"]]
    assert log.resolved_of(asked) == {q: open_doc["id"] for q in asked}
    again = gql(client, KE, LINK, key=group["key"], doc=open_doc["id"], s="")
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"
