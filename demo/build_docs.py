"""Rebuild the demo's HTML, DOCX and PDF documents from their Markdown sources (``make demo-docs``).

The generated files are committed so that ingestion has real files of every format to read; this
script is how they were made. HTML pages are wrapped in an intranet template (navigation, breadcrumbs,
footer) so the HTML loader has boilerplate to strip, as on a real intranet. HTML and PDF output is
byte-for-byte reproducible (reportlab's invariant mode); DOCX differs only in its zip timestamps.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import yaml

DEMO_DIR = Path(__file__).parent
DOCS_DIR = DEMO_DIR / "docs"
FIXED_DATE = dt.datetime(2026, 1, 1, 9, 0, 0)

_HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title} - 云杉科技内网</title>
<link rel="stylesheet" href="/static/intranet.css">
</head>
<body>
<header class="site-header">
  <div class="logo">云杉科技 · 员工门户</div>
  <nav class="main-nav">
    <a href="/">首页</a> | <a href="/news">公司新闻</a> | <a href="/policies">规章制度</a> |
    <a href="/oa">云杉OA</a> | <a href="/it">IT服务台</a> | <a href="/contacts">通讯录</a>
  </nav>
  <form class="search" action="/search"><input name="q" placeholder="搜索内网"></form>
</header>
<div class="breadcrumb"><a href="/">首页</a> &gt; <a href="/policies">规章制度</a> &gt; {title}</div>
<main>
<article class="policy">
{body}
</article>
</main>
<aside class="related">
  <h3>相关链接</h3>
  <ul>
    <li><a href="/policies">全部制度</a></li><li><a href="/oa">发起审批</a></li>
    <li><a href="/faq">常见问题</a></li>
  </ul>
</aside>
<footer class="site-footer">
  <p>© 2026 云杉科技有限公司 版权所有 | 内部资料，请勿外传 | 技术支持：信息技术部 分机 8000</p>
</footer>
</body>
</html>
"""


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """Tiny structural reader: (kind, text) with kinds h1, h2, h3, ol, ul, p."""
    out: list[tuple[str, str]] = []
    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            continue
        if m := re.match(r"^(#{1,3})\s+(.*)$", line):
            out.append((f"h{len(m.group(1))}", m.group(2)))
        elif m := re.match(r"^\d+[.、]\s*(.*)$", line):
            out.append(("ol", m.group(1)))
        elif m := re.match(r"^[-*]\s+(.*)$", line):
            out.append(("ul", m.group(1)))
        else:
            out.append(("p", line))
    return out


def to_html(markdown: str, title: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(markdown)
    return _HTML_TEMPLATE.format(title=html.escape(title), body=body)


def to_docx(markdown: str, title: str, path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.author = "云杉科技"
    doc.core_properties.created = FIXED_DATE
    doc.core_properties.modified = FIXED_DATE
    doc.core_properties.last_modified_by = "云杉科技"
    for kind, text in _blocks(markdown):
        if kind.startswith("h"):
            doc.add_heading(text, level=int(kind[1]) - 1 if kind != "h1" else 0)
        elif kind == "ol":
            doc.add_paragraph(text, style="List Number")
        elif kind == "ul":
            doc.add_paragraph(text, style="List Bullet")
        else:
            doc.add_paragraph(text)
    doc.save(str(path))


def to_pdf(markdown: str, title: str, path: Path) -> None:
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    rl_config.invariant = 1  # no timestamps or random ids: the same input gives the same bytes
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    base = {"fontName": "STSong-Light", "wordWrap": "CJK"}
    styles = {
        "h1": ParagraphStyle("h1", fontSize=18, leading=26, spaceAfter=10, **base),
        "h2": ParagraphStyle("h2", fontSize=14, leading=20, spaceBefore=8, spaceAfter=6, **base),
        "h3": ParagraphStyle("h3", fontSize=12, leading=18, spaceBefore=6, **base),
        "p": ParagraphStyle("p", fontSize=11, leading=17, spaceAfter=4, **base),
        "li": ParagraphStyle("li", fontSize=11, leading=17, leftIndent=16, **base),
    }
    story = []
    number = 0
    for kind, text in _blocks(markdown):
        safe = html.escape(text)
        if kind == "ol":
            number += 1
            story.append(Paragraph(f"{number}. {safe}", styles["li"]))
            continue
        number = 0
        if kind == "ul":
            story.append(Paragraph(f"• {safe}", styles["li"]))
        else:
            story.append(Paragraph(safe, styles.get(kind, styles["p"])))
    story.append(Spacer(1, 12))
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=title, author="云杉科技")
    doc.build(story)


def build(docs_dir: Path = DOCS_DIR) -> list[Path]:
    """Regenerate every document whose index entry names a ``source``."""
    index = yaml.safe_load((docs_dir / "index.yaml").read_text(encoding="utf-8"))
    written = []
    for entry in index:
        if "source" not in entry:
            continue
        source = (docs_dir / entry["source"]).resolve()
        markdown = source.read_text(encoding="utf-8")
        target = docs_dir / entry["file"]
        suffix = target.suffix.lower()
        if suffix == ".html":
            target.write_text(to_html(markdown, entry["title"]), encoding="utf-8")
        elif suffix == ".docx":
            to_docx(markdown, entry["title"], target)
        elif suffix == ".pdf":
            to_pdf(markdown, entry["title"], target)
        else:
            raise ValueError(f"cannot generate {target.name}")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in build():
        print(f"wrote {path.relative_to(DEMO_DIR.parent)}")
