"""``/healthz``: is the service up, and can it reach its graph? 200 when healthy, 503 otherwise."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import StateDep
from zhiku import __version__

router = APIRouter()


@router.get("/healthz", summary="健康检查 / health check")
def healthz(state: StateDep) -> JSONResponse:
    graph: dict[str, Any] = state.store.health()
    body = {
        "status": "ok" if graph["ok"] else "degraded",
        "version": __version__,
        "env": state.settings.env.value,
        "graph": graph,
        "responseCache": state.responses.stats() if state.responses is not None else None,
        # this instance's part in the cluster: crawl scheduler leader or standby (None: not a
        # candidate), and its search index's version (each instance syncs its own from the graph)
        "scheduler": state.scheduler.role if state.scheduler is not None else None,
        "indexVersion": state.search.catalog.version,
    }
    return JSONResponse(body, status_code=200 if graph["ok"] else 503)
