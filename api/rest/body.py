"""Plain-HTTP request bodies read with a size limit, and the JSON error answer the REST endpoints share
(``{"error": {"code", "message", "message_en"}}``): document uploads and applications' attachments."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from zhiku.errors import ZhikuError


class TooLarge(Exception):
    """The body went past its limit while being read (nothing of it is kept)."""


def error(status: int, code: str, zh: str, en: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": zh, "message_en": en}}, status_code=status)


def zhiku_error(exc: ZhikuError, status: int | None = None) -> JSONResponse:
    """An error raised on purpose, as answered: 503 when retryable, else ``status`` (400)."""
    return error(status or (503 if exc.retryable else 400), exc.code, exc.message_zh, exc.message_en)


def announced_over(request: Request, limit: int) -> bool:
    """Whether the request's ``Content-Length`` already says it is over ``limit``."""
    announced = request.headers.get("content-length")
    return announced is not None and announced.isdigit() and int(announced) > limit


async def read(request: Request, limit: int) -> bytes:
    """The whole body, or :class:`TooLarge` as soon as more than ``limit`` bytes arrived."""
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise TooLarge
    return bytes(body)
