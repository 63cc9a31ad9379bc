"""A knowledge engineer's hand on one document: delete it, or ingest it again from its source.

* **Delete** (:func:`delete_document`): the document, its chunks and its mentions leave the graph and
  the search index at once (the index sync ends the call); facts only it supported go, facts other
  sources support stay. Entities only it mentioned are kept but marked *orphaned*: the review queue
  lists them (``review_orphans``) until a chunk mentions them again or an engineer keeps them. Nothing
  else of the graph is touched. Recorded as a ``delete`` review decision (who, when, what), which
  keeps the document's scope so only those who could read the document see the record.
* **Re-ingest** (:func:`reingest_document`): a ``file://`` document is read again from its path (its
  sidecar metadata included) through :func:`ingest.run`; unchanged content is a no-op. Uploads come
  back as a new version uploaded under the same name, crawled pages through their crawl source.

Who may do either is one pure rule, :func:`may_manage` (see docs/security.md)::

    doc = find_document(store, "doc-…", who)                # NotFoundError when who cannot read it
    assert may_manage(doc.scope, who)                       # the API refuses with Forbidden otherwise
    deleted = delete_document(store, search, doc, by=who.id)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import ingest
from graph.base import GraphStore, Statement, UnitOfWork
from ingest.pipeline import IndexSync
from ingest.review import Decision, Review
from ingest.writer import remove_documents
from ontology.model import Ontology
from queries import load as load_query
from zhiku.access import Principal, admits
from zhiku.errors import InputError, NotFoundError
from zhiku.types import AccessScope

#: Roles that manage documents (admins may do everything).
MANAGERS = ("knowledge_engineer",)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """What managing a document needs to know about it."""

    id: str
    title: str
    uri: str
    scope: AccessScope
    chunks: int

    @property
    def source(self) -> str:
        """``file``, ``upload``, ``web`` (crawled) or ``other``: how it can be ingested again."""
        scheme = urlparse(self.uri).scheme
        return {"file": "file", "upload": "upload", "http": "web", "https": "web"}.get(scheme, "other")


@dataclass(frozen=True, slots=True)
class Deleted:
    document: DocumentRecord
    orphans: tuple[tuple[str, str], ...]  # (entity id, name): kept, listed by the review queue
    indexed_chunks: int  # chunks in the index after the sync
    decision: Decision


@dataclass(frozen=True, slots=True)
class Reingested:
    document: DocumentRecord
    outcome: str  # new / changed / unchanged
    chunks: int
    indexed_chunks: int
    decision: Decision | None  # None for a no-op (unchanged content)


def may_manage(scope: AccessScope, who: Principal) -> bool:
    """Whether ``who`` may delete or re-ingest a document with ``scope``: admins always; a knowledge
    engineer only a document they can read (:func:`zhiku.access.admits`, level included) whose
    departments, when it names some, include the engineer's own department or one above it — being
    admitted through a role (HR documents an engineer may read as ``hr``) lets them read it, not
    remove it from its department."""
    if who.is_admin:
        return True
    if not who.has_role(*MANAGERS) or not admits(scope, who):
        return False
    return not scope.departments or any(d in who.departments for d in scope.departments)


def find_document(store: GraphStore, ref: str, who: Principal) -> DocumentRecord:
    """The document with ID or source URI ``ref``, if ``who`` may read it (one they may not read does
    not exist for them)."""
    rows = store.query(load_query("document_record").text, {"id": ref})
    if rows:
        row = rows[0]
        departments, roles = tuple(row["departments"] or ()), tuple(row["roles"] or ())
        scope = AccessScope(departments, roles, int(row["level"] or 0))
        if admits(scope, who):
            return DocumentRecord(
                str(row["id"]), str(row["title"] or ""), str(row["uri"] or ""), scope, int(row["chunks"] or 0)
            )
    raise NotFoundError(f"没有文档 {ref}", f"no document {ref}")


def _scope_props(doc: DocumentRecord) -> dict[str, Any]:
    return {
        "docDepartments": list(doc.scope.departments),
        "docRoles": list(doc.scope.roles),
        "docLevel": doc.scope.level,
        "documents": [doc.id],
    }


def delete_document(
    store: GraphStore,
    index: IndexSync | None,
    doc: DocumentRecord,
    *,
    by: str,
    ontology: Ontology,
    note: str | None = None,
) -> Deleted:
    """Delete ``doc`` (checked by the caller: :func:`check_manage`) and sync the index."""
    mentioned = [r["id"] for r in store.query(load_query("document_mentioned").text, {"id": doc.id})]
    remove_documents(store, [doc.id])  # its chunks, their mentions, the facts only it supported
    synced = index.sync() if index is not None else None  # the chunks leave the index now
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with UnitOfWork(store) as unit:
        decision = Review(store, ontology).record(
            unit, "delete", by, note, surface=doc.title, target=doc.uri, **_scope_props(doc)
        )
    [orphans] = store.run_unit(
        [Statement(load_query("orphan_mark").text, {"ids": mentioned, "doc": doc.id, "at": at})]
    )
    return Deleted(
        doc,
        tuple((str(r["id"]), str(r["name"] or r["id"])) for r in orphans),
        synced.total_chunks if synced is not None else 0,
        decision,
    )


def source_path(doc: DocumentRecord) -> Path:
    """The file a ``file://`` document was read from; other sources are ingested again their own way."""
    if doc.source == "upload":
        raise InputError(
            f"《{doc.title}》是上传的文档：请在上传页用同一文件名上传新版本",
            f"{doc.title!r} was uploaded: upload the new version under the same file name",
        )
    if doc.source == "web":
        raise InputError(
            f"《{doc.title}》是爬取的网页：请在爬取源页立即运行它的爬取源",
            f"{doc.title!r} is a crawled page: run its crawl source now",
        )
    path = Path(unquote(urlparse(doc.uri).path))
    if doc.source != "file" or not path.is_file():
        raise NotFoundError(
            f"找不到《{doc.title}》的来源文件：{doc.uri}",
            f"the source file of {doc.title!r} is gone: {doc.uri}",
            hint="文件已删除时请删除该文档",
        )
    return path


def reingest_document(
    store: GraphStore,
    index: IndexSync | Callable[[], IndexSync] | None,
    doc: DocumentRecord,
    *,
    by: str,
    ontology: Ontology,
    progress: Progress | None = None,
    force: bool = False,
    **options: Any,
) -> Reingested:
    """Ingest ``doc`` again from its source file (checked by the caller: :func:`check_manage`);
    unchanged content is a no-op unless ``force``. ``options`` go to the pipeline."""
    path = source_path(doc)
    report = ingest.run(
        [path], store, index, prune=False, progress=progress, ontology=ontology, force=force, **options
    )
    if report.rejected:
        raise InputError(f"无法读取 {doc.uri}：{report.rejected[0][1]}", f"cannot read {doc.uri}")
    outcome = "new" if report.new else "changed" if report.changed else "unchanged"
    decision = None
    if outcome != "unchanged":
        with UnitOfWork(store) as unit:
            decision = Review(store, ontology).record(
                unit, "reingest", by, None, surface=doc.title, target=doc.uri, **_scope_props(doc)
            )
    return Reingested(
        doc,
        outcome,
        report.chunks,
        report.index.total_chunks if report.index is not None else 0,
        decision,
    )


def keep_orphan(store: GraphStore, entity_id: str, *, by: str, ontology: Ontology) -> Decision:
    """An engineer keeps an orphaned entity: it leaves the review queue (recorded)."""
    [rows] = store.run_unit([Statement(load_query("orphan_keep").text, {"id": entity_id})])
    if not rows:
        raise NotFoundError(f"没有孤立实体 {entity_id}", f"no orphaned entity {entity_id}")
    with UnitOfWork(store) as unit:
        return Review(store, ontology).record(
            unit, "keep", by, None, surface=str(rows[0]["name"] or entity_id), target=entity_id
        )


def orphans(store: GraphStore, limit: int = 50) -> list[dict[str, Any]]:
    """Entities only deleted documents mentioned, newest first."""
    return store.query(load_query("review_orphans").text, {"limit": limit})
