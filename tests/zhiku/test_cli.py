"""The ``zhiku`` command as a user runs it (a real subprocess, the real embedded database)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def zhiku(*args: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 120):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_") or k == "ZHIKU_EMBED_CACHE"}
    full_env.update({"ZHIKU_DATA_DIR": str(data_dir), "ZHIKU_GRAPH_IDLE_SHUTDOWN_S": "0.5"})
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "zhiku.cli", *args],
        capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _shared_embeddings(embed_cache: Path) -> None:
    """CLI runs share the session's embedding cache (each text is embedded once per session)."""


DATA_DIR_LINE = "数据目录 / data directory: "


def one_error_line(stderr: str) -> str:
    """The one error line (besides the data-directory line a command that opens the store prints)."""
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip() and not ln.startswith(DATA_DIR_LINE)]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_help_is_bilingual(tmp_path: Path) -> None:
    result = zhiku("--help", data_dir=tmp_path)
    assert result.returncode == 0
    assert "知库" in result.stdout
    assert "demo" in result.stdout and "ontology" in result.stdout and "serve" in result.stdout


def test_demo_load_then_stats_then_export(tmp_path: Path) -> None:
    loaded = zhiku("demo", "load", data_dir=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "Employee" in loaded.stdout
    assert "检索索引 / search index: 325" in loaded.stdout
    found = zhiku("search", "公司有班车吗", "--as", "E1030", "-k", "3", data_dir=tmp_path)
    assert found.returncode == 0, found.stderr
    assert f"{DATA_DIR_LINE}{tmp_path.resolve()}" in found.stderr.splitlines()  # which store answered
    assert "通勤巴士" in found.stdout or "班车" in found.stdout
    hidden = zhiku("search", "2026调薪", "--as", "E1030", "-k", "20", "--json", data_dir=tmp_path)
    titles = [h["title"] for h in json.loads(hidden.stdout)["hits"]]
    assert len(titles) == 20 and not any("仅限人力资源部" in t for t in titles)
    shown = zhiku("search", "2026调薪", "--as", "E1010", "-k", "3", "--json", data_dir=tmp_path)
    assert "仅限人力资源部" in json.loads(shown.stdout)["hits"][0]["title"]
    nobody = zhiku("search", "年假", "--as", "E9999", data_dir=tmp_path)
    assert nobody.returncode == 1 and "E9999" in one_error_line(nobody.stderr)
    stats = zhiku("index", "stats", data_dir=tmp_path)
    assert "e5-small" in stats.stdout and "325" in stats.stdout
    stats = zhiku("graph", "stats", data_dir=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert "REPORTS_TO" in stats.stdout
    out = tmp_path / "kg.ttl"
    exported = zhiku("ontology", "export", "--source", "graph", "-o", str(out), data_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    from rdflib import Graph

    assert len(Graph().parse(out)) > 1500


def test_ontology_validate_and_stats(tmp_path: Path) -> None:
    valid = zhiku("ontology", "validate", data_dir=tmp_path)
    assert valid.returncode == 0, valid.stderr
    assert "通过" in valid.stdout
    stats = zhiku("ontology", "stats", data_dir=tmp_path)
    assert "classes" in stats.stdout


def test_shacl_violations_are_listed_and_exit_nonzero(tmp_path: Path) -> None:
    data = tmp_path / "bad.ttl"
    data.write_text(
        "@prefix zk: <http://zhiku.example.org/ontology#> .\n"
        "@prefix kg: <http://zhiku.example.org/kg/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        'kg:E9 a zk:Employee ; skos:prefLabel "测试员工"@zh .\n',
        encoding="utf-8",
    )
    result = zhiku("ontology", "validate", "--data", str(data), data_dir=tmp_path)
    assert result.returncode == 1
    assert "节点 E9（测试员工）：belongsTo" in result.stderr


def test_invalid_turtle_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    result = zhiku("ontology", "validate", "--data", str(bad), data_dir=tmp_path)
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith("错误 [ONTOLOGY_INVALID]")
    assert "bad.ttl" in line


def test_unwritable_data_dir_is_one_line_and_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = zhiku("serve", "--port", str(port), data_dir=blocker / "data")
    assert result.returncode == 1
    assert one_error_line(result.stderr).startswith("错误 [DATA_DIR_UNWRITABLE]")


@pytest.mark.parametrize("command", [("token", "E1033"), ("graph", "stats"), ("ontology", "export")])
def test_a_command_run_where_there_is_no_data_refuses_to_start_an_empty_one(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Run outside the checkout, `.zhiku` is not there: say so, naming the directory and the fix, and
    create nothing — rather than answer "没有这个员工" from a new, empty database."""
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "zhiku.cli", *command],
        capture_output=True, text=True, cwd=elsewhere, timeout=120, check=False,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_")},
             "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
    )  # fmt: skip
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith("错误 [DATA_DIR_MISSING]")
    assert str(elsewhere / ".zhiku") in line and "--data-dir" in line and "ZHIKU_DATA_DIR" in line
    assert list(elsewhere.iterdir()) == []  # nothing created


def test_a_named_query_without_its_required_parameter_is_a_usage_error(tmp_path: Path) -> None:
    result = zhiku("query", "reporting_line", data_dir=tmp_path)
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.startswith("错误 [BAD_INPUT]") and "id" in line and "--param id=" in line
    assert result.stdout == ""


def test_crawl_status_without_sources_says_where_to_add_one(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("[]\n", encoding="utf-8")
    result = zhiku("crawl", "status", data_dir=tmp_path, env={"ZHIKU_CRAWL_SOURCES": str(sources)})
    assert result.returncode == 0
    assert str(sources) in result.stderr and "ZHIKU_CRAWL_SOURCES" in result.stderr
    assert "crawl sources" not in result.stdout  # no empty table
    sources.write_text("- name: hr\n  start_urls: ['http://intranet.test/']\n  depht: 3\n", encoding="utf-8")
    typo = zhiku("crawl", "status", data_dir=tmp_path, env={"ZHIKU_CRAWL_SOURCES": str(sources)})
    assert typo.returncode == 1
    line = one_error_line(typo.stderr)
    assert line.startswith("错误 [CONFIG_INVALID]") and "depht" in line and str(sources) in line


def test_tables_wrap_chinese_text_instead_of_cutting_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from zhiku import cli

    text = (
        "某员工的汇报链：从直属上级一直到总经理，逐级列出姓名、职位和部门，用于审批路由和组织分析的核对" * 2
    )
    buffer = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=buffer, width=80))
    cli._table("t", ["名称", "说明"], [["reporting_line", text]])
    rows = [ln.split("│") for ln in buffer.getvalue().splitlines() if ln.startswith("│")]
    assert max(len(ln) for ln in buffer.getvalue().splitlines()) <= 80
    assert "".join(r[2].strip() for r in rows) == text  # every character kept, in order


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_run_says_where_the_zhiku_command_and_the_data_are() -> None:
    result = subprocess.run(["make", "-n", "run"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert f"{ROOT}/.venv/bin/zhiku" in result.stdout
    assert f"--data-dir {ROOT}/.zhiku" in result.stdout and "ZHIKU_DATA_DIR" in result.stdout


def test_unreachable_neo4j_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = zhiku(
        "graph", "stats", data_dir=tmp_path,
        env={"ZHIKU_GRAPH_URI": f"bolt://127.0.0.1:{port}", "ZHIKU_GRAPH_CONNECT_TIMEOUT_S": "2"},
    )  # fmt: skip
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith("错误 [GRAPH_UNAVAILABLE]: 无法连接 Neo4j")


def test_port_in_use_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = zhiku("serve", "--port", str(port), data_dir=tmp_path)
    assert result.returncode == 1
    assert one_error_line(result.stderr).startswith("错误 [PORT_IN_USE]")


def test_production_refuses_the_placeholder_secret(tmp_path: Path) -> None:
    result = zhiku("graph", "stats", data_dir=tmp_path, env={"ZHIKU_ENV": "production"})
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith("错误 [CONFIG_INVALID]")
    assert "ZHIKU_SECRET_KEY" in line


@pytest.mark.parametrize("uri", ["mysql://db", "ftp://x"])
def test_unknown_graph_uri_scheme_is_refused(tmp_path: Path, uri: str) -> None:
    result = zhiku("graph", "stats", data_dir=tmp_path, env={"ZHIKU_GRAPH_URI": uri})
    assert result.returncode == 1
    assert "CONFIG_INVALID" in one_error_line(result.stderr)


def test_serve_answers_then_ctrl_c_stops_everything(tmp_path: Path) -> None:
    """`zhiku serve` on loopback: /healthz and GraphQL answer; SIGINT stops the API and the database."""
    import json
    import signal
    import time
    import urllib.request

    assert zhiku("demo", "load", data_dir=tmp_path).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_") or k == "ZHIKU_EMBED_CACHE"}
    env.update({"ZHIKU_DATA_DIR": str(tmp_path), "ZHIKU_GRAPH_IDLE_SHUTDOWN_S": "0.5"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhiku.cli", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = json.load(r)
                    break
            except OSError:
                time.sleep(0.2)
        assert health is not None and health["status"] == "ok", proc.stderr
        token = zhiku("token", "E1030", data_dir=tmp_path)
        assert token.returncode == 0 and "朱红梅" in token.stderr
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=json.dumps({"query": '{ entity(id: "D-HR") { name } }'}).encode(),
            headers={"content-type": "application/json", "authorization": f"Bearer {token.stdout.strip()}"},
        )
        with urllib.request.urlopen(request, timeout=5) as r:
            assert json.load(r) == {"data": {"entity": {"name": "人力资源部"}}}
        server_pid = int((tmp_path / "graph" / "redis.pid").read_text())
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and Path(f"/proc/{server_pid}").exists():
        time.sleep(0.1)
    assert not Path(f"/proc/{server_pid}").exists(), "the graph server outlived the API"


def test_ingest_dry_run_then_ingest_then_review(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert zhiku("demo", "load", data_dir=data).returncode == 0
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bank.md").write_text(
        "# 工资卡\n\n请到中国工商银行办理工资卡，报销超过5000元需财务总监审批。\n", encoding="utf-8"
    )
    (folder / "empty.txt").write_bytes(b"")
    dry = zhiku("ingest", "--dry-run", str(folder), data_dir=data)
    assert dry.returncode == 0, dry.stderr
    assert "试运行" in dry.stdout
    assert "拒收 / rejected" in dry.stderr and "empty.txt" in dry.stderr
    review_before = zhiku("review", data_dir=data)
    assert "中国工商银行" not in review_before.stdout  # the dry run wrote nothing
    real = zhiku("ingest", str(folder), data_dir=data)
    assert real.returncode == 0, real.stderr
    review = zhiku("review", data_dir=data)
    assert review.returncode == 0
    assert "中国工商银行" in review.stdout


@pytest.mark.slow  # demo load, two ingests and a deletion, each a subprocess with the index sync
def test_ingest_force_by_uri_then_docs_rm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert zhiku("demo", "load", data_dir=data).returncode == 0
    page = tmp_path / "duty.md"
    page.write_text("# 值班安排\n\n周末值班电话 8001，由首都汽车集团负责接送。\n", encoding="utf-8")
    assert zhiku("ingest", str(page), data_dir=data).returncode == 0

    def count(stdout: str, label: str) -> int:  # a row of the ingest summary table
        row = next(line for line in stdout.splitlines() if label in line)
        return int(row.strip(" │|").split()[-1])

    again = zhiku("ingest", page.as_uri(), data_dir=data)  # a file:// URI, as the console shows it
    assert again.returncode == 0, again.stderr
    assert count(again.stdout, "未变 / unchanged") == 1 and count(again.stdout, "变更 / changed") == 0
    forced = zhiku("ingest", "--force", page.as_uri(), data_dir=data)
    assert forced.returncode == 0, forced.stderr
    assert count(forced.stdout, "变更 / changed") == 1
    removed = zhiku("docs", "rm", page.as_uri(), "--note", "过期", data_dir=data)
    assert removed.returncode == 0, removed.stderr
    assert "已删除 / deleted: 值班安排" in removed.stdout and "cli:" in removed.stdout
    gone = zhiku("docs", "rm", page.as_uri(), data_dir=data)
    assert gone.returncode == 1 and "NOT_FOUND" in one_error_line(gone.stderr)


def test_chat_in_the_terminal(tmp_path: Path) -> None:
    assert zhiku("demo", "load", data_dir=tmp_path).returncode == 0
    result = zhiku("chat", "--as", "E1030", "报销8000元谁审批", "那两万五呢？", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "李志强" in result.stdout and "总经理审批：陈建国" in result.stdout
    nobody = zhiku("chat", "--as", "E9999", "你好", data_dir=tmp_path)
    assert nobody.returncode == 1 and "E9999" in one_error_line(nobody.stderr)


def test_two_schedulers_one_leads_and_the_other_takes_over(tmp_path: Path) -> None:
    """`zhiku scheduler` twice on one store: one leads, the other waits; Ctrl-C on the leader hands
    the lease over."""
    import signal
    import time

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "- name: hourly\n  start_urls: ['http://127.0.0.1:9/']\n  every: 1h\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_") or k == "ZHIKU_EMBED_CACHE"}
    env.update({"ZHIKU_DATA_DIR": str(tmp_path / "data"), "ZHIKU_CRAWL_SOURCES": str(sources),
                "ZHIKU_SCHEDULER_LEASE_S": "2", "PYTHONUNBUFFERED": "1"})  # fmt: skip
    logs = [tmp_path / f"scheduler{i}.log" for i in range(2)]
    procs = []
    for log in logs:
        with log.open("w") as out:
            procs.append(subprocess.Popen([sys.executable, "-m", "zhiku.cli", "scheduler"], cwd=ROOT,
                                          env=env, stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
        time.sleep(0.5)  # the first one starts the embedded server

    def leading() -> list[bool]:
        return ["scheduler leading" in log.read_text(encoding="utf-8") for log in logs]

    def wait_for(condition, timeout: float = 90) -> bool:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    try:
        assert wait_for(lambda: any(leading())), [log.read_text() for log in logs]
        time.sleep(2)  # a lease renewed by the leader is not taken by the other
        assert leading().count(True) == 1
        first = leading().index(True)
        assert "waiting to lead" in logs[1 - first].read_text(encoding="utf-8")
        procs[first].send_signal(signal.SIGINT)
        # a job under way (the first approvals SLA sweep builds the engine) finishes before the exit:
        # on a busy machine that has taken over 30 s
        assert procs[first].wait(timeout=180) == 0
        assert wait_for(lambda: leading()[1 - first]), logs[1 - first].read_text()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_review_merge_accept_reject_and_bad_input(tmp_path: Path) -> None:
    """`zhiku review list|merge|accept|reject|resolve` as a knowledge engineer runs them; an employee is
    refused; unknown ids and classes are one clear line each; a re-ingestion follows the decisions."""
    from demo.load import load_demo
    from graph import open_store
    from ontology.model import load_ontology
    from zhiku.settings import Settings

    data = tmp_path / "data"
    # the demo's organisation only (its 34 documents and their embeddings are not needed here)
    with open_store(Settings(data_dir=data, graph_idle_shutdown_s=0.5)) as store:
        load_demo(store, load_ontology())
    folder = tmp_path / "docs"
    folder.mkdir()
    page = folder / "bank.md"
    page.write_text(
        "# 工资卡\n\n请到中国工商银行办理工资卡。体检由北京协和医院承办。联系人王大锤、李二狗负责。\n",
        encoding="utf-8",
    )
    assert zhiku("ingest", str(folder), data_dir=data).returncode == 0
    from ingest.link import candidate_id

    icbc, pumc, wang = (
        candidate_id("Organization", "中国工商银行"),
        candidate_id("Organization", "北京协和医院"),
        candidate_id("Person", "王大锤"),
    )
    wide = {"COLUMNS": "240"}  # ids on one line, not folded by the table
    listed = zhiku("review", "list", data_dir=data, env=wide)
    assert listed.returncode == 0, listed.stderr
    assert icbc in listed.stdout and wang in listed.stdout

    refused = zhiku("review", "reject", wang, "--as", "E1030", data_dir=data)
    assert refused.returncode == 1 and "FORBIDDEN" in one_error_line(refused.stderr)
    unknown = zhiku("review", "merge", "cand-nope", "ORG", data_dir=data)
    assert unknown.returncode == 1 and "cand-nope" in one_error_line(unknown.stderr)
    missing = zhiku("review", "merge", icbc, "ORG-MISSING", data_dir=data)
    assert missing.returncode == 1 and "ORG-MISSING" in one_error_line(missing.stderr)
    bad_class = zhiku("review", "accept", pumc, "Hospital", data_dir=data)
    assert bad_class.returncode == 1 and "Hospital" in one_error_line(bad_class.stderr)
    no_conflict = zhiku("review", "resolve", "conf-000000000000", "graph", data_dir=data)
    assert no_conflict.returncode == 1 and "NOT_FOUND" in one_error_line(no_conflict.stderr)

    rejected = zhiku("review", "reject", wang, "--as", "E1003", "--note", "示例人名", data_dir=data)
    assert rejected.returncode == 0, rejected.stderr
    assert "已驳回" in rejected.stdout and "E1003" in rejected.stdout
    accepted = zhiku("review", "accept", pumc, "Organization", "--id", "ORG-PUMC", data_dir=data)
    assert accepted.returncode == 0 and "ORG-PUMC" in accepted.stdout
    merged = zhiku("review", "merge", icbc, "ORG", "--as", "E1003", data_dir=data)
    assert merged.returncode == 0 and "已合并" in merged.stdout

    page.write_text(page.read_text(encoding="utf-8") + "\n工行网点均可办理。\n", encoding="utf-8")
    assert zhiku("ingest", str(folder), data_dir=data).returncode == 0
    after = zhiku("review", "list", "--decisions", data_dir=data, env=wide)
    assert after.returncode == 0, after.stderr
    assert wang not in after.stdout and icbc not in after.stdout and pumc not in after.stdout
    assert "审核决定 / decisions (3)" in after.stdout and "cli:" in after.stdout
    bare = zhiku("review", data_dir=data)  # no sub-command: the list, as before
    assert bare.returncode == 0 and "待审核实体 / candidates" in bare.stdout


@pytest.mark.slow
def test_nlu_train_prints_held_out_accuracy_before_and_after_and_keeps_the_old_model(tmp_path: Path) -> None:
    assert zhiku("demo", "load", data_dir=tmp_path, timeout=900).returncode == 0
    first = zhiku("nlu", "train", data_dir=tmp_path, timeout=600)
    assert first.returncode == 0, first.stderr
    said = " ".join(first.stdout.split())  # the console wraps long lines
    assert "labelled questions: 0" in said and "held-out accuracy (114)" in said
    figures = re.search(r"before (\d\.\d{3}) → 之后 after (\d\.\d{3})", said)
    assert figures and figures[1] == figures[2]  # nothing labelled: the same data, the same accuracy
    assert (tmp_path / "models" / "intents.trained.joblib").exists()
    assert (tmp_path / "models" / "intents.previous.joblib").exists()
    back = zhiku("nlu", "rollback", data_dir=tmp_path)
    assert back.returncode == 0 and "previous model" in " ".join(back.stdout.split())
    assert zhiku("nlu", "rollback", data_dir=tmp_path).returncode == 1  # nothing older to go back to
