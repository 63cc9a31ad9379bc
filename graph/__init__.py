"""The graph stage: the ``GraphStore`` contract and its backends.

``open_store(settings)`` returns the backend ``ZHIKU_GRAPH_URI`` selects. Backends are imported
lazily so that ``python -m graph.supervisor`` starts without loading drivers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph.base import GraphStore
    from zhiku.settings import Settings


def open_store(settings: Settings) -> GraphStore:
    """Open the configured graph store (the embedded FalkorDB unless ``ZHIKU_GRAPH_URI`` says otherwise)."""
    from zhiku.settings import GraphBackend

    backend = settings.graph_backend
    if backend is GraphBackend.neo4j:
        from graph.neo4j_store import Neo4jStore

        return Neo4jStore(
            settings.graph_uri,
            settings.graph_user,
            settings.graph_password.get_secret_value(),
            database=settings.graph_database,
            timeout_s=settings.graph_connect_timeout_s,
            batch_size=settings.graph_batch_size,
            versions_url=settings.redis_url,
        )
    from graph.falkordb_store import FalkorDBStore

    if backend is GraphBackend.falkordb:
        return FalkorDBStore.remote(
            settings.graph_uri,
            settings.graph_database,
            password=settings.graph_password.get_secret_value(),
            timeout_s=settings.graph_connect_timeout_s,
            batch_size=settings.graph_batch_size,
        )
    return FalkorDBStore.embedded(
        settings.graph_dir,
        settings.graph_database,
        start_timeout_s=settings.graph_start_timeout_s,
        idle_shutdown_s=settings.graph_idle_shutdown_s,
        snapshot_s=settings.graph_snapshot_s,
        batch_size=settings.graph_batch_size,
    )
