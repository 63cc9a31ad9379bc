"""Document loaders: HTML, Markdown, PDF, DOCX, plain text, spreadsheets (CSV/XLSX: FAQ sheets or tables),
slides (PPTX), e-mail (EML, with attachments), subtitles (SRT/VTT), and images and scanned PDFs
through OCR (tesseract).

``load_file`` reads one file into a typed ``Document``; ``discover`` walks paths and pairs each file
with its sidecar metadata — a directory's ``index.yaml`` (a list of ``{file, title, access, …}``) or a
``NAME.meta.yaml`` beside the file. Access scopes come from there (``access: {departments, roles,
level}``); no scope means everyone may read it.

Example::

    for path, meta in discover([Path("demo/docs")]):
        doc = load_file(path, meta=meta)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from ingest.loaders import docx, eml, html, markdown, ocr, pdf, pptx, sheet, subtitles, text
from ingest.loaders.base import DEFAULT_MAX_BYTES, DocumentRejected, Parsed, content_hash, reject
from zhiku.types import AccessScope, Document, PropertyValue

LOADERS: dict[str, tuple[str, Callable[[bytes], Parsed]]] = {
    ".md": ("markdown", markdown.load),
    ".markdown": ("markdown", markdown.load),
    ".html": ("html", html.load),
    ".htm": ("html", html.load),
    ".pdf": ("pdf", pdf.load),
    ".docx": ("docx", docx.load),
    ".txt": ("text", text.load),
    ".csv": ("table", sheet.load),
    ".xlsx": ("table", lambda data: sheet.load(data, xlsx=True)),
    ".pptx": ("slides", pptx.load),
    ".eml": ("email", eml.load),
    ".srt": ("subtitles", subtitles.load),
    ".vtt": ("subtitles", subtitles.load),
    **{suffix: ("image", ocr.load_image) for suffix in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")},
}

__all__ = [
    "LOADERS",
    "DocumentRejected",
    "discover",
    "document_id",
    "load_bytes",
    "load_file",
    "unsupported",
]

_SKIP = {"index.yaml", "index.yml"}


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.1f} KB"


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise reject(
            f"文件过大（{_size(size)}，上限 {_size(max_bytes)}）",
            f"file too large ({size} bytes > {max_bytes})",
        )


def document_id(uri: str) -> str:
    """A stable id for a document, from its source URI."""
    return "doc-" + hashlib.sha1(uri.encode(), usedforsecurity=False).hexdigest()[:16]


def _scope(meta: Mapping[str, Any]) -> AccessScope:
    access = meta.get("access") or {}
    return AccessScope(
        departments=tuple(access.get("departments") or ()),
        roles=tuple(access.get("roles") or ()),
        level=int(access.get("level") or 0),
    )


def _flat_metadata(meta: Mapping[str, Any]) -> dict[str, PropertyValue]:
    out: dict[str, PropertyValue] = {}
    for key, value in meta.items():
        if key in ("file", "access", "source"):
            continue
        if isinstance(value, list):
            out[key] = [str(v) for v in value]
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, str | int | float | bool):
            out[key] = value
    return out


def load_bytes(
    data: bytes,
    *,
    uri: str,
    suffix: str,
    meta: Mapping[str, Any] | None = None,
    modified_at: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Document:
    """Parse bytes of a known type into a ``Document``; raise ``DocumentRejected`` with the reason."""
    meta = meta or {}
    _check_size(len(data), max_bytes)
    if not data.strip():
        raise reject("文件为空", "the file is empty")
    entry = LOADERS.get(suffix.lower())
    if entry is None:
        raise reject(f"不支持的文件类型：{suffix}", f"unsupported file type: {suffix}")
    fmt, loader = entry
    parsed = loader(data)
    if not parsed.blocks:
        raise reject("没有可提取的文字", "no text could be extracted")
    title = str(meta.get("title") or parsed.title or Path(uri).stem)
    return Document(
        id=document_id(uri),
        uri=uri,
        title=title,
        format=parsed.format or fmt,
        blocks=parsed.blocks,
        content_hash=content_hash(data),
        modified_at=modified_at,
        scope=_scope(meta),
        metadata=_flat_metadata(meta),
        warnings=parsed.warnings,
    )


def load_file(
    path: Path, *, meta: Mapping[str, Any] | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Document:
    """Read one file (its URI is ``file://`` + absolute path)."""
    try:
        _check_size(path.stat().st_size, max_bytes)  # before reading it
        data = path.read_bytes()
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).isoformat(timespec="seconds")
    except OSError as exc:
        raise reject(f"无法读取文件：{exc.strerror}", f"cannot read file: {exc}") from None
    return load_bytes(
        data,
        uri=path.resolve().as_uri(),
        suffix=path.suffix,
        meta=meta,
        modified_at=modified,
        max_bytes=max_bytes,
    )


def _sidecars(directory: Path) -> dict[str, dict[str, Any]]:
    for name in _SKIP:
        index = directory / name
        if index.is_file():
            entries = yaml.safe_load(index.read_text(encoding="utf-8")) or []
            return {str(e["file"]): dict(e) for e in entries if isinstance(e, dict) and "file" in e}
    return {}


def unsupported(path: Path) -> str:
    """Why no loader reads ``path`` (Chinese, then English), for reports."""
    kind = path.suffix or "（无扩展名 / no extension）"
    return f"不支持的文件类型 {kind}，可摄取：{' '.join(LOADERS)} / unsupported file type"


def discover(
    paths: Iterable[Path], *, skipped: Callable[[Path, str], None] | None = None
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every loadable file under ``paths`` (sorted), with its sidecar metadata. ``skipped(path, why)``
    hears of every other file (sidecars aside), so a caller can say what it left out."""
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        indexes: dict[Path, dict[str, dict[str, Any]]] = {}
        for path in files:
            if path.name in _SKIP or path.name.endswith((".meta.yaml", ".meta.yml")):
                continue
            if path.suffix.lower() not in LOADERS:
                if skipped is not None:
                    skipped(path, unsupported(path))
                continue
            if path.parent not in indexes:
                indexes[path.parent] = _sidecars(path.parent)
            meta = dict(indexes[path.parent].get(path.name, {}))
            sidecar = path.with_name(path.name + ".meta.yaml")
            if sidecar.is_file():
                meta.update(yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {})
            yield path, meta
