"""What a spider hands to the pipeline: one fetched page (or the news that it is unchanged or gone)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class PageItem:
    url: str
    status: int  # 200, 304 (unchanged, validators matched) or 404/410 (gone)
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    links: list[str] = field(default_factory=list)
