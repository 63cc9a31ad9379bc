"""Backup and restore: ``zhiku export DIR`` and ``zhiku import DIR``.

An export directory holds:

* ``graph.jsonl`` — every node (id, labels, properties) and relationship (start, type, end,
  properties), one JSON object per line: lossless, and the same on the embedded store and on Neo4j;
* ``graph.ttl`` — the same instance data as RDF through the ontology's mapping (for knowledge tools;
  properties the ontology does not declare are not in it);
* ``search/`` — the search index files (catalog, vectors, keyword index), so a restore answers at
  once instead of re-embedding;
* ``manifest.json`` — counts, the SHA-256 of ``graph.jsonl``, when and from which backend.

Import checks the manifest's checksum, writes nodes then relationships with the same batched,
idempotent upserts as ingestion (importing twice changes nothing), restores the index, and verifies
the counts. For Neo4j, ``neo4j-admin database dump`` is the faster full-database alternative; this
format also moves data between the two backends.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph.base import GraphStore
from queries import load as load_query
from zhiku.errors import InputError
from zhiku.settings import Settings
from zhiku.types import RESOURCE_LABEL, EdgeRecord, NodeRecord

FORMAT = "zhiku-backup/1"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_all(store: GraphStore, settings: Settings, target: Path) -> dict[str, Any]:
    """Write the graph, its RDF and the search index into ``target`` (created; must be empty)."""
    from ontology.mapping import export_graph
    from ontology.model import load_ontology

    if target.exists() and any(target.iterdir()):
        raise InputError(f"导出目录不为空：{target}", f"export directory is not empty: {target}")
    target.mkdir(parents=True, exist_ok=True)
    nodes = store.query(load_query("export_nodes").text)
    rels = store.query(load_query("export_relationships").text)
    with (target / "graph.jsonl").open("w", encoding="utf-8") as out:
        for n in nodes:
            labels = sorted(set(n["labels"]) - {RESOURCE_LABEL})
            out.write(
                json.dumps({"node": n["id"], "labels": labels, "props": n["properties"]}, ensure_ascii=False)
                + "\n"
            )
        for r in rels:
            row = {"start": r["start"], "type": r["type"], "end": r["end"], "props": r["properties"]}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    onto = load_ontology(extra_dir=settings.ontology_dir)
    (target / "graph.ttl").write_text(export_graph(store, onto).serialize(format="turtle"), encoding="utf-8")
    if settings.search_dir.is_dir():
        shutil.copytree(settings.search_dir, target / "search", ignore=shutil.ignore_patterns("*.lock"))
    manifest = {
        "format": FORMAT,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "backend": store.backend,
        "nodes": len(nodes),
        "relationships": len(rels),
        "graph_sha256": _sha256(target / "graph.jsonl"),
        "search_index": (target / "search").is_dir(),
    }
    (target / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return manifest


def _records(path: Path) -> Iterator[NodeRecord | EdgeRecord]:
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                row = json.loads(line)
                if "node" in row:
                    yield NodeRecord(row["node"], tuple(row["labels"]), row["props"])
                else:
                    yield EdgeRecord(row["start"], row["type"], row["end"], row["props"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(
                    f"备份文件第 {number} 行损坏", f"{path.name} line {number} is corrupt: {exc}"
                ) from None


def import_all(store: GraphStore, settings: Settings, source: Path) -> dict[str, Any]:
    """Restore an export into ``store`` (and the index into this data dir); returns the manifest."""
    try:
        manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"不是知库备份目录：{source}", f"not a Zhiku export: {source} ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise InputError(
            f"不支持的备份格式：{manifest.get('format')}",
            f"unsupported backup format {manifest.get('format')}",
        )
    if _sha256(source / "graph.jsonl") != manifest["graph_sha256"]:
        raise InputError(
            "备份文件校验失败（graph.jsonl 已损坏或被修改）", "graph.jsonl does not match its checksum"
        )
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    for record in _records(source / "graph.jsonl"):
        (nodes if isinstance(record, NodeRecord) else edges).append(record)  # type: ignore[arg-type]
    store.upsert_nodes(nodes)  # the store writes in batches of ZHIKU_GRAPH_BATCH_SIZE
    store.upsert_relationships(edges)
    if manifest.get("search_index") and (source / "search").is_dir():
        if settings.search_dir.exists():
            shutil.rmtree(settings.search_dir)
        shutil.copytree(source / "search", settings.search_dir)
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
