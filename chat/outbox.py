"""Tickets that could not reach the graph wait here (JSON lines in ``<data_dir>/outbox/``) and are
replayed, idempotently by ticket id, once the store is back — a hand-off is never lost because the
database was down when the employee asked for help."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from graph.base import GraphStore
from graph.versions import RECORDS
from queries import load as load_query

_LOCK = threading.Lock()


class Outbox:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "tickets.jsonl"

    def put(self, params: dict[str, Any]) -> None:
        with _LOCK:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(params, ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    def pending(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def replay(self, store: GraphStore) -> int:
        """Write waiting tickets to the graph (MERGE by id: a replay twice changes nothing)."""
        with _LOCK:
            items = self.pending()
            for params in items:
                # tickets queued by an older version lack the later parameters
                defaults = {"session": "", "line_documents": None, "found_documents": None}
                store.execute(load_query("create_ticket").text, {**defaults, **params}, writes=RECORDS)
            self.path.unlink(missing_ok=True)
        return len(items)
