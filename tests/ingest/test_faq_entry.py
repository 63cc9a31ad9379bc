"""A FAQ entry written on the knowledge-gap page becomes a one-row FAQ sheet that the FAQ loader reads:
the question with its other wordings (each once), the answer; empty or oversized entries are refused."""

from __future__ import annotations

import pytest

from ingest.faq_entry import faq_sheet
from ingest.loaders import load_bytes
from zhiku.errors import InputError
from zhiku.settings import MAX_TEXT_CHARS


def test_the_sheet_is_read_back_as_one_question_and_answer() -> None:
    data = faq_sheet("公司的猫叫什么？", ["猫叫啥", " 猫叫啥 ", "公司的猫叫什么？", ""], "叫橘子。")
    doc = load_bytes(
        data, uri="upload://E1003/faq.csv", suffix=".csv", meta={}, modified_at="", max_bytes=1 << 20
    )
    assert [b.text for b in doc.blocks] == ["问：公司的猫叫什么？ 又问：猫叫啥\n答：叫橘子。"]


@pytest.mark.parametrize(
    ("question", "answer"),
    [("", "叫橘子。"), ("公司的猫叫什么？", "  "), ("问" * (MAX_TEXT_CHARS + 1), "叫橘子。")],
)
def test_empty_or_oversized_entries_are_refused(question: str, answer: str) -> None:
    with pytest.raises(InputError):
        faq_sheet(question, [], answer)
