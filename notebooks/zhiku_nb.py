"""Helpers for the analysts' notebooks: the same store and the same named queries as the API.

    from zhiku_nb import open_graph, q
    store = open_graph()                 # ZHIKU_DATA_DIR (default: the repository's .zhiku)
    q(store, "org_chart")                # a pandas DataFrame

The store comes from ``zhiku.services`` (where the API and the CLI build theirs) and stays open for
the kernel's life. If it is empty, the demo company is loaded and its documents ingested first (as
``zhiku demo load`` does, without the search index), so every notebook runs top to bottom on a fresh
machine.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from graph.base import GraphStore  # noqa: E402
from queries import run_named_query  # noqa: E402
from zhiku.access import SYSTEM  # noqa: E402
from zhiku.services import open_state  # noqa: E402
from zhiku.settings import load_settings  # noqa: E402

_KERNEL = ExitStack()  # what the notebook opened; closed with the kernel (never explicitly)


def open_graph() -> GraphStore:
    overrides: dict[str, Any] = {}
    if "ZHIKU_DATA_DIR" not in os.environ:
        overrides["data_dir"] = ROOT / ".zhiku"
    settings = load_settings(**overrides)
    state = _KERNEL.enter_context(open_state(settings))
    store = state.store
    if not store.query("MATCH (e:Employee) RETURN e.id AS id LIMIT 1"):
        import ingest
        from demo.load import demo_document_paths, load_demo

        onto = state.ontology
        store.apply_schema(onto.schema())
        load_demo(store, onto)
        ingest.run(demo_document_paths(), store, None, ontology=onto)  # None: no search index here
    return store


def q(store: GraphStore, name: str, **params: Any) -> pd.DataFrame:
    """Run a named query from ``queries/`` and return its rows as a DataFrame (a notebook reads its own
    store directly, so it sees what that store holds)."""
    return pd.DataFrame(run_named_query(store, name, params, who=SYSTEM))
