"""Documents in: loaders, chunking, extraction, linking, the writer — and the one entry point,
:func:`ingest.run` (``ingest.pipeline.run``), which ends by syncing the search index.

The entry point is imported on first use: ``ingest.pipeline`` loads the extractors (about a second),
which the stages that only read ``ingest.extract`` (search, chat) need not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport, IngestRun, run

__all__ = ["IngestReport", "IngestRun", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'ingest' has no attribute {name!r}")
