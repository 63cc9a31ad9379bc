"""An import-linter contract type that import-linter does not ship: no stage imports another's
private names (``from search.service import _Snapshot``).

import-linter's ``private_modules`` covers modules named ``_x``; grimp's graph records only that
``search.service`` was imported, not which names. So this contract walks the graph's imports across
top-level packages and reads the importing line's names with :mod:`ast` (parenthesised imports
over several lines included). Registered in pyproject.toml's ``[tool.importlinter]`` as
``private_names``; ``lint-imports`` (``make lint``) runs it with the other contracts, and
tests/test_layering.py shows it breaks on a planted private import.

Options: ``allow`` — ``"importer -> module.name"`` entries kept on purpose (an allowance that
matches nothing any more is reported as a warning, so it can be deleted).
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from importlinter import Contract, ContractCheck, fields, output


def _source(module: str) -> tuple[Path, bool] | None:
    """The module's file and whether it is a package, found without importing anything (a dotted
    ``find_spec`` would import the parent packages)."""
    root, *rest = module.split(".")
    spec = importlib.util.find_spec(root)
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations)), *rest)
    if (base / "__init__.py").is_file():
        return base / "__init__.py", True
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py"), False
    return None


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _absolute(importer: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The module a ``from … import`` names, relative imports resolved against ``importer``."""
    if not node.level:
        return node.module or ""
    parts = importer.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def private_names(importer: str, imported: str, line_number: int) -> list[str]:
    """Private names (``_x``, not ``__x__``) that ``importer`` takes from ``imported`` on that line."""
    found = _source(importer)
    if found is None:
        return []
    path, is_package = found
    names = []
    for node in ast.walk(_tree(path)):
        if not isinstance(node, ast.ImportFrom) or node.lineno != line_number:
            continue
        source = _absolute(importer, node, is_package)
        names.extend(
            alias.name
            for alias in node.names
            if alias.name.startswith("_")
            and not alias.name.endswith("__")
            and imported in (source, f"{source}.{alias.name}")  # a name, or a private submodule
        )
    return names


class PrivateNamesContract(Contract):
    """No module imports a private name from a module of another top-level package."""

    type_name = "private_names"

    allow = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        allowed = {entry.replace(" ", "") for entry in self.allow}  # type: ignore[attr-defined]
        seen: set[str] = set()
        violations = []
        for importer in sorted(graph.modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if importer.split(".")[0] == imported.split(".")[0]:
                    continue
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    for name in private_names(importer, imported, detail["line_number"]):
                        key = f"{importer}->{imported}.{name}"
                        if key in allowed:
                            seen.add(key)
                            continue
                        violations.append(
                            {
                                "importer": importer,
                                "imported": imported,
                                "name": name,
                                "line_number": detail["line_number"],
                            }
                        )
        warnings = [f"No private import matches the allowance {entry!r}." for entry in sorted(allowed - seen)]
        return ContractCheck(kept=not violations, warnings=warnings, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for v in check.metadata["violations"]:
            output.print_error(
                f"{v['importer']} imports the private name {v['name']} from {v['imported']} "
                f"(l.{v['line_number']}): give {v['imported']} a public name for it.",
                bold=False,
            )
            output.new_line()
