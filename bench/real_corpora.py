"""Public Chinese documentation nobody here wrote, as the retrieval benchmark reads it.

Each corpus is a Debian package (``apt-get download`` + ``dpkg -x``, no root needed) unpacked into a
cache directory (``~/.cache/zhiku/corpora`` unless told otherwise) and read with Zhiku's own loaders.
A document is named by its path relative to the corpus root (``ch01.zh-cn.html``) and a section by
that path plus the anchor of its heading (``ch01.zh-cn.html#_the_root_account``) — the same pair a
Zhiku citation deep-links to — so labels, Zhiku's hits and the baseline's sections compare directly.

    root, files = fetch("debian-reference", cache)
    for s in sections(root, files): s.doc, s.anchor, s.heading_path, s.text
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.corpora import debian_package
from ingest.loaders import DocumentRejected, load_file
from zhiku.types import Block

DEFAULT_CACHE = Path.home() / ".cache" / "zhiku" / "corpora"


@dataclass(frozen=True, slots=True)
class Corpus:
    package: str  # the Debian package
    folder: str  # where the package keeps its documents
    pattern: str  # which files of that folder are the corpus
    #: Another corpus whose labelled questions this one answers: the same text in another format
    #: (sections then match by heading text, not by anchor: a PDF's locations are pages).
    labels: str = ""


#: The corpora of the benchmark (never the FAQ packages kept for independent evaluation).
CORPORA: dict[str, Corpus] = {
    "debian-reference": Corpus("debian-reference-zh-cn", "usr/share/debian-reference", "*.zh-cn.html"),
    "debian-edu": Corpus(
        "debian-edu-doc-zh-cn", "usr/share/doc/debian-edu-doc-zh-cn", "debian-edu-bookworm-manual.html"
    ),
    # LibreOffice's help for Writer (text/swriter): its Chinese pages. (gimp-help-zh-cn was looked at and
    # left out: 98.6 % of its text is untranslated English.)
    "libreoffice-writer": Corpus(
        "libreoffice-help-zh-cn", "usr/share/libreoffice/help/zh-CN", "text/swriter/**/*.html"
    ),
    # The same Debian reference as the package's own PDF (dblatex, with an outline): the PDF loader's
    # structure against the HTML loader's, on debian-reference's questions.
    "debian-reference-pdf": Corpus(
        "debian-reference-zh-cn",
        "usr/share/debian-reference",
        "debian-reference.zh-cn.pdf",
        labels="debian-reference",
    ),
}

_NUMBERING = re.compile(
    r"^(?:chapter\s*\d+|appendix\s*[a-z]\.?|第\s*\d+\s*章|附录\s*[a-z]\.?|(?:[a-z]\.)?\d+(?:\.\d+)*\.?)\s+",
    re.IGNORECASE,
)


def heading_key(heading: str) -> str:
    """A heading without its number and blanks, to match one document's sections in another format
    (``1.1.3. root 账户`` in HTML is ``1.1.3 root 账户`` in the PDF; ``第 1 章 X`` is ``Chapter 1 X``)."""
    return "".join(_NUMBERING.sub("", heading.strip(), count=1).split())


class CorpusUnavailable(RuntimeError):
    """apt could not fetch a corpus package (no apt-get, or no Debian mirror reachable)."""


def fetch(name: str, cache: Path = DEFAULT_CACHE) -> tuple[Path, list[Path]]:
    """The corpus's root folder and its files (sorted), downloading the package on first use."""
    corpus = CORPORA[name]
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise CorpusUnavailable(
            f"{name}: apt-get/dpkg not found — this benchmark fetches Debian's {corpus.package} package "
            f"with 'apt-get download {corpus.package}'; run it on Debian/Ubuntu, or unpack the package "
            f"yourself into {cache / corpus.package} (dpkg-deb -x)"
        )
    root = debian_package(corpus.package, cache, corpus.folder)
    if root is None:
        raise CorpusUnavailable(
            f"{name}: 'apt-get download {corpus.package}' failed (no Debian mirror reachable, or the "
            "package lists are missing: run 'apt-get update' once)"
        )
    files = sorted(root.glob(corpus.pattern))
    if not files:
        raise CorpusUnavailable(f"{name}: no {corpus.pattern} under {root}")
    return root, files


@dataclass(frozen=True, slots=True)
class Section:
    """One heading with the text under it (up to the next heading of any level)."""

    doc: str  # path relative to the corpus root
    anchor: str  # the heading's anchor, else the nearest enclosing heading's ("" when none)
    heading_path: tuple[str, ...]
    body: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc, self.anchor)

    @property
    def text(self) -> str:
        """The heading with its text: what the naive baseline embeds."""
        return "\n".join(p for p in (self.heading_path[-1] if self.heading_path else "", self.body) if p)


def sections(root: Path, files: Sequence[Path]) -> list[Section]:
    """Every page split at its headings (the page parsed by Zhiku's HTML loader, so headings, anchors
    and boilerplate removal are the same for the baseline and for Zhiku; only chunking and ranking
    differ). Text before a page's first heading is a section under the page title."""
    out: list[Section] = []
    for path in files:
        try:
            doc = load_file(path)
        except DocumentRejected:
            continue
        out.extend(_page_sections(path.relative_to(root).as_posix(), doc.title, doc.blocks))
    return out


def _page_sections(rel: str, title: str, blocks: Sequence[Block]) -> list[Section]:
    out: list[Section] = []
    stack: list[tuple[int, str, str]] = []  # (level, heading, anchor)
    body: list[str] = []
    opened = False  # a heading has been seen (a heading with no text is a section too)

    def close() -> None:
        if opened or body:
            heading = tuple(t for _, t, _ in stack) or (title,)
            anchor = next((a for _, _, a in reversed(stack) if a), "")
            out.append(Section(rel, anchor, heading, "\n".join(body)))
        body.clear()

    for block in blocks:
        if block.kind == "heading":
            close()
            level = block.level or 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, block.text, block.anchor))
            opened = True
        else:
            body.append(f"• {block.text}" if block.kind == "item" else block.text)
    close()
    return out
