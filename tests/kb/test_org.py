"""Org charts from HR exports: the demo's CSVs read as before, Chinese headers, GBK, merged XLSX headers,
a column mapping; bad input named by row with nothing written; incremental re-sync with history."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from rdflib import RDF

from api.auth import AuthError, PrincipalCache
from approvals.engine import ApprovalEngine
from demo.load import DEMO_DIR
from kb.load import processes_rdf, read_processes
from kb.org import org_graph, read_org, sync_org
from ontology.mapping import rdf_to_records
from ontology.model import KG, ZK, parse_rdf
from zhiku.errors import OrgDataError, ShaclViolation

HEADER_ZH = ["工号", "姓名", "部门", "职位", "直属上级", "邮箱", "手机", "入职日期", "状态"]


def _vocabulary(store, onto) -> None:
    """The demo's vocabulary (positions, roles, locations, ORG) without its org chart."""
    nodes, edges = rdf_to_records(parse_rdf(DEMO_DIR / "vocabulary.ttl"), onto)
    store.apply_schema(onto.schema())
    store.upsert_nodes(nodes)
    store.upsert_relationships(edges)


def _count(store, cypher: str, **params) -> int:
    return int(store.query(cypher, params)[0]["c"])


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding=encoding)
    return path


def test_demo_org_csvs_read_into_the_shape_demo_load_writes() -> None:
    chart = read_org(DEMO_DIR / "org")
    assert len(chart.departments) == 13 and len(chart.employees) == 56
    g = org_graph(chart)
    employees = set(g.subjects(RDF.type, ZK.Employee))
    assert len(employees) == 56 and len(set(g.subjects(RDF.type, ZK.Department))) == 13
    # Every employee with the parts demo load always wrote, plus the e-mail column and the active flag.
    for prop in (ZK.belongsTo, ZK.hasPosition, ZK.email, ZK.active, ZK.wecomUserId):
        assert all(g.value(e, prop) is not None for e in employees), prop
    assert g.value(KG["E1002"], ZK.reportsTo) == KG["E1001"]


def test_xlsx_with_title_row_merged_headers_and_department_paths(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "花名册"
    ws.append(["云杉科技员工花名册（2024 年 6 月）"])
    ws.merge_cells("A1:H1")
    ws.append(["工号", "姓名", "部门", "岗位", "汇报对象", "联系方式", None, "入职时间"])
    ws.append([None, None, None, None, None, "邮箱", "手机", None])
    for col in "ABCDEH":
        ws.merge_cells(f"{col}2:{col}3")  # one-row headers merged down over the two-row "联系方式"
    ws.merge_cells("F2:G2")
    ws.append(
        ["A001", "张伟", "云杉科技/研发中心", "CTO", None, "zw@ys.example", "13800000001", "2019-03-01"]
    )
    ws.append(
        [
            "A002",
            "李娜",
            "云杉科技/研发中心/后端组",
            "高级工程师",
            "张伟",
            "ln@ys.example",
            "13800000002",
            "2021/7/15",
        ]
    )
    path = tmp_path / "花名册.xlsx"
    book.save(path)
    chart = read_org(path)
    li = chart.employee("A002")
    assert (
        li is not None
        and li.manager == "A001"
        and li.mobile == "13800000002"
        and li.hire_date == "2021-07-15"
    )
    backend = chart.department(li.department)
    assert backend is not None and backend.name == "后端组"
    parent = chart.department(backend.parent or "")
    assert parent is not None and parent.name == "研发中心"
    assert {p.name for p in chart.positions} == {"CTO", "高级工程师"}


def test_gbk_csv_and_a_column_mapping(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    _write_csv(
        tmp_path / "org" / "部门.csv",
        [["部门编号", "部门名称", "上级部门"], ["D1", "总部", ""], ["D2", "财务部", "D1"]],
        "gbk",
    )
    _write_csv(
        tmp_path / "org" / "员工.csv",
        [["人员代码", "姓名", "部门", "职位"], ["E1", "王芳", "财务部", "会计"]],
        "gbk",
    )
    with pytest.raises(OrgDataError):
        read_org(tmp_path / "org")  # 人员代码 is no known header
    chart = read_org(tmp_path / "org", {"人员代码": "id"})
    assert chart.employee("E1") is not None and chart.employee("E1").department == "D2"  # type: ignore[union-attr]
    assert chart.department("D2").name == "财务部"  # type: ignore[union-attr]


def test_a_language_column_becomes_the_employees_profile_language(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    _write_csv(tmp_path / "org" / "departments.csv", [["id", "name"], ["D1", "东京办事处"]])
    _write_csv(
        tmp_path / "org" / "employees.csv",
        [["工号", "姓名", "部门", "语言"], ["E1", "佐藤", "D1", "ja-JP"], ["E2", "王芳", "D1", ""]],
    )
    chart = read_org(tmp_path / "org")
    assert chart.employee("E1").language == "ja-JP"  # type: ignore[union-attr]
    g = org_graph(chart)
    assert str(g.value(KG["E1"], ZK.language)) == "ja-JP" and g.value(KG["E2"], ZK.language) is None


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["E1", "甲", "D1", ""], ["E2", "乙", "D1", "E9"]], "第 3 行（E2 乙）：上级 E9 不在员工名单中"),
        (
            [["E1", "甲", "D1", "E3"], ["E2", "乙", "D1", "E1"], ["E3", "丙", "D1", "E2"]],
            "汇报关系形成环：E1 甲（employees.csv 第 2 行",
        ),
        ([["E1", "甲", "D1", ""], ["E1", "乙", "D1", ""]], "第 3 行（E1 乙）：工号 E1 重复"),
        ([["E1", "甲", "D1", ""], ["E2", "乙", "市场二部", "E1"]], "第 3 行（E2 乙）：部门“市场二部”不存在"),
    ],
    ids=["missing-manager", "cycle", "duplicate-id", "unknown-department"],
)
def test_bad_exports_name_the_row_and_write_nothing(tmp_path: Path, store, onto, rows, expected) -> None:
    _write_csv(tmp_path / "departments.csv", [["id", "name", "parent"], ["D1", "总部", ""]])
    _write_csv(tmp_path / "employees.csv", [["id", "name", "department", "manager"], *rows])
    with pytest.raises(OrgDataError) as err:
        read_org(tmp_path)
    assert any(expected in p for p in err.value.problems), err.value.problems
    assert err.value.code == "ORG_INVALID"
    assert _count(store, "MATCH (n) RETURN count(n) AS c") == 0


def test_a_shacl_violation_writes_nothing(tmp_path: Path, store, onto) -> None:
    _vocabulary(store, onto)
    before = _count(store, "MATCH (n) RETURN count(n) AS c")
    _write_csv(tmp_path / "departments.csv", [["id", "name", "parent"], ["D1", "总部", ""]])
    _write_csv(
        tmp_path / "employees.csv",
        [["id", "name", "department", "email"], ["E1", "甲", "D1", "not-an-email"]],
    )
    with pytest.raises(ShaclViolation) as err:
        sync_org(store, read_org(tmp_path), source="hr", onto=onto)
    assert any("E1" in v and "邮箱格式不正确" in v for v in err.value.violations)
    assert _count(store, "MATCH (n) RETURN count(n) AS c") == before


def test_resync_updates_renames_deactivates_and_reroutes_pending_approvals(
    tmp_path: Path, store, onto
) -> None:
    _vocabulary(store, onto)
    org = tmp_path / "org"
    shutil.copytree(DEMO_DIR / "org", org)
    first = sync_org(store, read_org(org), source="hr", onto=onto)
    assert len(first.employees_added) == 56 and len(first.departments_added) == 13
    nodes, edges = rdf_to_records(processes_rdf(read_processes(DEMO_DIR / "processes.yaml")), onto)
    store.upsert_nodes(nodes)
    store.upsert_relationships(edges)
    engine = ApprovalEngine(store)
    # E1040's expense waits on their manager E1002 (林晓燕), who is about to leave.
    inst = engine.submit("PROC-EXPENSE", applicant="E1040", amount=800, reason="键盘").instance
    assert inst.pending == ["E1002"]
    principals = PrincipalCache(store)
    assert principals.get("E1002").id == "E1002"

    emp = (org / "employees.csv").read_text(encoding="utf-8").splitlines()
    emp = [line for line in emp if not line.startswith("E1002,")]  # 林晓燕 left
    emp = [line.replace("E1002", "E1001") for line in emp]  # her reports now report to the CEO
    emp = [line.replace("E1031,胡小军", "E1031,胡晓军") for line in emp]  # a corrected name
    (org / "employees.csv").write_text("\n".join(emp) + "\n", encoding="utf-8")
    dept = (
        (org / "departments.csv").read_text(encoding="utf-8").replace("D-HR,人力资源部", "D-HR,人力资源中心")
    )
    (org / "departments.csv").write_text(dept, encoding="utf-8")

    preview = sync_org(store, read_org(org), source="hr", onto=onto, dry_run=True)
    assert preview.employees_deactivated == ["E1002"]
    assert _count(store, "MATCH (e:Employee {id: 'E1002'}) WHERE e.active = false RETURN count(e) AS c") == 0

    report = sync_org(store, read_org(org), source="hr", onto=onto, approvals=engine)
    assert report.employees_deactivated == ["E1002"]
    assert "E1031" in report.employees_updated
    assert report.departments_renamed == [("D-HR", "人力资源部", "人力资源中心")]
    # Never deleted: E1002 is still there (inactive) with her approval history.
    row = store.query("MATCH (e:Employee {id: 'E1002'}) RETURN e.active AS a, e.inactiveSince AS s")[0]
    assert row["a"] is False and row["s"]
    hr = store.query("MATCH (d:Department {id: 'D-HR'}) RETURN d.name AS n, d.aliases AS a")[0]
    assert hr["n"] == "人力资源中心" and "人力资源部" in hr["a"]
    assert store.query("MATCH (e {id: 'E1031'})-[:REPORTS_TO]->(m) RETURN m.id AS m")[0]["m"] != "E1002"
    # The pending step went to her superior (the CEO), with an audit record in the instance's trail.
    after = engine.get(inst.id)
    assert after.pending == ["E1001"]
    assert any(a.get("kind") == "transfer" and "已离职" in (a.get("comment") or "") for a in after.actions)
    assert report.rerouted and inst.id in report.rerouted[0]
    # Her token is refused from now on (a fresh cache: the API re-reads every minute).
    with pytest.raises(AuthError, match="inactive"):
        PrincipalCache(store).get("E1002")
    # A third run with nothing changed writes nothing new.
    again = sync_org(store, read_org(org), source="hr", onto=onto, approvals=engine)
    assert not again.changed and again.unchanged == 68  # 55 people (E1002 left) + 13 departments


def test_a_resync_skips_unchanged_people_yet_follows_head_changes_and_returns(
    tmp_path: Path, store, onto
) -> None:
    _vocabulary(store, onto)
    org = tmp_path / "org"
    shutil.copytree(DEMO_DIR / "org", org)
    sync_org(store, read_org(org), source="hr", onto=onto)
    again = sync_org(store, read_org(org), source="hr", onto=onto)
    assert not again.changed and again.unchanged == 56 + 13  # every employee skipped, departments compared
    assert again.skipped == 56
    assert _count(store, "MATCH (e:Employee) WHERE e.orgHash IS NULL RETURN count(e) AS c") == 0

    # A new head of HR: the two employees' rows are unchanged, the departments file is not.
    departments = org / "departments.csv"
    departments.write_text(
        departments.read_text(encoding="utf-8").replace(",LOC-SH,E1010,", ",LOC-SH,E1011,")
    )
    sync_org(store, read_org(org), source="hr", onto=onto)
    heads = store.query("MATCH (e:Employee)-[:HEAD_OF]->(:Department {id: 'D-HR'}) RETURN e.id AS id")
    assert [r["id"] for r in heads] == ["E1011"]

    # Someone leaves, then comes back with the very same row: reactivated, not skipped.
    employees = org / "employees.csv"
    rows = employees.read_text(encoding="utf-8").splitlines(keepends=True)
    leaver = next(r for r in rows if r.startswith("E1097,"))
    employees.write_text("".join(r for r in rows if r != leaver), encoding="utf-8")
    assert "E1097" in sync_org(store, read_org(org), source="hr", onto=onto).employees_deactivated
    employees.write_text("".join(rows), encoding="utf-8")
    back = sync_org(store, read_org(org), source="hr", onto=onto)
    assert back.employees_reactivated == ["E1097"]
    assert store.query("MATCH (e:Employee {id: 'E1097'}) RETURN e.active AS a")[0]["a"] is True


def test_a_reload_restores_hand_edits_of_unchanged_employees(tmp_path: Path, store, onto) -> None:
    """The export owns what it says of each employee: an edge deleted or re-pointed, or a property
    changed, in the graph by hand is put back by the next re-load of the same (unchanged) export."""
    _vocabulary(store, onto)
    org = tmp_path / "org"
    shutil.copytree(DEMO_DIR / "org", org)
    sync_org(store, read_org(org), source="hr", onto=onto)

    store.execute("MATCH (:Employee {id: 'E1004'})-[r:REPORTS_TO]->() DELETE r")
    store.execute(
        "MATCH (e:Employee {id: 'E1003'})-[r:BELONGS_TO]->() DELETE r WITH DISTINCT e "
        "MATCH (d:Department {id: 'D-HR'}) CREATE (e)-[:BELONGS_TO]->(d)"
    )
    store.execute("MATCH (e:Employee {id: 'E1002'}) SET e.email = 'x@evil.example'")
    store.execute(
        "MATCH (e:Employee {id: 'E1001'}), (m:Employee {id: 'E1002'}) CREATE (e)-[:REPORTS_TO]->(m)"
    )

    report = sync_org(store, read_org(org), source="hr", onto=onto)
    assert report.employees_restored == ["E1001", "E1002", "E1003", "E1004"]
    assert report.skipped == 56 - 4 and "按来源恢复了 4 名员工" in report.summary()
    row = store.query(
        "MATCH (e:Employee {id: 'E1004'})-[:REPORTS_TO]->(m) RETURN collect(m.id) AS m",
    )[0]
    assert row["m"] == ["E1002"]
    assert store.query("MATCH (:Employee {id: 'E1003'})-[:BELONGS_TO]->(d) RETURN collect(d.id) AS d")[0][
        "d"
    ] == ["D-GMO"]
    assert (
        store.query("MATCH (e:Employee {id: 'E1002'}) RETURN e.email AS m")[0]["m"] == "e1002@yunshan.example"
    )
    assert _count(store, "MATCH (:Employee {id: 'E1001'})-[r:REPORTS_TO]->() RETURN count(r) AS c") == 0

    # Restored, the next re-load skips everyone again; a property the export does not own is left alone.
    store.execute("MATCH (e:Employee {id: 'E1010'}) SET e.note = '手工备注'")
    again = sync_org(store, read_org(org), source="hr", onto=onto)
    assert not again.changed and again.skipped == 56 and not again.employees_restored
    assert store.query("MATCH (e:Employee {id: 'E1010'}) RETURN e.note AS n")[0]["n"] == "手工备注"
