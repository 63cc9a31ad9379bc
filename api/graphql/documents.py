"""Knowledge engineers manage documents: delete one, ingest one again, and settle the entities a
deletion left orphaned (:mod:`ingest.manage` does the work; this module checks who may).

* ``deleteDocument(id)`` — the document leaves the graph and the index before the answer; entities only
  it mentioned are kept and listed by ``orphanEntities`` until a chunk mentions them again or
  ``keepOrphan`` settles them. Recorded as a review decision (who, when).
* ``reingestDocument(id)`` starts reading a ``file://`` document again and answers at once with a job;
  ``reingestJob(id)`` reports its stage (``ingest``, ``documents``, ``embeddings``) and outcome, polled
  by the console. A document already being re-ingested answers its running job (idempotent).

Who may: a document the caller can read, within their own departments (:func:`ingest.manage.may_manage`;
docs/security.md). A document the caller cannot read does not exist for them (``NOT_FOUND``).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass, field

import strawberry
from strawberry.types import Info

from api.auth import Forbidden
from api.deps import AppState
from api.graphql.context import ctx
from api.graphql.review import ReviewDecision, _bounded, _decision
from ingest import manage
from zhiku.access import Principal
from zhiku.errors import ZhikuError
from zhiku.settings import MAX_TEXT_CHARS

ROLE = "knowledge_engineer"
#: Finished jobs remembered (per API process) for the console to read their outcome.
KEEP_JOBS = 100


@strawberry.type(description="孤立实体：只有已删除的文档提及过它（保留在图谱中，待审核）/ an orphaned entity")
class OrphanEntity:
    id: strawberry.ID
    name: str
    type: str | None
    document: str | None = strawberry.field(description="提及过它的已删除文档 ID")
    since: str | None


@strawberry.type(description="删除文档的结果 / what deleting a document did")
class DocumentDeletion:
    document_id: strawberry.ID
    title: str
    uri: str
    orphans: list[OrphanEntity]
    indexed_chunks: int = strawberry.field(description="删除后检索索引中的文本块数")
    decision: ReviewDecision


@strawberry.type(description="重新摄取任务 / a re-ingestion under way or finished")
class ReingestJob:
    id: strawberry.ID
    document_id: strawberry.ID
    title: str
    state: str = strawberry.field(description="running / done / failed")
    stage: str = strawberry.field(
        description="ingest（抽取与写入）/ documents（索引文档）/ embeddings（向量化）"
    )
    done: int
    total: int
    outcome: str | None = strawberry.field(description="new / changed / unchanged（内容未变：无操作）")
    chunks: int
    indexed_chunks: int
    error: str | None
    error_en: str | None


@dataclass(slots=True)
class _Job:
    id: str
    document_id: str
    title: str
    by: str
    state: str = "running"
    stage: str = "ingest"
    done: int = 0
    total: int = 0
    outcome: str | None = None
    chunks: int = 0
    indexed_chunks: int = 0
    error: str | None = None
    error_en: str | None = None
    task: object = field(default=None, repr=False)

    def view(self) -> ReingestJob:
        return ReingestJob(
            id=strawberry.ID(self.id),
            document_id=strawberry.ID(self.document_id),
            title=self.title,
            state=self.state,
            stage=self.stage,
            done=self.done,
            total=self.total,
            outcome=self.outcome,
            chunks=self.chunks,
            indexed_chunks=self.indexed_chunks,
            error=self.error,
            error_en=self.error_en,
        )


_jobs: dict[str, _Job] = {}
_lock = threading.Lock()


def _managed(info: Info, ref: str) -> tuple[Principal, manage.DocumentRecord]:
    who = ctx(info).require(ROLE)
    doc = manage.find_document(ctx(info).state.store, ref, who)
    if not manage.may_manage(doc.scope, who):
        raise Forbidden(
            f"你不能删除或重新摄取《{doc.title}》：它属于你所在部门以外的部门",
            f"you may not delete or re-ingest {doc.title!r}: it belongs to a department other than yours",
            hint="请该部门的知识工程师或管理员处理",
        )
    return who, doc


def _orphan(row: dict[str, object]) -> OrphanEntity:
    return OrphanEntity(
        id=strawberry.ID(str(row["id"])),
        name=str(row.get("name") or row["id"]),
        type=str(row["type"]) if row.get("type") else None,
        document=str(row["document"]) if row.get("document") else None,
        since=str(row["since"]) if row.get("since") else None,
    )


def _run(job: _Job, state: AppState, doc: manage.DocumentRecord) -> None:
    """The job's body, in a worker thread."""

    def progress(stage: str, done: int, total: int) -> None:
        job.stage, job.done, job.total = stage, done, total

    settings = state.settings
    try:
        made = manage.reingest_document(
            state.store,
            state.search,
            doc,
            by=job.by,
            ontology=state.ontology,
            progress=progress,
            max_bytes=settings.ingest_max_bytes,
            ner_model=settings.ner_model,
        )
    except ZhikuError as exc:
        job.error, job.error_en, job.state = exc.message_zh, exc.message_en, "failed"
        return
    except Exception as exc:  # reported to the console, then logged by the executor
        job.error, job.error_en, job.state = (
            "重新摄取失败，详见服务器日志",
            f"re-ingestion failed: {exc}",
            "failed",
        )
        raise
    job.outcome, job.chunks, job.indexed_chunks = made.outcome, made.chunks, made.indexed_chunks
    job.state = "done"


@strawberry.type
class DocumentQuery:
    @strawberry.field(description="重新摄取任务的进度与结果（知识工程师）/ a re-ingestion job")
    def reingest_job(self, info: Info, id: strawberry.ID) -> ReingestJob | None:
        who = ctx(info).require(ROLE)
        job = _jobs.get(str(id))
        if job is None or (job.by != who.id and not who.is_admin):
            return None
        return job.view()

    @strawberry.field(description="孤立实体：只有已删除文档提及过的实体，最新的在前（知识工程师）")
    async def orphan_entities(self, info: Info, first: int = 50) -> list[OrphanEntity]:
        c = ctx(info)
        c.require(ROLE)
        rows = await asyncio.to_thread(manage.orphans, c.state.store, max(1, min(first, 200)))
        return [_orphan(r) for r in rows]


@strawberry.type
class DocumentMutation:
    @strawberry.mutation(
        description="删除文档：其文本块立即离开检索索引，提及随之删除；只被它提及的实体成为孤立实体待审核"
    )
    async def delete_document(
        self, info: Info, id: strawberry.ID, note: str | None = None
    ) -> DocumentDeletion:
        _bounded(note, MAX_TEXT_CHARS, "备注")
        who, doc = await asyncio.to_thread(_managed, info, str(id))
        state = ctx(info).state
        made = await asyncio.to_thread(
            manage.delete_document,
            state.store,
            state.search,
            doc,
            by=who.id,
            ontology=state.ontology,
            note=note,
        )
        return DocumentDeletion(
            document_id=strawberry.ID(doc.id),
            title=doc.title,
            uri=doc.uri,
            orphans=[
                OrphanEntity(id=strawberry.ID(i), name=n, type=None, document=doc.id, since=None)
                for i, n in made.orphans
            ],
            indexed_chunks=made.indexed_chunks,
            decision=_decision(made.decision),
        )

    @strawberry.mutation(
        description="重新摄取文档（从来源文件重读；内容未变则无操作），立即返回任务，用 reingestJob 看进度"
    )
    async def reingest_document(self, info: Info, id: strawberry.ID) -> ReingestJob:
        who, doc = await asyncio.to_thread(_managed, info, str(id))
        manage.source_path(doc)  # refuses uploads, crawled pages and missing files before any job
        state = ctx(info).state
        with _lock:
            running = next(
                (j for j in _jobs.values() if j.document_id == doc.id and j.state == "running"), None
            )
            if running is not None:
                return running.view()
            job = _Job(id=f"job-{uuid.uuid4().hex[:12]}", document_id=doc.id, title=doc.title, by=who.id)
            _jobs[job.id] = job
            for old in [j.id for j in _jobs.values() if j.state != "running"][
                : max(0, len(_jobs) - KEEP_JOBS)
            ]:
                del _jobs[old]
        job.task = asyncio.get_running_loop().run_in_executor(None, _run, job, state, doc)
        return job.view()

    @strawberry.mutation(description="保留孤立实体：它离开待审核列表（记录为审核决定）")
    async def keep_orphan(self, info: Info, id: strawberry.ID) -> ReviewDecision:
        c = ctx(info)
        who = c.require(ROLE)
        made = await asyncio.to_thread(
            manage.keep_orphan, c.state.store, str(id), by=who.id, ontology=c.state.ontology
        )
        return _decision(made)
