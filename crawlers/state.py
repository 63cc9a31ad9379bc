"""Crawl state, persisted in ``<data_dir>/crawl/state.sqlite``: per page its validators (ETag,
Last-Modified), content hash, outgoing links (so a 304 page still leads on), last status and error;
per run what it did. Shared by the crawl subprocesses, the scheduler and the CLI / API (WAL mode).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    source TEXT NOT NULL, url TEXT NOT NULL, etag TEXT, last_modified TEXT, hash TEXT,
    links TEXT NOT NULL DEFAULT '[]', status INTEGER, error TEXT, doc_id TEXT,
    fetched_at REAL, PRIMARY KEY (source, url));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, started REAL NOT NULL, finished REAL,
    outcome TEXT, pages INTEGER DEFAULT 0, new INTEGER DEFAULT 0, changed INTEGER DEFAULT 0,
    unchanged INTEGER DEFAULT 0, removed INTEGER DEFAULT 0, errors INTEGER DEFAULT 0, detail TEXT);
CREATE TABLE IF NOT EXISTS schedule (source TEXT PRIMARY KEY, next_run REAL);
"""


COLUMNS = {"etag", "last_modified", "hash", "links", "status", "error", "doc_id", "fetched_at"}


@dataclass(slots=True)
class Page:
    url: str
    etag: str | None
    last_modified: str | None
    hash: str | None
    links: list[str]
    status: int | None
    doc_id: str | None


@dataclass(slots=True)
class RunCounts:
    pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: int = 0


class CrawlState:
    """Thin, thread-safe-enough access to the state database (one connection per call)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "crawl" / "state.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:
                yield db
        finally:
            db.close()

    # -- pages ----------------------------------------------------------------------------------

    def page(self, source: str, url: str) -> Page | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM pages WHERE source=? AND url=?", (source, url)).fetchone()
        if row is None:
            return None
        return Page(
            row["url"],
            row["etag"],
            row["last_modified"],
            row["hash"],
            json.loads(row["links"]),
            row["status"],
            row["doc_id"],
        )

    def pages(self, source: str) -> list[Page]:
        with self._db() as db:
            rows = db.execute("SELECT url FROM pages WHERE source=?", (source,)).fetchall()
        return [p for r in rows if (p := self.page(source, r["url"])) is not None]

    def record(self, source: str, url: str, *, status: int, **fields: Any) -> None:
        """Upsert what one fetch learnt; fields: etag, last_modified, hash, links, error, doc_id."""
        if "links" in fields:
            fields["links"] = json.dumps(fields["links"], ensure_ascii=False)
        fields = {"status": status, "fetched_at": time.time(), **fields}
        unknown = set(fields) - COLUMNS
        if unknown:
            raise ValueError(f"unknown crawl state fields: {sorted(unknown)}")
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        updates = ", ".join(f"{c}=excluded.{c}" for c in fields)
        sql = (
            f"INSERT INTO pages (source, url, {cols}) VALUES (?, ?, {marks}) "  # noqa: S608  (names checked)
            f"ON CONFLICT(source, url) DO UPDATE SET {updates}"
        )
        with self._db() as db:
            db.execute(sql, (source, url, *fields.values()))

    def forget(self, source: str, urls: list[str]) -> None:
        with self._db() as db:
            db.executemany("DELETE FROM pages WHERE source=? AND url=?", [(source, u) for u in urls])

    # -- runs -----------------------------------------------------------------------------------

    def start_run(self, source: str) -> int:
        with self._db() as db:
            cur = db.execute("INSERT INTO runs (source, started) VALUES (?, ?)", (source, time.time()))
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, outcome: str, counts: RunCounts, detail: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE runs SET finished=?, outcome=?, pages=?, new=?, changed=?, unchanged=?, removed=?,"
                " errors=?, detail=? WHERE id=?",
                (
                    time.time(),
                    outcome,
                    counts.pages,
                    counts.new,
                    counts.changed,
                    counts.unchanged,
                    counts.removed,
                    counts.errors,
                    json.dumps(detail, ensure_ascii=False),
                    run_id,
                ),
            )

    def last_run(self, source: str) -> dict[str, Any] | None:
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM runs WHERE source=? ORDER BY id DESC LIMIT 1", (source,)
            ).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["detail"] = json.loads(out["detail"] or "{}")
        return out

    def set_next_run(self, source: str, when: float | None) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO schedule (source, next_run) VALUES (?, ?) "
                "ON CONFLICT(source) DO UPDATE SET next_run=excluded.next_run",
                (source, when),
            )

    def next_run(self, source: str) -> float | None:
        with self._db() as db:
            row = db.execute("SELECT next_run FROM schedule WHERE source=?", (source,)).fetchone()
        return None if row is None else row["next_run"]

    def pages_since(self, source: str, since: float) -> int:
        """Pages fetched since ``since`` (a crawl under way: its progress)."""
        with self._db() as db:
            row = db.execute(
                "SELECT count(*) AS n FROM pages WHERE source=? AND fetched_at >= ?", (source, since)
            ).fetchone()
        return int(row["n"])

    def page_errors(self, source: str, limit: int = 20) -> list[tuple[str, str]]:
        with self._db() as db:
            rows = db.execute(
                "SELECT url, error FROM pages WHERE source=? AND error IS NOT NULL AND error != '' "
                "ORDER BY fetched_at DESC LIMIT ?",
                (source, limit),
            ).fetchall()
        return [(r["url"], r["error"]) for r in rows]


@dataclass(slots=True)
class SourceStatus:
    """What admins see of one source (``zhiku crawl status``, GraphQL ``crawlSources``)."""

    name: str
    schedule: str
    last_run: float | None
    outcome: str | None  # ok / failed / running / None (never ran)
    pages: int
    new: int
    changed: int
    removed: int
    errors: int
    next_run: float | None
    recent_errors: list[tuple[str, str]]


def source_statuses(data_dir: Path, sources: dict[str, Any]) -> list[SourceStatus]:
    state = CrawlState(data_dir)
    out = []
    for name, source in sources.items():
        run = state.last_run(name) or {}
        out.append(
            SourceStatus(
                name=name,
                schedule=source.cron or source.every,
                last_run=run.get("started"),
                outcome=(run.get("outcome") or "running") if run else None,
                pages=int(run.get("pages") or 0),
                new=int(run.get("new") or 0),
                changed=int(run.get("changed") or 0),
                removed=int(run.get("removed") or 0),
                errors=int(run.get("errors") or 0),
                next_run=state.next_run(name),
                recent_errors=state.page_errors(name, limit=5),
            )
        )
    return out
