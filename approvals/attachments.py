"""Files attached to an application (invoices for 报销, contracts for 合同审批): what is accepted, where the
bytes live, and who may attach, remove and read them.

* **Accepted**: not empty, at most the process's size limit, of a type the process takes — the type is
  detected from the bytes (``filetype``'s signatures, plus text and the Chinese e-invoice format OFD),
  never from the name; executables and scripts (PE, ELF, Mach-O, Java classes, ``#!`` and PHP scripts)
  are refused whatever they are called. Defaults: ``ZHIKU_ATTACHMENT_MAX_BYTES`` and
  ``ZHIKU_ATTACHMENT_TYPES`` (:mod:`zhiku.settings`); a process narrows or widens them in
  ``processes.yaml`` (``attachments: {max_mb, types, approvers}``). An instance keeps the limits it
  was submitted under, like its SLA.
* **Who**: the applicant while the application is open; an approver the current step waits on, to
  that step, where the process says ``approvers: true``; removal by who attached it, while open
  (:func:`approvals.rules.decide`). Reading: whoever may see the application
  (:meth:`approvals.rules.Instance.visible_to`).
* **Stored** by content: ``<data_dir>/attachments/sha256/ab/<sha256>`` (:class:`LocalBlobs`), written
  only once every check passed; or in an S3-compatible bucket (:class:`approvals.s3_blobs.S3Blobs`,
  ``ZHIKU_ATTACHMENT_S3_BUCKET``) — both implement :class:`BlobStore`.
* **Audited**: each attach and removal is an action of the instance (``attach`` / ``detach``), written
  compare-and-set like every other; the attachment's id is its ``attach`` record's id.

Example::

    files = Attachments(engine, LocalBlobs(settings.data_dir / "attachments"))
    attached = files.attach("AP-…", actor="E1040", name="发票.pdf", data=pdf_bytes)
    data = files.read(files.find(attached.attachment.id, who)[0])
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

import filetype

from approvals.engine import ApprovalEngine, ApprovalResult
from approvals.rules import Action, Attachment, Instance, attachments, decide
from queries import load as load_query
from zhiku.access import Principal
from zhiku.errors import AttachmentRefused, AttachmentTooLarge, AttachmentTypeRefused, NotFoundError
from zhiku.i18n import N_
from zhiku.settings import ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES

#: Where the API serves an attachment (sign-in required): links on cards and in the chat point here.
DOWNLOAD_PATH = "/api/attachments/{attachment_id}"
#: The longest attachment name kept.
MAX_NAME_CHARS = 200
#: Types never accepted, whatever a process lists: programs and scripts.
EXECUTABLE = ("exe", "elf", "macho", "class", "dex", "script")
#: The MIME type each detected type is served as.
MIME = {"txt": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8", "ofd": "application/ofd"}
_SIGNATURES = (  # what filetype (1.2) does not know: Mach-O and Java classes
    (b"\xfe\xed\xfa\xce", "macho"), (b"\xfe\xed\xfa\xcf", "macho"), (b"\xce\xfa\xed\xfe", "macho"),
    (b"\xcf\xfa\xed\xfe", "macho"), (b"\xca\xfe\xba\xbe", "class"),
)  # fmt: skip
_SCRIPT_STARTS = (b"#!", b"<?php", b"@echo off")
_HTML_MARKS = (b"<html", b"<script", b"<!doctype html", b"<svg")


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the bytes are: a short type name (``pdf``, ``png``, ``docx``, ``txt``…) and its MIME type."""

    type: str
    mime: str


@dataclass(frozen=True, slots=True)
class AttachmentPolicy:
    """An instance's limits: bytes, accepted types, whether approvers may attach, whether the text goes
    into the knowledge base (``ingest_attachments``)."""

    max_bytes: int
    types: tuple[str, ...]
    approvers: bool = False
    ingest: bool = False


#: The page a person's tap opens (a WeCom card, a chat answer): the web console signs them in (WeCom
#: sign-on in production) if needed, then fetches the file from :data:`DOWNLOAD_PATH` with their token —
#: a plain link to the API would answer 401 to a browser that holds no bearer token.
OPEN_PATH = "/attachment/{attachment_id}"


def open_path(attachment_id: str) -> str:
    """The console page that opens an attachment (relative, like :func:`download_path`)."""
    return OPEN_PATH.format(attachment_id=quote(attachment_id, safe=""))


def download_path(attachment_id: str) -> str:
    """Where an attachment is read (relative to the server: links prefix ``ZHIKU_PUBLIC_BASE_URL``)."""
    return DOWNLOAD_PATH.format(attachment_id=quote(attachment_id, safe=""))


def policy_of(
    inst: Instance, *, max_bytes: int = ATTACHMENT_MAX_BYTES, types: Sequence[str] = ATTACHMENT_TYPES
) -> AttachmentPolicy:
    """The limits ``inst`` was submitted under (the process's, else the defaults given)."""
    own: dict[str, Any] = dict(inst.policy.get("attachments") or {})
    return AttachmentPolicy(
        int(own.get("max_bytes") or max_bytes),
        tuple(own.get("types") or types),
        bool(own.get("approvers")),
        bool(own.get("ingest")),
    )


def sniff(data: bytes, name: str = "") -> Sniffed:
    """The type of ``data`` from its bytes (the name only tells ``csv`` from ``txt`` text)."""
    head = data[:262]
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return Sniffed(kind, "application/octet-stream")
    guess = filetype.guess(head if not head.startswith(b"PK") else data)
    if guess is not None:
        if guess.extension == "zip" and _is_ofd(data):
            return Sniffed("ofd", MIME["ofd"])
        kind = {"jpeg": "jpg", "jpx": "jp2"}.get(guess.extension, guess.extension)
        return Sniffed(kind, guess.mime)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.lower().startswith(_SCRIPT_STARTS):
        return Sniffed("script", "application/octet-stream")
    if _is_text(data):
        if any(mark in stripped[:1024].lower() for mark in _HTML_MARKS):
            return Sniffed("html", "text/html")
        kind = "csv" if PurePosixPath(name).suffix.lower() == ".csv" else "txt"
        return Sniffed(kind, MIME[kind])
    return Sniffed("unknown", "application/octet-stream")


def _is_ofd(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "OFD.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data[:65536].decode(encoding)
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and exc.start > 65530:  # a character cut at the sample's end
                return True
            continue
        return True
    return False


def clean_name(name: str) -> str:
    """The file name kept (no directories, no control characters); refused when empty or too long."""
    clean = PurePosixPath(name.replace("\\", "/")).name.strip()
    if not clean or len(clean) > MAX_NAME_CHARS or any(ord(ch) < 32 for ch in clean):
        raise AttachmentRefused.localized(
            N_("附件文件名无效（1 到 {limit} 个字符）"),
            f"invalid attachment name (1 to {MAX_NAME_CHARS} characters)",
            limit=MAX_NAME_CHARS,
        )
    return clean


def too_large(limit: int) -> AttachmentTooLarge:
    """The refusal of a file over ``limit`` bytes (also raised while reading, before the end)."""
    return AttachmentTooLarge.localized(
        N_("附件过大：这个流程的附件上限为 {mb} MB"),
        f"attachment too large: at most {limit} bytes for this process",
        mb=f"{limit / 1_048_576:.1f}",
    )


def check(data: bytes, name: str, policy: AttachmentPolicy) -> Sniffed:
    """``data`` accepted under ``policy``, with its detected type; else the refusal saying why."""
    if not data.strip():
        raise AttachmentRefused.localized(N_("附件为空：请选择有内容的文件"), "the attachment is empty")
    if len(data) > policy.max_bytes:
        raise too_large(policy.max_bytes)
    found = sniff(data, name)
    if found.type in EXECUTABLE:
        raise AttachmentTypeRefused.localized(
            N_("不能上传程序或脚本（{name}），无论扩展名是什么"),
            f"executables and scripts are refused whatever their extension ({name} is {found.type})",
            name=name,
        )
    if found.type not in policy.types:
        raise AttachmentTypeRefused.localized(
            N_("不支持的附件类型：{name} 的内容是 {type}；这个流程接受 {accepted}"),
            f"{name} is {found.type}; this process accepts {', '.join(policy.types)}",
            name=name,
            type=found.type,
            accepted="、".join(policy.types),
        )
    return found


# -- storage ------------------------------------------------------------------------------------------


class BlobStore(Protocol):
    """Where attachment bytes live, by SHA-256 (content-addressed: one copy of a file attached twice)."""

    def put(self, digest: str, data: bytes) -> None: ...

    def get(self, digest: str) -> bytes: ...

    def local_path(self, digest: str) -> Path | None:
        """The file holding the bytes when it is on this machine (ingestion links to it), else None."""
        ...


class LocalBlobs:
    """Blobs under ``root``/``sha256``/``ab``/``<digest>``, written atomically (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFoundError.localized(
                N_("没有这个附件：{id}"), f"not a SHA-256 digest: {digest}", id=digest
            )
        return self.root / "sha256" / digest[:2] / digest

    def put(self, digest: str, data: bytes) -> None:
        path = self._path(digest)
        if path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)

    def get(self, digest: str) -> bytes:
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFoundError.localized(
                N_("附件文件已不在存储中：{id}"), f"attachment bytes {digest} are missing", id=digest
            ) from None

    def local_path(self, digest: str) -> Path | None:
        path = self._path(digest)
        return path if path.is_file() else None


# -- the service --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attached:
    """What one upload did: the action's outcome, the attachment (also when it was already there),
    and the limits it was checked against."""

    result: ApprovalResult
    attachment: Attachment
    policy: AttachmentPolicy


class Attachments:
    """Attach, remove, find and read the files of applications (see the module docstring)."""

    def __init__(
        self,
        engine: ApprovalEngine,
        blobs: BlobStore,
        *,
        max_bytes: int = ATTACHMENT_MAX_BYTES,
        types: Sequence[str] = ATTACHMENT_TYPES,
    ) -> None:
        self.engine = engine
        self.blobs = blobs
        self.max_bytes = max_bytes
        self.types = tuple(types)

    def policy(self, inst: Instance) -> AttachmentPolicy:
        return policy_of(inst, max_bytes=self.max_bytes, types=self.types)

    def attach(
        self, instance_id: str, *, actor: str, name: str, data: bytes, channel: str = "api"
    ) -> Attached:
        """Check ``data`` and ``actor``'s right to attach it, store it, and record it on the instance.
        Nothing is stored when any check refuses (:class:`NotFoundError` for an unknown application)."""
        name = clean_name(name)
        inst = self.engine.get(instance_id)
        policy = self.policy(inst)
        found = check(data, name, policy)
        digest = hashlib.sha256(data).hexdigest()
        meta: dict[str, Any] = {
            "name": name,
            "size": len(data),
            "type": found.type,
            "mime": found.mime,
            "sha256": digest,
        }
        action = Action("attach", actor, attachment=meta)
        decide(inst, action)  # who may attach: refused here, before a byte is stored
        self.blobs.put(digest, data)
        result = self.engine.attach(instance_id, actor=actor, attachment=meta, channel=channel)
        same = [a for a in attachments(result.instance) if a.sha256 == digest and a.name == name]
        return Attached(result, same[-1], policy)

    def remove(self, attachment_id: str, *, actor: str, channel: str = "api") -> ApprovalResult:
        """Remove an attachment (by who attached it, while the application is open); the bytes stay for
        the audit trail."""
        return self.engine.detach(self._instance_of(attachment_id), actor=actor, attachment=attachment_id,
                                  channel=channel)  # fmt: skip

    def find(self, attachment_id: str, who: Principal) -> tuple[Attachment, Instance]:
        """The attachment and its application, if ``who`` may see the application; else
        :class:`NotFoundError`, as if it did not exist (no one learns of others' applications)."""
        inst = self.engine.get(self._instance_of(attachment_id))
        found = next((a for a in attachments(inst) if a.id == attachment_id), None)
        if found is None or not inst.visible_to(who):
            raise _no_such(attachment_id)
        return found, inst

    def read(self, attachment: Attachment) -> bytes:
        return self.blobs.get(attachment.sha256)

    def _instance_of(self, attachment_id: str) -> str:
        rows = self.engine.store.query(load_query("approval_attachment").text, {"id": attachment_id})
        if not rows:
            raise _no_such(attachment_id)
        return str(rows[0]["instance"])


def _no_such(attachment_id: str) -> NotFoundError:
    return NotFoundError.localized(
        N_("没有这个附件，或你无权查看：{id}"),
        f"no attachment {attachment_id} that you may see",
        id=attachment_id,
    )
