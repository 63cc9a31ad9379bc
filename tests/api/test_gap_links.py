"""A knowledge gap an engineer linked to an existing answer changes what the chat answers, end to end
on a real server on loopback (GraphQL over HTTP, ``/ws/chat`` over a real WebSocket): a question
declined three times is linked to an existing FAQ row; asked again — as it was, and reworded slightly —
it is answered from that row with its citation, over both doors, and the group is no longer an open
gap. A group linked to a section only HR may read answers HR and still declines everyone else, with
none of the section's text. Unlinking takes it back: declined again, listed again."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from api.app import create_app
from api.auth import issue_token
from chat.gaps import GapLog, group_questions, nearest_wording, normalise, same_question
from chat.links import AnswerLinks
from zhiku.access import SYSTEM
from zhiku.loopback import running
from zhiku.settings import Settings

KE, ADMIN, EMPLOYEE, HR = "E1003", "E1001", "E1030", "E1010"  # engineer; admin; 行政部; HR manager

GAPS = "query G { knowledgeGaps(first: 100) { key question variants asked nearest { chunkId } } }"
RESOLVED = "query R { resolvedKnowledgeGaps { key question wordings documentId title chunkId by } }"
ASK = "query A($q: String!) { ask(question: $q) { answered text citations { documentId title } } }"
LINK = """mutation L($key: ID!, $doc: ID!, $chunk: ID, $s: String!) {
  linkKnowledgeGap(key: $key, documentId: $doc, chunkId: $chunk, section: $s) { key documentId chunkId } }"""
UNLINK = "mutation U($key: ID!) { unlinkKnowledgeGap(key: $key) { key documentId } }"


class Api:
    """GraphQL over HTTP and the chat over a WebSocket, against one server on loopback."""

    def __init__(self, base: str, settings: Settings, state: Any) -> None:
        self.base, self.settings, self.state = base, settings, state

    def gql(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        body: dict[str, Any] = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {issue_token(self.settings, who)}"},
            timeout=60,
        ).json()
        return body

    def ask(self, who: str, question: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.gql(who, ASK, q=question)["data"]["ask"]
        return answer

    def chat(self, who: str, question: str) -> dict[str, Any]:
        """The reply event ``/ws/chat`` sends for ``question`` (a new conversation)."""
        url = f"{self.base.replace('http://', 'ws://')}/ws/chat?token={issue_token(self.settings, who)}"
        with connect(url) as ws:
            ws.send(json.dumps({"type": "question", "content": question}))
            while True:
                got: dict[str, Any] = json.loads(ws.recv(timeout=60))
                if got["type"] not in ("ready", "typing", "heartbeat", "delta"):
                    return got

    def open_gap(self, marker: str) -> dict[str, Any]:
        ours = [g for g in self.gql(KE, GAPS)["data"]["knowledgeGaps"] if marker in g["question"]]
        assert len(ours) <= 1, ours
        return ours[0] if ours else {}


@pytest.fixture
def api(demo_copy, copy_search, fresh_limits) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=copy_search.directory.parent)
    app = create_app(settings, store=demo_copy, search=copy_search)
    with running(app) as base:
        yield Api(base, settings, app.state.zhiku)


def test_the_link_rule_is_the_grouping_rule() -> None:
    """One rule: what grouping puts in one group, the link matches, and nothing else."""
    asked, reworded, other = (
        normalise("公司的狗在哪里？"),
        normalise("公司的狗现在在哪里"),
        normalise("食堂在哪里"),
    )
    assert [len(g.questions) for g in group_questions([(asked, 3, 0), (reworded, 1, 0), (other, 1, 0)])] == [
        2,
        1,
    ]
    assert same_question(asked, reworded) and not same_question(asked, other)
    assert nearest_wording(reworded, [other, asked]) == (1, 87.5)
    assert nearest_wording(other, [asked]) is None and nearest_wording("", [asked]) is None


def test_a_linked_gap_is_answered_from_its_target_to_those_who_may_read_it(api: Api) -> None:
    state = api.state
    shuttle = next(
        h
        for h in state.search.search("班车几点发车", SYSTEM, k=10).hits
        if h.kind == "faq" and "7:30" in h.text
    )
    salary = next(
        h for h in state.search.search("2026年度薪酬调整方案", SYSTEM, k=10).hits if "薪酬" in h.title
    )

    pet = f"狗{uuid.uuid4().hex[:4]}"  # the shared Redis counts every test's questions: ours are unique
    asked = [f"公司的{pet}每天几点坐车？", f"公司的{pet}每天几点坐车", f"公司的{pet}每天几点坐车呢"]
    for question in asked:
        assert api.ask(EMPLOYEE, question)["answered"] is False
    group = api.open_gap(pet)
    assert group["asked"] == 3

    # the engineer links the group to an existing FAQ row (one chunk of the FAQ document)
    linked = api.gql(KE, LINK, key=group["key"], doc=shuttle.document_id, chunk=shuttle.chunk_id, s="")
    assert linked["data"]["linkKnowledgeGap"] == {
        "key": group["key"],
        "documentId": shuttle.document_id,
        "chunkId": shuttle.chunk_id,
    }
    assert api.open_gap(pet) == {}  # no longer an open gap
    listed = [r for r in api.gql(KE, RESOLVED)["data"]["resolvedKnowledgeGaps"] if r["key"] == group["key"]]
    assert listed and listed[0]["wordings"] == 2 and listed[0]["title"] == shuttle.title

    # asked again, as it was and reworded, over GraphQL and over /ws/chat: answered from the FAQ row
    for question in (asked[1], f"公司的{pet}每天几点去坐车"):
        answer = api.ask(EMPLOYEE, question)
        assert answer["answered"] is True and "7:30" in answer["text"], answer
        assert answer["citations"][0] == {"documentId": shuttle.document_id, "title": shuttle.title}
        reply = api.chat(EMPLOYEE, question)
        assert reply["type"] == "answer" and "7:30" in reply["content"], reply
        assert reply["citations"][0]["chunkId"] == shuttle.chunk_id
    assert api.open_gap(pet) == {}  # the answered rewording opened no new gap

    # a group linked to a section only HR may read: HR gets it, everyone else the normal decline
    fee = f"薪{uuid.uuid4().hex[:4]}"
    secret = [f"今年{fee}怎么调的？", f"今年{fee}怎么调的", f"今年{fee}是怎么调的"]
    for question in secret:
        assert api.ask(EMPLOYEE, question)["answered"] is False
    hidden = api.open_gap(fee)
    refused = api.gql(KE, LINK, key=hidden["key"], doc=salary.document_id, chunk=None, s="")
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # the engineer may not read it
    made = api.gql(ADMIN, LINK, key=hidden["key"], doc=salary.document_id, chunk=None, s=salary.section)
    assert made["data"]["linkKnowledgeGap"]["documentId"] == salary.document_id
    theirs = api.ask(HR, secret[0])
    assert theirs["answered"] is True and theirs["citations"][0]["documentId"] == salary.document_id
    for answer in (api.ask(EMPLOYEE, secret[0]), api.ask(EMPLOYEE, f"今年{fee}怎么调")):
        assert answer["answered"] is False and salary.text[:20] not in answer["text"], answer
        assert salary.document_id not in [c["documentId"] for c in answer["citations"]]
    reply = api.chat(EMPLOYEE, secret[1])
    assert reply["type"] != "answer" and salary.text[:20] not in reply["content"]
    assert salary.document_id not in [c["documentId"] for c in reply["citations"]]
    # an engineer who may not read the target may not unlink it either
    assert api.gql(KE, UNLINK, key=hidden["key"])["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert api.gql(ADMIN, UNLINK, key=hidden["key"])["data"]["unlinkKnowledgeGap"]["key"] == hidden["key"]

    # unlinked: declined again over both doors, and listed again
    undone = api.gql(KE, UNLINK, key=group["key"])["data"]["unlinkKnowledgeGap"]
    assert undone == {"key": group["key"], "documentId": shuttle.document_id}
    assert api.ask(EMPLOYEE, asked[1])["answered"] is False
    assert api.chat(EMPLOYEE, asked[1])["type"] != "answer"
    assert api.open_gap(pet)["asked"] >= 4
    again = api.gql(KE, UNLINK, key=group["key"])
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_link_is_read_once_per_change_not_per_question(demo_graph) -> None:  # type: ignore[no-untyped-def]
    """The ask path reads one small key per question; the links themselves only after a link or an
    unlink moved it — on any instance (two readers over one Redis)."""
    import redis

    kv = redis.Redis.from_url(demo_graph.kv_url, decode_responses=True)
    log = GapLog(kv, None, demo_graph)  # type: ignore[arg-type]  # linking needs no question counts
    one, two = AnswerLinks(kv), AnswerLinks(kv)
    marker = uuid.uuid4().hex[:6]
    [group] = group_questions([(f"测试{marker}问题在哪里", 1, 0)])
    assert one.match(f"测试{marker}问题在哪") is None
    log.resolve(group, "doc-x", "E1003", chunk="chunk-x")
    try:
        for reader in (one, two):
            found = reader.match(f"测试{marker}问题在哪")
            assert found is not None and (found.document_id, found.chunk_id) == ("doc-x", "chunk-x")
        seen = one._view
        assert one.match(f"测试{marker}问题在哪儿") is not None and one._view is seen  # not read again
    finally:
        assert log.unlink(group.key) is not None
    assert one.match(f"测试{marker}问题在哪") is None and two.match(f"测试{marker}问题在哪") is None
    kv.close()
