"""The knowledge engineer's document management, crawl sources and ontology pages, and the analysts'
approval charts, in Debian's headless chromium against the real app on loopback serving a private copy
of the demo (these tests delete a document and sync the index of their own copy).

A knowledge engineer deletes a document (confirmed, with a reason) and finds its orphaned entities in
the review queue; re-ingests an unchanged file (a no-op, said so); reads the crawl sources, where "run
now" without a scheduler is refused with the reason; browses the ontology (tree, rules in words) in
Chinese and English and compares a proposed extension. An analyst sees the approval analytics on the
dashboard; a knowledge engineer may not open it. axe finds no serious violation on the new pages.
Screenshots go to web/test-results/ (``3x-…``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import WEB_DIST, Page, console, own_index, serious_violations
from zhiku.settings import Settings

pytestmark = pytest.mark.web

KE, ANALYST = "E1003", "E1004"
EXTENSION = """@prefix zk: <http://zhiku.example.org/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
zk:Vendor a owl:Class ; rdfs:subClassOf zk:Organization ; skos:prefLabel "供应商"@zh , "Vendor"@en .
"""


@pytest.fixture(scope="module")
def server(
    module_demo_copy: Any, demo_search: Any, embed_cache: Path, tmp_path_factory: Any
) -> Iterator[tuple[str, Settings]]:
    data = tmp_path_factory.mktemp("console-kb")
    sources = data / "sources.yaml"
    sources.write_text(
        "- name: intranet-hr\n  start_urls: ['http://127.0.0.1:9/']\n  every: 6h\n", encoding="utf-8"
    )
    settings = Settings(data_dir=data, web_dir=WEB_DIST, crawl_sources=sources)
    # a deletion syncs the index: this module's own copy of the demo's
    with (
        own_index(module_demo_copy.store, demo_search, embed_cache, data / "search") as search,
        console(settings, module_demo_copy.store, search, start_timeout_s=120) as base,
    ):
        yield base, settings


def test_knowledge_engineer_deletes_a_document_and_reingests_another(
    server: tuple[str, Settings], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    ui = Page(browser, base)
    page = ui.sign_in(KE)
    ui.go("/kb/documents")
    row = page.locator("tr.ant-table-row", has_text="会议室预订与使用规定")
    row.get_by_role("button", name="删 除").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("孤立实体进入审核队列")
    dialog.get_by_role("textbox").fill("已被新制度取代")
    ui.shot("31-document-delete-confirm")
    dialog.get_by_role("button", name="删 除").click()
    expect(page.get_by_text("已删除《会议室预订与使用规定》")).to_be_visible(timeout=60_000)
    expect(page.locator("tr.ant-table-row", has_text="会议室预订与使用规定")).to_have_count(0)

    shuttle = page.locator("tr.ant-table-row", has_text="通勤巴士乘车指南")
    shuttle.get_by_role("button", name="重新摄取").click()
    expect(shuttle.get_by_test_id("reingest-progress")).to_contain_text("内容未变，无需更新", timeout=120_000)
    ui.shot("32-document-reingested")

    ui.go("/kb/review")
    page.get_by_role("tab", name="审核记录").click()
    expect(page.get_by_test_id("decisions")).to_contain_text("会议室预订与使用规定")
    expect(page.get_by_test_id("decisions")).to_contain_text("已删除文档")
    page.get_by_role("tab", name="孤立实体").click()
    ui.shot("33-review-orphans")
    ui.close()


def test_knowledge_engineer_reads_sources_and_run_now_says_no_scheduler_runs(
    server: tuple[str, Settings], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    ui = Page(browser, base)
    page = ui.sign_in(KE)
    ui.go("/kb/sources")
    expect(page.get_by_text("没有运行中的爬取调度器")).to_be_visible()
    row = page.get_by_test_id("sources").locator("tr.ant-table-row", has_text="intranet-hr")
    row.get_by_role("button", name="立即运行").click()
    expect(page.get_by_test_id("run-said")).to_contain_text("请启动 zhiku scheduler")
    ui.shot("34-crawl-sources")
    ui.close()


def test_knowledge_engineer_browses_the_ontology_and_compares_an_extension(
    server: tuple[str, Settings], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    ui = Page(browser, base)
    page = ui.sign_in(KE)
    ui.go("/kb/ontology")
    tree = page.get_by_test_id("ontology-tree")
    tree.get_by_text("部门 ·", exact=False).first.click()
    expect(page.get_by_test_id("ontology-class")).to_contain_text("Department")
    page.get_by_test_id("ontology-tree").get_by_text("员工 ·", exact=False).first.click()
    expect(page.get_by_test_id("ontology-rules")).to_contain_text("必填")
    ui.shot("35-ontology")
    extension = tmp_path / "vendor.ttl"
    extension.write_text(EXTENSION, encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(extension))
    expect(page.get_by_test_id("ontology-diff")).to_contain_text("Vendor")
    ui.shot("36-ontology-diff")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_test_id("ontology-rules")).to_contain_text("required")
    ui.shot("37-ontology-en")
    page.get_by_role("button", name="中 文").click()
    ui.close()


#: Decided approval steps (what the approval engine records), for the charts to have something to draw.
SEED = """
UNWIND $rows AS row
MERGE (i:Resource:ApprovalInstance {id: row.instance})
SET i.processId = row.pid, i.processName = row.process
CREATE (a:Resource:ApprovalAction {id: row.id, kind: row.kind, stepName: row.step, waitedHours: row.hours,
                                   waitingOn: [row.who]})
CREATE (a)-[:ACTION_ON]->(i)
"""


def test_an_analyst_sees_the_approval_charts_and_an_engineer_may_not(
    server: tuple[str, Settings], browser: Any, module_demo_copy: Any
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    rows = [
        {"instance": f"AI-T{n}", "pid": pid, "process": process, "id": f"AA-T{n}-{k}", "kind": kind,
         "step": step, "hours": hours, "who": who}
        for n, (pid, process) in enumerate([("PROC-LEAVE", "请假"), ("PROC-EXPENSE", "费用报销")] * 3)
        for k, (kind, step, hours, who) in enumerate(
            [("approve", "直属上级", 3.0 + n, "E1005"), ("escalate", "部门负责人", 30.0 + n, "E1002"),
             ("return" if n % 2 else "approve", "人事", 1.5, "E1010")]
        )
    ]  # fmt: skip
    module_demo_copy.store.execute(SEED, {"rows": rows})
    ui = Page(browser, base)
    page = ui.sign_in(ANALYST)
    ui.go("/analytics")
    charts = page.get_by_test_id("approval-analytics")
    expect(charts).to_contain_text("各步骤耗时")
    expect(
        charts.get_by_role("img", name="各步骤耗时（小时）").or_(charts.get_by_text("暂无数据").first)
    ).to_be_visible()
    charts.get_by_text("按审批人").click()
    ui.shot("38-dashboard-approvals")
    ui.sign_in(KE)
    ui.go("/analytics")
    expect(page.get_by_text("无权访问")).to_be_visible()
    ui.close()


def test_the_knowledge_pages_have_no_serious_accessibility_violations(
    server: tuple[str, Settings], browser: Any
) -> None:
    base, _ = server
    ui = Page(browser, base, bypass_csp=True)  # axe is injected as a script the CSP would refuse
    visits = ((KE, "/kb/documents"), (KE, "/kb/sources"), (KE, "/kb/ontology"), (ANALYST, "/analytics"))
    found = serious_violations(ui, visits)
    ui.close()
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
