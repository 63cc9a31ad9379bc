"""The search index's own record of what it holds (SQLite in ``<data_dir>/search/``).

Documents (content hash, title, access scope), chunks (a stable integer id for FAISS, the text the
index saw, its hash, BM25 tokens, linked entities) and metadata (embedding model, dimension, a
version that other processes watch to reload). The graph stays the source of truth: the catalogue
is compared with it on every sync, so a crash or a lost index file costs a re-sync, never data.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY, hash TEXT, title TEXT, uri TEXT, format TEXT,
    departments TEXT, roles TEXT, level INTEGER, modified_at TEXT, language TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    num INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, doc_id TEXT, ordinal INTEGER, kind TEXT,
    heading TEXT, text TEXT, search_text TEXT, hash TEXT, tokens TEXT, entities TEXT, anchor TEXT,
    language TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id);
"""


@dataclass(frozen=True, slots=True)
class DocRow:
    id: str
    hash: str
    title: str
    uri: str
    format: str
    departments: tuple[str, ...]
    roles: tuple[str, ...]
    level: int
    modified_at: str
    language: str = ""  # the document's main language (ISO 639-1, "und")

    @property
    def access_key(self) -> tuple[tuple[str, ...], tuple[str, ...], int]:
        return (self.departments, self.roles, self.level)


@dataclass(frozen=True, slots=True)
class ChunkRow:
    num: int
    id: str
    doc_id: str
    ordinal: int
    kind: str
    heading: tuple[str, ...]
    text: str
    search_text: str
    hash: str
    tokens: tuple[str, ...]
    entities: tuple[tuple[str, str], ...]  # (entity id, name)
    anchor: str = ""  # the section's fragment in the document's URI ("" when it has none)
    language: str = ""  # ISO 639-1 or "und": what its tokens were analysed as (its document's language)


#: (id, document id, ordinal, kind, heading path, text, search text, hash, tokens, entities, anchor,
#: language)
NewChunk = tuple[
    str, str, int, str, tuple[str, ...], str, str, str, list[str], list[tuple[str, str]], str, str
]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """``path`` (made if missing) locked exclusively across processes for the block."""
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Several server workers open the catalogue at once on first start: switching a new database to
        # WAL and creating or migrating its tables take turns under a file lock (two at once failed
        # with "database is locked"); the busy timeout covers later writes.
        with file_lock(path.with_name(path.name + ".init.lock")):
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            self._setup()

    def _setup(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(chunks)")}
        #: True when this catalogue predates section anchors: the next sync re-reads every document
        #: (embeddings come from the cache) so its hits deep-link too.
        # Likewise before languages (issue 19): every chunk is analysed again in its language.
        self.migrated = "anchor" not in columns or "language" not in columns
        if "anchor" not in columns:
            self._db.execute("ALTER TABLE chunks ADD COLUMN anchor TEXT")
        if "language" not in columns:
            self._db.execute("ALTER TABLE chunks ADD COLUMN language TEXT")
            self._db.execute("ALTER TABLE docs ADD COLUMN language TEXT")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- meta ----------------------------------------------------------------------------------------

    def get(self, key: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set(self, key: str, value: object) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(value)))

    @property
    def version(self) -> int:
        return int(self.get("version", "0"))

    # -- documents -----------------------------------------------------------------------------------

    def docs(self) -> dict[str, DocRow]:
        rows = self._db.execute(
            "SELECT id, hash, title, uri, format, departments, roles, level, modified_at, language FROM docs"
        ).fetchall()
        return {
            r[0]: DocRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                tuple(json.loads(r[5])),
                tuple(json.loads(r[6])),
                r[7],
                r[8],
                r[9] or "",
            )
            for r in rows
        }

    def put_doc(self, doc: DocRow) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.id,
                doc.hash,
                doc.title,
                doc.uri,
                doc.format,
                json.dumps(list(doc.departments)),
                json.dumps(list(doc.roles)),
                doc.level,
                doc.modified_at,
                doc.language or None,
            ),
        )

    def delete_doc(self, doc_id: str) -> list[int]:
        """Delete a document and its chunks; return the removed chunks' numbers."""
        nums = [r[0] for r in self._db.execute("SELECT num FROM chunks WHERE doc_id = ?", (doc_id,))]
        self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self._db.execute("DELETE FROM docs WHERE id = ?", (doc_id,))
        return nums

    # -- chunks --------------------------------------------------------------------------------------

    def add_chunks(
        self,
        rows: Iterable[NewChunk],
    ) -> list[int]:
        """Insert chunks (id, doc, ordinal, kind, heading, text, search text, hash, tokens, entities,
        anchor, language)."""
        nums = []
        for cid, doc_id, ordinal, kind, heading, text, search_text, h, tokens, entities, anchor, lang in rows:
            cur = self._db.execute(
                "INSERT INTO chunks (id, doc_id, ordinal, kind, heading, text, search_text, hash, tokens,"
                " entities, anchor, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    doc_id,
                    ordinal,
                    kind,
                    json.dumps(list(heading), ensure_ascii=False),
                    text,
                    search_text,
                    h,
                    json.dumps(tokens, ensure_ascii=False),
                    json.dumps(entities, ensure_ascii=False),
                    anchor or None,
                    lang or None,
                ),
            )
            nums.append(int(cur.lastrowid or 0))
        return nums

    def chunks(self) -> list[ChunkRow]:
        rows = self._db.execute(
            "SELECT num, id, doc_id, ordinal, kind, heading, text, search_text, hash, tokens, entities,"
            " anchor, language FROM chunks ORDER BY num"
        ).fetchall()
        return [
            ChunkRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                tuple(json.loads(r[5])),
                r[6],
                r[7],
                r[8],
                tuple(json.loads(r[9])),
                tuple((e[0], e[1]) for e in json.loads(r[10])),
                r[11] or "",
                r[12] or "",
            )
            for r in rows
        ]

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])
