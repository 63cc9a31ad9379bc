"""Applications' attachments over plain HTTP (the file is the request body, as for ``POST /api/uploads``):

* ``POST /api/applications/{id}/attachments?name=发票.pdf`` — attach a file (the applicant while the
  application is open; an approver of the current step where the process allows it). The size limit is
  the process's (``attachments.max_mb``, else ``ZHIKU_ATTACHMENT_MAX_BYTES``), checked on the announced
  length and while reading; the type is detected from the bytes. Answers ``{"applied", "message",
  "attachment": {...}, "ingested"}``; a refusal stores nothing.
* ``GET /api/attachments/{id}`` — the file, for whoever may see its application (sign-in required:
  ``Authorization: Bearer``; the link carries no secret). Served as a download (``Content-Disposition:
  attachment``, ``nosniff``) with the type detected at upload.
* ``DELETE /api/attachments/{id}`` — removed by who attached it, while the application is open.

Errors are ``{"error": {"code", "message", "message_en"}}``: 401 not signed in; 404 an unknown
application or attachment, or one the caller may not see (the same answer: no one learns of others'
applications); 403 not allowed to attach or remove; 409 the application is closed; 413 too large;
415 a type the process does not take, or a program or script; 400 empty or a bad name.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.auth import AuthError
from api.deps import AppState, StateDep
from api.rest.body import TooLarge, announced_over, read, zhiku_error
from approvals.attachments import DOWNLOAD_PATH, Attachments, BlobStore, LocalBlobs, download_path, too_large
from approvals.rules import Attachment, InstanceClosed, NotAnApprover
from ingest.attachments import forget_attachment, ingest_attachment
from zhiku.access import Principal
from zhiku.errors import AttachmentTooLarge, AttachmentTypeRefused, NotFoundError, ZhikuError

router = APIRouter()

#: Where a file is attached to an application (a path template: BodySizeLimit leaves it to the handler).
ATTACH_PATH = "/api/applications/{instance_id}/attachments"
#: Where an attachment is read (and removed).
FILE_PATH = DOWNLOAD_PATH

_STATUS: tuple[tuple[type[ZhikuError], int], ...] = (
    (AttachmentTooLarge, 413),
    (AttachmentTypeRefused, 415),
    (NotFoundError, 404),
    (NotAnApprover, 403),
    (InstanceClosed, 409),
)


def _answer(exc: ZhikuError) -> JSONResponse:
    return zhiku_error(exc, next((s for cls, s in _STATUS if isinstance(exc, cls)), None))


def attachment_json(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "instanceId": a.instance_id,
        "name": a.name,
        "size": a.size,
        "type": a.type,
        "mime": a.mime,
        "sha256": a.sha256,
        "addedBy": a.added_by,
        "addedByName": a.added_by_name,
        "addedAt": a.added_at,
        "step": a.step,
        "url": download_path(a.id),
    }


def files_of(state: AppState) -> Attachments:
    """The attachments service (cheap: the engine, the store under the data directory, the defaults)."""
    s = state.settings
    blobs: BlobStore = LocalBlobs(s.attachments_dir)
    if s.attachment_s3_bucket:
        from approvals.s3_blobs import S3Blobs

        blobs = S3Blobs.from_settings(s)
    return Attachments(
        state.approvals,
        blobs,
        max_bytes=s.attachment_max_bytes,
        types=s.attachment_types,
    )


async def _who(request: Request, state: AppState) -> Principal:
    return await asyncio.to_thread(
        state.principals.authenticate, state.settings, request.headers.get("authorization")
    )


@router.post(ATTACH_PATH, summary="为申请添加附件 / attach a file to an application")
async def attach(
    request: Request,
    state: StateDep,
    instance_id: str,
    name: Annotated[str, Query(min_length=1, max_length=200)],
) -> JSONResponse:
    try:
        who = await _who(request, state)
    except AuthError as exc:
        return zhiku_error(exc, 401)
    files = files_of(state)
    try:
        inst = await asyncio.to_thread(state.approvals.get, instance_id)
        if not inst.visible_to(who):
            raise NotFoundError(f"没有这个审批：{instance_id}", f"no approval instance {instance_id}")
        policy = files.policy(inst)
        if announced_over(request, policy.max_bytes):
            raise too_large(policy.max_bytes)
        try:
            data = await read(request, policy.max_bytes)
        except TooLarge:
            raise too_large(policy.max_bytes) from None
        done = await asyncio.to_thread(files.attach, instance_id, actor=who.id, name=name, data=data)
        ingested = None
        if done.policy.ingest and done.result.applied:
            report = await asyncio.to_thread(
                ingest_attachment,
                done.attachment,
                files.blobs.local_path(done.attachment.sha256) or data,  # a link, else a copy
                root=state.settings.attachments_dir,
                store=state.store,
                index=state.search,
                ontology=state.ontology,
                ner_model=state.settings.ner_model,
                max_bytes=state.settings.ingest_max_bytes,
            )
            ingested = bool(report and (report.new or report.changed))
    except ZhikuError as exc:
        return _answer(exc)
    return JSONResponse(
        {
            "applied": done.result.applied,
            "message": done.result.message,
            "attachment": attachment_json(done.attachment),
            "ingested": ingested,
        }
    )


@router.get(FILE_PATH, summary="下载附件（须登录，且能查看其申请）/ download an attachment")
async def download(request: Request, state: StateDep, attachment_id: str) -> Response:
    try:
        who = await _who(request, state)
    except AuthError as exc:
        return zhiku_error(exc, 401)
    files = files_of(state)
    try:
        found, _ = await asyncio.to_thread(files.find, attachment_id, who)
        data = await asyncio.to_thread(files.read, found)
    except ZhikuError as exc:
        return _answer(exc)
    return Response(
        data,
        media_type=found.mime or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name, safe='')}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.delete(FILE_PATH, summary="删除附件（上传者，申请未结束时）/ remove an attachment")
async def remove(request: Request, state: StateDep, attachment_id: str) -> JSONResponse:
    try:
        who = await _who(request, state)
    except AuthError as exc:
        return zhiku_error(exc, 401)
    files = files_of(state)
    try:
        found, inst = await asyncio.to_thread(files.find, attachment_id, who)
        result = await asyncio.to_thread(files.remove, attachment_id, actor=who.id)
        if result.applied and files.policy(inst).ingest:
            await asyncio.to_thread(
                forget_attachment,
                found.id,
                root=state.settings.attachments_dir,
                store=state.store,
                index=state.search,
            )
    except ZhikuError as exc:
        return _answer(exc)
    return JSONResponse({"applied": result.applied, "message": result.message, "removed": found.id})
