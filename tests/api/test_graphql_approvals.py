"""The approval actions beyond approve/reject through GraphQL: 加签, 退回 and resubmission, 催办 (with
its hourly limit as a coded error), comments, 代理, 抄送 and the definition version each instance runs
— on this test's own copy of the demo graph."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.test_graphql import gql
from zhiku.settings import Settings

APPLICANT = "E1030"  # 朱红梅, manager 林晓燕 (E1002)


@pytest.fixture
def api(demo_copy, copy_search, demo_search) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=demo_search.directory.parent)
    with TestClient(create_app(settings, store=demo_copy, search=copy_search)) as c:
        yield c


SUBMIT = """mutation($cc: [ID!]) { submitApproval(process: "费用报销", amount: 800, reason: "打车", cc: $cc) {
  instance { id processVersion slaHours cc { id } pendingWith } } }"""
ACT = """mutation($id: ID!, $a: ApprovalAction!, $c: String, $t: ID, $p: AddSignPosition, $r: Int) {
  actOnApproval(id: $id, action: $a, comment: $c, target: $t, position: $p, returnToStep: $r) {
    applied message instance { status pendingWith steps { name round since approvers { id onBehalfOf } } }
  } }"""
AUDIT = """query($id: ID!) { approvalInstance(id: $id) { status processVersion
  audit { kind actorId comment onBehalfOf targetId } } }"""


def test_new_actions_through_graphql(api: TestClient) -> None:
    inst = gql(api, SUBMIT, APPLICANT, cc=["E1031"])["data"]["submitApproval"]["instance"]
    assert inst["processVersion"] == 1 and inst["slaHours"] == 48
    assert sorted(c["id"] for c in inst["cc"]) == ["E1023", "E1031"]
    iid = inst["id"]
    added = gql(api, ACT, "E1002", id=iid, a="ADD_SIGN", t="E1033", p="BEFORE")["data"]["actOnApproval"]
    assert added["applied"] and added["instance"]["pendingWith"] == ["E1033"]
    gql(api, ACT, "E1033", id=iid, a="APPROVE")
    back = gql(api, ACT, "E1002", id=iid, a="RETURN", c="请补充行程单")["data"]["actOnApproval"]
    assert back["instance"]["status"] == "returned" and back["instance"]["pendingWith"] == [APPLICANT]
    again = gql(api, ACT, APPLICANT, id=iid, a="RESUBMIT", c="已补充")["data"]["actOnApproval"]
    assert again["instance"]["status"] == "pending" and again["instance"]["pendingWith"] == ["E1002"]
    assert again["instance"]["steps"][1]["round"] == 1
    assert gql(api, ACT, APPLICANT, id=iid, a="REMIND")["data"]["actOnApproval"]["applied"]
    storm = gql(api, ACT, APPLICANT, id=iid, a="REMIND")
    assert storm["errors"][0]["extensions"]["code"] == "REMIND_TOO_SOON"
    assert "一小时内只能催办一次" in storm["errors"][0]["message"]
    said = gql(api, ACT, "E1031", id=iid, a="COMMENT", c="@林晓燕 出差单在附件里")["data"]["actOnApproval"]
    assert said["applied"]  # someone copied may comment
    lacking = gql(api, ACT, "E1002", id=iid, a="RETURN", c="重审", r=9)
    assert lacking["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    audit = gql(api, AUDIT, APPLICANT, id=iid)["data"]["approvalInstance"]
    kinds = [a["kind"] for a in audit["audit"]]
    assert kinds == ["submit", "add_sign", "approve", "return", "resubmit", "remind", "comment"]
    assert audit["audit"][1]["targetId"] == "E1033"


def test_a_delegate_set_through_graphql_receives_the_step(api: TestClient) -> None:
    q = 'mutation { setApprovalDelegate(delegate: "E1003", start: "2026-01-01", end: "2099-12-31") { delegateName end } }'
    done = gql(api, q, "E1002")["data"]["setApprovalDelegate"]
    assert done["end"].startswith("2100-01-01")  # the end date is inclusive
    inst = gql(api, SUBMIT, APPLICANT)["data"]["submitApproval"]["instance"]
    assert inst["pendingWith"] == ["E1003"]
    back = gql(
        api,
        'mutation { setApprovalDelegate(delegate: "E1002", start: "2026-01-01", end: "2026-12-31") { end } }',
        "E1003",
    )
    assert back["errors"][0]["extensions"]["code"] == "BAD_INPUT" and "循环" in back["errors"][0]["message"]
    done = gql(api, ACT, "E1003", id=inst["id"], a="APPROVE")["data"]["actOnApproval"]
    assert done["instance"]["steps"][0]["approvers"] == [{"id": "E1003", "onBehalfOf": "E1002"}]
    audit = gql(api, AUDIT, APPLICANT, id=inst["id"])["data"]["approvalInstance"]["audit"]
    assert audit[-1] == {
        "kind": "approve",
        "actorId": "E1003",
        "comment": "",
        "onBehalfOf": "E1002",
        "targetId": None,
    }
