"""HTML: the page's own section structure — every ``h1``–``h6`` with its anchor — minus the boilerplate.

Why a DOM walk and not trafilatura: trafilatura 2.x (markdown output, ``favor_recall``) drops every
heading that sits inside a wrapper it scores as boilerplate — all of them on DocBook pages, whose
headings live in ``div.titlepage`` (Debian's ``*-zh-cn`` documentation) — and it never keeps ``id``
attributes, so chunks had empty heading paths and citations could not deep-link. Here lxml (already
installed with trafilatura; now a declared dependency) parses the page and one iterative walk emits
headings, paragraphs, list items, table rows and preformatted blocks in document order. Boilerplate
goes first, by what it *is* rather than by a text-density guess: ``nav``/``aside``/``header``/
``footer``/``form``/``script``…, ARIA landmarks (navigation, banner, contentinfo, complementary,
search) and the class/id names documentation generators give their chrome (DocBook ``navheader``/
``navfooter``/``toc``, Sphinx ``sphinxsidebar``/``related``/``headerlink``, MkDocs ``md-sidebar``/
``md-header``, Confluence ``breadcrumbs``/``page-metadata``, intranet ``breadcrumb``/``sidebar``).
When the page marks its main content (``main``, ``[role=main]``, ``#main-content``, one ``article``)
only that is read. A heading is never dropped for being short or link-dense.

Each heading's anchor is, in order: its own ``id``; an ``<a id|name>`` inside it (DocBook, Word's
``_Toc…`` bookmarks); the ``id`` of the section/div it opens (Sphinx ``<section id>``, old
``div.section``); an empty ``<a id|name>`` right before it. An anchor that is malformed (blank,
containing whitespace) or used twice on the page (a browser would jump to the first) is dropped; the
chunker then links to the nearest enclosing section that has one.

Example::

    parsed = load(path.read_bytes())
    [(b.level, b.text, b.anchor) for b in parsed.blocks if b.kind == "heading"]
"""

from __future__ import annotations

import re
from typing import Any

from ingest.loaders.base import Parsed, decode_text, normalise, reject
from zhiku.types import Block

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
#: Elements that never hold the page's content.
_DROP_TAGS = {
    "script", "style", "noscript", "template", "nav", "aside", "header", "footer", "form", "iframe",
    "svg", "canvas", "button", "select", "input", "textarea", "object", "embed", "head", "title", "meta",
    "link",
}  # fmt: skip
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
#: Class or id tokens of navigation chrome in the generators we meet (exact tokens, not substrings:
#: ``table-of-contents-macro`` in a Confluence body must survive, ``toc`` in DocBook must not).
_DROP_NAMES = {
    "navheader", "navfooter", "toc", "list-of-tables", "list-of-figures", "sphinxsidebar", "related",
    "headerlink", "md-sidebar", "md-header", "md-footer", "md-tabs", "md-search", "wy-nav-side",
    "rst-footer-buttons", "breadcrumb", "breadcrumbs", "sidebar", "page-metadata", "footer", "site-footer",
    "site-header", "skip-link", "skiplink", "navbar", "menu", "pagination", "edit-this-page",
}  # fmt: skip
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "body", "blockquote", "ul", "ol", "dl", "dt", "dd", "li",
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "figure", "figcaption", "address",
    "center", "hr", "br", "details", "summary", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
_MAIN_XPATHS = ("//main", "//*[@role='main']", "//*[@id='main-content']", "//article", "//*[@id='content']")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def _names(el: Any) -> set[str]:
    get = el.get
    return set(((get("class") or "") + " " + (get("id") or "")).lower().split())


def _is_boilerplate(el: Any) -> bool:
    tag = el.tag
    if not isinstance(tag, str):
        return True  # comments, processing instructions
    if tag.lower() in _DROP_TAGS:
        return True
    if (el.get("role") or "").lower() in _DROP_ROLES:
        return True
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    return bool(_names(el) & _DROP_NAMES)


def _valid_anchor(value: str | None) -> str:
    value = (value or "").strip()
    return value if value and not any(c.isspace() for c in value) else ""


def _text(el: Any) -> str:
    return normalise(" ".join(el.itertext())).strip()


def _heading_text(h: Any) -> str:
    """A heading's words without its chrome (Sphinx/MkDocs permalink "¶"), inline parts joined as
    rendered (Word splits "一、总则" into spans)."""
    parts: list[str] = []

    def visit(el: Any) -> None:
        if el is not h and _is_boilerplate(el):
            if el.tail:
                parts.append(el.tail)
            return
        if el.text:
            parts.append(el.text)
        for child in el:
            visit(child)
        if el is not h and el.tail:
            parts.append(el.tail)

    visit(h)
    return normalise(" ".join("".join(parts).split())).strip()


def _anchors(root: Any) -> dict[Any, str]:
    """Every heading's anchor (see the module docstring); an id only counts on the first element
    that carries it, since that is where a browser goes."""
    headings = list(root.iter(*_HEADINGS))
    level = {h: _HEADINGS[h.tag] for h in headings}
    owner: dict[Any, Any] = {}  # wrapper → the first heading in it
    shared: set[Any] = set()  # wrappers that also hold a heading of the owner's level or above
    for h in headings:
        for ancestor in h.iterancestors():
            first = owner.setdefault(ancestor, h)
            if first is not h and level[h] <= level[first]:
                shared.add(ancestor)
    target: dict[str, Any] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("id", "name") if el.tag == "a" else ("id",):
            value = _valid_anchor(el.get(attr))
            if value:
                target.setdefault(value, el)

    def own(el: Any, attr: str) -> str:
        value = _valid_anchor(el.get(attr))
        return value if value and target.get(value) is el else ""

    def preceding_anchor(h: Any) -> str:
        """An empty ``<a id|name>`` right before the heading or before the wrapper it opens."""
        node = h
        while node is not None:
            prev = node.getprevious()
            while prev is not None and not isinstance(prev.tag, str):
                prev = prev.getprevious()
            if prev is not None:
                if prev.tag == "a" and not _text(prev):
                    return own(prev, "id") or own(prev, "name")
                return ""
            node = node.getparent()
            if node is None or owner.get(node) is not h or node in shared:
                return ""
        return ""

    found: dict[Any, str] = {}
    for h in headings:
        anchor = own(h, "id")
        if not anchor:
            anchor = next(
                (own(a, "id") or own(a, "name") for a in h.iter("a") if own(a, "id") or own(a, "name")), ""
            )
        anchor = anchor or preceding_anchor(h)
        if not anchor:
            for ancestor in h.iterancestors():
                if owner.get(ancestor) is not h or ancestor in shared or ancestor.tag in ("body", "html"):
                    break
                anchor = own(ancestor, "id")
                if anchor:
                    break
        found[h] = anchor
    return found


def _main(body: Any) -> Any:
    """The element that marks the main content, if the page marks one that holds text."""
    total = len(_text(body))
    for xpath in _MAIN_XPATHS:
        found = body.xpath(xpath)
        if xpath == "//article" and len(found) != 1:
            continue
        if found and len(_text(found[0])) >= 0.2 * total:
            return found[0]
    return body


def _blocks(root: Any, anchors: dict[Any, str]) -> list[Block]:
    from lxml import etree

    blocks: list[Block] = []
    buffer: list[str] = []
    item_depth = 0
    skip_until: Any | None = None
    pre_depth = 0

    def flush() -> None:
        joined = "".join(buffer)
        text = "\n".join(line.rstrip() for line in joined.strip("\n").splitlines()) if pre_depth else ""
        text = text or normalise(" ".join(joined.split())).strip()
        buffer.clear()
        if text:
            blocks.append(Block("item" if item_depth else "paragraph", text))

    for event, el in etree.iterwalk(root, events=("start", "end")):
        if skip_until is not None:
            if event == "end" and el is skip_until:
                skip_until = None
                if el.tail:
                    buffer.append(el.tail)
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if el is not root and _is_boilerplate(el):
                skip_until = el
                continue
            if tag in _HEADINGS:
                flush()
                text = _heading_text(el)
                if text:
                    blocks.append(Block("heading", text, level=_HEADINGS[tag], anchor=anchors.get(el, "")))
                skip_until = el
                continue
            if tag == "tr":
                flush()
                cells = [_text(c) for c in el if isinstance(c.tag, str) and c.tag in ("td", "th")]
                row = " | ".join(c for c in cells if c)
                if row:
                    blocks.append(Block("paragraph", row))
                skip_until = el
                continue
            if tag in _BLOCK_TAGS:
                flush()
                if tag == "li":
                    item_depth += 1
                elif tag == "pre":
                    pre_depth += 1
            if el.text:
                buffer.append(el.text)
        else:
            if tag in _BLOCK_TAGS:
                flush()
                if tag == "li":
                    item_depth -= 1
                elif tag == "pre":
                    pre_depth -= 1
            elif tag == "img" and el.get("alt") and buffer:
                buffer.append(el.get("alt"))
            if el.tail and el is not root:
                buffer.append(el.tail)
    flush()
    return blocks


def load(data: bytes) -> Parsed:
    import lxml.html
    from lxml import etree

    text = _XML_DECL.sub("", decode_text(data), count=1)
    try:
        # huge_tree: libxml2 otherwise silently drops what is nested deeper than 256 levels
        document = lxml.html.document_fromstring(text, parser=lxml.html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError) as exc:
        raise reject("网页无法解析", f"the HTML page cannot be parsed: {exc}") from None
    title_el = document.find(".//title")
    page_title = _text(title_el) if title_el is not None else ""
    body = document.find("body")
    if body is None:
        body = document
    anchors = _anchors(body)
    blocks = _blocks(_main(body), anchors)
    if not blocks:
        raise reject("网页中没有可提取的正文", "no main content found in the HTML page")
    first_heading = next((b.text for b in blocks if b.kind == "heading"), "")
    title = page_title or first_heading
    if first_heading and title.startswith(first_heading):
        title = first_heading  # "合同管理办法 - 云杉科技内网" → the page's own h1
    return Parsed(tuple(blocks), title.strip())
