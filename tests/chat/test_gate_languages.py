"""Cross-language answering (issue 19): a question in English, Japanese or German about the demo's
Chinese policies is answered from the Chinese source, quoted as written and framed in the asker's
language — decided by the gate's cross-language rule (chat.gate.decide_across) — while an
out-of-scope question in English is still declined."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from chat.dialog import DialogEngine, Reply
from chat.gate import Evidence, decide
from zhiku.access import load_principal
from zhiku.settings import Settings

# An English question against a Chinese FAQ row: the keyword shares are 0 across languages.
ACROSS = Evidence(
    dense=0.83, coverage=0.0, field=0.0, unknown=0.5, margin=0.004, linked=True, keyword_rank=None,
    heading_dense=0.84, question_language="en", passage_language="zh",
)  # fmt: skip


def test_the_cross_language_rule_reads_only_what_carries_across_languages() -> None:
    assert decide(ACROSS).answered  # similar enough, and linked to the entity the question names
    assert decide(replace(ACROSS, linked=False, margin=0.03)).answered  # … or a clear first place
    assert not decide(replace(ACROSS, linked=False)).answered  # neither: declined
    assert not decide(replace(ACROSS, dense=0.79, heading_dense=0.80)).answered  # too far in meaning
    assert not decide(replace(ACROSS, dense=0.90, margin=-0.01)).answered  # a runner-up never answers
    # the same evidence between same-language texts goes to the same-language rule, which wants more
    for question, passage in (("zh", "zh"), ("en", "en"), ("und", "zh"), ("en", "")):
        assert not decide(replace(ACROSS, question_language=question, passage_language=passage)).answered


@pytest.fixture
def engine(demo_graph, demo_search) -> DialogEngine:  # type: ignore[no-untyped-def]
    return DialogEngine(demo_graph, demo_search)


def ask(engine: DialogEngine, question: str) -> Reply:
    return engine.handle(None, load_principal(engine.store, "E1030"), question)


@pytest.mark.parametrize(
    ("question", "language", "frame", "quote"),
    [
        ("How many days of marriage leave do I get?", "en", "(in Chinese) says: “", "婚假10天"),
        ("How do I apply for annual leave?", "en", "(in Chinese) says: “", "假期类型选“年假”"),
        ("結婚休暇は何日ですか", "ja", "（中国語の原文）には次のように書かれています：「", "婚假10天"),
        ("Wie viele Tage Hochzeitsurlaub bekomme ich?", "de", "(auf Chinesisch) besagt: „", "婚假10天"),
    ],
)
def test_a_question_in_another_language_is_answered_from_the_chinese_source(
    engine: DialogEngine, question: str, language: str, frame: str, quote: str
) -> None:
    reply = ask(engine, question)
    assert reply.type == "answer" and reply.language == language, reply.text
    assert frame in reply.text and quote in reply.text  # the source quoted as written, framed
    assert not reply.text.startswith(("Sorry", "申し訳", "Leider"))


@pytest.mark.parametrize(
    "question", ["What is the hotel allowance in Beijing?", "北京出張のホテル代の上限はいくらですか？"]
)
def test_the_hotel_allowance_asked_in_english_or_japanese_is_answered(
    engine: DialogEngine, question: str
) -> None:
    # e5 puts the FAQ row first at 0.83 with no lead; "hotel" / 出張 are labels of the travel topic
    # (demo/vocabulary.ttl) the row is filed under, and that link backs the answer (decide_across)
    reply = ask(engine, question)
    assert reply.type == "answer", reply.text
    assert "北上广深普通员工每晚550元" in reply.text


@pytest.mark.xfail(
    strict=True,
    reason="known gap (issue 19): 'shuttle bus' now links the shuttle benefit (demo/vocabulary.ttl) "
    "and the FAQ row 公司有班车吗 is first, linked, 0.020 ahead — but e5-small's cosine is 0.786 "
    "(0.799 with the row's question), under decide_across's 0.81 floor for linked answers, chosen on "
    "dev where out-of-scope English questions reach 0.80-0.85",
)
def test_shuttle_bus_in_english(engine: DialogEngine) -> None:
    assert ask(engine, "Is there a shuttle bus?").type == "answer"


def test_the_cross_language_rule_declines_a_name_the_passage_does_not_hold() -> None:
    assert not decide(replace(ACROSS, dense=0.90, named=False)).answered  # however similar


@pytest.mark.parametrize(
    ("question", "language"),
    [
        # the meal-allowance FAQ row is first and linked (食事手当 → the meal allowance), but the question
        # is about a company the knowledge base never mentions, in any script
        ("テンセント社員の食事手当はいくらですか", "ja"),
        ("What is Tencent's meal allowance for employees?", "en"),
        ("텐센트 직원의 식대는 얼마인가요?", "ko"),
        ("アリババの経費精算はどうすればいいですか", "ja"),
    ],
)
def test_a_company_the_knowledge_base_never_mentions_is_declined_across_languages(
    engine: DialogEngine, question: str, language: str
) -> None:
    reply = ask(engine, question)
    assert reply.type != "answer" and reply.language == language, reply.text


def test_a_name_the_knowledge_base_holds_is_no_reason_to_decline(engine: DialogEngine) -> None:
    # the Tokyo office is the demo's (its zh/en/ja labels); Beijing, after "in", is the city slot
    assert ask(engine, "What is the hotel allowance in Beijing?").type == "answer"
    assert ask(engine, "結婚休暇は何日ですか").type == "answer"


def test_an_out_of_scope_question_in_english_is_still_declined(engine: DialogEngine) -> None:
    reply = ask(engine, "How much is a parking space per month?")
    assert reply.type != "answer" and reply.language == "en"
    assert reply.text.startswith("Sorry") and "“Mitarbeiter”" not in reply.text


@pytest.fixture
def client(demo_copy, copy_search, fresh_limits) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """On this test's copy of the demo: an answered ``ask`` records what the employee viewed."""
    settings = Settings(data_dir=copy_search.directory.parent)
    with TestClient(create_app(settings, store=demo_copy, search=copy_search)) as c:
        c.token = issue_token(settings, "E1030")  # type: ignore[attr-defined]
        yield c


def test_graphql_ask_answers_across_languages_and_declines_out_of_scope(client: TestClient) -> None:
    query = "query($q: String!) { ask(question: $q) { text answered language citations { title } } }"
    headers = {"Authorization": f"Bearer {client.token}"}  # type: ignore[attr-defined]

    def ask_api(question: str) -> dict:  # type: ignore[type-arg]
        body = {"query": query, "variables": {"q": question}}
        return client.post("/graphql", json=body, headers=headers).json()["data"]["ask"]  # type: ignore[no-any-return]

    marriage = ask_api("How many days of marriage leave do I get?")
    assert marriage["answered"] and marriage["language"] == "en"
    assert "(in Chinese) says: “" in marriage["text"] and "婚假10天" in marriage["text"]
    japanese = ask_api("結婚休暇は何日ですか")
    assert japanese["answered"] and japanese["language"] == "ja" and "婚假10天" in japanese["text"]
    parking = ask_api("How much is a parking space per month?")
    assert not parking["answered"] and parking["text"].startswith("Sorry")
