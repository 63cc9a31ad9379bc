"""E-mail (``.eml``, RFC 5322/MIME) through the standard library's ``email`` package: the subject is the
title and first heading, the sender, recipients and date one paragraph, the body (plain text, else
its HTML through the HTML loader), then every attachment a loader reads, under a heading
``附件：name`` with its own structure one level down.

An attachment's locations are prefixed with it (``attachment=报价单.pdf&page=2``), so a chunk from
an attachment cites the file and the page inside it. An attachment no loader reads (an image, an
archive) or that is corrupt is named in a paragraph and in a warning — the mail is still ingested.

Example::

    parsed = load(Path("通知.eml").read_bytes())
    [b.text for b in parsed.blocks if b.kind == "heading"]   # ['关于…的通知', '附件：制度.docx', …]
"""

from __future__ import annotations

from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import PurePath

from ingest.loaders.base import DocumentRejected, Parsed, normalise, reject, text_blocks
from zhiku.types import Block

_HEADERS = (("From", "发件人"), ("To", "收件人"), ("Cc", "抄送"), ("Date", "日期"))


def _body(message: EmailMessage) -> list[Block]:
    from ingest.loaders import html

    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return []
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: decode leniently
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    if part.get_content_subtype() == "html":
        try:
            return list(html.load(str(content).encode()).blocks)
        except DocumentRejected:
            return []
    return text_blocks(str(content).splitlines())


def _attachment(name: str, data: bytes) -> tuple[list[Block], str]:
    """The attachment's blocks under its heading, and a warning when it could not be read."""
    from ingest.loaders import LOADERS

    heading = Block("heading", f"附件：{name}", level=2, anchor=f"attachment={name}")
    entry = LOADERS.get(PurePath(name).suffix.lower())
    why = "" if entry is not None else "不支持的附件类型"
    if entry is not None:
        try:
            parsed = entry[1](data)
        except DocumentRejected as exc:
            why = exc.message_zh
    if why:  # named in the text too, so a reader of the mail's chunks knows it was there
        return [heading, Block("paragraph", f"（附件 {name} 未读取：{why}）")], f"附件 {name} 未读取：{why}"
    prefix = f"attachment={name}"
    inner = [
        replace(
            b,
            level=b.level + 2 if b.level else 0,
            anchor=f"{prefix}&{b.anchor}" if b.anchor else "",  # else the section's (prefixed) anchor
        )
        for b in parsed.blocks
    ]
    return [heading, *inner], ""


def load(data: bytes) -> Parsed:
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
    except Exception as exc:  # the parser is lenient; anything it raises means junk
        raise reject("邮件无法解析", f"the e-mail cannot be parsed: {exc}") from None
    if not isinstance(message, EmailMessage) or not (message.keys() or message.get_payload()):
        raise reject("邮件无法解析", "the e-mail cannot be parsed")
    subject = normalise(str(message.get("Subject", "") or "")).strip()
    blocks: list[Block] = [Block("heading", subject or "（无主题）", level=1)]
    fields = [f"{zh}：{normalise(str(message[key]))}" for key, zh in _HEADERS if message.get(key)]
    if fields:
        blocks.append(Block("paragraph", "；".join(fields)))
    blocks.extend(_body(message))
    warnings = []
    for part in message.iter_attachments():
        name = normalise(part.get_filename() or "").strip() or "未命名附件"
        payload = part.get_payload(decode=True)
        found, warning = _attachment(name, payload if isinstance(payload, bytes) else b"")
        blocks.extend(found)
        if warning:
            warnings.append(warning)
    return Parsed(tuple(blocks), subject, tuple(warnings))
