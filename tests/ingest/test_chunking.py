"""Chunks follow the document's structure and keep their heading path."""

from __future__ import annotations

from demo.load import DEMO_DIR
from ingest.chunking import chunk_document
from ingest.loaders import load_file
from zhiku.types import Block, Chunk, Document


def _doc(*blocks: Block) -> Document:
    return Document("doc-x", "file:///x", "测试制度", "markdown", blocks, "h")


def test_numbered_clauses_start_chunks_and_keep_the_heading_path() -> None:
    chunks = chunk_document(load_file(DEMO_DIR / "docs" / "expense.html"))
    fifth = next(c for c in chunks if c.text.startswith("第五条"))
    assert fifth.heading_path == ("费用报销管理办法", "第三章 报销流程")
    # The list that the clause introduces stays with it.
    assert "超过5000元的，需财务总监审批" in fifth.text
    assert not any(c.text.startswith("第六条") and "第五条" in c.text for c in chunks)


def test_each_faq_pair_is_one_chunk() -> None:
    chunks = chunk_document(load_file(DEMO_DIR / "faq.csv"))
    assert len(chunks) == 108
    assert all(c.kind == "faq" and c.text.startswith("问：") for c in chunks)
    assert chunks[0].heading_path[-1] == "TOPIC-leave"


def test_long_paragraphs_split_at_sentence_ends() -> None:
    sentence = "员工应遵守公司制度。" * 100
    chunks = chunk_document(_doc(Block("paragraph", sentence)), max_chars=200)
    assert len(chunks) == 5
    assert all(len(c.text) <= 200 and c.text.endswith("。") for c in chunks)


def test_chunk_ids_are_stable_and_ordered() -> None:
    doc = load_file(DEMO_DIR / "docs" / "annual-leave.md")
    first, second = chunk_document(doc), chunk_document(doc)
    assert [c.id for c in first] == [c.id for c in second]
    assert [c.ordinal for c in first] == list(range(len(first)))


def test_chunks_and_documents_carry_their_language() -> None:
    from ingest.chunking import document_language, with_languages

    chunks = with_languages(
        [
            Chunk("c1", "d", 0, "依法登记结婚的员工享受婚假10天。", ("婚假",)),
            Chunk("c2", "d", 1, "Employees who marry get ten days of marriage leave.", ("Marriage leave",)),
            Chunk("c3", "d", 2, "結婚した社員は結婚休暇を取得できます。", ("結婚休暇",)),
            Chunk("c4", "d", 3, "10", ()),  # too short to tell: the document's language
        ]
    )
    assert document_language(chunks) == "en"  # the most text
    assert [c.language for c in chunks] == ["zh", "en", "ja", "en"]
    assert document_language([]) == "und"
