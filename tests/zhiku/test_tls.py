"""``zhiku serve --tls-cert/--tls-key``: a real server on loopback speaks TLS 1.3 and nothing older,
in every worker, with a certificate a client verifies; a missing or mismatched key is one line."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.certs import make_pki
from zhiku.loopback import ROOT, serving


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_")}
    env.update(
        {"ZHIKU_DATA_DIR": str(data_dir), "ZHIKU_EMBED_MODEL": "static", "ZHIKU_GRAPH_IDLE_SHUTDOWN_S": "1"}
    )
    return env


def _handshake(port: int, context: ssl.SSLContext) -> str | None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        return tls.version()


def test_serve_with_a_certificate_speaks_tls13_only_in_every_worker(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    trusting = ssl.create_default_context(cafile=pki.ca)
    args = ["--workers", "2", "--tls-cert", str(pki.cert), "--tls-key", str(pki.key)]
    with serving(_env(tmp_path / "data"), args=args, verify=trusting) as server:
        assert server.base.startswith("https://")
        port = urlparse(server.base).port
        assert port is not None
        with httpx.Client(verify=trusting) as client:
            # several connections: the kernel spreads them over both workers, each with its own context
            answers = [
                client.get(f"{server.base}/healthz", headers={"Connection": "close"}) for _ in range(6)
            ]
        assert {r.status_code for r in answers} == {200}
        assert {_handshake(port, trusting) for _ in range(6)} == {"TLSv1.3"}

        tls12 = ssl.create_default_context(cafile=pki.ca)
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        for _ in range(4):
            with pytest.raises(ssl.SSLError):
                _handshake(port, tls12)

        untrusting = ssl.create_default_context()  # the system's CAs: our test CA is not among them
        with pytest.raises(ssl.SSLCertVerificationError):
            _handshake(port, untrusting)

        with pytest.raises(httpx.HTTPError):  # plain HTTP on the TLS port gets no HTTP answer
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)


@pytest.mark.parametrize("which", ["no key", "the wrong key"])
def test_serve_refuses_a_missing_or_mismatched_key_in_one_line(tmp_path: Path, which: str) -> None:
    pki, other = make_pki(tmp_path / "pki"), make_pki(tmp_path / "other")
    args = ["--tls-cert", str(pki.cert)] + ([] if which == "no key" else ["--tls-key", str(other.key)])
    done = subprocess.run(
        [sys.executable, "-m", "zhiku.cli", "serve", *args], cwd=ROOT, env=_env(tmp_path / "data"),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    line = done.stderr.strip().splitlines()[-1]
    assert "CONFIG_INVALID" in line and "TLS" in line and "Traceback" not in done.stderr
