"""What a question asks for (lang.needs): the kind of detail, and whether a passage holds one."""

from __future__ import annotations

from lang.needs import QUESTION_WORDS, asked_for, asked_unit, holds


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


def test_a_clause_s_own_number_is_no_number_and_a_unit_asked_for_must_be_the_one_held() -> None:
    # the article's or list item's numbering is not the number asked for
    assert not holds("number", "第三条 公司设立年度最佳新人奖。")
    assert not holds("count", "二、会议室可提前一周在企业微信预订。")
    assert holds("number", "第三条 年度最佳新人奖奖金8000元。")
    assert holds("count", "三、每月可领取2次。")
    # "多少米" asks metres: a number in another unit does not answer it; no unit, any number does
    assert asked_unit("停车场离办公楼有多少米") == "米"
    assert asked_unit("一年能请几次") == asked_unit("公积金比例是多少") == ""
    assert not holds("number", "员工每日上下班各打卡1次。", unit="米")
    assert holds("number", "距办公楼约300米。", unit="米")
    assert holds("count", "每个部门最多报名两人。", unit="人")
