"""Knowledge-base projects against the real embedded graph: a scaffolded project loads as is and
re-loads to no change; a dry run writes nothing; a project that breaks a shape, points at nothing or
mistypes a key writes nothing and says where; --prune removes what the project dropped (employees
excepted); the demo is a project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.load import DEMO_DIR
from ingest.review import Review
from kb.load import load_graph, load_project, project_ontology, project_rdf
from kb.project import open_project
from kb.scaffold import init_project
from zhiku.errors import ConfigError, InputError, ShaclViolation
from zhiku.types import NodeRecord


def _count(store, cypher: str, params: dict | None = None) -> int:
    return int(store.query(cypher, params)[0]["c"])


def _all(store) -> int:
    return _count(store, "MATCH (n) RETURN count(n) AS c")


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    init_project(tmp_path / "acme", name="艾克美")
    return tmp_path / "acme"


def test_init_then_load_round_trips(store, onto, project_dir: Path, tmp_path: Path) -> None:
    project = open_project(project_dir)
    assert project.name == "艾克美"
    assert set(project.parts) == {
        "ontology",
        "vocabulary",
        "org",
        "processes",
        "docs",
        "faq",
        "sources",
        "rules",
    }
    registry = tmp_path / "data" / "projects"
    first = load_project(store, project, onto=onto, registry=registry)
    assert len(first.new_nodes) == first.nodes == 22 and not first.changed_nodes
    # The extension's class reaches the graph with its superclass, its property with its value.
    room = store.query(
        "MATCH (r:MeetingRoom:Location {id: 'ROOM-101'}) RETURN r.capacity AS c, r.kbProject AS p"
    )
    assert room == [{"c": 12, "p": "艾克美"}]
    assert (
        _count(
            store,
            "MATCH (:Employee {id: 'E002'})-[:REPORTS_TO]->(:Employee {id: 'E001'}) RETURN count(*) AS c",
        )
        == 1
    )
    assert (
        _count(store, "MATCH (:ApprovalProcess {id: 'PROC-LEAVE'})-[:HAS_STEP]->(s) RETURN count(s) AS c")
        == 2
    )
    assert first.documents is not None and len(first.documents.new) == 2  # the policy and the FAQ sheet
    assert _count(store, "MATCH (d:Document) RETURN count(d) AS c") == 2
    assert first.rules == 3 and first.sources == []
    record = json.loads((registry / "艾克美.json").read_text(encoding="utf-8"))
    assert record["root"] == str(project_dir) and record["nodes"] == 22
    nodes_before = _all(store)

    second = load_project(store, open_project(project_dir), onto=onto, registry=registry)
    assert second.new_nodes == [] and second.changed_nodes == [] and second.unchanged_nodes == 22
    assert second.new_relationships == 0 and second.stats.nodes_created == 0
    assert second.documents is not None and len(second.documents.unchanged) == 2
    assert _all(store) == nodes_before


def test_dry_run_writes_nothing_and_says_what_would_change(
    store, onto, project_dir: Path, tmp_path: Path
) -> None:
    registry = tmp_path / "data" / "projects"
    plan = load_project(store, open_project(project_dir), onto=onto, dry_run=True, registry=registry)
    assert plan.dry_run and len(plan.new_nodes) == 22 and plan.new_relationships == plan.relationships
    assert plan.documents is not None and len(plan.documents.new) == 2
    assert _all(store) == 0
    assert not registry.exists()

    load_project(store, open_project(project_dir), onto=onto)
    departments = project_dir / "org" / "departments.csv"
    departments.write_text(
        departments.read_text(encoding="utf-8").replace("人力资源部", "人力资源中心"), encoding="utf-8"
    )
    before = _all(store)
    plan = load_project(store, open_project(project_dir), onto=onto, dry_run=True)
    assert plan.changed_nodes == ["D-HR"] and plan.new_nodes == []
    assert store.query("MATCH (d:Department {id: 'D-HR'}) RETURN d.name AS n") == [{"n": "人力资源部"}]
    assert _all(store) == before


def test_a_project_that_breaks_a_shape_writes_nothing_and_lists_each_violation(
    store, onto, project_dir: Path
) -> None:
    vocabulary = project_dir / "vocabulary" / "vocabulary.ttl"
    vocabulary.write_text(
        vocabulary.read_text(encoding="utf-8").replace("zk:capacity 12", "zk:capacity 0"), encoding="utf-8"
    )
    employees = project_dir / "org" / "employees.csv"
    employees.write_text(
        employees.read_text(encoding="utf-8").replace(",6,2020-03-02", ",15,2020-03-02"), encoding="utf-8"
    )
    with pytest.raises(ShaclViolation) as info:
        load_project(store, open_project(project_dir), onto=onto)
    violations = info.value.violations
    assert len(violations) == 2
    # Each names the node, the property and the rule, in Chinese; the extension's own shape applies.
    assert violations[0].startswith("节点 E002（李人事）：level — 职级必须是 1–12 的整数")
    assert "节点 ROOM-101（101会议室）：capacity — 会议室必须写明容纳人数" in violations[1]
    assert violations[1].endswith("[MeetingRoomShape]")
    assert _all(store) == 0  # not even the documents


def test_a_reference_to_nothing_writes_nothing(store, onto, project_dir: Path) -> None:
    processes = project_dir / "processes" / "leave.yaml"
    processes.write_text(
        processes.read_text(encoding="utf-8").replace("[AR-hr]", "[AR-nobody]"), encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        load_project(store, open_project(project_dir), onto=onto)
    assert "PROC-LEAVE-S2 -[APPROVER_ROLE]-> AR-nobody" in info.value.message_zh
    assert _all(store) == 0


def test_a_process_whose_approver_role_resolves_to_nobody_writes_nothing(
    store, onto, project_dir: Path
) -> None:
    """AR-hr resolves to the position POS-HR; with its only holder moved to another position (or gone
    inactive) the leave process's second step could never be approved: the load names it, writes nothing."""
    employees = project_dir / "org" / "employees.csv"
    original = employees.read_text(encoding="utf-8")
    employees.write_text(original.replace("D-HR,POS-HR,", "D-HR,POS-CEO,"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_project(store, open_project(project_dir), onto=onto)
    assert (
        "审批步骤 PROC-LEAVE-S2（人事备案）：审批角色 AR-hr（人事审核）按职位 POS-HR 解析"
        in info.value.message_zh
    )
    assert "没有在职员工担任该职位" in info.value.message_zh
    assert _all(store) == 0

    # A holder who left (inactive) does not count either; one in the graph (not in the project) does.
    employees.write_text(original.replace("2020-03-02,e002@example.com", "2020-03-02,e002@example.com,离职")
                         .replace("hire_date,email", "hire_date,email,status"), encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError, match="PROC-LEAVE-S2"):
        load_project(store, open_project(project_dir), onto=onto)
    store.upsert_nodes([NodeRecord("POS-HR", ("Position",), {"name": "人事专员"}),
                        NodeRecord("E900", ("Employee",), {"name": "王人事", "active": True})])  # fmt: skip
    store.execute(
        "MATCH (e:Employee {id: 'E900'}), (p:Position {id: 'POS-HR'}) CREATE (e)-[:HAS_POSITION]->(p)"
    )
    assert load_project(store, open_project(project_dir), onto=onto).nodes > 0


def test_unknown_keys_are_refused_naming_the_key_and_the_file(project_dir: Path) -> None:
    config = project_dir / "zhiku.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "defualt_access: {roles: [hr]}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as info:
        open_project(project_dir)
    assert "defualt_access" in info.value.message_zh and str(config) in info.value.message_zh
    assert "default_access" in info.value.message_zh  # the key it resembles
    config.write_text("name: x\nparts: {vocabulary: words/}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"parts\.vocabulary"):
        open_project(project_dir)
    processes = project_dir / "processes" / "leave.yaml"
    config.write_text("name: x\n", encoding="utf-8")
    processes.write_text(
        processes.read_text(encoding="utf-8").replace("sla_hours:", "sla_hour:"), encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        project_rdf(open_project(project_dir))
    assert "leave.yaml" in info.value.message_zh and "PROC-LEAVE" in info.value.message_zh
    assert "sla_hour" in info.value.message_zh


def test_default_access_applies_to_documents_without_their_own(store, onto, project_dir: Path) -> None:
    config = project_dir / "zhiku.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "default_access: {roles: [hr]}\n", encoding="utf-8"
    )
    load_project(store, open_project(project_dir), onto=onto)
    roles = {
        r["t"]: r["roles"]
        for r in store.query("MATCH (d:Document) RETURN d.title AS t, d.accessRoles AS roles")
    }
    assert roles and all(r == ["hr"] for r in roles.values()), roles


def test_prune_removes_what_the_project_dropped_but_keeps_employees(store, onto, project_dir: Path) -> None:
    extra = project_dir / "processes" / "seal.yaml"
    extra.write_text(
        "- {id: PROC-SEAL, name: 用印申请, steps: [{name: 上级审批, approvers: [AR-direct-manager]}]}\n",
        encoding="utf-8",
    )
    load_project(store, open_project(project_dir), onto=onto)
    assert _count(store, "MATCH (p:ApprovalProcess) RETURN count(p) AS c") == 2
    # The company drops the seal process, its FAQ sheet, a meeting room and an employee.
    extra.unlink()
    (project_dir / "faq" / "faq.csv").unlink()
    (project_dir / "faq").rmdir()
    vocabulary = project_dir / "vocabulary" / "vocabulary.ttl"
    text = vocabulary.read_text(encoding="utf-8")
    vocabulary.write_text(
        "\n".join(ln for ln in text.splitlines() if "ROOM-101" not in ln) + "\n", encoding="utf-8"
    )
    employees = project_dir / "org" / "employees.csv"
    rows = employees.read_text(encoding="utf-8").splitlines()
    employees.write_text("\n".join(rows[:2]) + "\n", encoding="utf-8")
    departments = project_dir / "org" / "departments.csv"
    departments.write_text(
        departments.read_text(encoding="utf-8").replace("LOC-HQ,E002", "LOC-HQ,"), encoding="utf-8"
    )

    kept = load_project(store, open_project(project_dir), onto=onto)  # without --prune: nothing removed
    assert kept.pruned == [] and _count(store, "MATCH (p:ApprovalProcess) RETURN count(p) AS c") == 2

    plan = load_project(store, open_project(project_dir), onto=onto, prune=True, dry_run=True)
    assert plan.pruned == ["PROC-SEAL", "PROC-SEAL-S1", "ROOM-101"] and plan.kept == ["E002"]
    assert _count(store, "MATCH (p:ApprovalProcess) RETURN count(p) AS c") == 2  # a dry run prunes nothing

    report = load_project(store, open_project(project_dir), onto=onto, prune=True)
    assert report.pruned == ["PROC-SEAL", "PROC-SEAL-S1", "ROOM-101"] and report.kept == ["E002"]
    assert _count(store, "MATCH (p:ApprovalProcess) RETURN count(p) AS c") == 1
    assert _count(store, "MATCH (r:MeetingRoom) RETURN count(r) AS c") == 0
    assert _count(store, "MATCH (e:Employee {id: 'E002'}) RETURN count(e) AS c") == 1  # history stays
    assert report.documents is not None and len(report.documents.removed) == 1  # the FAQ sheet
    assert _count(store, "MATCH (d:Document) RETURN count(d) AS c") == 1


def test_the_demo_is_a_project_in_its_present_layout(store, onto) -> None:
    demo = open_project(DEMO_DIR)
    assert demo.has_config_file and demo.name == "云杉科技"
    assert {p: demo.parts[p].name for p in demo.parts} == {
        "vocabulary": "vocabulary.ttl", "org": "org", "processes": "processes.yaml", "docs": "docs",
        "faq": "faq.csv", "triggers": "triggers.yaml", "calendar": "calendar.yaml",
    }  # fmt: skip
    report = load_graph(store, demo, onto)
    assert report.by_label["Employee"] >= 50 and report.by_label["ApprovalProcess"] >= 8
    assert report.triggers == 2
    # the Spring Festival notice: 9 days off, 2 weekend days worked
    assert report.by_label["CalendarDay"] == 11
    assert report.process_versions["PROC-EXPENSE"] == 1


def test_a_copy_of_the_old_demo_layout_without_zhiku_yaml_is_still_a_project(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "yunshan"
    shutil.copytree(DEMO_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__", "zhiku.yaml"))
    project = open_project(copy)
    assert not project.has_config_file and project.name == "yunshan"
    assert set(project.parts) == set(open_project(DEMO_DIR).parts)
    assert len(project_rdf(project)) == len(project_rdf(open_project(DEMO_DIR)))


def test_prune_spares_entities_a_review_decision_accepted_or_merged_into(store, project_dir: Path) -> None:
    vocabulary = project_dir / "vocabulary" / "vocabulary.ttl"
    original = vocabulary.read_text(encoding="utf-8")
    vocabulary.write_text(
        original + 'kg:ROOM-102 a zk:MeetingRoom ; skos:prefLabel "102会议室"@zh ; zk:capacity 6 .\n',
        encoding="utf-8",
    )
    project = open_project(project_dir)
    onto = project_ontology(project)
    load_graph(store, project, onto)
    # A candidate extraction left, merged by a knowledge engineer into ROOM-101.
    store.upsert_nodes(
        [NodeRecord("cand-room", ("Candidate",), {"name": "一楼大会议室", "candidateType": "location"})]
    )
    Review(store, onto).merge("cand-room", "ROOM-101", by="E002")

    vocabulary.write_text(original.replace(next(ln for ln in original.splitlines() if "ROOM-101" in ln), ""))
    report = load_graph(store, open_project(project_dir), onto, prune=True)
    assert report.pruned == ["ROOM-102"] and "ROOM-101" in report.kept
    row = store.query("MATCH (r:MeetingRoom {id: 'ROOM-101'}) RETURN r.aliases AS a")
    assert row and "一楼大会议室" in row[0]["a"]
    assert _count(store, "MATCH (r:MeetingRoom {id: 'ROOM-102'}) RETURN count(r) AS c") == 0
