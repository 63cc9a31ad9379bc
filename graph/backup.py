"""Backup and restore: ``zhiku export DIR`` and ``zhiku import DIR``.

An export directory holds:

* ``graph.jsonl`` — every node (id, labels, properties) and relationship (start, type, end,
  properties), one JSON object per line: lossless, and the same on the embedded store and on Neo4j;
* ``graph.ttl`` — the same instance data as RDF through the ontology's mapping (for knowledge tools;
  properties the ontology does not declare are not in it);
* ``search/`` — the search index files (catalog, vectors, keyword index), so a restore answers at
  once instead of re-embedding;
* ``manifest.json`` — counts, the SHA-256 of ``graph.jsonl``, when and from which backend.

``zhiku export --encrypt`` seals every file with AES-256-GCM as it is written (``graph.jsonl.enc``,
``graph.ttl.enc``, ``search/*.enc``, ``manifest.json.enc``; :mod:`graph.encryption` has the format);
the plain ``manifest.json`` then says only that, with which cipher and which key (its id). ``zhiku
import`` needs the same key and refuses a wrong key or a changed byte before writing anything.

Import checks the manifest's checksum, writes nodes then relationships with the same batched,
idempotent upserts as ingestion (importing twice changes nothing), restores the index, and verifies
the counts. For Neo4j, ``neo4j-admin database dump`` is the faster full-database alternative; this
format also moves data between the two backends.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from graph.base import GraphStore
from graph.encryption import (
    CHUNK_BYTES,
    SUFFIX,
    DecryptingReader,
    EncryptingWriter,
    decrypt_file,
    encrypt_file,
    key_id,
    tampered,
    verify,
    wrong_key,
)
from queries import load as load_query
from zhiku.errors import ConfigError, InputError
from zhiku.settings import Settings
from zhiku.types import RESOURCE_LABEL, EdgeRecord, NodeRecord

FORMAT = "zhiku-backup/1"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sink(path: Path, key: bytes | None, name: str) -> BinaryIO:
    """Where a backup file's bytes go: the file itself, or sealed chunk by chunk into ``path.enc``."""
    if key is None:
        return path.open("wb")
    return io.BufferedWriter(EncryptingWriter(path.with_name(path.name + SUFFIX).open("wb"), key, name))


def export_all(
    store: GraphStore, settings: Settings, target: Path, *, key: bytes | None = None
) -> dict[str, Any]:
    """Write the graph, its RDF and the search index into ``target`` (created; must be empty).
    With ``key`` every file is encrypted (AES-256-GCM, :mod:`graph.encryption`) as it is written —
    no plaintext copy touches the disk — and ``manifest.json`` says only that it is."""
    from ontology.mapping import export_graph
    from ontology.model import load_ontology

    if target.exists() and any(target.iterdir()):
        raise InputError(f"导出目录不为空：{target}", f"export directory is not empty: {target}")
    target.mkdir(parents=True, exist_ok=True)
    nodes = store.query(load_query("export_nodes").text)
    rels = store.query(load_query("export_relationships").text)
    digest = hashlib.sha256()
    with _sink(target / "graph.jsonl", key, "graph.jsonl") as out:

        def emit(row: dict[str, Any]) -> None:
            line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
            digest.update(line)
            out.write(line)

        for n in nodes:
            labels = sorted(set(n["labels"]) - {RESOURCE_LABEL})
            emit({"node": n["id"], "labels": labels, "props": n["properties"]})
        for r in rels:
            emit({"start": r["start"], "type": r["type"], "end": r["end"], "props": r["properties"]})
    onto = load_ontology(extra_dir=settings.ontology_dir)
    with _sink(target / "graph.ttl", key, "graph.ttl") as out:
        out.write(export_graph(store, onto).serialize(format="turtle").encode("utf-8"))
    search_files = 0
    if settings.search_dir.is_dir():
        for path in sorted(settings.search_dir.rglob("*")):
            if not path.is_file() or fnmatch.fnmatch(path.name, "*.lock"):  # ".lock" too
                continue
            relative = path.relative_to(settings.search_dir).as_posix()
            dest = target / "search" / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            if key is None:
                shutil.copy2(path, dest)
            else:
                encrypt_file(path, dest.with_name(dest.name + SUFFIX), key, f"search/{relative}")
            search_files += 1
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "backend": store.backend,
        "nodes": len(nodes),
        "relationships": len(rels),
        "graph_sha256": digest.hexdigest(),
        "search_index": search_files > 0,
    }
    if key is None:
        _write_json(target / "manifest.json", manifest)
        return manifest
    with _sink(target / "manifest.json", key, "manifest.json") as out:
        out.write(json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    _write_json(
        target / "manifest.json",
        {"format": FORMAT, "created": manifest["created"], "encryption": _encryption_note(key)},
    )
    return {**manifest, "encrypted": True}


def _encryption_note(key: bytes) -> dict[str, Any]:
    return {"cipher": "AES-256-GCM", "chunk_bytes": CHUNK_BYTES, "key_id": key_id(key).hex()}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")


def _records(lines: Iterable[str], name: str) -> Iterator[NodeRecord | EdgeRecord]:
    for number, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
            if "node" in row:
                yield NodeRecord(row["node"], tuple(row["labels"]), row["props"])
            else:
                yield EdgeRecord(row["start"], row["type"], row["end"], row["props"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(
                f"备份文件第 {number} 行损坏", f"{name} line {number} is corrupt: {exc}"
            ) from None


def is_encrypted(source: Path) -> bool:
    """Whether the export in ``source`` was made with ``--encrypt`` (False when it is unreadable:
    :func:`import_all` then says why)."""
    try:
        return "encryption" in json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def _read_manifest(source: Path, key: bytes | None) -> dict[str, Any]:
    """The manifest; for an encrypted backup the sealed one, after checking the key is the export's."""
    try:
        manifest: dict[str, Any] = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"不是知库备份目录：{source}", f"not a Zhiku export: {source} ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise InputError(
            f"不支持的备份格式：{manifest.get('format')}",
            f"unsupported backup format {manifest.get('format')}",
        )
    note = manifest.get("encryption")
    if note is None:
        return manifest
    if key is None:
        raise ConfigError(
            f"这份备份已加密（{note.get('cipher')}），需要导出时的密钥：{source}",
            f"this backup is encrypted ({note.get('cipher')}); the export's key is needed: {source}",
            hint="zhiku import DIR --key-file backup.key（或 ZHIKU_BACKUP_KEY_FILE / ZHIKU_BACKUP_KEY）",
        )
    if note.get("key_id") != key_id(key).hex():
        raise wrong_key("manifest.json")
    sealed = source / ("manifest.json" + SUFFIX)
    if not sealed.is_file():
        raise tampered("manifest.json")
    with DecryptingReader(sealed.open("rb"), key, "manifest.json") as src:
        inner: dict[str, Any] = json.loads(src.readall())
    return {**inner, "encrypted": True}


def import_all(
    store: GraphStore, settings: Settings, source: Path, *, key: bytes | None = None
) -> dict[str, Any]:
    """Restore an export into ``store`` (and the index into this data dir); returns the manifest.

    Everything is checked before anything is written: the manifest, the graph file's checksum and,
    for an encrypted backup, every chunk of every file (a wrong key or a changed byte is refused,
    naming the file). The graph file is then read a second time, chunk by chunk, to write it."""
    manifest = _read_manifest(source, key)
    encrypted = bool(manifest.get("encrypted"))
    assert key is not None or not encrypted

    def opened(name: str) -> BinaryIO:
        if encrypted:
            assert key is not None
            return io.BufferedReader(DecryptingReader((source / (name + SUFFIX)).open("rb"), key, name))
        return (source / name).open("rb")

    try:
        digest = hashlib.sha256()
        with opened("graph.jsonl") as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
        search_src = source / "search"
        restore_index = bool(manifest.get("search_index")) and search_src.is_dir()
        if encrypted and restore_index:
            assert key is not None
            for path in sorted(search_src.rglob("*" + SUFFIX)):
                name = path.relative_to(search_src).as_posix()[: -len(SUFFIX)]
                verify(path, key, f"search/{name}")
    except FileNotFoundError as exc:
        raise InputError(
            f"备份不完整，缺少文件：{exc.filename}", f"incomplete backup: missing {exc.filename}"
        ) from None
    if digest.hexdigest() != manifest["graph_sha256"]:
        raise InputError(
            "备份文件校验失败（graph.jsonl 已损坏或被修改）", "graph.jsonl does not match its checksum"
        )
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    with opened("graph.jsonl") as src, io.TextIOWrapper(src, encoding="utf-8") as text:
        for record in _records(text, "graph.jsonl"):
            (nodes if isinstance(record, NodeRecord) else edges).append(record)  # type: ignore[arg-type]
    store.upsert_nodes(nodes)  # the store writes in batches of ZHIKU_GRAPH_BATCH_SIZE
    store.upsert_relationships(edges)
    if restore_index:
        if settings.search_dir.exists():
            shutil.rmtree(settings.search_dir)
        if not encrypted:
            shutil.copytree(search_src, settings.search_dir)
        else:
            assert key is not None
            for path in sorted(search_src.rglob("*" + SUFFIX)):
                relative = path.relative_to(search_src).as_posix()[: -len(SUFFIX)]
                dest = settings.search_dir / relative
                dest.parent.mkdir(parents=True, exist_ok=True)
                decrypt_file(path, dest, key, f"search/{relative}")
    counts = {
        "nodes": store.query("MATCH (n:Resource) RETURN count(n) AS n")[0]["n"],
        "relationships": store.query("MATCH (:Resource)-[r]->(:Resource) RETURN count(r) AS n")[0]["n"],
    }
    if counts["nodes"] < manifest["nodes"] or counts["relationships"] < manifest["relationships"]:
        raise InputError(
            f"导入后数量不符：{counts}，应为 {manifest['nodes']} / {manifest['relationships']}",
            f"counts after import {counts} below the export's",
        )
    return {**manifest, "after": counts}
