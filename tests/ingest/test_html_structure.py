"""The HTML loader keeps every page's section structure: headings from h1–h6 wherever they sit, each
with the anchor a browser jumps to, so every chunk has a heading path and a deep link — on Debian's
real DocBook documentation (``debian-reference-zh-cn``) and on the shapes Sphinx, MkDocs, Word and
plain intranet pages produce; bad pages are handled without losing text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.corpora import debian_package
from ingest.loaders import html, load_bytes, load_file
from ingest.pipeline import Pipeline
from search.embedders import load_embedder
from search.service import SearchService, section_link

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "html"


@pytest.fixture(scope="module")
def debian_docs() -> Path:
    docs = debian_package("debian-reference-zh-cn")
    if docs is None:
        pytest.skip("apt could not fetch debian-reference-zh-cn (no Debian mirror reachable)")
    return docs


def headings(data: bytes) -> list[tuple[int, str, str]]:
    return [(b.level, b.text, b.anchor) for b in html.load(data).blocks if b.kind == "heading"]


def test_debian_reference_headings_keep_their_docbook_anchors(debian_docs: Path) -> None:
    found = headings((debian_docs / "ch01.zh-cn.html").read_bytes())
    assert found[0] == (1, "第 1 章 GNU/Linux 教程", "_gnu_linux_tutorials")
    assert (2, "1.1. 控制台基础", "_console_basics") in found
    assert (3, "1.1.7. 怎样退出命令行提示符", "_how_to_leave_the_command_prompt") in found
    assert (3, "1.1.12. sudo 配置", "_sudo_configuration") in found
    assert len(found) == 66  # every h1–h6 of the page (its table of contents is not a heading source)
    assert all(anchor for _, _, anchor in found)
    ch02 = headings((debian_docs / "ch02.zh-cn.html").read_bytes())
    assert (2, "2.1. Debian 软件包管理的前提", "_debian_package_management_prerequisites") in ch02


def test_every_debian_reference_chunk_has_a_heading_path_and_a_deep_link(debian_docs: Path) -> None:
    pages = sorted(debian_docs.glob("ch*.zh-cn.html"))
    assert len(pages) == 12
    chunks = [c for page in pages for c in chunk_document(load_file(page))]
    assert len(chunks) > 700
    assert all(c.heading_path for c in chunks)
    assert all(c.anchor for c in chunks)
    root = [c for c in chunks if c.heading_path[-1] == "1.1.3. root 账户"]
    assert root
    assert root[0].heading_path == ("第 1 章 GNU/Linux 教程", "1.1. 控制台基础", "1.1.3. root 账户")
    assert root[0].anchor == "_the_root_account"
    assert "root 账户也被称作超级用户或特权用户" in root[0].text
    text = "\n".join(c.text for c in chunks)
    assert "上一页" not in text and "起始页" not in text  # DocBook navheader / navfooter
    # the table of contents is navigation, not content: its entries appear only as real headings
    assert not any("1.1. 控制台基础" in c.text for c in chunks)


def test_sphinx_page_headings_lose_their_permalink_sign_and_sidebars() -> None:
    parsed = html.load((FIXTURES / "sphinx.html").read_bytes())
    assert parsed.title == "安装指南"
    assert [(b.text, b.anchor) for b in parsed.blocks if b.kind == "heading"] == [
        ("安装指南", "install"),
        ("系统要求", "requirements"),
        ("如何用 pip 安装？", "pip"),
    ]
    text = " ".join(b.text for b in parsed.blocks)
    assert "$ pip install example\n$ example --version" in text  # <pre> keeps its lines
    assert "快速搜索" not in text and "版权所有" not in text and "索引" not in text


def test_mkdocs_page_reads_the_article_only() -> None:
    parsed = html.load((FIXTURES / "mkdocs.html").read_bytes())
    assert [(b.level, b.text, b.anchor) for b in parsed.blocks if b.kind == "heading"] == [
        (1, "配置", "配置"),
        (2, "基本配置", "_1"),
        (3, "主题设置", "theme"),
    ]
    assert [b.text for b in parsed.blocks if b.kind == "item"] == ["name：主题名称", "language：界面语言"]
    assert "Made with" not in " ".join(b.text for b in parsed.blocks)


def test_word_exported_page_in_gb2312_keeps_toc_bookmarks() -> None:
    doc = load_bytes((FIXTURES / "word.html").read_bytes(), uri="file:///x/word.html", suffix=".html")
    assert doc.title == "差旅管理规定"
    assert [(b.text, b.anchor) for b in doc.blocks if b.kind == "heading"] == [
        ("一、总则", "_Toc101"),
        ("（一）住宿标准", "_Toc102"),
        ("（二）交通标准", ""),
    ]
    chunks = chunk_document(doc)
    hotel = next(c for c in chunks if "600" in c.text)
    assert hotel.heading_path == ("一、总则", "（一）住宿标准")
    assert hotel.anchor == "_Toc102"
    train = next(c for c in chunks if "高铁" in c.text)
    assert train.anchor == "_Toc101"  # no anchor of its own: the enclosing section's


def test_plain_page_broken_and_duplicate_anchors_and_mixed_scripts() -> None:
    doc = load_bytes((FIXTURES / "plain.html").read_bytes(), uri="https://intra/it.html", suffix=".html")
    assert [(b.text, b.anchor) for b in doc.blocks if b.kind == "heading"] == [
        ("服务时间", "hours"),  # <a name> just before the heading
        ("联系方式", "contact"),  # the id of the div it opens
        ("报修流程", ""),  # id="broken id" is not a valid id
        ("常見問題", "dup"),  # traditional characters kept as written; first holder of id="dup"
        ("密码多久过期", ""),  # the second id="dup" would jump to the first
        ("打印机", ""),  # id=""
    ]
    chunks = chunk_document(doc)
    assert [c.anchor for c in chunks if "90 天" in c.text] == ["dup"]
    assert {"工作日 9:00–18:00。", "在 OA 提交报修单。", "三楼打印机需刷卡。"} <= {c.text for c in chunks}
    text = " ".join(c.text for c in chunks)
    assert "快捷链接" not in text and "首页" not in text


def test_page_without_headings_keeps_its_text_under_the_title() -> None:
    data = (
        "<html><head><title>通知</title></head><body><p>周五停电。</p><p>请提前保存文件。</p></body></html>"
    )
    doc = load_bytes(data.encode(), uri="file:///n.html", suffix=".html")
    chunks = chunk_document(doc)
    assert doc.title == "通知"
    assert [c.text for c in chunks] == ["周五停电。\n请提前保存文件。"]
    assert chunks[0].heading_path == () and chunks[0].anchor == ""


def test_headings_only_page_keeps_every_heading_as_a_chunk() -> None:
    data = '<html><body><h1 id="a">总目录</h1><h2 id="b">第一部分</h2><h2 id="c">第二部分</h2><h3>附录</h3></body></html>'
    chunks = chunk_document(load_bytes(data.encode(), uri="file:///h.html", suffix=".html"))
    assert [(c.text, c.heading_path, c.anchor) for c in chunks] == [
        ("第一部分", ("总目录", "第一部分"), "b"),
        ("附录", ("总目录", "第二部分", "附录"), "c"),
    ]


def test_ten_thousand_headings_are_all_kept_with_unique_anchors() -> None:
    body = "".join(f'<section id="s{i}"><h2>第{i}节</h2><p>内容{i}。</p></section>' for i in range(10_000))
    doc = load_bytes(
        f"<html><body><h1>大文档</h1>{body}</body></html>".encode(), uri="file:///b.html", suffix=".html"
    )
    found = [b for b in doc.blocks if b.kind == "heading"]
    assert len(found) == 10_001
    chunks = chunk_document(doc)
    assert len(chunks) == 10_000
    assert chunks[9_999].heading_path == ("大文档", "第9999节") and chunks[9_999].anchor == "s9999"
    assert len({c.anchor for c in chunks}) == 10_000


def test_deeply_nested_page_does_not_overflow() -> None:
    data = "<div>" * 1500 + "<h2 id='deep'>深处</h2><p>正文。</p>" + "</div>" * 1500
    doc = load_bytes(f"<html><body>{data}</body></html>".encode(), uri="file:///d.html", suffix=".html")
    assert [c.text for c in chunk_document(doc)] == ["正文。"]


def test_section_link_encodes_the_anchor() -> None:
    assert section_link("https://x/a.html", "配置") == "https://x/a.html#%E9%85%8D%E7%BD%AE"
    assert section_link("https://x/a.html#old", "_sudo") == "https://x/a.html#_sudo"
    assert section_link("https://x/a.html", "") == "https://x/a.html"


def test_ingested_debian_pages_are_found_with_section_and_deep_link(
    debian_docs: Path, store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("ch01.zh-cn.html", "ch02.zh-cn.html"):
        (folder / name).write_bytes((debian_docs / name).read_bytes())
    Pipeline(store).ingest([folder])
    anchors = store.query("MATCH (c:Chunk) WHERE c.anchor IS NOT NULL RETURN count(c) AS n")[0]["n"]
    total = store.query("MATCH (c:Chunk) RETURN count(c) AS n")[0]["n"]
    assert anchors == total > 0
    service = SearchService(store, tmp_path / "idx", load_embedder("static"))
    try:
        service.sync()
        hits = service.search("怎样退出命令行提示符", k=5).hits
    finally:
        service.close()
    hit = next(h for h in hits if h.anchor == "_how_to_leave_the_command_prompt")
    assert hit.section == "1.1. 控制台基础 / 1.1.7. 怎样退出命令行提示符"
    assert hit.link == hit.uri + "#_how_to_leave_the_command_prompt"
    assert hit.uri.endswith("ch01.zh-cn.html")
