"""Pagination every resource shares: opaque offset cursors (Relay style), ``PageInfo`` and the page-size
check."""

from __future__ import annotations

import base64

import strawberry

from zhiku.errors import InputError

MAX_PAGE = 100


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        if kind == "o" and value.isdigit():
            return int(value) + 1
    except (ValueError, UnicodeDecodeError):
        pass
    raise InputError("分页游标无效", f"invalid cursor: {cursor!r}", hint="使用上一页返回的 endCursor")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def page(first: int) -> int:
    """``first`` as asked, refused outside 0..:data:`MAX_PAGE`."""
    if first < 0 or first > MAX_PAGE:
        raise InputError(f"first 应在 0 到 {MAX_PAGE} 之间", f"first must be between 0 and {MAX_PAGE}")
    return first
