"""HTML: the main content only, without navigation, headers, footers and sidebars.

trafilatura (maintained, made for this) extracts the article and keeps its structure as Markdown;
the page ``<title>`` (or the first heading) names the document.
"""

from __future__ import annotations

from ingest.loaders.base import Parsed, decode_text, markdown_blocks, reject


def load(data: bytes) -> Parsed:
    import trafilatura

    text = decode_text(data)
    content = trafilatura.extract(
        text,
        output_format="markdown",
        include_formatting=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        favor_recall=True,
    )
    if not content or not content.strip():
        raise reject("网页中没有可提取的正文", "no main content found in the HTML page")
    blocks = markdown_blocks(content)
    metadata = trafilatura.extract_metadata(text)
    title = (metadata.title if metadata is not None and metadata.title else "") or next(
        (b.text for b in blocks if b.kind == "heading"), ""
    )
    for suffix in (" - 云杉科技内网",):
        title = title.removesuffix(suffix)
    return Parsed(tuple(blocks), title.strip())
