"""Adaptive fusion (search/fusion.py): keyword evidence counts by how much of the query a candidate
holds, the heading is a field of its own, and dense similarity decides when words are not shared."""

from __future__ import annotations

import numpy as np
import pytest

from search.catalog import ChunkRow
from search.fusion import Weights, coverage, dense_evidence, field_text, fuse, idf, same_language
from search.sections import section_texts


def test_rare_words_weigh_more_in_coverage() -> None:
    query = {"backports": idf(2, 1000), "安装": idf(400, 1000)}
    assert coverage(query, {"backports"}) > 0.8
    assert coverage(query, {"安装"}) < 0.2
    assert coverage(query, {"backports", "安装", "其他"}) == pytest.approx(1.0)
    assert coverage({}, {"x"}) == 0.0


def test_a_keyword_match_on_one_common_word_does_not_outrank_better_dense_evidence() -> None:
    # two candidates: 0 matches only the common word with a high BM25 score, 1 is closer in meaning
    dense = np.array([0.80, 0.83])
    bm25 = np.array([9.0, 0.0])
    scores = fuse(dense, bm25, np.array([0.1, 0.0]), np.zeros(2), np.zeros(2), Weights(keyword=0.1))
    assert scores[1] > scores[0]
    # the same BM25 score from a candidate that holds the whole query wins
    scores = fuse(dense, bm25, np.array([1.0, 0.0]), np.zeros(2), np.zeros(2), Weights(keyword=0.1))
    assert scores[0] > scores[1]


def test_heading_field_decides_between_equally_similar_chunks() -> None:
    scores = fuse(
        np.array([0.85, 0.85]),
        np.zeros(2),
        np.zeros(2),
        np.array([0.0, 1.0]),
        np.array([0.70, 0.90]),
        Weights(heading=0.02, heading_dense=0.3),
    )
    assert int(np.argmax(scores)) == 1


def test_without_any_keyword_hit_scores_are_dense_plus_heading() -> None:
    dense = np.array([0.9, 0.8])
    scores = fuse(dense, np.zeros(2), np.ones(2), np.zeros(2), np.zeros(2), Weights(heading_dense=0.0))
    assert scores.tolist() == pytest.approx(dense.tolist())


def test_heading_field_is_the_faq_question_or_the_innermost_heading() -> None:
    assert field_text("faq", ("常见问题", "假期"), "问：年假怎么请？\n答：在OA提交。") == "年假怎么请？"
    assert field_text("text", ("第 1 章", "1.1. 控制台基础"), "……") == "1.1. 控制台基础"
    assert field_text("text", (), "……") == ""


def test_keyword_evidence_counts_only_within_the_questions_language() -> None:
    # an English question over Chinese chunks: candidate 0 shares one product name with it (BM25 > 0,
    # full coverage of the few words in the vocabulary) but is less similar in meaning than 1
    dense = np.array([0.80, 0.83])
    bm25 = np.array([9.0, 0.0])
    covered = np.array([1.0, 0.0])
    heading = np.array([1.0, 0.0])
    same = fuse(dense, bm25, covered, heading, np.zeros(2))
    assert same[0] > same[1]  # same language: the keyword match counts, as before
    cross = fuse(dense, bm25, covered, heading, np.zeros(2), same_language=np.array([False, False]))
    assert cross.tolist() == pytest.approx(dense.tolist())  # cross-lingual: dense decides


def test_unknown_languages_count_as_the_same() -> None:
    assert same_language("en", "en") and not same_language("en", "zh")
    assert same_language("und", "zh") and same_language("zh", "") and same_language("", "en")


def test_keyword_evidence_reorders_only_within_the_questions_language() -> None:
    # a Chinese question: Chinese chunks 0 and 1 share its words (1 more than 0), English chunk 2 is
    # closer in meaning than either; keyword evidence must not lift a Chinese chunk over it
    dense = np.array([0.84, 0.82, 0.86])
    bm25 = np.array([4.0, 9.0, 0.0])
    covered = np.array([0.5, 1.0, 0.0])
    same = np.array([True, True, False])
    scores = fuse(dense, bm25, covered, np.zeros(3), np.zeros(3), same_language=same)
    assert list(np.argsort(-scores)) == [2, 1, 0]  # the English chunk first; 1 over 0 by its words
    # the Chinese chunks hold the Chinese group's dense scores, in keyword order
    assert sorted(scores[:2].tolist()) == pytest.approx(sorted(dense[:2].tolist()))
    # one language only: the fused scores as they were
    plain = fuse(dense, bm25, covered, np.zeros(3), np.zeros(3))
    assert fuse(dense, bm25, covered, np.zeros(3), np.zeros(3), same_language=np.ones(3, bool)).tolist() == (
        pytest.approx(plain.tolist())
    )


def test_keyword_evidence_never_moves_another_languages_candidate_from_its_dense_rank() -> None:
    # whatever the same-language candidates' keyword evidence, a candidate in another language sits
    # exactly where the dense evidence alone puts it (issue 19; random pools, fixed seed)
    rng = np.random.default_rng(19)
    for _ in range(200):
        n = int(rng.integers(2, 30))
        dense, heading = rng.uniform(0.7, 0.9, n), rng.uniform(0.7, 0.9, n)
        bm25 = np.where(rng.random(n) < 0.5, rng.uniform(0, 20, n), 0.0)
        covered, same = rng.random(n), rng.random(n) < 0.5
        scores = fuse(dense, bm25, covered, rng.random(n), heading, same_language=same)
        evidence = dense_evidence(dense, heading)
        for i in np.flatnonzero(~same):
            assert (scores > scores[i]).sum() == (evidence > evidence[i]).sum()


def test_across_languages_the_whole_section_outweighs_a_hub_chunk() -> None:
    # a Dutch question over Chinese chunks: chunk 0 (a short heading-like chunk that resembles every
    # question) is the closest chunk, but chunk 1's whole section is clearly closer
    dense, heading = np.array([0.81, 0.80]), np.array([0.84, 0.80])
    section = np.array([0.78, 0.83])
    across = np.array([False, False])
    plain = fuse(dense, np.zeros(2), np.zeros(2), np.zeros(2), heading, same_language=across)
    assert plain[0] > plain[1]
    scores = fuse(
        dense, np.zeros(2), np.zeros(2), np.zeros(2), heading, same_language=across, section_dense=section
    )
    assert scores[1] > scores[0]
    # rescaled to the chunk-and-heading scale, so leads read as before (the answer gate's bars)
    assert scores.mean() == pytest.approx(plain.mean(), abs=0.02)
    # where some candidate is in the question's language the section cosine is not used (its
    # same-language cosines run higher): the scores as they were
    for same in (np.array([True, True]), np.array([True, False])):
        without = fuse(dense, np.zeros(2), np.zeros(2), np.zeros(2), heading, same_language=same)
        assert fuse(dense, np.zeros(2), np.zeros(2), np.zeros(2), heading, same_language=same,
                    section_dense=section).tolist() == pytest.approx(without.tolist())  # fmt: skip


def test_section_texts_join_a_sections_chunks_under_its_heading() -> None:
    def chunk(
        num: int, doc: str, anchor: str, heading: tuple[str, ...], text: str, kind: str = "text"
    ) -> ChunkRow:
        return ChunkRow(num, f"c{num}", doc, num, kind, heading, text, text, "", (), (), anchor, "zh")

    chunks = [
        chunk(1, "d1", "a", ("页标题", "拆分表格"), "第一段"),
        chunk(2, "d1", "b", ("页标题", "合并单元格"), "另一节"),
        chunk(3, "d1", "a", ("页标题", "拆分表格"), "第二段"),
        chunk(4, "d2", "", ("FAQ",), "问：年假几天？答：5天", kind="faq"),
        chunk(5, "d2", "", ("FAQ",), "问：婚假几天？答：10天", kind="faq"),
    ]
    found = section_texts(chunks, {"d1": "页标题", "d2": "常见问题"})
    assert found.of_chunk[0] == found.of_chunk[2] != found.of_chunk[1]
    assert (
        found.texts[found.of_chunk[0]] == "拆分表格\n第一段\n第二段"
    )  # the innermost heading, then in order
    assert found.of_chunk[3] != found.of_chunk[4]  # each FAQ row is its own section
    assert found.texts[found.of_chunk[4]] == "问：婚假几天？答：10天"


# -- passage evidence (search.fusion.window_coverage / passage_evidence) -------------------------------


def test_window_coverage_finds_the_passage_that_holds_the_question_together() -> None:
    from search.fusion import window_coverage

    query = {"知库": 3.0, "同步": 2.0, "值班": 2.0, "联系人": 1.0}
    filler = [f"词{i}" for i in range(200)]
    together = [*filler, "知库", "同步", "一次", "值班", "联系人", *filler]
    scattered = ["知库", *filler[:60], "同步", *filler[60:120], "值班", *filler[120:], "联系人"]
    # the same words in both chunks: whole-chunk coverage cannot tell them apart, the window can
    assert coverage(query, together) == coverage(query, scattered) == 1.0
    assert window_coverage(query, together, 10) == 1.0
    assert window_coverage(query, scattered, 10) == pytest.approx(3.0 / 8.0)  # 知库 alone
    assert window_coverage(query, scattered, 70) == pytest.approx(5.0 / 8.0)  # 知库 … 同步
    assert window_coverage(query, [], 10) == 0.0 and window_coverage({}, together, 10) == 0.0


def test_passage_evidence_lifts_a_long_keyword_first_chunk_whose_window_holds_the_question() -> None:
    from search.fusion import Passage, passage_evidence

    passage = Passage(width=20, floor=0.8, lift=1.0, margin=1.0)
    window = np.array([0.3, 0.9, 0.9, 0.9, 1.0])
    dense = np.array([0.9, 0.5, 0.6, 0.7, 0.5])
    keyword = np.array([0.0, 5.0, 5.0, 2.0, 5.0])  # BM25: candidates 1, 2 and 4 share its best score
    long = np.array([True, True, True, True, False])
    out = passage_evidence(window, dense, keyword, long, passage)
    # 1 and 2 make up their shortfall to the best cosine (0.9); 3 is not the keyword ranker's first,
    # 4 is short (fuse's own coverage term speaks for it), 0 has no passage holding the question
    assert out == pytest.approx([0.0, 0.4, 0.3, 0.0, 0.0])
    half = passage_evidence(window, dense, keyword, long, Passage(width=20, floor=0.8, lift=0.5, margin=1.0))
    assert half == pytest.approx(out / 2)
    # with a margin, the keyword ranker's first must stand clear of its runner-up (here: a tie)
    assert not passage_evidence(window, dense, keyword, long, Passage(20, 0.8, 1.0, margin=1.5)).any()
    clear = passage_evidence(
        window, dense, np.array([0.0, 9.0, 5.0, 2.0, 5.0]), long, Passage(20, 0.8, 1.0, 1.5)
    )
    assert clear == pytest.approx([0.0, 0.4, 0.0, 0.0, 0.0])
    other = passage_evidence(
        window, dense, keyword, long, passage, same_language=np.array([True, False] * 2 + [True])
    )
    assert other == pytest.approx([0.0, 0.0, 0.3, 0.0, 0.0])  # another language: no keyword evidence
    assert passage_evidence(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)).size == 0
