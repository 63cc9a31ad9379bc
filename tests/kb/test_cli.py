"""``zhiku init``, ``zhiku load`` and ``zhiku ontology diff`` as a user runs them (a real subprocess,
the real embedded database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.zhiku.test_cli import DATA_DIR_LINE, zhiku


@pytest.fixture(autouse=True)
def _shared_embeddings(embed_cache: Path) -> None:
    """CLI runs share the session's embedding cache."""


def test_init_then_dry_run_then_a_broken_load_lists_every_violation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = zhiku("init", str(tmp_path / "acme"), data_dir=data)
    assert created.returncode == 0, created.stderr
    assert "zhiku.yaml" in created.stdout and "zhiku load" in created.stdout
    again = zhiku("init", str(tmp_path / "acme"), data_dir=data)
    assert again.returncode == 1 and "不是空目录" in again.stderr

    plan = zhiku("load", str(tmp_path / "acme"), "--dry-run", data_dir=data, timeout=300)
    assert plan.returncode == 0, plan.stderr
    assert "试运行，未写入" in plan.stdout and "ROOM-101" in plan.stdout
    stats = zhiku("graph", "stats", data_dir=data)
    assert "Employee" not in stats.stdout  # the dry run wrote no node

    vocabulary = tmp_path / "acme" / "vocabulary" / "vocabulary.ttl"
    vocabulary.write_text(
        vocabulary.read_text(encoding="utf-8").replace("zk:capacity 12", "zk:capacity 0"), encoding="utf-8"
    )
    processes = tmp_path / "acme" / "processes" / "leave.yaml"
    processes.write_text(
        processes.read_text(encoding="utf-8").replace("mode: 或签", "mode: 全签"), encoding="utf-8"
    )
    broken = zhiku("load", str(tmp_path / "acme"), data_dir=data)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    lines = [ln.strip() for ln in broken.stderr.splitlines() if ln.strip().startswith("节点 ")]
    assert lines == [
        "节点 PROC-LEAVE-S2（人事备案）：mode — 审批方式必须是 依次、会签 或 或签 之一（值：全签） [ApprovalStepShape]",
        "节点 ROOM-101（101会议室）：capacity — 会议室必须写明容纳人数（正整数）（值：0） [MeetingRoomShape]",
    ]
    assert "未写入任何内容" in broken.stderr
    assert "Employee" not in zhiku("graph", "stats", data_dir=data).stdout


def test_ontology_diff_without_a_store_reports_the_changes(tmp_path: Path) -> None:
    zhiku("init", str(tmp_path / "acme"), data_dir=tmp_path / "data")
    old = tmp_path / "acme" / "ontology" / "extension.ttl"
    new = tmp_path / "new.ttl"
    new.write_text(old.read_text(encoding="utf-8").replace("zk:capacity a", "zk:seats a"), encoding="utf-8")
    result = zhiku("ontology", "diff", str(old), str(new), data_dir=tmp_path / "none")
    assert result.returncode == 0, result.stderr
    assert "capacity" in result.stdout and "seats" in result.stdout and "删除 removed" in result.stdout
    assert "无法统计受影响的数据" in result.stderr  # no data directory: the diff, without counts
    assert not any(ln.startswith(DATA_DIR_LINE) for ln in result.stderr.splitlines())


@pytest.mark.slow
def test_processes_import_reads_the_templates_zhiku_yaml_names_from_the_fake_wecom(tmp_path: Path) -> None:
    """``zhiku processes import --from wecom --project DIR`` as a user runs it, against the fake WeCom
    server on loopback: the templates come from the project's ``zhiku.yaml``, the environment wins."""
    from wecom.fake import FakeWeCom, sample_oa_templates
    from zhiku.loopback import running

    expense, leave, _ = sample_oa_templates()
    data = tmp_path / "data"
    zhiku("init", str(tmp_path / "acme"), data_dir=data)
    config = tmp_path / "acme" / "zhiku.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"wecom:\n  approval_templates:\n    PROC-LEAVE: {leave}\n", encoding="utf-8")
    loaded = zhiku("load", str(tmp_path / "acme"), data_dir=data, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    fake = FakeWeCom(corp_id="ww-cli", secret="s", token="t", aes_key="a" * 43)
    with running(fake.app) as base:
        env = {
            "ZHIKU_WECOM_CORP_ID": "ww-cli", "ZHIKU_WECOM_SECRET": "s",
            "ZHIKU_WECOM_AGENT_ID": str(fake.agent_id), "ZHIKU_WECOM_API_BASE": base,
        }  # fmt: skip
        # The loaded project's templates, without naming the project.
        result = zhiku("processes", "import", "--from", "wecom", data_dir=data, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        assert "templates from: zhiku.yaml" in result.stderr
        assert "PROC-LEAVE" in result.stdout and "试运行" not in result.stdout
        assert "（请假）：更新表单" in result.stdout
        dry = ("processes", "import", "--from", "wecom", "--project", str(tmp_path / "acme"), "--dry-run")
        overridden = zhiku(
            *dry, data_dir=data, env={**env, "ZHIKU_WECOM_OA_TEMPLATES": f'{{"PROC-EXPENSE": "{expense}"}}'}
        )
        assert overridden.returncode == 0, overridden.stderr
        assert "templates from: ZHIKU_WECOM_OA_TEMPLATES" in overridden.stderr
        assert "PROC-EXPENSE" in overridden.stdout and "PROC-LEAVE" not in overridden.stdout
