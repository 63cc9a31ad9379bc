"""PDF text (pypdf), page by page; wrapped lines are rejoined into paragraphs.

Encrypted files are opened only if they have an empty user password; scanned PDFs without a text
layer are refused (no OCR here).
"""

from __future__ import annotations

import io
import logging

from ingest.loaders.base import Parsed, reject, text_blocks

# pypdf logs a warning per glyph it cannot map (e.g. TeX math fonts); the text is still extracted.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def load(data: bytes) -> Parsed:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise reject("PDF 有密码保护", "the PDF is password-protected")
        lines: list[str] = []
        for page in reader.pages:
            lines.extend((page.extract_text() or "").splitlines())
            lines.append("")
        title = str(reader.metadata.get("/Title") or "") if reader.metadata else ""
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise reject(f"PDF 已损坏或无法解析：{exc}", f"corrupt or unreadable PDF: {exc}") from None
    except Exception as exc:  # pypdf raises assorted errors on junk; the batch must go on
        if type(exc).__name__ == "DocumentRejected":
            raise
        raise reject(f"PDF 无法解析：{type(exc).__name__}", f"unreadable PDF: {exc}") from None
    blocks = text_blocks(lines)
    if not any(b.text.strip() for b in blocks):
        raise reject("PDF 没有文字层（扫描件？）", "the PDF has no text layer (a scan?)")
    return Parsed(tuple(blocks), title or (blocks[0].text if blocks else ""))
