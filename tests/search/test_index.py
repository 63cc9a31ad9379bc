"""The index stays exact through re-ingest, change, deletion, a lost index file, a model change and a
second process; the FAISS layer switches to IVF past its threshold and filters inside the search.

Uses the bundled static model (numpy, no torch) so each test embeds in milliseconds."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import search.service as service_module
from demo.load import DEMO_DIR, load_demo
from ingest.pipeline import Pipeline
from search.embedders import STATIC_MODEL_DIR, StaticEmbedder, load_embedder
from search.follow import IndexFollower
from search.service import SearchService
from search.vector import VectorIndex
from zhiku.errors import ConfigError

DOCS = ["annual-leave.md", "shuttle-bus.md", "expense.html", "index.yaml"]


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    embedder = load_embedder("static")
    assert isinstance(embedder, StaticEmbedder)
    return embedder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in DOCS:
        shutil.copy(DEMO_DIR / "docs" / name, folder / name)
    return folder


@pytest.fixture
def loaded(store, onto, corpus: Path):  # type: ignore[no-untyped-def]
    load_demo(store, onto)
    Pipeline(store, ontology=onto).ingest([corpus])
    return store


def chunk_count(store) -> int:  # type: ignore[no-untyped-def]
    return int(store.query("MATCH (c:Chunk) RETURN count(c) AS n")[0]["n"])


def test_sync_is_incremental_and_exact(loaded, corpus: Path, static, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc = SearchService(loaded, tmp_path / "idx", static)
    first = svc.sync()
    assert first.total_chunks == chunk_count(loaded) > 0
    assert first.embedded == first.total_chunks
    again = svc.sync()
    assert again.chunks_added == again.chunks_removed == again.embedded == 0

    # change one clause of one document: only the changed text is embedded
    path = corpus / "shuttle-bus.md"
    path.write_text(path.read_text(encoding="utf-8").replace("过时不候", "过时不候，雨天顺延十分钟"), "utf-8")
    Pipeline(loaded).ingest([corpus])
    changed = svc.sync()
    assert changed.documents_changed == 1 and changed.documents_removed == 0
    assert changed.embedded == 1 and changed.cached == changed.chunks_added - 1
    assert svc.stats()["vectors"] == chunk_count(loaded)
    hits = svc.search("雨天班车顺延", k=3).hits
    assert any("雨天顺延十分钟" in h.text for h in hits)

    # delete a document: its chunks leave the index
    (corpus / "shuttle-bus.md").unlink()
    Pipeline(loaded).ingest([corpus])
    removed = svc.sync()
    assert removed.documents_removed == 1 and removed.chunks_added == 0
    assert svc.stats()["vectors"] == chunk_count(loaded)
    assert all("雨天顺延" not in h.text for h in svc.search("班车 雨天 顺延", k=20).hits)
    svc.close()


def test_a_lost_or_corrupt_vector_file_is_rebuilt_from_the_cache(loaded, static, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc = SearchService(loaded, tmp_path / "idx", static)
    svc.sync()
    svc.close()
    (tmp_path / "idx" / "vectors.faiss").write_bytes(b"not a faiss index")
    fresh = SearchService(loaded, tmp_path / "idx", static)
    report = fresh.sync()
    assert report.rebuilt and report.embedded == 0 and report.cached == report.total_chunks
    assert fresh.search("年假有几天", k=1).hits
    fresh.close()


def test_a_model_change_forces_re_embedding(loaded, static, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc = SearchService(loaded, tmp_path / "idx", static)
    total = svc.sync().total_chunks
    svc.close()
    renamed = StaticEmbedder(STATIC_MODEL_DIR, name="static-zh-v2")
    other = SearchService(loaded, tmp_path / "idx", renamed)
    report = other.sync()
    assert report.rebuilt and report.embedded == total
    assert other.catalog.get("model") == "static-zh-v2"
    other.close()


def test_another_process_sees_the_new_version(
    loaded, corpus: Path, static, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service_module, "RELOAD_CHECK_S", 0.0)
    writer = SearchService(loaded, tmp_path / "idx", static)
    writer.sync()
    reader = SearchService(loaded, tmp_path / "idx", static)
    before = reader.stats()["chunks"]
    shutil.copy(DEMO_DIR / "docs" / "meal-allowance.md", corpus / "meal-allowance.md")
    Pipeline(loaded).ingest([corpus])
    writer.sync()
    assert reader.stats()["chunks"] > before
    assert any("食堂" in h.text for h in reader.search("食堂几点开饭", k=3).hits)
    writer.close()
    reader.close()


def test_another_instance_follows_graph_writes_into_its_own_index(
    loaded, corpus: Path, static, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Two instances, two data directories, one graph: a document ingested through one is found by
    the other once its follower sees the graph's content version move."""
    here = SearchService(loaded, tmp_path / "here", static)
    there = SearchService(loaded, tmp_path / "there", static)
    here.sync()
    there.sync()
    follower = IndexFollower(there, loaded.versions, every_s=60)
    follower.start()  # (the test drives its rounds with step())
    try:
        assert follower.step() is False  # nothing written since
        shutil.copy(DEMO_DIR / "docs" / "meal-allowance.md", corpus / "meal-allowance.md")
        Pipeline(loaded).ingest([corpus])
        here.sync()  # the writing instance syncs its own index as ingestion ends
        assert not any("食堂" in h.text for h in there.search("食堂几点开饭", k=3).hits)
        assert follower.step() is True and follower.syncs == 1
        assert any("食堂" in h.text for h in there.search("食堂几点开饭", k=3).hits)
        assert follower.step() is False
    finally:
        follower.stop()
        here.close()
        there.close()


def test_unknown_model_setting_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_embedder(str(tmp_path / "no-such-model"))
    assert "ZHIKU_EMBED_MODEL" in err.value.message_zh
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError):
        load_embedder(str(tmp_path / "empty"))


def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_vector_index_switches_to_ivf_and_filters_inside(tmp_path: Path) -> None:
    vectors = _unit(4000, 32)
    ids = np.arange(10, 4010, dtype=np.int64)
    flat = VectorIndex.build(ids, vectors, ann_threshold=10_000)
    ivf = VectorIndex.build(ids, vectors, ann_threshold=1_000, nprobe=8)
    assert (flat.kind, ivf.kind) == ("flat", "ivf")
    for index in (flat, ivf):
        got, scores = index.search(vectors[7], 5)
        assert got[0] == 17 and scores[0] == pytest.approx(1.0, abs=1e-4)
        # a caller allowed to see three chunks gets exactly those, however far away they are
        allowed = np.array([11, 2000, 3999], dtype=np.int64)
        got, _ = index.search(vectors[7], 10, allowed=allowed)
        assert sorted(got.tolist()) == allowed.tolist()
        assert index.remove(np.array([17], dtype=np.int64)) == 1
        got, _ = index.search(vectors[7], 5)
        assert 17 not in got.tolist()
        path = tmp_path / f"{index.kind}.faiss"
        index.save(path)
        again = VectorIndex.load(path)
        assert again.kind == index.kind and len(again) == 3999
        assert sorted(again.ids().tolist()) == [i for i in range(10, 4010) if i != 17]
    assert not flat.stale(10_000) and flat.stale(1_000)
