"""Extraction and linking quality on hand-labelled sentences (``tests/data/``).

``extraction_eval.jsonl`` (116 sentences from and around the demo documents) was used while
developing the rules; ``extraction_heldout.jsonl`` (70 new sentences, paraphrases and questions)
was scored after, without changing the rules for it. The floors sit just under the measured
figures: they catch regressions, they are not the targets. ``bench/extraction_quality.py`` prints
the full report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.extraction_eval import evaluate, load_items
from demo.load import load_demo
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


@pytest.mark.parametrize(
    ("name", "min_mentions", "mention_f1", "linking", "relation_f1"),
    [
        ("extraction_eval.jsonl", 220, 0.97, 0.98, 0.93),  # development set
        ("extraction_heldout.jsonl", 130, 0.95, 0.97, 0.93),  # held out
    ],
)
def test_scores_on_labelled_sentences(pipeline, name, min_mentions, mention_f1, linking, relation_f1) -> None:
    scores = evaluate(pipeline, load_items(DATA / name))
    print(f"\n{name}: {scores.report()}")
    assert scores.mention_tp + scores.mention_fn >= min_mentions
    assert scores.mention_prf[2] >= mention_f1
    assert scores.linking_accuracy >= linking
    assert scores.relation_prf[2] >= relation_f1


def test_labels_name_entities_that_exist(pipeline) -> None:
    known = set(pipeline.gazetteer.names)
    for name in ("extraction_eval.jsonl", "extraction_heldout.jsonl"):
        for item in load_items(DATA / name):
            for _, entity in item["m"]:
                assert entity in known, (name, entity)
            for start, _, end in item["r"]:
                assert start in known and end in known, (name, start, end)
