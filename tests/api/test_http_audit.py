"""GraphQL-over-HTTP conformance: the ``graphql-http`` package's own audit suite (``auditServer``,
the checks the spec's authors publish) run by Node against a real uvicorn server on loopback. Every
MUST passes and no SHOULD warns — among them ``application/graphql-response+json`` when the client
accepts it, and 400 without ``data`` for parse, validation and variable-coercion failures.

``make test`` installs Node.js and npm (Debian) and the pinned package (tests/http-audit)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.api.conftest import Live

AUDIT = Path(__file__).resolve().parents[1] / "http-audit"


def _audit(live: Live) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (`make test` installs Debian's nodejs and npm)")
    if not (AUDIT / "node_modules" / "graphql-http").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is missing: run `make http-audit`"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT, check=True, capture_output=True)
    env = {**os.environ, "ZHIKU_AUDIT_TOKEN": live.token("E1030")}
    done = subprocess.run(
        [node, "audit.mjs", live.graphql], cwd=AUDIT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    results: list[dict] = json.loads(done.stdout)
    return results


def test_the_graphql_over_http_audit_passes(live: Live) -> None:
    results = _audit(live)
    assert len(results) >= 50  # the suite ran (graphql-http 1.23.1 has 61 audits)
    musts = [r for r in results if r["name"].startswith("MUST")]
    shoulds = [r for r in results if r["name"].startswith("SHOULD")]
    assert len(musts) >= 10 and len(shoulds) >= 20
    assert [r for r in musts if r["status"] != "ok"] == []
    assert [r for r in shoulds if r["status"] != "ok"] == []
    # the media type the spec recommends is among them: answered in it, and 400 for a parse failure
    by_id = {r["id"]: r for r in results}
    assert by_id["22EB"]["status"] == by_id["556A"]["status"] == by_id["86EE"]["status"] == "ok"
    assert [r for r in results if r["status"] in ("warn", "error")] == []
