"""Documents uploaded by a person (the web console's upload page): who may choose what scope, and the
one-document ingestion that ends, like every ingestion, with the index sync.

The uploader chooses who may read the document (departments, roles, a minimum level), but what they
send never widens anyone's view beyond what their role may set (:func:`upload_scope`):

* only knowledge engineers and admins upload;
* the scope's departments and roles must exist in the org data;
* a knowledge engineer must be able to read what they upload (a document they could not see would be
  one they cannot review, and its level could otherwise exceed their own);
* the document's URI, and so its id, is set here from the uploader and the file name
  (``upload://EMPLOYEE/NAME``): an upload replaces only the uploader's own earlier upload of that name,
  never someone else's document, whose scope it would otherwise overwrite.

>>> who = Principal("E1003", departments=("D-IT",), roles=("employee", "knowledge_engineer"), level=5)
>>> upload_scope(who, departments=["D-IT"], roles=[], level=3,
...              known_departments={"D-IT", "D-HR"}, known_roles={"hr"}).departments
('D-IT',)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from graph.base import GraphStore
from ingest.loaders import LOADERS, load_bytes
from ingest.pipeline import IndexSync, IngestRun
from queries import load as load_query
from zhiku.access import Principal, admits
from zhiku.errors import InputError
from zhiku.types import AccessScope

#: The roles that may upload (admins hold every role).
UPLOADERS = ("knowledge_engineer",)
#: The longest file name accepted.
MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class Uploaded:
    """What one upload did: the document, whether it was new, changed or unchanged, its chunks."""

    document_id: str
    title: str
    format: str
    outcome: str
    chunks: int
    indexed_chunks: int


def accepted_suffixes() -> list[str]:
    """The file types ingestion reads, e.g. ``.md``, ``.pdf``."""
    return sorted(LOADERS)


def file_suffix(name: str) -> str:
    """The lower-cased suffix of ``name`` when ingestion reads that type; a clear refusal otherwise."""
    clean = PurePosixPath(name.replace("\\", "/")).name.strip()
    if not clean or len(clean) > MAX_NAME_CHARS or any(ord(ch) < 32 for ch in clean):
        raise InputError(
            f"文件名无效（1 到 {MAX_NAME_CHARS} 个字符）",
            f"invalid file name (1 to {MAX_NAME_CHARS} characters)",
        )
    suffix = PurePosixPath(clean).suffix.lower()
    if suffix not in LOADERS:
        raise InputError(
            f"不支持的文件类型：{suffix or '（无扩展名）'}；支持 {'、'.join(accepted_suffixes())}",
            f"unsupported file type: {suffix or '(none)'}; accepted: {', '.join(accepted_suffixes())}",
        )
    return suffix


def upload_scope(
    who: Principal,
    *,
    departments: Sequence[str],
    roles: Sequence[str],
    level: int,
    known_departments: Collection[str],
    known_roles: Collection[str],
) -> AccessScope:
    """The access scope an upload gets, or a refusal saying why (see the module docstring)."""
    unknown = [d for d in departments if d not in known_departments]
    if unknown:
        raise InputError(f"没有这个部门：{'、'.join(unknown)}", f"unknown departments: {', '.join(unknown)}")
    bad_roles = [r for r in roles if r not in known_roles]
    if bad_roles:
        raise InputError(f"没有这个角色：{'、'.join(bad_roles)}", f"unknown roles: {', '.join(bad_roles)}")
    if not 0 <= level <= 99:
        raise InputError("职级应在 0 到 99 之间", "level must be between 0 and 99")
    scope = AccessScope(
        departments=tuple(dict.fromkeys(departments)), roles=tuple(dict.fromkeys(roles)), level=level
    )
    if not admits(scope, who):
        raise InputError(
            "你无法查看按此范围上传的文档：请包含你所在的部门或角色，职级不高于你的职级",
            "you could not read a document with this scope: include your department or a role of yours, "
            "and a level no higher than yours",
        )
    return scope


def upload_uri(who: Principal, name: str) -> str:
    """The server-assigned URI of ``who``'s upload called ``name``."""
    return f"upload://{quote(who.id, safe='')}/{quote(PurePosixPath(name.replace(chr(92), '/')).name)}"


def org_vocabulary(store: GraphStore) -> tuple[set[str], set[str]]:
    """The department ids and role names (``ROLE-`` prefix removed) of the org data."""
    rows = store.query(load_query("org_scope_vocabulary").text, {})
    departments = {str(r["id"]) for r in rows if r["kind"] == "department"}
    roles = {str(r["id"]).removeprefix("ROLE-") for r in rows if r["kind"] == "role"}
    return departments, roles


def ingest_upload(
    data: bytes,
    *,
    name: str,
    who: Principal,
    scope: AccessScope,
    store: GraphStore,
    index: IndexSync | Callable[[], IndexSync] | None,
    max_bytes: int,
    **options: Any,
) -> Uploaded:
    """Parse and ingest one uploaded file as ``who``'s, readable by ``scope``; raise
    ``DocumentRejected`` (nothing stored) when the file cannot be read. ``options`` go to the pipeline
    (``ontology``, ``ner_model``)."""
    suffix = file_suffix(name)
    meta = {
        "title": PurePosixPath(name).stem,
        "access": {"departments": list(scope.departments), "roles": list(scope.roles), "level": scope.level},
        "uploadedBy": who.id,
    }
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    doc = load_bytes(
        data, uri=upload_uri(who, name), suffix=suffix, meta=meta, modified_at=now, max_bytes=max_bytes
    )
    batch = IngestRun(store, index, max_bytes=max_bytes, **options)
    outcome = batch.document(doc)
    report = batch.finish()
    rows = store.query(load_query("document_chunks").text, {"id": doc.id})
    return Uploaded(
        document_id=doc.id,
        title=doc.title,
        format=doc.format,
        outcome=outcome,
        chunks=len(rows),
        indexed_chunks=report.index.total_chunks if report.index is not None else 0,
    )
