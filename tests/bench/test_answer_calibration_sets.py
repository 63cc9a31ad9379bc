"""The held-out answering sets (bench/data/answer_calibration_heldout2.tsv, _heldout3.tsv,
_heldout4.tsv, _heldout5.tsv) are well formed.

Every in-scope label must name a demo document (or the FAQ sheet) and a substring of one of its
section headings (or of an FAQ row's question), so a bad label fails here instead of silently
counting as a wrong answer when the lead runs the set once. Nothing here asks Zhiku anything.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bench.answer_calibration import DATA, HELDOUT, HELDOUT2, HELDOUT3, HELDOUT4, HELDOUT5, load_items

DEMO = Path(__file__).resolve().parents[2] / "demo"
DOCS = DEMO / "docs"
OUT_REASONS = {"near-miss", "hr-gap", "general", "other-company"}
#: Each held-out set, its split name and the sets written before it (none of whose questions it repeats).
SETS = [
    pytest.param(HELDOUT2, "heldout2", (DATA, HELDOUT), id="heldout2"),
    pytest.param(HELDOUT3, "heldout3", (DATA, HELDOUT, HELDOUT2), id="heldout3"),
    pytest.param(HELDOUT4, "heldout4", (DATA, HELDOUT, HELDOUT2, HELDOUT3), id="heldout4"),
    pytest.param(HELDOUT5, "heldout5", (DATA, HELDOUT, HELDOUT2, HELDOUT3, HELDOUT4), id="heldout5"),
]


@dataclass(frozen=True, slots=True)
class Section:
    heading: str  # its heading; "" for a document's untitled opening; an FAQ row's "问：question"
    text: str  # its heading path and text, as bench.answer_calibration.ask matches a label against


def _sections() -> dict[str, list[Section]]:
    """Each labelable file's sections: the Markdown (source) headings of every demo document, and the
    FAQ sheet's rows (chunked as "问：question\n答：answer")."""
    out: dict[str, list[Section]] = {}
    for entry in yaml.safe_load((DOCS / "index.yaml").read_text(encoding="utf-8")):
        text = (DOCS / entry.get("source", entry["file"])).resolve().read_text(encoding="utf-8")
        path, body, sections = [entry["title"]], [], []
        for line in [*text.splitlines(), "# (end)"]:
            level = len(line) - len(line.lstrip("#"))
            if not level:
                body.append(line)
                continue
            heading = "" if len(path) == 1 else path[-1]  # "": the text before the first section
            sections.append(Section(heading, " / ".join(path) + "\n" + "\n".join(body)))
            title = [entry["title"]]
            path = title if level == 1 else [*(path[: level - 1] or title), line.lstrip("#").strip()]
            body = []
        out[entry["file"]] = sections
    with (DEMO / "faq.csv").open(encoding="utf-8") as f:
        rows = [(f"问：{r['question']}", r["answer"]) for r in csv.DictReader(f)]
    out["faq.csv"] = [Section(q, f"常见问题\n{q}\n答：{a}") for q, a in rows]
    return out


@pytest.mark.parametrize(("path", "split", "earlier"), SETS)
def test_every_label_names_exactly_one_real_section(
    path: Path, split: str, earlier: tuple[Path, ...]
) -> None:
    """A label's substring is in a section heading, an FAQ question or a document's untitled opening
    text, and of all the file's sections only that one contains it."""
    sections = _sections()
    bad = []
    for item in load_items(path):
        for file, sub in item.expected:
            hits = [s for s in sections.get(file, []) if sub and sub in s.text]
            if len(hits) != 1 or not (sub in hits[0].heading or not hits[0].heading):
                bad.append(f"{item.question}: {file}:{sub} ({len(hits)} sections)")
    assert bad == []


@pytest.mark.parametrize(("path", "split", "earlier"), SETS)
def test_counts_splits_and_reasons(path: Path, split: str, earlier: tuple[Path, ...]) -> None:
    items = load_items(path)
    inside = [i for i in items if i.in_scope]
    outside = [i for i in items if not i.in_scope]
    assert {i.split for i in items} == {split}
    assert len(items) >= 160 and len(outside) >= 55
    assert sum(i.note == "near-miss" for i in outside) >= 35
    assert all(i.expected for i in inside)
    assert {i.note for i in outside} <= OUT_REASONS


@pytest.mark.parametrize(("path", "split", "earlier"), SETS)
def test_no_question_repeats_within_or_across_sets(path: Path, split: str, earlier: tuple[Path, ...]) -> None:
    new = [i.question for i in load_items(path)]
    before = {i.question for e in earlier for i in load_items(e)}
    assert len(new) == len(set(new))
    assert not set(new) & before


@pytest.mark.parametrize(("path", "split", "earlier"), SETS)
def test_every_demo_document_but_the_hr_only_plan_is_asked_about(
    path: Path, split: str, earlier: tuple[Path, ...]
) -> None:
    labelled = {file for i in load_items(path) for file, _ in i.expected}
    documents = {p.name for p in DOCS.iterdir() if p.name != "index.yaml"}
    assert documents - labelled == {"salary-adjustment-2026.docx"}
