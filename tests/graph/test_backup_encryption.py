"""Encrypted backups (``zhiku export --encrypt``): AES-256-GCM in chunks, a restore that equals the
source, and a wrong key, an edited byte, a cut or reordered file refused before anything is written."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.backup import export_all, import_all
from graph.encryption import (
    HEADER_BYTES,
    TAG_BYTES,
    DecryptingReader,
    EncryptingWriter,
    load_key,
)
from graph.falkordb_store import FalkorDBStore
from zhiku.errors import ConfigError, InputError
from zhiku.settings import Settings
from zhiku.types import EdgeRecord, NodeRecord

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET_NAME = "保密员工王五"  # a value that must not appear in any file of an encrypted backup
# Node ids long enough that 2 MiB of ciphertext cannot contain one by chance ("E39", three bytes,
# occurred in random ciphertext about one run in eight).
SECRET_ID = "secret-employee-"


def _seal(plain: bytes, key: bytes, name: str = "f", chunk: int = 16) -> bytes:
    sink = io.BytesIO()
    sink.close = lambda: None  # type: ignore[method-assign]  # keep the bytes readable after close
    with EncryptingWriter(sink, key, name, chunk_bytes=chunk) as out:
        out.write(plain)
    return sink.getvalue()


def _open(sealed: bytes, key: bytes, name: str = "f") -> bytes:
    with DecryptingReader(io.BytesIO(sealed), key, name) as src:
        return src.readall()


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 32, 100])
def test_sealed_bytes_open_to_the_same_bytes_at_every_size_around_the_chunk(size: int) -> None:
    key, plain = os.urandom(32), os.urandom(size)
    sealed = _seal(plain, key)
    assert plain not in sealed or size < 16  # a byte or a few may occur in ciphertext by chance
    chunks = max(1, -(-size // 16))  # the last chunk may be full; an empty file is one empty chunk
    assert len(sealed) == HEADER_BYTES + size + chunks * TAG_BYTES
    assert _open(sealed, key) == plain


def test_a_reordered_truncated_renamed_or_edited_file_is_refused() -> None:
    key = os.urandom(32)
    sealed = _seal(b"a" * 16 + b"b" * 16 + b"c" * 5, key)  # three chunks
    first, second = HEADER_BYTES, HEADER_BYTES + 16 + TAG_BYTES
    header, c1, c2, c3 = (
        sealed[:first],
        sealed[first:second],
        sealed[second : second + 32],
        sealed[second + 32 :],
    )
    assert _open(header + c1 + c2 + c3, key) == b"a" * 16 + b"b" * 16 + b"c" * 5
    variants = {
        "reordered": header + c2 + c1 + c3,
        "cut at a chunk boundary": header + c1 + c2,
        "last chunk dropped and nothing after the header": header,
        "one bit flipped": header + c1 + bytes([c2[0] ^ 1]) + c2[1:] + c3,
        "nonce prefix edited": header[:-1] + bytes([header[-1] ^ 1]) + c1 + c2 + c3,
    }
    for what, data in variants.items():
        with pytest.raises(InputError) as caught:
            _open(data, key)
        assert "篡改" in caught.value.message_zh and "tampered" in caught.value.message_en, what
    with pytest.raises(InputError) as caught:
        _open(sealed, key, name="another-file")  # the file's name within the backup is authenticated
    assert "篡改" in caught.value.message_zh
    with pytest.raises(InputError) as caught:
        _open(sealed, os.urandom(32))
    assert "密钥不对" in caught.value.message_zh


def test_keys_are_read_raw_base64_or_hex_and_anything_else_is_refused(tmp_path: Path) -> None:
    key = os.urandom(32)
    for text in (key, base64.b64encode(key) + b"\n", key.hex().encode() + b"\n"):
        (tmp_path / "k").write_bytes(text)
        assert load_key(tmp_path / "k") == key
    assert load_key(None, base64.b64encode(key).decode()) == key
    (tmp_path / "short").write_bytes(base64.b64encode(os.urandom(16)))
    with pytest.raises(ConfigError) as caught:
        load_key(tmp_path / "short")
    assert "32 字节" in caught.value.message_zh
    with pytest.raises(ConfigError) as caught:
        load_key(None, "")
    assert "需要备份密钥" in caught.value.message_zh


# -- whole backups ----------------------------------------------------------------------------


@pytest.fixture
def source(store: FalkorDBStore, tmp_path: Path) -> Settings:
    """A small graph (with a name that must not leak) and a search index of several 1 MiB chunks."""
    store.upsert_nodes(
        [
            NodeRecord(f"{SECRET_ID}{i}", ("Employee",), {"name": f"{SECRET_NAME}{i}", "level": i})
            for i in range(40)
        ]
    )
    store.upsert_relationships(
        [EdgeRecord(f"{SECRET_ID}{i}", "REPORTS_TO", f"{SECRET_ID}0", {}) for i in range(1, 40)]
    )
    settings = Settings(data_dir=tmp_path / "source")
    (settings.search_dir / "nested").mkdir(parents=True)
    (settings.search_dir / "vectors.bin").write_bytes(os.urandom(2 * (1 << 20) + 123))
    (settings.search_dir / "nested" / "catalog.json").write_text(
        f'{{"title": "{SECRET_NAME}"}}', encoding="utf-8"
    )
    (settings.search_dir / "index.lock").write_text("", encoding="utf-8")  # never exported
    (settings.search_dir / ".lock").write_text("", encoding="utf-8")  # the index's own lock file
    return settings


@pytest.fixture
def empty(graph_dir: Path) -> Iterator[FalkorDBStore]:
    target = FalkorDBStore.embedded(graph_dir, f"restore_{uuid.uuid4().hex[:12]}")
    try:
        yield target
    finally:
        target.reset()
        target.close()


def _count(store: FalkorDBStore) -> tuple[int, int]:
    nodes = store.query("MATCH (n:Resource) RETURN count(n) AS n")[0]["n"]
    rels = store.query("MATCH (:Resource)-[r]->(:Resource) RETURN count(r) AS n")[0]["n"]
    return nodes, rels


def test_an_encrypted_export_holds_no_plaintext_and_restores_exactly(
    store: FalkorDBStore, source: Settings, empty: FalkorDBStore, tmp_path: Path
) -> None:
    key, backup = os.urandom(32), tmp_path / "backup"
    manifest = export_all(store, source, backup, key=key)
    assert manifest["nodes"] == 40 and manifest["relationships"] == 39
    files = sorted(p.relative_to(backup).as_posix() for p in backup.rglob("*") if p.is_file())
    assert files == [
        "graph.jsonl.enc", "graph.ttl.enc", "manifest.json", "manifest.json.enc",
        "search/nested/catalog.json.enc", "search/vectors.bin.enc",
    ]  # fmt: skip
    for path in backup.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET_NAME.encode() not in data and f"{SECRET_ID}39".encode() not in data, path
    assert b'"nodes"' not in (backup / "manifest.json").read_bytes()  # the counts are sealed too

    restored = Settings(data_dir=tmp_path / "restored")
    result = import_all(empty, restored, backup, key=key)
    assert result["after"] == {"nodes": 40, "relationships": 39} and _count(empty) == (40, 39)
    assert (
        empty.query(f"MATCH (n:Employee {{id: '{SECRET_ID}7'}}) RETURN n.name AS name")[0]["name"]
        == f"{SECRET_NAME}7"
    )
    for name in ("vectors.bin", "nested/catalog.json"):
        assert (restored.search_dir / name).read_bytes() == (source.search_dir / name).read_bytes()
    import_all(empty, restored, backup, key=key)  # importing twice changes nothing
    assert _count(empty) == (40, 39)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("wrong key", "密钥不对"),
        ("no key", "需要导出时的密钥"),
        ("graph byte flipped", "篡改"),
        ("index cut at a chunk boundary", "篡改"),
        ("sealed manifest swapped for the graph", "篡改"),
    ],
)
def test_a_wrong_key_or_a_damaged_backup_writes_nothing(
    store: FalkorDBStore, source: Settings, empty: FalkorDBStore, tmp_path: Path, damage: str, message: str
) -> None:
    key, backup = os.urandom(32), tmp_path / "backup"
    export_all(store, source, backup, key=key)
    use: bytes | None = key
    if damage == "wrong key":
        use = os.urandom(32)
    elif damage == "no key":
        use = None
    elif damage == "graph byte flipped":
        data = bytearray((backup / "graph.jsonl.enc").read_bytes())
        data[len(data) // 2] ^= 0x01
        (backup / "graph.jsonl.enc").write_bytes(bytes(data))
    elif damage == "index cut at a chunk boundary":
        path = backup / "search" / "vectors.bin.enc"
        path.write_bytes(path.read_bytes()[: HEADER_BYTES + 2 * ((1 << 20) + TAG_BYTES)])
    else:
        (backup / "manifest.json.enc").write_bytes((backup / "graph.jsonl.enc").read_bytes())
    restored = Settings(data_dir=tmp_path / "restored")
    with pytest.raises((InputError, ConfigError)) as caught:
        import_all(empty, restored, backup, key=use)
    assert message in caught.value.message_zh and caught.value.message_en  # bilingual
    assert _count(empty) == (0, 0)
    assert not restored.search_dir.exists()


def test_the_cli_encrypts_with_a_key_file_and_refuses_the_wrong_one_in_one_bilingual_line(
    tmp_path: Path,
) -> None:
    data_dir, backup = tmp_path / "data", tmp_path / "backup"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_")}
    env.update({"ZHIKU_DATA_DIR": str(data_dir), "ZHIKU_GRAPH_IDLE_SHUTDOWN_S": "1"})
    writer = FalkorDBStore.embedded(data_dir / "graph", idle_shutdown_s=1)
    try:
        writer.upsert_nodes([NodeRecord("E1", ("Employee",), {"name": SECRET_NAME})])
    finally:
        writer.close()
    key_file, other = tmp_path / "backup.key", tmp_path / "other.key"
    key_file.write_bytes(base64.b64encode(os.urandom(32)))
    other.write_bytes(base64.b64encode(os.urandom(32)))

    def zhiku(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zhiku.cli", *args], cwd=ROOT, env={**env, **(env_extra or {})},
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    made = zhiku("export", str(backup), "--encrypt", "--key-file", str(key_file))
    assert made.returncode == 0, made.stderr
    assert "encrypted" in made.stdout and not (backup / "graph.jsonl").exists()

    refused = zhiku("--data-dir", str(tmp_path / "other"), "import", str(backup), "--key-file", str(other))
    assert refused.returncode == 1
    line = refused.stderr.strip().splitlines()[-1]
    assert "BAD_INPUT" in line and "密钥不对" in line and "wrong backup key" in line
    assert other.read_text() not in refused.stdout + refused.stderr  # the key is never printed

    unkeyed = zhiku("--data-dir", str(tmp_path / "other"), "import", str(backup))
    assert unkeyed.returncode == 1 and "CONFIG_INVALID" in unkeyed.stderr

    restored = zhiku(
        "--data-dir", str(tmp_path / "other"), "import", str(backup),
        env_extra={"ZHIKU_BACKUP_KEY": key_file.read_text()},
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert "1 节点" in restored.stdout


def test_a_plain_export_is_unchanged_in_shape_and_still_restores(
    store: FalkorDBStore, source: Settings, empty: FalkorDBStore, tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    manifest = export_all(store, source, backup)
    assert (backup / "graph.jsonl").read_text(encoding="utf-8").count("\n") == 40 + 39
    assert "encryption" not in (backup / "manifest.json").read_text(encoding="utf-8")
    restored = Settings(data_dir=tmp_path / "restored")
    assert import_all(empty, restored, backup)["after"] == {"nodes": 40, "relationships": 39}
    assert manifest["search_index"] and (restored.search_dir / "nested" / "catalog.json").is_file()
    assert not (restored.search_dir / "index.lock").exists() and not (restored.search_dir / ".lock").exists()
