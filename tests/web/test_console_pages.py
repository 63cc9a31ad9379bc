"""The knowledge engineers', agents' and admins' pages of the web console (the real bundle) in Debian's
headless chromium, against the real app on loopback serving a private copy of the demo (these tests
write: review decisions, an uploaded document and its index entries, a ticket and its reply).

A knowledge engineer rejects a candidate with a reason and sees the decision at once; uploads a file
(progress, the document and its chunks) and finds it in hit-testing, while a file of the wrong type is
refused with a Chinese message; opens an entity's neighbourhood and expands it by a click. An employee's
hand-off is taken and answered at the agent desk, and the reply reaches the employee's open chat. An
admin reads the deployment overview. Each page says "无权访问" to a role that may not use it, and axe
finds no serious violation on them. Screenshots go to web/test-results/ (``2x-…``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import WEB_DIST, Page, console, own_index, serious_violations
from zhiku.settings import Settings

pytestmark = pytest.mark.web

EMPLOYEE, KE, AGENT, ADMIN = "E1030", "E1003", "E1015", "E1001"


@pytest.fixture(scope="module")
def server(
    module_demo_copy: Any, demo_search: Any, embed_cache: Path, tmp_path_factory: Any
) -> Iterator[tuple[str, Settings]]:
    data = tmp_path_factory.mktemp("console-pages")
    settings = Settings(data_dir=data, web_dir=WEB_DIST)
    # uploads sync the index: this module's own copy of the demo's; start-up loads the copied index
    with (
        own_index(module_demo_copy.store, demo_search, embed_cache, data / "search") as search,
        console(settings, module_demo_copy.store, search, start_timeout_s=120) as base,
    ):
        yield base, settings


def test_knowledge_engineer_rejects_a_candidate_and_sees_the_decision_at_once(
    server: tuple[str, Settings], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    ui = Page(browser, base)
    page = ui.sign_in(KE)
    page.get_by_role("menuitem", name="审核队列").click()
    rows = page.get_by_test_id("candidates").locator("tbody tr.ant-table-row")
    expect(rows.first).to_be_visible()
    first = rows.first
    name = first.locator("td").nth(1).inner_text()
    first.locator(".ant-table-row-expand-icon").click()  # the evidence: where it is mentioned
    evidence = page.get_by_test_id("evidence").first
    expect(evidence).to_contain_text("出处")
    ui.shot("21-review-queue")

    first.get_by_role("button", name="驳 回").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="确 定").click()
    expect(dialog.get_by_text("驳回须填写理由")).to_be_visible()  # a rejection needs a reason
    dialog.get_by_role("textbox").fill("不是公司相关的实体")
    dialog.get_by_role("button", name="确 定").click()
    expect(first.get_by_test_id("decision")).to_contain_text("已驳回")
    expect(first).to_contain_text("不是公司相关的实体")
    ui.shot("22-review-decided")

    page.get_by_role("tab", name="审核记录").click()
    log = page.get_by_test_id("decisions")
    expect(log).to_contain_text(name)
    expect(log).to_contain_text(KE)
    ui.close()


def test_knowledge_engineer_uploads_a_document_and_finds_it_in_hit_testing(
    server: tuple[str, Settings], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    good = tmp_path / "总经办值班安排.md"
    good.write_text(
        "# 总经办值班安排\n\n## 周末值班\n\n总经办周末值班由周文博负责，值班电话 8001。\n", encoding="utf-8"
    )
    bad = tmp_path / "安装程序.exe"
    bad.write_bytes(b"MZ\x90\x00" * 64)
    ui = Page(browser, base)
    page = ui.sign_in(KE)
    page.get_by_role("menuitem", name="上传文档").click()
    page.get_by_label("限部门").click()
    page.keyboard.type("总经办")
    page.locator(".ant-select-item-option", has_text="总经办").first.click()
    page.keyboard.press("Escape")
    page.locator("input[type=file]").set_input_files([str(good), str(bad)])
    results = page.get_by_test_id("uploads")
    good_row = results.locator("tr", has_text=good.name)
    expect(good_row).to_contain_text("新文档", timeout=60_000)
    bad_row = results.locator("tr", has_text=bad.name)
    expect(bad_row).to_contain_text("已拒绝")
    expect(bad_row).to_contain_text("不支持的文件类型")
    ui.shot("23-upload")

    good_row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("总经办值班安排")
    expect(page.get_by_text("值班电话 8001")).to_be_visible()

    page.get_by_role("menuitem", name="命中测试").click()
    page.get_by_label("测试问题").fill("总经办周末值班电话是多少")
    page.get_by_role("button", name="测 试").click()
    hits = page.get_by_test_id("hits")
    expect(hits.locator("tbody tr.ant-table-row").first).to_contain_text("总经办值班安排")
    ui.shot("24-upload-hit-test")
    ui.close()


def test_knowledge_engineer_expands_an_entitys_neighbourhood(
    server: tuple[str, Settings], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    ui = Page(browser, base)
    page = ui.sign_in(KE)
    ui.go("/kb/graph?id=D-HR")
    counts = page.get_by_test_id("graph-counts")
    expect(counts).not_to_have_text("0 个实体，0 条关系")
    expect(page.locator(".zk-graph canvas")).to_have_count(1)
    before = counts.inner_text()
    page.get_by_test_id("graph-nodes").get_by_role("button", name="王丽华").click()
    expect(page.get_by_test_id("graph-selected")).to_contain_text("王丽华（Employee）")
    expect(counts).not_to_have_text(before)  # her neighbourhood joined the picture
    ui.shot("25-graph-expanded")

    page.get_by_label("关系类型").click()
    page.locator(".ant-select-item-option", has_text="HEAD_OF").first.click()
    page.keyboard.press("Escape")
    expect(counts).not_to_have_text(before)
    ui.shot("26-graph-filtered")
    ui.close()


def test_an_agent_takes_a_hand_off_and_the_reply_reaches_the_employees_chat(
    server: tuple[str, Settings], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, _ = server
    employee = Page(browser, base)
    chat = employee.sign_in(EMPLOYEE)
    expect(chat.get_by_test_id("status")).to_have_text("已连接")
    chat.get_by_role("textbox", name="输入问题，例如：年假怎么请？").fill("年假可以分几次休")
    chat.keyboard.press("Enter")
    expect(chat.get_by_test_id("msg-bot")).to_have_count(1, timeout=60_000)  # a loaded machine answers slowly
    chat.get_by_role("button", name="转人工").click()
    expect(chat.get_by_test_id("msg-bot").last).to_contain_text("工单", timeout=60_000)

    agent = Page(browser, base)
    desk = agent.sign_in(AGENT)
    desk.get_by_role("menuitem", name="客服工作台").click()
    agent.shot("27-desk-queue")
    # the employee's ticket (titled with their question, "年假可以分几次休"), by who raised it
    desk.get_by_test_id("queue").locator(".ant-list-item", has_text="朱红梅").get_by_role(
        "button"
    ).first.click()
    ticket = desk.get_by_test_id("ticket")
    expect(ticket).to_contain_text("朱红梅")
    ticket.get_by_role("button", name="接 手").click()
    expect(ticket).to_contain_text("处理人：何佳")
    ticket.get_by_role("textbox", name="回复").fill("您好，年假可以分多次休，每次不少于半天。")
    ticket.get_by_role("button", name="回 复").click()
    expect(ticket.get_by_test_id("conversation")).to_contain_text("每次不少于半天")
    agent.shot("27-desk-reply")

    reply = chat.get_by_text("您好，年假可以分多次休，每次不少于半天。")
    expect(reply).to_be_visible(timeout=30_000)  # delivered live to the open chat
    expect(chat.get_by_text("客服 何佳").first).to_be_visible()
    employee.shot("28-chat-agent-reply")
    agent.close()
    employee.close()


def test_knowledge_engineer_answers_a_declined_question_with_a_faq_and_it_is_answered_next_time(
    server: tuple[str, Settings], browser: Any
) -> None:
    import uuid

    import httpx
    from playwright.sync_api import expect

    from api.auth import issue_token

    base, settings = server
    pet = f"鹦鹉{uuid.uuid4().hex[:4]}"
    question = f"前台养的{pet}叫什么名字"
    ask = "query A($q: String!) { ask(question: $q) { answered text } }"
    headers = {"Authorization": f"Bearer {issue_token(settings, EMPLOYEE)}"}

    def asked(text: str) -> dict[str, Any]:
        body = httpx.post(
            base + "/graphql", json={"query": ask, "variables": {"q": text}}, headers=headers, timeout=60
        )
        answer: dict[str, Any] = body.json()["data"]["ask"]
        return answer

    for text in (question, question + "？", f"前台的{pet}叫啥"):
        assert asked(text)["answered"] is False

    ui = Page(browser, base)
    page = ui.sign_in(KE)
    ui.go("/kb/gaps")
    gap = page.get_by_test_id("gap").filter(has_text=question)
    expect(gap).to_contain_text("未答 3 次")  # one group: "…？" is the same wording, "叫啥" a near one
    expect(gap).to_contain_text(f"前台的{pet}叫啥")
    ui.shot("33-gaps")
    gap.get_by_role("button", name="写 FAQ 回答").click()
    form = gap.get_by_test_id("faq-form")
    form.get_by_label("答案").fill(f"前台养的{pet}叫豆豆，每天上午九点由前台喂食。")
    ui.shot("34-gaps-faq")
    form.get_by_role("button", name="保存并入库").click()
    expect(page.get_by_test_id("resolved")).to_contain_text(question, timeout=120_000)
    expect(page.get_by_test_id("gap").filter(has_text=question)).to_have_count(0)
    # listed among the resolved groups with what answers it, and its unlink button
    done = page.get_by_test_id("resolved-gap").filter(has_text=pet)
    expect(done).to_have_count(1)
    expect(done.get_by_role("button", name="取消链接")).to_be_visible()
    ui.shot("35-gaps-resolved")
    ui.close()
    again = asked(question)
    assert again["answered"] is True and "豆豆" in again["text"], again


def test_an_admin_reads_the_overview_and_every_new_page_refuses_other_roles(
    server: tuple[str, Settings], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, settings = server
    ui = Page(browser, base)
    page = ui.sign_in(ADMIN)
    ui.go("/admin")  # an admin's menu holds every page: this one may sit in its overflow
    overview = page.get_by_test_id("overview")
    expect(overview).to_contain_text(str(settings.data_dir.resolve()))
    expect(overview).to_contain_text("falkordb")
    expect(page.get_by_test_id("settings")).to_contain_text("ZHIKU_SECRET_KEY")
    ui.shot("29-admin")

    for who, paths in (
        (EMPLOYEE, ("/kb/review", "/kb/upload", "/kb/graph", "/desk", "/admin")),
        (KE, ("/desk", "/admin")),
    ):
        ui.sign_in(who)
        for path in paths:
            ui.go(path)
            expect(page.get_by_text("无权访问")).to_be_visible()
    ui.shot("30-no-access-admin")
    ui.close()


def test_the_new_pages_have_no_serious_accessibility_violations(
    server: tuple[str, Settings], browser: Any
) -> None:
    base, _ = server
    ui = Page(browser, base, bypass_csp=True)  # axe is injected as a script the CSP would refuse
    visits = (
        (KE, "/kb/review"),
        (KE, "/kb/upload"),
        (KE, "/kb/graph?id=D-HR"),
        (KE, "/kb/gaps"),
        (AGENT, "/desk"),
        (ADMIN, "/admin"),
    )
    found = serious_violations(ui, visits)
    ui.close()
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
