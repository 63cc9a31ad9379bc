"""A question's information need: which kind of detail it asks for (an amount, a duration, a time, a
person, a place, a count, any number) and which of its words only do the asking.

"住房补贴要交个税吗" and "住房补贴多少钱" share their topic; what tells a passage that answers from one that
only shares the topic is whether it holds the *detail* asked for — 多少钱 needs an amount, 谁审批 an
approver, 多久 a duration — and the question's other content words. The interrogatives themselves
(谁, 多久, 什么时候, 怎么办) are how Chinese asks, not what it asks about: they are left out of the content
words. Both lists are closed classes of the language (question words and the value shapes that answer
them), not any company's vocabulary.

Example::

    asked_for("报销一万块钱需要谁审批")          # "person"
    holds("amount", "单笔不超过20000元")           # True
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lang.places import places
from lang.values import _DATE, _DURATION

#: The kinds of detail, checked in this order (the first that matches is the one asked for): a
#: question asks for one thing ("报销多少钱以上要谁批" asks who).
ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("person", re.compile(r"谁|哪位|哪个人|找哪个|哪个部门|联系人")),
    (
        "amount",
        re.compile(r"多少钱|多少元|多少块|几块钱|几元|花多少|报多少|给多少|补多少|发多少|借多少|多少比例"),
    ),
    ("time", re.compile(r"什么时候|啥时候|何时|几点|几号|哪天|哪一天|哪几天|几月|什么时间|从哪天")),
    (
        "duration",
        re.compile(
            r"多久|多长时间|多长|(?<![那这])几天|多少天|几个月|几年|几周|几个小时|几小时|多少小时|最长|期限"
        ),
    ),
    ("place", re.compile(r"哪里|哪儿|哪家|在哪|去哪|什么地方|地址")),
    ("count", re.compile(r"几次|几个|几家|几种|几类|几级|几个等级|几间|几条|多少个|多少次|多少人|几倍|哪几")),
    ("number", re.compile(r"多少|几成|几折|比例")),  # a quantity of some other kind: any number answers
)
#: Words that do the asking (after segmentation): never content words.
QUESTION_WORDS = frozenset({
    "谁", "哪位", "多久", "多长", "多长时间", "时候", "什么时候", "何时", "几点", "几号", "哪天", "多少钱",
    "几天", "几次", "几个", "哪里", "哪儿", "哪家", "在哪", "怎么办", "怎么样", "咋办", "咋", "啥", "是不是",
    "能不能", "可不可以", "要不要", "有没有", "会不会", "算不算", "吗", "呢", "找", "问", "一般", "到底",
    "多少", "几", "怎么", "如何", "怎样", "什么", "哪些", "哪个", "能", "可以", "需要", "要", "还",
    "最多", "最少", "最长", "最短", "最晚", "最早", "哪几", "有多少", "怎么弄", "咋弄",
})  # fmt: skip

#: How often ("多久…一次" is answered by 每年, 每季度…).
_FREQUENCY = re.compile(r"每(?:个)?(?:年|月|周|季度|天|日|半年|工作日)")
_CLOCK = re.compile(r"\d{1,2}[:：]\d{2}")
_WEEKDAY = re.compile(
    r"(?:周|星期|礼拜)[一二三四五六日天]|工作日|每月\s*\d+\s*[日号]|当[天日月]|次[日月年]|发薪日|月底|月初"
)
_MONEY = re.compile(
    r"\d[\d,.]*\s*(?:万|千)?\s*(?:元|块|%|％)|[一二两三四五六七八九十百千万]+(?:元|块)|工资的|全薪|比例"
)
_NUMBER = re.compile(r"\d|[一二两三四五六七八九十]+\s*(?:个|次|家|种|类|级|间|条|倍|项|人)")
_ANY_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万半]")
#: A clause's or list item's own number (第六条, 三、, 1.) says where a detail sits, not what it is:
#: "年度优秀员工奖金有多少" is not answered by "第六条 公司设立年度优秀员工奖".
_NUMBERING = re.compile(
    r"第[\d一二三四五六七八九十百]+[条章节款项]|^\s*(?:[一二三四五六七八九十]+、|[(（]?\d+[)）.、])", re.M
)
#: Units of measure a count may ask in ("范围是多少米"): only a number in that unit answers. Classifiers
#: (个, 种, 类, 级…) are left to :data:`_NUMBER`: "分几类" is answered by "分为四级" too.
_UNIT = re.compile(r"(?:多少|几)(平方米|平米|公里|千米|米|公斤|斤|岁|页|张|台|辆|人)")
#: Roles and contacts in any organisation (the ontology's persons, roles and departments count too).
_CONTACT = re.compile(
    r"经理|主管|专员|总监|负责人|管理员|上级|部门|服务台|前台|分机|联系|委员会|小组|本人|个人|公司"
)
#: Where something is or is done: a building, a room, a system or app, a form, a desk (or a place name).
_PLACE = re.compile(
    r"楼|层|室|大厦|地址|医院|院|前台|网站|系统|应用|平台|app|微信|邮箱|oa|办公室|总部|中心|部|《|“", re.I
)
#: Mention types (lang.gazetteer) that answer "who" and "where".
PERSON_TYPES = frozenset({"Person", "Role", "Department"})
PLACE_TYPES = frozenset({"Location", "ITSystem", "Form", "Department"})


def asked_for(question: str) -> str:
    """The kind of detail ``question`` asks for ("" when it asks none: yes or no, how, why)."""
    for kind, pattern in ASKS:
        if pattern.search(question):
            return kind
    return ""


def asked_unit(question: str) -> str:
    """The unit of measure ``question`` asks a number in ("多少米" → 米; "" when none)."""
    m = _UNIT.search(question)
    return m.group(1) if m else ""


def holds(kind: str, text: str, mention_types: Collection[str] = (), unit: str = "") -> bool:
    """Whether ``text`` holds a detail of ``kind`` (``mention_types``: the gazetteer's types of the
    entities it mentions; ``unit``: :func:`asked_unit`, a number in it is the only count or number that
    answers). An unknown or empty kind is always held. A clause's own numbering is no number."""
    if kind in ("count", "number"):
        text = _NUMBERING.sub("", text)
        if unit:
            return re.search(rf"[\d一二两三四五六七八九十百千万半]\s*{unit}", text) is not None
    if kind == "amount":
        return bool(_MONEY.search(text))
    if kind == "duration":
        return bool(_DURATION.search(text) or _FREQUENCY.search(text))
    if kind == "time":
        return bool(
            _CLOCK.search(text) or _DATE.search(text) or _WEEKDAY.search(text) or _DURATION.search(text)
        )
    if kind == "person":
        return bool(PERSON_TYPES.intersection(mention_types) or _CONTACT.search(text))
    if kind == "place":
        return bool(PLACE_TYPES.intersection(mention_types) or _PLACE.search(text) or places(text))
    if kind == "count":
        return bool(_NUMBER.search(text))
    if kind == "number":
        return bool(_ANY_NUMBER.search(text))
    return True
