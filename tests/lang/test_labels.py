"""An entity's name in a reply's language (lang.labels) and an approval step's (approvals.labels)."""

from __future__ import annotations

import pytest

from approvals.labels import step_label
from lang.labels import label_in

EXPENSE = {
    "name": "费用报销",
    "nameEn": "Expense reimbursement",
    "labelsI18n": ["ja=経費精算申請", "ko-KR=경비 정산"],
    "aliasesI18n": ["ja=精算申請"],
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh_Hans", "费用报销"),
        ("zh-TW", "费用报销"),
        ("en", "Expense reimbursement"),
        ("en_US", "Expense reimbursement"),
        ("ja", "経費精算申請"),  # the preferred label, not a synonym
        ("ko", "경비 정산"),  # a regional tag counts for its language
        ("de", None),  # the data has no German name
    ],
)
def test_label_in_picks_the_preferred_name_of_the_language(language: str, expected: str | None) -> None:
    assert label_in(EXPENSE, language) == expected


def test_a_step_without_its_own_label_is_named_by_its_roles() -> None:
    step = {"name": "人力资源备案审核"}
    hrbp = {"name": "HRBP审批", "nameEn": "HRBP"}
    manager = {"name": "人力资源经理审批", "nameEn": "HR manager"}
    assert step_label(step, [hrbp, manager], "en") == "HRBP / HR manager"
    assert step_label(step, [hrbp, {"name": "总经理审批"}], "en") is None  # one role unnamed in English
    assert step_label(step, [], "en") is None
    assert step_label({**step, "nameEn": "HR filing"}, [hrbp], "en") == "HR filing"  # its own label first
