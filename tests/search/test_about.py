"""What a document is about (search.about): the entities its title and a heading above the whole
document name — not its chapters, not an FAQ's categories."""

from __future__ import annotations

from lang.gazetteer import Gazetteer
from search.about import document_entities, with_topics
from search.catalog import ChunkRow, DocRow
from zhiku.types import EdgeRecord

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


def test_a_policy_refiled_under_another_topic_makes_a_new_index_version_without_a_document_change(  # type: ignore[no-untyped-def]
    demo_copy, copy_search_writable
) -> None:
    """What a policy is filed under (zk:hasTopic) is graph data no document carries: re-filing it (the
    kb loader's write) reaches the snapshot at the sync that ends the load, and as a new version of the
    index, which every other process reading it watches — not only with the next changed document."""
    search = copy_search_writable
    search.sync()
    snap = search.snapshot()
    annual = next(d for d, row in snap.docs.items() if row.title == "云杉科技年假管理办法")
    assert "TOPIC-leave" in snap.topics[annual] and "TOPIC-benefits" not in snap.topics[annual]
    version = search.catalog.version
    assert search.sync().documents_changed == 0 and search.catalog.version == version  # nothing new

    demo_copy.upsert_relationships([EdgeRecord("POL-annual-leave", "HAS_TOPIC", "TOPIC-benefits")])
    report = search.sync()
    assert report.documents_changed == 0 and report.chunks_added == 0
    assert search.catalog.version == version + 1
    assert "TOPIC-benefits" in search.snapshot().topics[annual]
    assert search.sync().documents_changed == 0 and search.catalog.version == version + 1
