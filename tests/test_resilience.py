"""Nothing lost, nothing doubled: the embedded graph server is killed (-9) in the middle of ``zhiku demo
load`` (graph + ingestion + index); the load is run again; the graph and the search index equal a clean
run's — node and relationship counts, a checksum over every node's and relationship's content, and
the index's documents, chunks, vectors and answers."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from graph import open_store
from search.service import SearchService
from zhiku.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = {"ingestedAt", "updatedAt", "createdAt", "loadedAt", "at"}  # wall-clock stamps differ by run
QUESTIONS = ["年假怎么请", "报销8000元谁审批", "公司有班车吗"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_")}
    env.update({"ZHIKU_DATA_DIR": str(data_dir), "ZHIKU_EMBED_MODEL": "static", "ZHIKU_GRAPH_IDLE_SHUTDOWN_S": "1",
                "ZHIKU_GRAPH_SNAPSHOT_S": "1"})  # fmt: skip
    return env


def _load(data_dir: Path) -> subprocess.Popen[bytes]:
    """``zhiku demo load`` in the background; its output goes to a file beside the data (a pipe nobody
    reads would fill up and stall it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir.parent / f"{data_dir.name}.log").open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "zhiku.cli", "demo", "load"], cwd=ROOT, env=_env(data_dir),
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip


def _log(data_dir: Path) -> str:
    return (data_dir.parent / f"{data_dir.name}.log").read_text(encoding="utf-8", errors="replace")[-3000:]


def _fingerprint(data_dir: Path) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir, embed_model="static")
    store = open_store(settings)
    try:
        nodes = store.query("MATCH (n) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props")
        rels = store.query(
            "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS type, b.id AS b, properties(r) AS props"
        )
        service = SearchService.open(store, settings)
        try:
            stats = service.stats()
            answers = [[h.chunk_id for h in service.search(q, k=5).hits] for q in QUESTIONS]
        finally:
            service.close()
    finally:
        store.close()

    def clean(props: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in sorted(props.items()) if k not in VOLATILE}

    node_rows = sorted(json.dumps([n["id"], sorted(n["labels"]), clean(n["props"])], ensure_ascii=False,
                                  sort_keys=True, default=str) for n in nodes)  # fmt: skip
    rel_rows = sorted(json.dumps([r["a"], r["type"], r["b"], clean(r["props"])], ensure_ascii=False,
                                 sort_keys=True, default=str) for r in rels)  # fmt: skip
    digest = hashlib.sha256("\n".join(node_rows + rel_rows).encode()).hexdigest()
    return {"nodes": len(nodes), "relationships": len(rels), "checksum": digest,
            "index": {k: stats[k] for k in ("documents", "chunks", "vectors")}, "answers": answers}  # fmt: skip


def _wait_for_documents(data_dir: Path, at_least: int, timeout_s: float = 300) -> None:
    store = open_store(Settings(data_dir=data_dir))
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                rows = store.query("MATCH (d:Document) RETURN count(d) AS n")
            except Exception:  # the server may still be starting
                rows = [{"n": 0}]
            if rows[0]["n"] >= at_least:
                return
            time.sleep(0.2)
    finally:
        store.close()
    raise AssertionError("ingestion did not get going")


def test_kill_9_of_the_graph_server_mid_ingest_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    clean_dir, crashed_dir = tmp_path / "clean", tmp_path / "crashed"
    clean = _load(clean_dir)
    assert clean.wait(timeout=900) == 0, _log(clean_dir)

    first = _load(crashed_dir)
    _wait_for_documents(crashed_dir, at_least=8)  # demo org loaded, documents half-way through
    pid = int((crashed_dir / "graph" / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    # The loader's store restarts the server (from its last snapshot) and the ingestion stops rather
    # than go on over what may be lost; the next run completes it.
    assert first.wait(timeout=900) != 0 and "重启" in _log(crashed_dir), _log(crashed_dir)
    again = _load(crashed_dir)
    assert again.wait(timeout=900) == 0, _log(crashed_dir)

    expected, got = _fingerprint(clean_dir), _fingerprint(crashed_dir)
    assert got == expected
    assert expected["nodes"] > 500 and expected["index"]["chunks"] > 300


def test_export_then_import_into_an_empty_store_is_lossless(tmp_path: Path) -> None:
    source_dir, restored_dir, backup = tmp_path / "source", tmp_path / "restored", tmp_path / "backup"
    assert _load(source_dir).wait(timeout=900) == 0, _log(source_dir)
    env = _env(source_dir)
    cli = [sys.executable, "-m", "zhiku.cli"]
    subprocess.run(
        [*cli, "export", str(backup)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600
    )
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["nodes"] > 500 and (backup / "graph.ttl").stat().st_size > 10_000
    again = subprocess.run([*cli, "export", str(backup)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 1 and "不为空" in again.stdout + again.stderr  # never overwrites a backup

    restore = [*cli, "import", str(backup)]
    for _ in range(2):  # importing twice changes nothing
        subprocess.run(
            restore, cwd=ROOT, env=_env(restored_dir), check=True, capture_output=True, timeout=600
        )
    assert _fingerprint(restored_dir) == _fingerprint(source_dir)

    lines = (backup / "graph.jsonl").read_text(encoding="utf-8").splitlines()
    (backup / "graph.jsonl").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # a damaged copy
    damaged = subprocess.run(restore, cwd=ROOT, env=_env(tmp_path / "other"), capture_output=True, text=True)
    assert damaged.returncode == 1 and "校验" in damaged.stdout + damaged.stderr
