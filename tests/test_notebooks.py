"""The analysts' notebooks run top to bottom (nbclient, a real Jupyter kernel) against an embedded
store that starts empty: the first loads the demo company, the others reuse it."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notebooks-data")


def test_there_are_at_least_three_notebooks() -> None:
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIKU_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ZHIKU_GRAPH_IDLE_SHUTDOWN_S", "1")
    monkeypatch.setenv("MPLBACKEND", "agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # every notebook shows tables, and the tour and approvals notebooks draw charts
    assert any("text/html" in o.get("data", {}) for o in outputs), f"{path.name} showed no table"
    if not path.name.startswith("02"):
        assert any("image/png" in o.get("data", {}) for o in outputs), f"{path.name} drew no chart"
    assert os.environ["ZHIKU_DATA_DIR"] == str(data_dir)
