"""``POST /api/uploads?name=…``: one document uploaded by a knowledge engineer from the web console.

The request body is the file itself (any ``Content-Type``; the browser sends it with ``fetch``/XHR,
which reports upload progress). One file per request keeps it simple and avoids a multipart parser
(Strawberry's multipart uploads need ``python-multipart``, which this project does not ship); the
file name and the access scope travel as query parameters: ``departments`` and ``roles`` (repeated)
and ``level``. The size limit is ``ZHIKU_INGEST_MAX_BYTES``, checked on the announced length and
while reading; the types are those ingestion reads. A refused file stores nothing.

Answers ``{"document": {"id", "title", "format"}, "outcome", "chunks", "indexedChunks"}``, or
``{"error": {"code", "message", "message_en"}}`` with 400 (bad file or scope), 401, 403 or 413.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.auth import AuthError, Forbidden
from api.deps import StateDep
from api.rest.body import TooLarge, announced_over, read
from api.rest.body import error as _error
from ingest.upload import UPLOADERS, file_suffix, ingest_upload, org_vocabulary, upload_scope
from zhiku.errors import ZhikuError

router = APIRouter()

#: Where the console posts files.
UPLOAD_PATH = "/api/uploads"


def _too_large(limit: int) -> JSONResponse:
    mb = limit / 1_048_576
    return _error(
        413, "PAYLOAD_TOO_LARGE", f"文件过大：上限 {mb:.1f} MB", f"file too large: at most {limit} bytes"
    )


@router.post(UPLOAD_PATH, summary="上传一个文档（知识工程师）/ upload one document")
async def upload(
    request: Request,
    state: StateDep,
    name: Annotated[str, Query(min_length=1, max_length=200)],
    departments: Annotated[list[str] | None, Query(max_length=20)] = None,
    roles: Annotated[list[str] | None, Query(max_length=20)] = None,
    level: Annotated[int, Query(ge=0, le=99)] = 0,
) -> JSONResponse:
    settings = state.settings
    try:
        who = await asyncio.to_thread(
            state.principals.authenticate, settings, request.headers.get("authorization")
        )
    except AuthError as exc:
        return _error(401, exc.code, exc.message_zh, exc.message_en)
    if not who.has_role(*UPLOADERS):
        denied = Forbidden("只有知识工程师可以上传文档", "only knowledge engineers upload documents")
        return _error(403, denied.code, denied.message_zh, denied.message_en)
    limit = settings.ingest_max_bytes
    try:
        file_suffix(name)  # the type first: nothing is read for a file that would be refused
        if announced_over(request, limit):
            return _too_large(limit)
        known_departments, known_roles = await asyncio.to_thread(org_vocabulary, state.store)
        scope = upload_scope(
            who,
            departments=departments or [],
            roles=roles or [],
            level=level,
            known_departments=known_departments,
            known_roles=known_roles,
        )
        data = await read(request, limit)
        made = await asyncio.to_thread(  # parsing, extraction and the index sync: off the event loop
            ingest_upload,
            data,
            name=name,
            who=who,
            scope=scope,
            store=state.store,
            index=state.search,
            max_bytes=limit,
            ontology=state.ontology,
            ner_model=settings.ner_model,
        )
    except TooLarge:
        return _too_large(limit)
    except ZhikuError as exc:
        return _error(503 if exc.retryable else 400, exc.code, exc.message_zh, exc.message_en)
    return JSONResponse(
        {
            "document": {"id": made.document_id, "title": made.title, "format": made.format},
            "outcome": made.outcome,
            "chunks": made.chunks,
            "indexedChunks": made.indexed_chunks,
        }
    )
