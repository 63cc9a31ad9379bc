"""The answer gate: the pure decision on evidence, and answers on the demo — supported questions are
answered, questions the knowledge base does not cover get 没有找到, the nearest topics and a human."""

from __future__ import annotations

from chat.answer import compose_answer
from chat.gate import Evidence, content_terms, decide, read_question
from zhiku.access import load_principal


def evidence(**changes: float | bool | None) -> Evidence:
    base = {"dense": 0.93, "coverage": 0.7, "field": 0.5, "unknown": 0.0, "margin": 0.05, "linked": True,
            "keyword_rank": 0, "heading_dense": 0.94}  # fmt: skip
    return Evidence(**{**base, **changes})  # type: ignore[arg-type]


def test_decide_answers_only_supported_passages() -> None:
    assert decide(evidence()).answered
    assert not decide(None).answered
    # mostly words the knowledge base never uses (停车位, 期权): declined however similar
    assert decide(evidence(unknown=0.7)).reason == "unknown words"
    # neither the passage nor its heading is close enough
    assert not decide(evidence(dense=0.87, heading_dense=0.88)).answered
    # close, and the passage holds most of the question (or the word a follow-up turns on)
    middling = evidence(dense=0.895, heading_dense=0.89, coverage=0.3)
    assert not decide(middling).answered and decide(middling, covered=True).answered
    assert decide(evidence(dense=0.895, heading_dense=0.89, coverage=0.65)).answered
    assert 0 <= decide(evidence(unknown=0.7)).confidence < decide(evidence()).confidence <= 1


def test_decide_needs_the_detail_asked_for_and_the_question_s_specific_words() -> None:
    # 多少钱 answered by a passage without an amount: declined, however similar
    assert decide(evidence(detail=False)).reason == "not the detail asked for"
    # a near miss: the topic word is there, the question's specific word (个税) is not
    near_miss = evidence(dense=0.904, heading_dense=0.922, support=0.47)
    assert decide(near_miss).reason == "question's words missing"
    # a paraphrase is answered without its words: the passage or the FAQ row's question is that close
    assert decide(evidence(dense=0.92, heading_dense=0.9, support=0.3)).answered
    assert decide(evidence(dense=0.9, heading_dense=0.935, support=0.3)).answered
    assert decide(evidence(dense=0.904, heading_dense=0.922, support=0.85)).answered
    # a follow-up's slot value is in the passage: the caller knows it is covered
    assert decide(near_miss, covered=True).answered


def test_out_of_scope_questions_are_declined_with_topics_and_a_human(demo_graph, demo_search) -> None:  # type: ignore[no-untyped-def]
    who = load_principal(demo_graph, "E1030")
    near_misses = (
        "住房补贴要交个税吗",
        "报销单可以请同事代签吗",
        "食堂周末开不开",
    )  # a topic word, not the detail
    for question in ("公司停车位一个月多少钱", "公司年会什么时候开", "公司有股票期权吗", *near_misses):
        answer = compose_answer(demo_search, question, who)
        assert not answer.answered, question
        assert "没有找到" in answer.text and "转人工" in answer.text and "相近的内容有" in answer.text


def test_supported_questions_are_answered_from_the_right_passage(demo_graph, demo_search) -> None:  # type: ignore[no-untyped-def]
    who = load_principal(demo_graph, "E1030")
    how = compose_answer(demo_search, "年假怎么请", who)
    # a how-question, not the close yes/no row "年假可以按小时请吗？"
    assert how.answered and "请假申请单" in how.text and "最小单位" not in how.text
    hotel = compose_answer(demo_search, "去北京出差住宿标准是多少", who)
    assert hotel.answered and "550" in hotel.text
    # the hand-tuned rules answer this wording too; the learned decision (chat.decision) rates it ~0.6,
    # below its threshold, so it declines and offers the hotel standard first among the nearest topics
    worded = "出差去北京住酒店一晚能报多少钱"
    assert "550" in compose_answer(demo_search, worded, who, learned=False).text
    declined = compose_answer(demo_search, worded, who)
    assert not declined.answered and "相近的内容有：“出差住宿标准是多少？”" in declined.text
    smoking = compose_answer(demo_search, "办公室里能抽烟吗", who)
    # the document's title-only chunk ranks first; the clause that says something is the one offered
    assert smoking.citations and "吸烟" in smoking.citations[0].snippet


def test_the_passage_that_holds_the_question_answers(demo_graph, demo_search) -> None:  # type: ignore[no-untyped-def]
    who = load_principal(demo_graph, "E1030")
    # the policy clause, not the FAQ row "离职后社保怎么办？" ranked above it
    pension = compose_answer(demo_search, "离职当月的公积金谁交", who)
    assert (
        pension.answered
        and "公积金" in pension.text
        and pension.citations[0].section.endswith("社保与公积金")
    )
    # support is read against general Chinese: other languages keep the rule as it was
    assert content_terms(demo_search, "When do I register a visitor?") is None
    assert set(content_terms(demo_search, "住房补贴要交个税吗") or ()) >= {"个税"}
    # a short FAQ answer is an answer
    pay = compose_answer(demo_search, "离职那个月的工资什么时候结", who)
    assert pay.answered and "发薪日" in pay.text


def test_decide_declines_a_passage_that_does_not_name_who_the_question_names() -> None:
    assert decide(evidence(named=False)).reason == "a name the passage does not hold"
    # a follow-up's slot value is in the passage: the caller knows it is covered
    assert decide(evidence(named=False), covered=True).answered


def test_the_question_is_read_once_with_its_names_and_synonyms(demo_graph, demo_search) -> None:  # type: ignore[no-untyped-def]
    other = read_question(demo_search, "华为员工出差能坐商务座吗")
    # another company's name, which the knowledge base never uses, must be named by the passage
    assert [n.surface for n in other.names] == ["华为"] and other.asked == ""
    assert not other.names[0].named_by("出差交通标准：高铁二等座", ())
    # a word naming an ontology entity is held by any of the entity's labels (企微 is an altLabel of 企业微信)
    wecom = read_question(demo_search, "企微的动态口令在哪里看")
    assert "企业微信" in wecom.words["企微"].synonyms and wecom.asked == "place" and wecom.weights
    who = load_principal(demo_graph, "E1030")
    answer = compose_answer(demo_search, "华为员工出差能坐商务座吗", who)
    assert not answer.answered and "没有找到" in answer.text
    # English questions keep the rule as it was: no names, no words read
    english = read_question(demo_search, "Who approves travel?")
    assert english.content is None and not english.names and not english.words
