"""Recommendations on the demo graph: graph proximity, similarity, colleagues' reading, permissions."""

from __future__ import annotations

import pytest

from search.recommend import Recommender
from search.service import SearchService
from zhiku.access import load_principal

SALARY_DOC = "2026年度薪酬调整方案（仅限人力资源部）"


@pytest.fixture
def rec(demo_search: SearchService) -> Recommender:
    return Recommender(demo_search)


def doc_id(service: SearchService, title_prefix: str) -> str:
    snap = service.snapshot()
    return next(d.id for d in snap.docs.values() if d.title.startswith(title_prefix))


def test_for_an_entity_policy_process_and_faq(rec: Recommender) -> None:
    who = load_principal(rec.store, "E1030")
    items = rec.for_entity("LEAVE-annual", who, k=8)
    kinds = {r.kind for r in items}
    assert {"document", "process", "faq"} <= kinds
    assert items[0].title == "云杉科技年假管理办法"
    assert any(r.kind == "process" and r.id == "PROC-LEAVE" for r in items)
    assert all(0 < r.score <= 1 and r.reason for r in items)
    assert [r.score for r in items[:2]] == sorted([r.score for r in items[:2]], reverse=True)


def test_for_a_document_shares_process_or_entities(rec: Recommender, demo_search: SearchService) -> None:
    who = load_principal(rec.store, "E1030")
    expense = doc_id(demo_search, "费用报销")
    titles = [r.title for r in rec.for_document(expense, who, k=6)]
    assert "差旅管理办法" in titles or "业务招待费管理规定" in titles
    assert "费用报销管理办法" not in titles


def test_restricted_documents_are_never_recommended_to_outsiders(
    rec: Recommender, demo_search: SearchService
) -> None:
    outsider = load_principal(rec.store, "E1030")
    hr = load_principal(rec.store, "E1010")
    salary = doc_id(demo_search, "2026年度薪酬")
    assert rec.for_document(salary, outsider) == []  # cannot even ask about it
    assert rec.for_document(salary, hr)
    for entity in ("TOPIC-payroll", "D-HR"):
        assert all(r.title != SALARY_DOC for r in rec.for_entity(entity, outsider, k=20))


def test_for_me_follows_what_colleagues_read(copy_search: SearchService) -> None:
    rec = Recommender(copy_search)  # it records views: on a copy of the demo of its own
    me, colleague, elsewhere = (load_principal(rec.store, e) for e in ("E1030", "E1031", "E1040"))
    seal = doc_id(copy_search, "印章使用")
    travel = doc_id(copy_search, "差旅管理")
    rec.record_view(colleague, travel)
    rec.record_view(colleague, travel)
    rec.record_view(elsewhere, seal)  # another department: does not count for me
    items = rec.for_user(me)
    assert items[0].id == travel and "同事" in items[0].reason
    rec.record_view(me, travel)  # once I have read it, it is no longer recommended
    assert travel not in [r.id for r in rec.for_user(me)]


def test_people_also_asked_offers_other_questions(rec: Recommender) -> None:
    who = load_principal(rec.store, "E1030")
    follow_ups = rec.people_also_asked("年假怎么请", who, k=3)
    assert 1 <= len(follow_ups) <= 3
    assert all(q.endswith(("？", "?")) for q in follow_ups)
    assert "年假怎么请" not in follow_ups
