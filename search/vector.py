"""The dense index: FAISS, exact below a size threshold, IVF above it; add/remove by integer id;
permission filtering inside the search (an ``IDSelector``), never after it.

* Exact (``IndexIDMap2`` over ``IndexFlatIP``) up to ``ann_threshold`` vectors — for a few
  thousand chunks exact search is sub-millisecond and recall is 1.
* Past it, ``IndexIVFFlat`` (inner product) with ``nlist ≈ 4·√n`` lists and ``nprobe`` probes. IVF
  supports ``remove_ids`` (HNSW does not), so re-ingest and deletion keep it exact. When the index
  has grown 4× past the size it was trained at, :meth:`VectorIndex.stale` says so and the service
  rebuilds it beside the live one and swaps (no downtime).

Saved atomically (write to a temporary file, then rename).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from search.embedders import Vectors
from zhiku.settings import SEARCH_ANN_THRESHOLD, SEARCH_NPROBE

Ids = npt.NDArray[np.int64]

DEFAULT_ANN_THRESHOLD = SEARCH_ANN_THRESHOLD
DEFAULT_NPROBE = SEARCH_NPROBE


def _threads() -> None:
    faiss.omp_set_num_threads(max(1, min(os.cpu_count() or 1, 4)))


def _extract_ivf(index: Any) -> Any:
    """The IVF index inside ``index`` (an ``IndexIVF``, or one under an id map), ``None`` if flat."""
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


class VectorIndex:
    """A FAISS index over unit vectors keyed by int64 ids."""

    def __init__(self, index: Any, *, trained_at: int = 0, nprobe: int = DEFAULT_NPROBE) -> None:
        self._index = index
        self.trained_at = trained_at
        self.nprobe = nprobe
        # looked up once: FAISS answers a flat index by raising a C++ exception, three times a search
        self._ivf_index = _extract_ivf(index)

    @property
    def kind(self) -> str:
        return "ivf" if self._ivf_index is not None else "flat"

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    # -- building ------------------------------------------------------------------------------------

    @classmethod
    def empty(cls, dim: int) -> VectorIndex:
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def build(
        cls,
        ids: Ids,
        vectors: Vectors,
        *,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        nprobe: int = DEFAULT_NPROBE,
        seed: int = 7,
    ) -> VectorIndex:
        """Exact for ``len(ids) <= ann_threshold``, IVF (trained on these vectors) above."""
        _threads()
        n, dim = vectors.shape
        if n <= ann_threshold:
            index = cls.empty(dim)
            if n:
                index.add(ids, vectors)
            return index
        nlist = int(min(max(16, 4 * math.sqrt(n)), 65_536))
        quantizer = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = vectors if n <= 64 * nlist else vectors[rng.choice(n, 64 * nlist, replace=False)]
        ivf.train(np.ascontiguousarray(sample))
        ivf.add_with_ids(np.ascontiguousarray(vectors), ids.astype(np.int64))
        ivf.nprobe = nprobe
        return cls(ivf, trained_at=n, nprobe=nprobe)

    def stale(self, ann_threshold: int = DEFAULT_ANN_THRESHOLD) -> bool:
        """Whether a rebuild would choose a different structure (or retrain the IVF lists)."""
        n = len(self)
        if self.kind == "flat":
            return n > ann_threshold
        return n <= ann_threshold // 2 or n > 4 * max(self.trained_at, 1)

    # -- changes -------------------------------------------------------------------------------------

    def add(self, ids: Ids, vectors: Vectors) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: Ids) -> int:
        if not len(ids):
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids.astype(np.int64))))

    # -- search --------------------------------------------------------------------------------------

    def search(
        self, query: Vectors, k: int, *, allowed: Ids | None = None, nprobe: int | None = None
    ) -> tuple[Ids, npt.NDArray[np.float32]]:
        """Top ``k`` ids (and cosine scores) among ``allowed`` ids (``None``: all)."""
        if len(self) == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        selector = faiss.IDSelectorBatch(allowed.astype(np.int64)) if allowed is not None else None
        ivf = self._ivf_index
        if ivf is not None:
            probes = nprobe or self.nprobe
            if allowed is not None:
                # A caller who may see 1 % of the chunks: probe ~100× more lists so the allowed
                # ones are still found (the selector is checked before any distance is computed).
                probes = math.ceil(probes * len(self) / len(allowed))
            params: Any = faiss.SearchParametersIVF(sel=selector, nprobe=min(int(ivf.nlist), probes))  # type: ignore[call-arg]
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None  # type: ignore[call-arg]
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(q, min(k, len(self)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def vectors_for(self, ids: Ids) -> Vectors:
        """Stored vectors for ids (exact index only; IVF returns zeros — fusion then gives a
        keyword-only candidate the lowest dense score)."""
        if self.kind == "flat" and len(ids):
            stored = self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))  # one call for all
            return np.asarray(stored, dtype=np.float32)
        return np.zeros((len(ids), self.dim), dtype=np.float32)

    # -- persistence ---------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        faiss.write_index(self._index, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, *, trained_at: int = 0, nprobe: int = DEFAULT_NPROBE) -> VectorIndex:
        index = faiss.read_index(str(path))
        out = cls(index, trained_at=trained_at, nprobe=nprobe)
        ivf = out._ivf_index
        if ivf is not None:
            ivf.nprobe = nprobe
        return out

    def ids(self) -> Ids:
        """Every id in the index (to check it against the catalogue after a crash)."""
        ivf = self._ivf_index
        if ivf is None:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)
        inv = ivf.invlists
        parts = [
            faiss.rev_swig_ptr(inv.get_ids(i), inv.list_size(i)).copy()
            for i in range(ivf.nlist)
            if inv.list_size(i)
        ]
        return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)
