"""The bundled static model gives the same vectors without torch, and a model directory that needs
the optional ``models`` extra says so, once, in both languages.

``static_st_vectors.npz`` holds texts and the vectors sentence-transformers 5 (torch) made for them
with the old loader; rebuild it (with the extra installed) by running this file:
``python -m tests.search.test_embedders``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from search.embedders import STATIC_MODEL_DIR, StaticEmbedder, load_embedder
from zhiku.errors import ConfigError

FIXTURE = Path(__file__).parent / "static_st_vectors.npz"
ROOT = Path(__file__).resolve().parents[2]

# Questions and passages the way users and documents write them, plus what a tokenizer can trip on:
# full-width letters and digits (NFKC), upper case, traditional characters, punctuation only,
# emoji, an empty text, Latin words in the vocabulary and out of it, a long passage.
HAND_TEXTS = [
    "年假怎么请",
    "年假可以分几次休？",
    "差旅住宿标准是多少",
    "报销8000元需要谁审批",
    "财务总监是谁",
    "班车几点从园区出发",
    "VPN连不上怎么办",
    "ＶＰＮ　連不上怎麼辦？",
    "OA系统里怎么提交加班申请",
    "公司的WiFi密码",
    "请问 HR 的邮箱是 hr@example.com 吗",
    "！！！？？？……",
    "🙂👍",
    "",
    "   ",
    "Quarterly OKR review",
    "數據分級與保密規定",
    "员工因病请假需提供二级以上医院的病假证明，病假期间工资按当地最低工资标准的80%发放。",
]


def _demo_passages(limit: int = 12, size: int = 400) -> list[str]:
    """Excerpts of the demo's Markdown policies (only to build the fixture)."""
    out = []
    for path in sorted((ROOT / "demo" / "docs").glob("*.md"))[:limit]:
        text = path.read_text(encoding="utf-8")
        out.append(text[:size])
        out.append(text[size : 4 * size])
    return out


def _fixture() -> tuple[list[str], np.ndarray, np.ndarray]:
    data = np.load(FIXTURE)
    return [str(t) for t in data["texts"]], data["passages"], data["queries"]


def test_the_static_model_loads_without_torch_and_matches_sentence_transformers() -> None:
    texts, passages, queries = _fixture()
    embedder = load_embedder("static")
    assert isinstance(embedder, StaticEmbedder)
    assert embedder.name == "static-zh"  # the index and the embedding cache stay valid
    assert embedder.dim == passages.shape[1] == 192

    got = embedder.embed_passages(texts)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, passages, rtol=0, atol=1e-6)
    for text, expected in zip(texts, queries, strict=True):
        np.testing.assert_allclose(embedder.embed_query(text), expected, rtol=0, atol=1e-6)
    # what the fixture covers: empty texts are zero vectors, the others unit vectors
    norms = np.linalg.norm(got, axis=1)
    assert {round(float(n), 4) for n in norms} == {0.0, 1.0}
    assert embedder.embed_passages([]).shape == (0, 192)


def test_the_default_paths_never_import_torch(tmp_path: Path) -> None:
    """The app, ingestion, search with e5 and with the static model: none of them imports torch,
    sentence-transformers or transformers (a fresh interpreter, so nothing else loaded them)."""
    code = (
        "import sys\n"
        "import api.app, ingest.pipeline, search.service, chat.dialog, zhiku.cli\n"
        "from search.embedders import load_embedder\n"
        "load_embedder('static').embed_query('年假怎么请')\n"
        "load_embedder('e5-small').embed_query('年假怎么请')\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_static_only_model_directory_is_read_without_torch(tmp_path: Path) -> None:
    """A deployment's own StaticEmbedding directory (ZHIKU_EMBED_MODEL) takes the numpy path too."""
    folder = tmp_path / "my-static"
    folder.mkdir()
    for name in ("modules.json", "model.safetensors", "tokenizer.json", "config_sentence_transformers.json"):
        (folder / name).write_bytes((STATIC_MODEL_DIR / name).read_bytes())
    embedder = load_embedder(str(folder))
    assert isinstance(embedder, StaticEmbedder)
    assert embedder.name == "st:my-static"
    texts, passages, _ = _fixture()
    np.testing.assert_allclose(embedder.embed_passages(texts[:5]), passages[:5], rtol=0, atol=1e-6)


def _transformer_model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bge-like"
    folder.mkdir()
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    return folder


def test_a_transformer_model_directory_without_the_extra_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hide sentence-transformers even where the extra is installed: importing it then fails.
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ConfigError) as info:
        load_embedder(str(_transformer_model_dir(tmp_path)))
    error = info.value
    assert error.code == "CONFIG_INVALID"
    assert "pip install 'zhiku[models]'" in error.message_en
    assert "pip install 'zhiku[models]'" in error.message_zh
    assert "bge-like" in error.message_en
    assert "zhiku[models]" in error.one_line()


def test_a_damaged_static_model_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "modules.json").write_bytes((STATIC_MODEL_DIR / "modules.json").read_bytes())
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    (folder / "tokenizer.json").write_bytes((STATIC_MODEL_DIR / "tokenizer.json").read_bytes())
    with pytest.raises(ConfigError) as info:
        load_embedder(str(folder))
    assert "does not load" in info.value.message_en
    assert "无法加载" in info.value.message_zh


def test_a_directory_without_modules_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a sentence-transformers model directory"):
        load_embedder(str(tmp_path))


@pytest.mark.models
def test_the_numpy_path_matches_sentence_transformers_live() -> None:
    """With the extra installed: the same texts through sentence-transformers itself."""
    from search.embedders import SentenceTransformerEmbedder

    texts, _, _ = _fixture()
    reference = SentenceTransformerEmbedder(STATIC_MODEL_DIR, name="static-zh")
    ours = load_embedder("static")
    np.testing.assert_allclose(ours.embed_passages(texts), reference.embed_passages(texts), rtol=0, atol=1e-6)
    for text in texts[:10]:
        np.testing.assert_allclose(ours.embed_query(text), reference.embed_query(text), rtol=0, atol=1e-6)


def _write_fixture() -> None:
    """Vectors from sentence-transformers (the extra) for HAND_TEXTS and demo passages."""
    from search.embedders import SentenceTransformerEmbedder

    texts = HAND_TEXTS + _demo_passages()
    reference = SentenceTransformerEmbedder(STATIC_MODEL_DIR, name="static-zh")
    passages = reference.embed_passages(texts)
    queries = np.stack([reference.embed_query(t) for t in texts])
    np.savez_compressed(FIXTURE, texts=np.array(texts), passages=passages, queries=queries)
    print(f"wrote {FIXTURE} ({len(texts)} texts)")


if __name__ == "__main__":
    _write_fixture()
