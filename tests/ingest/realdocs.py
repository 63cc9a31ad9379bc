"""Real documentation nobody here wrote, shaped into the files the loader tests need: Debian's
``debian-reference-zh-cn`` chapter 1 (HTML) and its tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.corpora import debian_package

Table = tuple[str, list[str], list[list[str]]]  # (title, header, rows)


def debian_reference() -> Path:
    """The package's documentation folder (the test is skipped when apt cannot fetch it)."""
    docs = debian_package("debian-reference-zh-cn")
    if docs is None:
        pytest.skip("apt could not fetch debian-reference-zh-cn (no Debian mirror reachable)")
    return docs


def tables(page: bytes) -> list[Table]:
    """The DocBook tables of a page: title (``表 1.1. 有趣的文本模式程序包列表``), header, rows."""
    import lxml.html

    def text(el) -> str:  # type: ignore[no-untyped-def]
        return " ".join(el.text_content().split())

    found = []
    for table in lxml.html.fromstring(page).xpath('//div[@class="table"]'):
        title = table.xpath('.//p[@class="title"]')
        header = [text(th) for th in table.xpath(".//thead//th")]
        rows = [[text(td) for td in tr.xpath("./td")] for tr in table.xpath(".//tbody/tr")]
        found.append((text(title[0]) if title else "", header, rows))
    return found
