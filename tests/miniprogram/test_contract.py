"""The mini-program is typed against the API's contract: its GraphQL operations are validated against
api/schema.graphql by its own check (``npm run check-contract`` in miniprogram/, graphql-codegen), so
a schema change under the app fails here. Needs the mini-program's npm packages (``make
miniprogram-test`` installs them); ``tests/api/test_client_contract.py`` checks the same documents in
``make test`` without them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "miniprogram"
CHECK = ["node", "scripts/check-contract.mjs"]

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (APP / "node_modules" / ".bin" / "graphql-codegen").exists(),
    reason="the mini-program's npm packages are not installed (make miniprogram-test installs them)",
)


def _check(schema: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZHIKU_SCHEMA": str(schema)} if schema is not None else None
    return subprocess.run(CHECK, cwd=APP, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_app_matches_the_schema() -> None:
    done = _check()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "一致" in done.stdout


@pytest.mark.slow
def test_a_schema_change_under_the_app_fails_naming_the_field(tmp_path: Path) -> None:
    schema = (ROOT / "api" / "schema.graphql").read_text(encoding="utf-8")
    assert "  myTickets(" in schema
    renamed = tmp_path / "schema.graphql"
    renamed.write_text(schema.replace("  myTickets(", "  ownTickets("), encoding="utf-8")
    done = _check(renamed)
    assert done.returncode == 1
    assert 'Cannot query field "myTickets"' in done.stdout + done.stderr
