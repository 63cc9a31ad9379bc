"""WeCom approval templates (``oa/gettemplatedetail``, from the fake server on loopback) into Zhiku's
process model: controls become typed form fields, approver nodes become steps only when every approver
maps to a role, and whatever cannot be mapped is reported, not guessed."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio

from demo.load import DEMO_DIR
from kb.load import load_project, processes_rdf, read_processes
from kb.project import open_project
from kb.scaffold import init_project
from kb.wecom_templates import (
    fetch_templates,
    import_templates,
    map_steps,
    map_template,
    templates_to_import,
)
from ontology.mapping import rdf_to_records
from tests.kb.test_org import _vocabulary
from wecom.client import WeComClient
from wecom.fake import FakeWeCom, sample_oa_templates
from zhiku.errors import ConfigError, InputError
from zhiku.loopback import running
from zhiku.projects import project_wecom_templates
from zhiku.settings import Settings

CORP = "ww-templates-test"
EXPENSE, LEAVE, SEAL = sample_oa_templates()


def test_controls_become_typed_fields_and_tips_are_not_fields() -> None:
    detail = sample_oa_templates()[EXPENSE]
    mapping = map_template("PROC-EXPENSE", EXPENSE, detail, existing={"PROC-EXPENSE": {}})
    assert mapping.name == "费用报销" and mapping.name_en == "Expense claim"
    by_name = {f.name: f for f in mapping.fields}
    assert list(by_name) == ["报销金额", "发生日期", "费用类型", "报销事由", "费用明细", "发票及附件"]
    assert [by_name[n].type for n in by_name] == ["amount", "date", "choice", "text", "table", "file"]
    assert (
        by_name["费用类型"].options == ["差旅费", "业务招待费", "办公用品"] and by_name["费用类型"].required
    )
    assert [(c.name, c.type) for c in by_name["费用明细"].columns] == [("项目", "text"), ("金额", "amount")]
    # The documented detail has no approval flow: the existing process keeps its steps, its form is updated.
    assert mapping.action == "update form" and mapping.steps == []
    assert any("不含审批流程" in u for u in mapping.unmapped)


def test_an_unknown_control_and_a_new_process_without_steps_are_reported() -> None:
    mapping = map_template("PROC-SEAL-NEW", SEAL, sample_oa_templates()[SEAL])
    types = {f.name: f.type for f in mapping.fields}
    assert types == {"印章类型": "choices", "用印份数": "number", "外借期间": "duration",
                     "关联合同审批": "approval", "用印部门": "department"}  # fmt: skip
    assert any("合计金额" in u and "Formula" in u for u in mapping.unmapped)
    assert mapping.action == "skip" and any("未创建" in u for u in mapping.unmapped)


def test_approver_nodes_map_to_steps_only_when_every_approver_has_a_role() -> None:
    # The node form oa/applyevent documents: type 1 approver / 2 cc; apv_rel 1 或签 / 2 会签.
    process = {"node_list": [
        {"type": 1, "apv_rel": 2, "userid": ["cfo", "hrd"]},
        {"type": 1, "apv_rel": 1, "userid": ["ceo"]},
        {"type": 2, "userid": ["assistant"]},
    ]}  # fmt: skip
    roles = {"cfo": "AR-cfo", "hrd": "AR-hr", "ceo": "AR-ceo"}
    unmapped: list[str] = []
    steps = map_steps(process, roles, unmapped)
    assert [(s.mode, s.approvers) for s in steps] == [("会签", ["AR-cfo", "AR-hr"]), ("依次", ["AR-ceo"])]
    assert unmapped == ["第 3 个节点是抄送人：Zhiku 的流程只有审批步骤，未导入"]
    unmapped = []
    assert map_steps(process, {"cfo": "AR-cfo"}, unmapped) == []  # a partial chain is not a chain
    assert any("hrd" in u and "没有对应的审批角色" in u for u in unmapped)


def _details(fake: FakeWeCom, store, templates: dict[str, str]):
    async def go():
        kv = redis.asyncio.Redis.from_url(store.kv_url, decode_responses=True)
        try:
            async with WeComClient(CORP, "s", fake.agent_id, kv, base_url=base) as client:
                return await fetch_templates(client, templates)
        finally:
            await kv.aclose()

    with running(fake.app) as base:
        return asyncio.run(go())


@pytest.fixture
def fake() -> FakeWeCom:
    return FakeWeCom(corp_id=CORP, secret="s", token="t", aes_key="a" * 43)


def test_import_from_the_fake_server_updates_forms_and_dry_run_writes_nothing(fake, store, onto) -> None:
    _vocabulary(store, onto)
    nodes, edges = rdf_to_records(processes_rdf(read_processes(DEMO_DIR / "processes.yaml")), onto)
    store.upsert_nodes(nodes)
    store.upsert_relationships(edges)
    templates = {"PROC-EXPENSE": EXPENSE, "PROC-LEAVE": LEAVE, "PROC-SEAL-NEW": SEAL}
    details = _details(fake, store, templates)
    assert set(details) == set(templates) and details["PROC-LEAVE"]["template_names"][0]["text"] == "请假"

    def form(pid: str):
        rows = store.query("MATCH (p:ApprovalProcess {id: $id}) RETURN p.formFields AS f", {"id": pid})
        return rows[0]["f"] if rows else None

    plan = import_templates(store, details, templates, onto, dry_run=True)
    assert [m.action for m in plan.mappings] == ["update form", "update form", "skip"]
    assert form("PROC-EXPENSE") is None and plan.written == []
    assert "试运行" in plan.summary() and "合计金额" in plan.summary()

    done = import_templates(store, details, templates, onto)
    assert done.written == ["PROC-EXPENSE", "PROC-LEAVE"]
    leave = json.loads(form("PROC-LEAVE"))
    assert leave[0] == {"id": "Vacation-1700000101", "name": "请假类型", "type": "leave", "required": True,
                        "options": ["年假", "事假", "病假"]}  # fmt: skip
    assert form("PROC-SEAL-NEW") is None  # not guessed into existence
    steps = store.query("MATCH (:ApprovalProcess {id: 'PROC-EXPENSE'})-[:HAS_STEP]->(s) RETURN count(s) AS c")
    assert steps[0]["c"] == sum(1 for n in nodes if n.id.startswith("PROC-EXPENSE-S"))  # steps kept


def test_an_unknown_template_id_is_a_clear_error(fake, store) -> None:
    with pytest.raises(InputError) as err:
        _details(fake, store, {"PROC-X": "no-such-template"})
    assert "no-such-template" in err.value.message_zh and "审批" in err.value.hint


def test_the_project_file_names_the_templates_and_the_environment_overrides(
    fake, store, onto, tmp_path, monkeypatch
) -> None:
    """``wecom.approval_templates`` in ``zhiku.yaml`` → recorded at load → the templates read from the
    fake server and imported; ``ZHIKU_WECOM_OA_TEMPLATES`` overrides the project, ``--template`` both."""
    root = tmp_path / "acme"
    init_project(root, name="艾克美")
    config = root / "zhiku.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"wecom:\n  approval_templates:\n    PROC-LEAVE: {LEAVE}\n", encoding="utf-8")
    data = tmp_path / "data"
    load_project(store, open_project(root), onto=onto, registry=data / "projects")
    monkeypatch.delenv("ZHIKU_WECOM_OA_TEMPLATES", raising=False)

    def chosen(option: list[str] | None = None) -> tuple[dict[str, str], str]:
        env = Settings(data_dir=data).wecom_oa_templates
        return templates_to_import(option, env, project_wecom_templates(data))

    templates, origin = chosen()
    assert (templates, origin) == ({"PROC-LEAVE": LEAVE}, "zhiku.yaml")
    report = import_templates(store, _details(fake, store, templates), templates, onto)
    assert report.written == ["PROC-LEAVE"]
    form = store.query("MATCH (p:ApprovalProcess {id: 'PROC-LEAVE'}) RETURN p.formFields AS f")[0]["f"]
    assert json.loads(form)[0]["name"] == "请假类型"

    monkeypatch.setenv("ZHIKU_WECOM_OA_TEMPLATES", json.dumps({"PROC-EXPENSE": EXPENSE}))
    assert chosen() == ({"PROC-EXPENSE": EXPENSE}, "ZHIKU_WECOM_OA_TEMPLATES")
    assert chosen([f"PROC-SEAL={SEAL}"]) == ({"PROC-SEAL": SEAL}, "--template")


def test_a_mistyped_or_empty_template_key_in_the_project_file_is_refused(tmp_path) -> None:
    root = tmp_path / "acme"
    init_project(root, name="艾克美")
    config = root / "zhiku.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"wecom:\n  aproval_templates:\n    PROC-LEAVE: {LEAVE}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        open_project(root)
    assert (
        "wecom.aproval_templates" in err.value.message_zh
        and "是否应为 approval_templates" in err.value.message_zh
    )
    config.write_text(text + "wecom:\n  approval_templates:\n    PROC-LEAVE: ''\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="approval_templates"):
        open_project(root)
