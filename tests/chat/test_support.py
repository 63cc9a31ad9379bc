"""Support of a passage for a question (chat.support): specific words, and which close hit answers."""

from __future__ import annotations

from chat.gate import general_idf
from chat.support import (
    ANSWER_MARGIN,
    Term,
    Word,
    answer_order,
    closeness,
    content_words,
    specific_terms,
    specificity,
    support,
)
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
    words = {"请假": Word(5.0), "餐补": Word(5.0)}
    row = hit("faq", "问：餐补有多少？ 答：每个出勤日30元。", 1.419, 0.909)
    clause = hit("clause", "餐补按实际出勤天数计算；请假、调休当天不计餐补。", 1.416, 0.912, "chunk")
    far = hit("far", "请假、调休当天不计餐补。", 1.419 - ANSWER_MARGIN - 0.01, 0.95, "chunk")
    assert [h.chunk_id for h in answer_order([row, clause, far], words)] == ["clause", "faq", "far"]
    # a passage that does not hold more of the question keeps the fused order
    same = hit("clause", "问：餐补怎么领？ 答：随工资发放。", 1.40, 0.909)
    assert [h.chunk_id for h in answer_order([row, same], words)] == ["faq", "clause"]
    assert answer_order([], words) == []


def test_answer_order_prefers_the_passage_holding_the_detail_asked_for() -> None:
    # 分机多少: of two close rows holding the question's words, the one with the extension number answers
    words = {"行政": Word(1.0), "分机": Word(8.0)}
    supplies = hit("supplies", "问：办公用品找谁？ 答：找行政部领用。分机请查通讯录", 1.40, 0.905)
    contacts = hit("contacts", "行政部，分机 8031", 1.39, 0.90, "chunk")
    order = answer_order([supplies, contacts], words, lambda h: any(c.isdigit() for c in h.text))
    assert [h.chunk_id for h in order] == ["contacts", "supplies"]


def test_closeness_reads_synonyms_links_and_characters() -> None:
    assert content_words(["住房", "补贴", "个税", "谁", "五天"], general_idf).keys() == {
        "住房",
        "补贴",
        "个税",
    }
    # a synonym the ontology gives the word's entity, or the passage's link to that entity, holds it
    spouse = {"老婆": Word(3.0, frozenset({"配偶"}), frozenset({"T-SPOUSE"}))}
    assert closeness(spouse, "配偶生育的，男员工享受陪产假") == 1.0
    assert closeness(spouse, "男员工享受陪产假", {"T-SPOUSE"}) == 1.0
    assert closeness(spouse, "男员工享受陪产假") == 0.0
    # a word the passage lacks earns part of its weight for the characters it holds (付钱 ↔ 无需付费)
    assert closeness({"付钱": Word(4.0)}, "体检当天凭身份证到检，无需付费") == 0.25
    assert closeness({}, "任何文字") == 1.0
