"""An application's attachment into the knowledge base — only where its process says so
(``ingest_attachments: true`` in processes.yaml) — through the one ingest entry point, :func:`ingest.run`.

**Visibility, never wider than the application's.** An application is seen by its applicant, its
approvers, its 抄送 recipients and admins (:meth:`approvals.rules.Instance.visible_to`); a document's
access scope (:mod:`zhiku.access`) names departments, roles and a level, never single people, so any
scope naming a department or a role the applicant holds would let colleagues outside the application
read the file. The narrowest scope there is — the ``admin`` role only — is the one used: the text is
searchable by admins (audit, finance controllers holding the role), while the people of the application
reach the file itself through the application. The document's source URI names the attachment
(``…/attachments/kb/<attachment id>/<name>``), and so, through its ``attach`` record, the application.

The file is linked (a hard link, else a copy; a copy from an S3-compatible store) from the store to
``<data_dir>/attachments/kb/<attachment id>/<name>`` with its sidecar ``.meta.yaml`` — a stable path,
so re-ingesting it changes nothing and removing the attachment removes exactly its document.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from approvals.rules import Attachment
from graph.base import GraphStore
from ingest.loaders import LOADERS, document_id
from ingest.pipeline import IndexSync, IngestReport, IngestRun, run

#: The scope an ingested attachment gets: admins only (see the module docstring).
ATTACHMENT_ACCESS: dict[str, Any] = {"departments": [], "roles": ["admin"], "level": 0}
#: The suffix ingestion reads each detected attachment type under.
SUFFIX = {"jpg": ".jpg", "tif": ".tif", "bmp": ".bmp"}


def _suffix(attachment: Attachment) -> str | None:
    suffix = SUFFIX.get(attachment.type, f".{attachment.type}")
    return suffix if suffix in LOADERS else None


def _folder(root: Path, attachment_id: str) -> Path:
    return root / "kb" / attachment_id


def ingest_attachment(
    attachment: Attachment,
    blob: Path | bytes,
    *,
    root: Path,
    store: GraphStore,
    index: IndexSync | Callable[[], IndexSync] | None,
    **options: Any,
) -> IngestReport | None:
    """Ingest ``attachment`` (its bytes: the stored file ``blob``, linked, or the bytes themselves when
    the store is not on this machine, copied) readable by admins only; ``None`` when ingestion reads no
    such type (an OFD invoice, a GIF). ``options`` go to the pipeline (``ontology``…)."""
    suffix = _suffix(attachment)
    if suffix is None:
        return None
    folder = _folder(root, attachment.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (PurePosixPath(attachment.name).stem[:100] + suffix)
    if not path.exists():
        if isinstance(blob, bytes):
            path.write_bytes(blob)
        else:
            try:
                os.link(blob, path)
            except OSError:  # another file system, or links not allowed there
                shutil.copyfile(blob, path)
    meta = {"title": attachment.name, "access": ATTACHMENT_ACCESS}
    path.with_name(path.name + ".meta.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    return run([path], store, index, prune=False, **options)


def forget_attachment(
    attachment_id: str, *, root: Path, store: GraphStore, index: IndexSync | Callable[[], IndexSync] | None
) -> list[str]:
    """Remove a removed attachment's document (if it was ingested) and its linked file; the ids removed."""
    folder = _folder(root, attachment_id)
    if not folder.is_dir():
        return []
    docs = [
        document_id(p.resolve().as_uri())
        for p in folder.iterdir()
        if p.is_file() and not p.name.endswith(".meta.yaml")
    ]
    batch = IngestRun(store, index)
    batch.remove(docs)
    batch.finish()
    shutil.rmtree(folder, ignore_errors=True)
    return docs
