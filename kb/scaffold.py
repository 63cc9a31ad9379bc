"""``zhiku init DIR``: a new project directory with a minimal working example in every part (one
company, two departments, two employees, a leave process, a policy, two FAQ pairs, an ontology
extension), each file commented in Chinese. It loads as is; a company then replaces the examples.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.project import PROJECT_FILE
from zhiku.errors import InputError

TEMPLATE_DIR = Path(__file__).parent / "template"


def init_project(target: Path, name: str | None = None) -> list[Path]:
    """Copy the template into ``target`` (new or empty); return the files written."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(
            f"{target} 已存在且不是空目录，未写入任何内容",
            f"{target} exists and is not an empty directory; nothing was written",
            hint="换一个新目录，或先清空它 / choose a new directory or empty it first",
        )
    shutil.copytree(TEMPLATE_DIR, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    if name:
        config = target / PROJECT_FILE
        text = config.read_text(encoding="utf-8")
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        config.write_text(text.replace("name: 示例公司", f"name: {quoted}", 1), encoding="utf-8")
    return sorted(p for p in target.rglob("*") if p.is_file())
