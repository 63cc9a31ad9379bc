"""Score extraction and linking against a hand-labelled set (``tests/data/extraction_eval.jsonl``).

Each line: ``{"t": text, "ctx": {"policy", "processes"}, "m": [[surface, entity id], …],
"r": [[start, type, end], …]}``. Gold mentions are every occurrence of a known entity's name or
synonym *used in that sense* (高峰 in 用电高峰 is not a person). Topic words are labelled but not
scored: they tag what a text is about rather than name an entity.

Scores: mention P/R/F1 on (surface, entity id) multisets; linking accuracy on mentions whose surface
the system found (was the entity right?); relation P/R/F1 on (start, type, end) sets.

The scoring used by ``bench/extraction_quality.py`` (which prints the report, on a store it creates)
and by ``tests/ingest/test_extraction_quality.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.pipeline import Pipeline
from zhiku.types import Block, Document

VALUE_TYPES = {"Amount", "Duration", "Date"}
#: Topic words (请假, 报销, 加班…) tag what a text is about; they are not scored as entity mentions.
UNSCORED = VALUE_TYPES | {"Topic"}


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass(slots=True)
class Scores:
    items: int = 0
    mention_tp: int = 0
    mention_fp: int = 0
    mention_fn: int = 0
    linked_found: int = 0
    linked_right: int = 0
    relation_tp: int = 0
    relation_fp: int = 0
    relation_fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def mention_prf(self) -> tuple[float, float, float]:
        return _prf(self.mention_tp, self.mention_fp, self.mention_fn)

    @property
    def relation_prf(self) -> tuple[float, float, float]:
        return _prf(self.relation_tp, self.relation_fp, self.relation_fn)

    @property
    def linking_accuracy(self) -> float:
        return self.linked_right / self.linked_found if self.linked_found else 1.0

    def report(self) -> str:
        mp, mr, mf = self.mention_prf
        rp, rr, rf = self.relation_prf
        return (
            f"{self.items} sentences, {self.mention_tp + self.mention_fn} gold mentions, "
            f"{self.relation_tp + self.relation_fn} gold relations\n"
            f"mentions (surface+entity): P {mp:.3f} R {mr:.3f} F1 {mf:.3f}\n"
            f"linking accuracy (found surfaces): {self.linking_accuracy:.3f} "
            f"({self.linked_right}/{self.linked_found})\n"
            f"relations: P {rp:.3f} R {rr:.3f} F1 {rf:.3f}"
        )


def load_items(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(pipeline: Pipeline, items: list[dict[str, Any]]) -> Scores:
    scores = Scores()
    for index, item in enumerate(items):
        ctx = item.get("ctx", {})
        doc = Document(
            id=f"doc-eval-{index:04d}",
            uri=f"eval://{index}",
            title="",
            format="text",
            blocks=(Block("paragraph", item["t"]),),
            content_hash=str(index),
            metadata={k: v for k, v in ctx.items() if v},
        )
        result = pipeline.analyse(doc)
        predicted = Counter(
            (m.text, m.entity_id)
            for m in result.mentions
            if m.type not in UNSCORED and m.entity_id and not m.entity_id.startswith("cand-")
        )
        gold = Counter((surface, entity) for surface, entity in item["m"] if not entity.startswith("TOPIC-"))
        tp = sum((predicted & gold).values())
        scores.mention_tp += tp
        scores.mention_fp += sum(predicted.values()) - tp
        scores.mention_fn += sum(gold.values()) - tp
        gold_by_surface = {surface: entity for surface, entity in item["m"]}
        for (surface, entity), count in predicted.items():
            if surface in gold_by_surface:
                scores.linked_found += count
                scores.linked_right += count if gold_by_surface[surface] == entity else 0
        rel_pred = {(r.start, r.type, r.end) for r in result.relations}
        rel_gold = {tuple(r) for r in item["r"]}
        scores.relation_tp += len(rel_pred & rel_gold)
        scores.relation_fp += len(rel_pred - rel_gold)
        scores.relation_fn += len(rel_gold - rel_pred)
        if predicted != gold or rel_pred != rel_gold:
            missing = sorted((gold - predicted).elements())
            extra = sorted((predicted - gold).elements())
            scores.errors.append(
                f"{item['t'][:40]} | missing {missing} extra {extra} | "
                f"rel missing {sorted(rel_gold - rel_pred)} extra {sorted(rel_pred - rel_gold)}"
            )
        scores.items += 1
    return scores
