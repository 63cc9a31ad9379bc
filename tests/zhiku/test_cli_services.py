"""The commands that build their services through ``zhiku.services`` (as the API does): the terminal
chat submits an application through the approvals engine and prints nothing but the conversation;
``zhiku ingest`` names what it skipped and a missing path is one bilingual line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.zhiku.test_cli import one_error_line, zhiku
from zhiku.settings import Settings


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, embed_cache: Path) -> Path:
    """A data directory with the demo company loaded by ``zhiku demo load`` (once for this module)."""
    data = tmp_path_factory.mktemp("cli-services")
    loaded = zhiku("demo", "load", data_dir=data, timeout=900)  # embeds 325 chunks on a cold cache
    assert loaded.returncode == 0, loaded.stderr
    return data


def _instance(data_dir: Path, instance_id: str) -> list[dict[str, Any]]:
    from graph import open_store

    store = open_store(Settings(data_dir=data_dir, graph_idle_shutdown_s=0.5))
    try:
        return store.query(
            "MATCH (i:ApprovalInstance {id: $id})-[:APPLIED_BY]->(e:Employee) "
            "RETURN i.processId AS process, i.days AS days, i.status AS status, e.id AS applicant",
            {"id": instance_id},
        )
    finally:
        store.close()


def test_terminal_chat_submits_a_leave_application_to_the_approvals_engine(demo_dir: Path) -> None:
    """`zhiku chat` used to build a dialog without the approvals engine: it could only offer a ticket."""
    # (the dialog finds the process by its name: 请假申请; "年假" alone names a leave type, not a process)
    wide = {"COLUMNS": "300"}  # one reply, one line
    result = zhiku(
        "chat",
        "--as",
        "E1030",
        "我要提交请假申请，请3天年假",
        "确认",
        data_dir=demo_dir,
        env=wide,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "审批路径" in result.stdout, result.stdout  # the concrete chain, before confirming
    submitted = re.search(r"已提交审批（编号 (\S+?)）", result.stdout)
    assert submitted, result.stdout
    (row,) = _instance(demo_dir, submitted.group(1))
    assert row["applicant"] == "E1030" and row["days"] == 3 and row["status"] == "pending"
    assert "LEAVE" in row["process"].upper()


def test_terminal_chat_prints_only_the_conversation(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A library that prints a banner while the chat is built, or on its first answer, stays out of
    the conversation. No library here prints one today (jionlp did), so the dialog engine's
    constructor and its first turn are wrapped to print as such a library would."""
    from chat.dialog import DialogEngine
    from zhiku.cli import app

    built, handle = DialogEngine.__init__, DialogEngine.handle

    def noisy_init(self: DialogEngine, *args: Any, **kwargs: Any) -> None:
        print("Welcome to a library that prints a banner on import")
        built(self, *args, **kwargs)

    def noisy_handle(self: DialogEngine, *args: Any, **kwargs: Any) -> Any:
        print("loading dictionary... done")
        return handle(self, *args, **kwargs)

    monkeypatch.setattr(DialogEngine, "__init__", noisy_init)
    monkeypatch.setattr(DialogEngine, "handle", noisy_handle)
    env = {"ZHIKU_DATA_DIR": str(demo_dir), "ZHIKU_GRAPH_IDLE_SHUTDOWN_S": "0.5", "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["chat", "--as", "E1030", "你好"], env=env)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0] == "朱红梅> 你好" and lines[1].startswith("知库> "), lines
    assert "banner" not in result.stdout and "dictionary" not in result.stdout


def test_ingest_names_unsupported_files(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bank.md").write_text("# 工资卡\n\n请到中国工商银行办理工资卡。\n", encoding="utf-8")
    (folder / "setup.exe").write_bytes(b"MZ\x90\x00" * 64)
    env = {"ZHIKU_EMBED_MODEL": "static"}
    done = zhiku("ingest", str(folder), data_dir=tmp_path / "data", env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(r"跳过（不支持的类型）/ skipped\s*│\s*1", done.stdout), done.stdout
    assert f"跳过 / skipped: {(folder / 'setup.exe').as_uri()} — 不支持的文件类型 .exe" in done.stderr
    assert "检索索引 / search index: " in done.stdout  # ingest ends with the index
    only = zhiku("ingest", str(folder / "setup.exe"), data_dir=tmp_path / "data", env=env)
    assert only.returncode == 1 and "setup.exe" in only.stderr  # nothing could be ingested


def test_ingest_of_a_missing_path_is_one_bilingual_line(tmp_path: Path) -> None:
    """Typer's own check printed an English box; the project's error is one line, Chinese and English."""
    missing = tmp_path / "no-such-folder"
    result = zhiku("ingest", str(missing), data_dir=tmp_path / "data")
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith("错误 [BAD_INPUT]: 文件或目录不存在") and "no such file or directory" in line
    assert str(missing) in line and "╭" not in result.stderr
