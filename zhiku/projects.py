"""The knowledge-base projects ``zhiku load`` registered in the data directory (``projects/NAME.json``,
written by :func:`kb.load.load_project`): which files of the loaded project the running services use.

A project's ``sources.yaml`` (crawls) and ``rules.yaml`` (WeCom push rules) are used by ``zhiku crawl``,
``zhiku scheduler`` and the WeCom service without any environment setting; ``ZHIKU_CRAWL_SOURCES`` and
``ZHIKU_WECOM_RULES`` still override (see :class:`zhiku.settings.Settings`).

Example::

    project_part(Path(".zhiku"), "sources")   # Path('/srv/acme/sources.yaml') after `zhiku load /srv/acme`
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REGISTRY_DIR = "projects"


def loaded_projects(data_dir: Path) -> list[dict[str, Any]]:
    """Every registered project's record, the most recently loaded last (unreadable records skipped)."""
    folder = data_dir / REGISTRY_DIR
    if not folder.is_dir():
        return []
    records = []
    for path in folder.glob("*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return sorted(records, key=lambda r: str(r.get("loaded_at", "")))


def project_ontology_files(data_dir: Path) -> list[Path]:
    """The ontology extension files of every loaded project, as recorded at its load (in load order,
    each once; files since removed are skipped): what the services and the API load on top of the core."""
    files: dict[Path, None] = {}
    for record in loaded_projects(data_dir):
        for name in record.get("ontology_files") or []:
            path = Path(name)
            if path.is_file():
                files[path] = None
    return list(files)


def project_wecom_templates(data_dir: Path) -> dict[str, str]:
    """The ``wecom.approval_templates`` of the most recently loaded project that names any (process id →
    WeCom template id); empty when none does."""
    for record in reversed(loaded_projects(data_dir)):
        templates = record.get("wecom_templates")
        if isinstance(templates, dict) and templates:
            return {str(k): str(v) for k, v in templates.items()}
    return {}


def project_part(data_dir: Path, part: str) -> Path | None:
    """The file of ``part`` (``sources``, ``rules``…) of the most recently loaded project that has one
    that still exists; None when no loaded project has it."""
    for record in reversed(loaded_projects(data_dir)):
        value = (record.get("parts") or {}).get(part)
        if value and Path(value).is_file():
            return Path(value)
    return None
