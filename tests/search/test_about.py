"""What a document is about (search.about): the entities its title and a heading above the whole
document name — not its chapters, not an FAQ's categories."""

from __future__ import annotations

from lang.gazetteer import Gazetteer
from search.about import document_entities, with_topics
from search.catalog import ChunkRow, DocRow

GAZETTEER = Gazetteer(
    {
        "Tokyo office": [("LOC-TYO", "Location")],
        "東京オフィス": [("LOC-TYO", "Location")],
        "年假": [("LEAVE-annual", "LeaveType")],
        "报销": [("TOPIC-expense", "Topic")],
    }
)


def doc(doc_id: str, title: str) -> DocRow:
    return DocRow(doc_id, "h", title, f"file:///{doc_id}", "md", (), (), 0, "")


def chunk(doc_id: str, n: int, heading: tuple[str, ...], kind: str = "text") -> ChunkRow:
    return ChunkRow(n, f"{doc_id}-{n}", doc_id, n, kind, heading, "text", "text", "h", (), ())


def test_the_title_and_a_heading_above_every_chunk_name_what_a_document_is_about() -> None:
    docs = {
        "guide": doc("guide", "Building access and emergencies"),
        "rules": doc("rules", "東京オフィス勤怠管理規程"),
        "policy": doc("policy", "费用管理办法"),
        "faq": doc("faq", "常见问题"),
    }
    chunks = [
        # one top heading above the whole guide: it names the office its sections never name
        chunk("guide", 1, ("Tokyo office guide", "1. Access")),
        chunk("guide", 2, ("Tokyo office guide", "4. Earthquakes")),
        chunk("rules", 3, ("第2条 勤務時間",)),
        # chapters are not what the document is about, even when one names an entity
        chunk("policy", 4, ("第一章 年假",)),
        chunk("policy", 5, ("第二章 报销流程",)),
        chunk("faq", 6, ("报销",), kind="faq"),  # an FAQ row's heading is its category
    ]
    about = document_entities(docs, chunks, GAZETTEER)
    assert about == {"guide": frozenset({"LOC-TYO"}), "rules": frozenset({"LOC-TYO"})}


def test_a_document_about_a_policy_is_about_the_policys_topics_too() -> None:
    about = {"travel": frozenset({"POL-travel"}), "tokyo": frozenset({"LOC-TYO"})}
    topics = {"POL-travel": frozenset({"TOPIC-travel", "TOPIC-expense"}), "POL-other": frozenset({"TOPIC-x"})}
    assert with_topics(about, topics) == {
        "travel": frozenset({"POL-travel", "TOPIC-travel", "TOPIC-expense"}),
        "tokyo": frozenset({"LOC-TYO"}),  # nothing filed under it: unchanged
    }
