"""The retrieval benchmark's scoring (bench/retrieval_real.py): exact section, document, rank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.retrieval_real import DATA, STYLES, Scored, Summary, load_questions, score

GOLD = ("ch01.html", "_root")


def test_exact_section_first_scores_every_metric() -> None:
    assert score([GOLD, ("ch02.html", "_x")], GOLD) == Scored(True, True, True, 1.0)


def test_right_page_wrong_anchor_counts_for_the_document_only() -> None:
    got = score([("ch01.html", "_other"), ("ch03.html", "_y"), GOLD], GOLD)
    assert got == Scored(
        exact_top1=False, exact_hit3=True, doc_top1=True, reciprocal_rank=pytest.approx(1 / 3)
    )


def test_a_section_below_rank_three_or_beyond_k_is_a_miss() -> None:
    ranked = [("d.html", f"a{i}") for i in range(3)] + [GOLD]
    assert score(ranked, GOLD) == Scored(False, False, False, 0.25)
    assert score([("d.html", f"a{i}") for i in range(10)] + [GOLD], GOLD).reciprocal_rank == 0.0
    assert score([], GOLD) == Scored(False, False, False, 0.0)


def test_summary_averages_each_metric() -> None:
    s = Summary.of([Scored(True, True, True, 1.0), Scored(False, True, False, 0.5)])
    assert (s.n, s.exact_top1, s.exact_hit3, s.doc_top1, s.mrr) == (2, 0.5, 1.0, 0.5, 0.75)
    assert Summary.of([]).n == 0


def test_question_files_have_both_styles_in_both_splits_and_unique_ids(tmp_path: Path) -> None:
    files = sorted(DATA.glob("*.jsonl"))
    assert len(files) >= 3
    ids: set[str] = set()
    for path in files:
        questions = load_questions(path)
        assert len(questions) >= 100
        for split in ("dev", "test"):
            for style in STYLES:
                n = sum(1 for q in questions if q.split == split and q.style == style)
                assert n >= 25, (path.name, split, style)
        assert all(q.doc and q.anchor and q.question for q in questions)
        ids.update(q.id for q in questions)
        assert len(load_questions(path, "dev")) + len(load_questions(path, "test")) == len(questions)
    assert len(ids) == sum(len(load_questions(p)) for p in files)
    one = tmp_path / "one.jsonl"
    row = {
        "id": "x",
        "question": "q",
        "style": "heading",
        "split": "test",
        "doc": "a",
        "anchor": "b",
        "section": "s",
    }
    one.write_text(json.dumps(row) + "\n\n", encoding="utf-8")
    assert [q.key for q in load_questions(one, "test")] == [("a", "b")]
    assert load_questions(one, "dev") == []
