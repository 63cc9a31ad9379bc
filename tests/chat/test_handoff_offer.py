"""An answer says itself whether it already offers a person (``Answer.offers_handoff``): the dialog
adds the "回复'转人工'…" line only to replies that do not, in whichever language the reply is in —
never by recognising the offer's (translated) words in the text."""

from __future__ import annotations

import pytest

from chat.answer import compose_answer
from chat.dialog import DialogEngine
from zhiku.access import load_principal
from zhiku.i18n import using

# (reply language, an out-of-scope question, a question the demo answers, how the offer names a person)
CASES = [
    ("zh_Hans", "公司停车位一个月多少钱", "公司有班车吗", "“转人工”"),
    ("en", "How much does a parking space at the office cost per month?", "公司有班车吗", "“human”"),
]


@pytest.fixture
def engine(demo_graph, demo_search) -> DialogEngine:  # type: ignore[no-untyped-def]
    return DialogEngine(demo_graph, demo_search)


@pytest.mark.parametrize(("language", "outside", "inside", "person"), CASES)
def test_a_declined_answer_offers_a_person_exactly_once(
    engine: DialogEngine, language: str, outside: str, inside: str, person: str
) -> None:
    who = load_principal(engine.store, "E1030")
    with using(language):
        declined = compose_answer(engine.search, outside, who)
        answered = compose_answer(engine.search, inside, who)
    assert not declined.answered and declined.offers_handoff
    assert declined.text.count(person) == 1  # the decline's own offer, in the reply's language
    assert answered.answered and not answered.offers_handoff

    reply = engine.handle(None, who, outside, language)
    assert reply.type == "clarify" and reply.language == language
    assert reply.text.count(person) == 1, reply.text  # not offered a second time by the dialog


@pytest.mark.parametrize(("language", "person"), [("zh_Hans", "“转人工”"), ("en", "“human”")])
def test_a_question_search_cannot_use_does_not_claim_to_offer_a_person(
    engine: DialogEngine, language: str, person: str
) -> None:
    who = load_principal(engine.store, "E1030")
    with using(language):
        answer = compose_answer(engine.search, "？？！", who)
    # search's own word about the question, nothing else: the dialog is left to offer a person
    assert not answer.answered and answer.message and answer.text == answer.message
    assert not answer.offers_handoff and person not in answer.text
