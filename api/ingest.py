"""The admin ``ingest`` mutation's work: check the paths, then :func:`ingest.run` (which ends by
syncing the search index), off the event loop.

Only directories listed in ``ZHIKU_INGEST_ROOTS`` (and what lies under them) may be ingested; with the
setting unset the mutation is refused — it never falls back to the demo's documents.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import ingest
from api.graphql import types as T  # noqa: N812
from api.graphql.context import Context
from zhiku.errors import ConfigError, InputError


def allowed_paths(roots: list[Path], paths: list[str]) -> list[Path]:
    """``paths`` resolved, each under one of ``roots``; a refusal names the first that is not."""
    if not roots:
        raise ConfigError(
            "未配置 ZHIKU_INGEST_ROOTS：通过 API 摄取只接受该设置列出的目录",
            "ZHIKU_INGEST_ROOTS is not set: ingestion through the API only reads the directories it lists",
            hint="设置 ZHIKU_INGEST_ROOTS='[\"/srv/knowledge\"]' 后重启服务，或在服务器上运行 zhiku ingest",
        )
    resolved = [r.resolve() for r in roots]
    chosen = []
    for raw in paths:
        path = Path(raw).resolve()
        if not any(path == r or path.is_relative_to(r) for r in resolved) or not path.exists():
            raise InputError(f"不允许摄取该路径：{raw}", f"path not under ZHIKU_INGEST_ROOTS: {raw}")
        chosen.append(path)
    return chosen


async def ingest_paths(c: Context, paths: list[str]) -> T.IngestResult:
    """The mutation: admins only; minutes of work, so in a worker thread."""
    c.require("admin")
    state = c.state
    chosen = allowed_paths(state.settings.ingest_roots, paths)
    report = await asyncio.to_thread(
        ingest.run,
        chosen,
        state.store,
        state.search,
        ontology=state.ontology,
        max_bytes=state.settings.ingest_max_bytes,
        ner_model=state.settings.ner_model,
    )
    summary = report.summary()
    return T.IngestResult(
        documents=summary["documents"],
        new=summary["new"],
        changed=summary["changed"],
        unchanged=summary["unchanged"],
        removed=summary["removed"],
        rejected=[f"{uri}: {reason}" for uri, reason in report.rejected + report.skipped],
        chunks_indexed=report.index.total_chunks if report.index is not None else 0,
    )
