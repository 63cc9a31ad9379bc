"""Knowledge engineers manage documents: delete one, ingest one again, and settle the entities a
deletion left orphaned (:mod:`ingest.manage` does the work; this module checks who may).

* ``deleteDocument(id)`` — the document leaves the graph and the index before the answer; entities only
  it mentioned are kept and listed by ``orphanEntities`` until a chunk mentions them again or
  ``keepOrphan`` settles them. Recorded as a review decision (who, when).
* ``reingestDocument(id)`` starts reading a ``file://`` document again and answers at once with a job;
  ``reingestJob(id)`` reports its stage (``ingest``, ``documents``, ``embeddings``) and outcome, polled
  by the console. A document already being re-ingested answers its running job (idempotent). Jobs live
  in the shared Redis (:mod:`ingest.jobs`): any instance answers the poll, whichever runs the job.

Who may: a document the caller can read, within their own departments (:func:`ingest.manage.may_manage`;
docs/security.md). A document the caller cannot read does not exist for them (``NOT_FOUND``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import strawberry
from strawberry.types import Info

from api.auth import Forbidden
from api.deps import AppState
from api.graphql.context import ctx
from api.graphql.review import ReviewDecision, _bounded, _decision
from graph.kv import open_kv
from ingest import manage
from ingest.jobs import Job, ReingestJobs
from zhiku.access import Principal
from zhiku.errors import ZhikuError
from zhiku.settings import MAX_TEXT_CHARS

ROLE = "knowledge_engineer"
#: The jobs this process runs (kept referenced until they end; their state is in the shared Redis).
_running: set[asyncio.Future[None]] = set()


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


def _view(job: Job) -> ReingestJob:
    return ReingestJob(
        id=strawberry.ID(job.id),
        document_id=strawberry.ID(job.document_id),
        title=job.title,
        state=job.state,
        stage=job.stage,
        done=job.done,
        total=job.total,
        outcome=job.outcome or None,
        chunks=job.chunks,
        indexed_chunks=job.indexed_chunks,
        error=job.error or None,
        error_en=job.error_en or None,
    )


@contextmanager
def _jobs(state: AppState) -> Iterator[ReingestJobs]:
    """The jobs of every instance, in the shared Redis (a client of its own: a job outlives its request)."""
    with open_kv(state.settings, state.store) as kv:
        yield ReingestJobs(kv)


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


def _run(job: Job, state: AppState, doc: manage.DocumentRecord) -> None:
    """The job's body, in a worker thread: its progress and outcome go to the shared Redis."""
    settings = state.settings
    with _jobs(state) as jobs:
        try:
            made = manage.reingest_document(
                state.store,
                state.search,
                doc,
                by=job.by,
                ontology=state.ontology,
                progress=jobs.progress(job),
                max_bytes=settings.ingest_max_bytes,
                ner_model=settings.ner_model,
            )
        except ZhikuError as exc:
            jobs.fail(job, exc.message_zh, exc.message_en)
            return
        except Exception as exc:  # reported to the console, then logged by the executor
            jobs.fail(job, "重新摄取失败，详见服务器日志", f"re-ingestion failed: {exc}")
            raise
        jobs.finish(job, outcome=made.outcome, chunks=made.chunks, indexed_chunks=made.indexed_chunks)


@strawberry.type
class DocumentQuery:
    @strawberry.field(description="重新摄取任务的进度与结果（知识工程师）/ a re-ingestion job")
    async def reingest_job(self, info: Info, id: strawberry.ID) -> ReingestJob | None:
        c = ctx(info)
        who = c.require(ROLE)

        def read() -> Job | None:
            with _jobs(c.state) as jobs:
                return jobs.get(str(id))

        job = await asyncio.to_thread(read)
        if job is None or (job.by != who.id and not who.is_admin):
            return None
        return _view(job)

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

        def start() -> tuple[Job, bool]:
            with _jobs(state) as jobs:  # one job per document across the instances
                return jobs.start(doc.id, doc.title, by=who.id)

        job, started = await asyncio.to_thread(start)
        if started:
            task = asyncio.get_running_loop().run_in_executor(None, _run, job, state, doc)
            _running.add(task)
            task.add_done_callback(_running.discard)
        return _view(job)

    @strawberry.mutation(description="保留孤立实体：它离开待审核列表（记录为审核决定）")
    async def keep_orphan(self, info: Info, id: strawberry.ID) -> ReviewDecision:
        c = ctx(info)
        who = c.require(ROLE)
        made = await asyncio.to_thread(
            manage.keep_orphan, c.state.store, str(id), by=who.id, ontology=c.state.ontology
        )
        return _decision(made)
