"""Support of a passage for a question (chat.support): specific words, and which close hit answers."""

from __future__ import annotations

from chat.gate import general_idf
from chat.support import ANSWER_MARGIN, Term, answer_order, specific_terms, specificity, support
from search.service import Hit


def hit(chunk_id: str, text: str, score: float, dense: float, kind: str = "faq") -> Hit:
    return Hit(chunk_id, "d", "标题", "u", (), text, kind, score, (), dense_score=dense)


def test_specificity_counts_what_is_rarer_than_everyday_words() -> None:
    assert specificity(6.0) == 0.0 and specificity(9.0) == 2.0
    assert specificity(None) == 5.0  # a word the dictionary does not know
    terms = specific_terms(["住房", "补贴", "个税", "谁", "五天", "一万"], general_idf)
    assert set(terms) == {"住房", "补贴", "个税"}  # no question words, no numbers
    assert terms["个税"].weight > terms["住房"].weight > 0
    # a fragment the dictionary does not know is held by its characters that are not everyday ones
    fragment = specific_terms(["能休"], general_idf)["能休"]
    assert fragment.parts == ("休",)
    assert support({"能休": fragment}, "婚假10天，须在一年内一次性休完") == 1.0


def test_support_is_the_share_of_specificity_the_passage_holds() -> None:
    content = {"住房": Term(3.0), "补贴": Term(4.0), "个税": Term(5.0)}
    assert support(content, "住房补贴怎么申请？") == 7.0 / 12.0
    assert support(content, "住房补贴按个税规定") == 1.0
    assert support({}, "任何文字") == 1.0  # a question without specific words is not held back


def test_answer_order_prefers_the_close_passage_that_holds_the_question() -> None:
    content = {"请假": Term(5.0), "餐补": Term(5.0)}
    row = hit("faq", "问：餐补有多少？ 答：每个出勤日30元。", 1.419, 0.909)
    clause = hit("clause", "餐补按实际出勤天数计算；请假、调休当天不计餐补。", 1.416, 0.912, "chunk")
    far = hit("far", "请假、调休当天不计餐补。", 1.419 - ANSWER_MARGIN - 0.01, 0.95, "chunk")
    assert [h.chunk_id for h in answer_order([row, clause, far], content)] == ["clause", "faq", "far"]
    # a passage that does not hold more of the question keeps the fused order
    same = hit("clause", "问：餐补怎么领？ 答：随工资发放。", 1.40, 0.909)
    assert [h.chunk_id for h in answer_order([row, same], content)] == ["faq", "clause"]
    assert answer_order([], content) == []
