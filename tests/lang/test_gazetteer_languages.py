"""The gazetteer links a question in any language through the ontology's language-tagged labels."""

from lang.gazetteer import Gazetteer

ROWS = [
    {
        "id": "LEAVE-marriage",
        "labels": ["LeaveType"],
        "name": "婚假",
        "nameEn": "Marriage leave",
        "aliases": ["结婚假"],
        "aliasesEn": None,
        "labelsI18n": ["ja=結婚休暇"],
        "aliasesI18n": ["ko=결혼 휴가"],
    }
]


def test_english_japanese_and_korean_labels_link_to_the_same_entity() -> None:
    gazetteer = Gazetteer.from_rows(ROWS)
    for question, surface in [
        ("How many days of marriage leave do I get?", "marriage leave"),
        ("結婚休暇は何日ですか", "結婚休暇"),
        ("결혼 휴가는 며칠입니까?", "결혼 휴가"),
        ("婚假有几天", "婚假"),
    ]:
        hits = gazetteer.find(question)
        assert [(h.surface, h.candidates[0][0]) for h in hits] == [(surface, "LEAVE-marriage")], question
