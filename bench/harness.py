"""What the benchmark and evaluation programs share: a clean environment for a ``zhiku`` child, the
``zhiku`` command itself, and a demo company in a store the program creates — never the configured one.

    with demo_company() as settings:            # a new temporary data directory, demo loaded
        with open_store(settings) as store: ...
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from zhiku.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def server_env(data_dir: str, keep: tuple[str, ...] = (), **settings: str) -> dict[str, str]:
    """The environment for a benchmarked ``zhiku``: this shell's ``ZHIKU_*`` dropped (except the
    embedding cache, the built models' directory and ``keep``), a fresh data dir, quiet logs, and the
    per-user / per-IP request limits off — the load generator is one address and a few users, so they
    would measure themselves."""
    keep = ("ZHIKU_EMBED_CACHE", "ZHIKU_EMBED_MODELS_DIR", *keep)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_") or k in keep}
    env.update({"ZHIKU_DATA_DIR": data_dir, "ZHIKU_LOG_LEVEL": "WARNING", "ZHIKU_RATE_LIMIT_PER_USER": "",
                "ZHIKU_RATE_LIMIT_PER_IP": ""})  # fmt: skip
    env.update({f"ZHIKU_{k.upper()}": v for k, v in settings.items()})
    return env


def zhiku(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zhiku.cli", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, check=True, timeout=900)  # fmt: skip


@contextmanager
def demo_company(prefix: str = "zhiku-eval-") -> Iterator[Settings]:
    """The demo company loaded (``zhiku demo load``: graph, documents, index) into a new temporary
    data directory, and the settings that open it; the directory is removed afterwards. An
    evaluation that writes (the dialogs raise tickets) writes only there."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        env = server_env(tmp)
        zhiku("demo", "load", env=env)
        # exactly the settings the child had: its environment, not this shell's other ZHIKU_*
        with mock.patch.dict(os.environ, env, clear=True):
            settings = Settings(_env_file=None)  # type: ignore[call-arg]
        yield settings
