"""The layering check (pyproject.toml's import-linter contracts, run by `make lint` as `lint-imports`)
holds on the tree, and fails when an import crosses a line: a store importing the chatbot, a stage
importing api/, a stage taking another's private name."""

from __future__ import annotations

import sys
from copy import deepcopy
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

from tests.layering import PrivateNamesContract

ROOT = Path(__file__).resolve().parents[1]
CONFIG = read_configuration(str(ROOT / "pyproject.toml"))
TYPES: dict[str, Any] = {"layers": LayersContract, "forbidden": ForbiddenContract}
TYPES["private_names"] = PrivateNamesContract


def _contracts() -> dict[str, Any]:
    contracts = {}
    for options in CONFIG["contracts_options"]:
        kind = TYPES[options["type"]]
        contracts[options["type"]] = kind(options["name"], CONFIG["session_options"], options)
    return contracts


@pytest.fixture(scope="module")
def tree_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*CONFIG["session_options"]["root_packages"], cache_dir=None)


def _check(contract: Any, graph: grimp.ImportGraph) -> Any:
    return contract.check(deepcopy(graph), verbose=False)


def test_the_tree_keeps_every_contract(tree_graph: grimp.ImportGraph) -> None:
    contracts = _contracts()
    assert set(contracts) == {"layers", "forbidden", "private_names"}
    for contract in contracts.values():
        assert _check(contract, tree_graph).kept, contract.name


@pytest.mark.parametrize(
    ("kind", "importer", "imported"),
    [
        ("layers", "graph.base", "chat.dialog"),  # the store reaching up to the chatbot
        ("layers", "lang.values", "ingest.pipeline"),  # the shared text rules reaching into a stage
        ("layers", "search.service", "approvals.engine"),  # one sibling importing the other
        ("forbidden", "chat.desk", "api.deps"),  # a stage importing api/
    ],
)
def test_an_import_across_the_layers_breaks_a_contract(
    tree_graph: grimp.ImportGraph, kind: str, importer: str, imported: str
) -> None:
    graph = deepcopy(tree_graph)
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    assert not _check(_contracts()[kind], graph).kept


def test_a_private_name_from_another_package_breaks_the_private_names_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alpha" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "alpha" / "core.py").write_text("public = 1\n_secret = 2\n__all__ = ['public']\n", "utf-8")
    (tmp_path / "alpha" / "inner.py").write_text("from .core import _secret\n", encoding="utf-8")
    (tmp_path / "beta").mkdir()
    (tmp_path / "beta" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "beta" / "uses.py").write_text(
        "from alpha.core import __all__, public\n\nfrom alpha.core import (\n    public as p,\n    _secret,\n)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        graph = grimp.build_graph("alpha", "beta", cache_dir=None)
        contract = PrivateNamesContract("private", {}, {"type": "private_names"})
        check = contract.check(graph, verbose=False)
        # only beta's import of _secret (over several lines): not alpha's own, nor public, nor __all__
        assert not check.kept
        assert [(v["importer"], v["name"]) for v in check.metadata["violations"]] == [
            ("beta.uses", "_secret")
        ]

        allowed = PrivateNamesContract(
            "private",
            {},
            {"type": "private_names", "allow": ["beta.uses -> alpha.core._secret", "x -> y._z"]},
        )
        check = allowed.check(graph, verbose=False)
        assert check.kept
        assert check.warnings == ["No private import matches the allowance 'x->y._z'."]
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] in ("alpha", "beta")]:
            del sys.modules[name]
