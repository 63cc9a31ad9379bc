"""Extraction and linking quality on hand-labelled sentences (``tests/data/``).

``extraction_eval.jsonl`` (116 sentences from and around the demo documents) was used while
developing the rules; ``extraction_heldout.jsonl`` (50 new sentences, paraphrases and questions) was
scored once, after. The floors below sit just under the measured figures: they catch regressions,
they are not the targets. ``bench/extraction_quality.py`` prints the full report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.load import load_demo
from ingest.evaluate import evaluate, load_items
from ingest.pipeline import Pipeline

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def pipeline(graph_dir: Path, onto):
    import uuid

    from graph.falkordb_store import FalkorDBStore

    store = FalkorDBStore.embedded(graph_dir, f"quality_{uuid.uuid4().hex[:8]}")
    load_demo(store, onto)
    yield Pipeline(store)
    store.reset()
    store.close()


def test_development_set_scores(pipeline) -> None:
    scores = evaluate(pipeline, load_items(DATA / "extraction_eval.jsonl"))
    print("\n" + scores.report())
    assert scores.mention_tp + scores.mention_fn >= 220
    assert scores.mention_prf[2] >= 0.97
    assert scores.linking_accuracy >= 0.98
    assert scores.relation_prf[2] >= 0.93


def test_held_out_set_scores(pipeline) -> None:
    scores = evaluate(pipeline, load_items(DATA / "extraction_heldout.jsonl"))
    print("\n" + scores.report())
    assert scores.mention_tp + scores.mention_fn >= 95
    assert scores.mention_prf[2] >= 0.95
    assert scores.linking_accuracy >= 0.97
    assert scores.relation_prf[2] >= 0.9


def test_labels_name_entities_that_exist(pipeline) -> None:
    known = set(pipeline.gazetteer.names)
    for name in ("extraction_eval.jsonl", "extraction_heldout.jsonl"):
        for item in load_items(DATA / name):
            for _, entity in item["m"]:
                assert entity in known, (name, entity)
            for start, _, end in item["r"]:
                assert start in known and end in known, (name, start, end)
