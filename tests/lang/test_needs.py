"""What a question asks for (lang.needs): the kind of detail, and whether a passage holds one."""

from __future__ import annotations

from lang.needs import QUESTION_WORDS, asked_for, holds


def test_asked_for_names_the_kind_of_detail() -> None:
    assert asked_for("报销一万块钱需要谁审批") == "person"  # who, though it names an amount
    assert asked_for("出差每天补贴多少钱") == "amount"
    assert asked_for("离职证明哪天能拿到") == "time"
    assert asked_for("调休多久过期") == "duration"
    assert asked_for("体检是在哪家机构做") == "place"
    assert asked_for("采购要找几家供应商比价") == "count"
    assert asked_for("公积金交多少比例") == "amount"
    assert asked_for("年度优秀员工奖金有多少") == "number"
    # yes or no, how: no detail asked for; "那几天" points back, it does not ask
    assert (
        asked_for("年假可以按小时请吗") == asked_for("年假怎么请") == asked_for("出差那几天还发餐补吗") == ""
    )


def test_holds_finds_a_detail_of_the_kind_asked_for() -> None:
    assert holds("amount", "单笔报销超过5000元的需要财务总监审批")
    assert not holds("amount", "生日当月发放生日礼券。")
    assert holds("duration", "须在配偶生育后30天内休完。")
    assert holds("duration", "每年至少组织一次消防演练。")  # 多久搞一次: how often
    assert holds("time", "上海总部B1食堂午餐11:30—13:30")
    assert holds("time", "每周二、周四集中发放")
    assert not holds("time", "凭工牌乘车。")
    # a role or a department in the words, or the ontology's persons and roles among its mentions
    assert holds("person", "由行政部印章管理员保管。")
    assert holds("person", "张敏处理。", mention_types={"Person"})
    assert not holds("person", "上海总部有免费通勤巴士，工作日早晚各4条线路。")
    assert holds("place", "在企业微信“员工福利”中预约。")
    assert not holds("place", "生日当月发放200元生日礼券。")
    assert holds("", "任何文字") and holds("unknown kind", "")


def test_question_words_are_not_content() -> None:
    assert {"谁", "多久", "怎么办", "最多"} <= QUESTION_WORDS
    assert not {"年假", "个税", "报销"} & QUESTION_WORDS
