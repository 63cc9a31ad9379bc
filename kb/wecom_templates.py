"""Approval processes from WeCom's approval templates (``oa/gettemplatedetail``) into Zhiku's process model.

The templates a company uses are named as process id → template id: in the project's ``zhiku.yaml``
(``wecom.approval_templates``), overridden by ``ZHIKU_WECOM_OA_TEMPLATES`` and by ``--template``
(:func:`templates_to_import`). Each template's detail is read and mapped:

* ``template_names`` → the process's name (``zh_CN``) and English name (``en``);
* ``template_content.controls`` → the application form's fields (:class:`kb.load.FieldSpec`): Text and
  Textarea → text, Number → number, Money → amount, Date → date or datetime (``date.type`` day/hour),
  DateRange → duration, Selector → choice or choices (with the option texts), Contact → employee or
  department, File → file, Table → table (its children become columns), Location → location,
  RelatedApproval → approval, PhoneNumber → phone, Vacation → leave, Attendance → attendance,
  BankAccount → bank_account; Tips (explanatory text) is not a field; any other control is reported;
* approver settings: WeCom's documented template detail carries **no approval flow** (it is configured
  in the admin console). When a detail does carry one in the ``process.node_list`` form that
  ``oa/applyevent`` documents (``type`` 1 approver, 2 cc, 3 handler; ``apv_rel`` 1 或签, 2 会签; ``userid``),
  each approver node becomes a step if every person in it is the only holder of a position an
  ApproverRole resolves to (``roles``: userid → ApproverRole id); cc and handler nodes, and people
  without such a role, are reported. Nothing is guessed: a process the graph already has keeps its
  steps (only its form is updated); a new one is created only when all its steps map, and is reported
  as not importable otherwise.

Example::

    details = await fetch_templates(client, settings.wecom_oa_templates)
    plan = import_plan(details, existing=processes_in_graph)
    report = write_plan(store, plan, onto)     # through the SHACL gate
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.base import GraphStore
from kb.load import FieldSpec, ProcessSpec, StepSpec, fields_json, processes_rdf
from ontology.gate import check_changes
from ontology.mapping import rdf_to_records
from ontology.model import Ontology
from queries import load as load_query
from wecom.client import WeComClient, WeComError
from zhiku.errors import InputError
from zhiku.types import NodeRecord


def templates_to_import(
    option: list[str] | None, env: Mapping[str, str], project: Mapping[str, str]
) -> tuple[dict[str, str], str]:
    """Which templates ``zhiku processes import --from wecom`` reads, and where that was said: the
    ``--template PROC=ID`` options, else ``ZHIKU_WECOM_OA_TEMPLATES``, else the project's
    ``wecom.approval_templates`` (``zhiku.yaml``); the first that names any wins, whole."""
    given = dict(t.split("=", 1) for t in option or [] if "=" in t)
    for templates, origin in (
        (given, "--template"),
        (env, "ZHIKU_WECOM_OA_TEMPLATES"),
        (project, "zhiku.yaml"),
    ):
        if templates:
            return {str(k).strip(): str(v).strip() for k, v in templates.items()}, origin
    return {}, ""


#: WeCom control → Zhiku field type (Date, Selector and Contact depend on their config).
CONTROL_TYPES = {
    "Text": "text",
    "Textarea": "text",
    "Number": "number",
    "Money": "amount",
    "DateRange": "duration",
    "File": "file",
    "Table": "table",
    "Location": "location",
    "RelatedApproval": "approval",
    "PhoneNumber": "phone",
    "Vacation": "leave",
    "Attendance": "attendance",
    "BankAccount": "bank_account",
}
APV_REL = {1: "或签", 2: "会签"}
NODE_KINDS = {1: "审批人", 2: "抄送人", 3: "办理人"}


@dataclass(slots=True)
class TemplateMapping:
    """One template mapped: the process (or None when it cannot be imported) and what was not mapped."""

    process_id: str
    template_id: str
    name: str
    name_en: str = ""
    fields: list[FieldSpec] = field(default_factory=list)
    steps: list[StepSpec] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    action: str = ""  # "create" | "update form" | "skip"


def _text(items: Any, lang: str = "zh_CN") -> str:
    """The text in ``lang`` from WeCom's ``[{"text": …, "lang": …}]`` (else the first)."""
    if not isinstance(items, list) or not items:
        return ""
    for item in items:
        if isinstance(item, dict) and item.get("lang") == lang:
            return str(item.get("text", ""))
    return str(items[0].get("text", "")) if lang == "zh_CN" and isinstance(items[0], dict) else ""


def map_control(control: dict[str, Any], unmapped: list[str]) -> FieldSpec | None:
    """One template control as a form field (None for Tips or what cannot be mapped, then reported)."""
    prop = control.get("property") or {}
    config = control.get("config") or {}
    kind = str(prop.get("control", ""))
    cid = str(prop.get("id", ""))
    title = _text(prop.get("title")) or cid
    required = bool(prop.get("require"))
    if kind == "Tips":
        return None
    options: list[str] = []
    columns: list[FieldSpec] = []
    if kind == "Date":
        ftype = "datetime" if (config.get("date") or {}).get("type") == "hour" else "date"
    elif kind == "Selector":
        selector = config.get("selector") or {}
        ftype = "choices" if selector.get("type") == "multi" else "choice"
        options = [_text(o.get("value")) for o in selector.get("options") or [] if isinstance(o, dict)]
    elif kind == "Contact":
        mode = (config.get("contact") or {}).get("mode", "user")
        ftype = "department" if mode == "department" else "employee"
    elif kind in CONTROL_TYPES:
        ftype = CONTROL_TYPES[kind]
        if kind == "Table":
            for child in (config.get("table") or {}).get("children") or []:
                column = map_control(child, unmapped)
                if column is not None:
                    columns.append(column)
        if kind == "Vacation":
            items = ((config.get("vacation_list") or {}).get("item")) or []
            options = [_text(i.get("name")) for i in items if isinstance(i, dict)]
    else:
        unmapped.append(f"控件“{title}”（{kind or '未知'}，{cid}）：Zhiku 没有对应的字段类型，未导入")
        return None
    return FieldSpec(id=cid, name=title, type=ftype, required=required, options=options, columns=columns)


def map_steps(process: Any, roles: Mapping[str, str], unmapped: list[str]) -> list[StepSpec]:
    """Approver nodes (``process.node_list``, applyevent's documented form) as steps; see the module
    docstring. Returns no steps at all when any approver node cannot be mapped (a partial chain
    would approve with fewer people than WeCom does)."""
    nodes = (process or {}).get("node_list") if isinstance(process, dict) else None
    if not nodes:
        unmapped.append("模板详情不含审批流程（企业微信在管理后台配置审批人）：审批步骤未导入")
        return []
    steps: list[StepSpec] = []
    complete = True
    for i, node in enumerate(nodes, start=1):
        kind = int(node.get("type", 1))
        if kind != 1:
            unmapped.append(
                f"第 {i} 个节点是{NODE_KINDS.get(kind, f'类型 {kind}')}：Zhiku 的流程只有审批步骤，未导入"
            )
            continue
        users = [str(u) for u in node.get("userid") or []]
        missing = [u for u in users if u not in roles]
        if not users or missing:
            unmapped.append(
                f"第 {i} 个审批节点的审批人 {', '.join(missing) or '（空）'} 没有对应的审批角色"
                "（Zhiku 按角色审批：直属上级、部门负责人或职位）"
            )
            complete = False
            continue
        mode = APV_REL.get(int(node.get("apv_rel", 1)), "或签") if len(users) > 1 else "依次"
        approvers = list(dict.fromkeys(roles[u] for u in users))
        steps.append(StepSpec(name=f"审批节点 {i}", mode=mode, approvers=approvers))
    return steps if complete else []


def map_template(
    process_id: str,
    template_id: str,
    detail: dict[str, Any],
    *,
    roles: Mapping[str, str] | None = None,
    existing: Mapping[str, dict[str, Any]] | None = None,
) -> TemplateMapping:
    """One template's detail → what the import does with ``process_id`` (pure; see the module docstring).
    ``existing``: the processes the graph has (id → properties)."""
    existing = existing or {}
    name = _text(detail.get("template_names")) or process_id
    out = TemplateMapping(process_id, template_id, name, _text(detail.get("template_names"), "en"))
    controls = (detail.get("template_content") or {}).get("controls") or []
    out.fields = [f for f in (map_control(c, out.unmapped) for c in controls) if f is not None]
    out.steps = map_steps(detail.get("process"), roles or {}, out.unmapped)
    if process_id in existing:
        out.action = "update form"
        if out.steps:  # never silently replace a chain people approve by today
            out.unmapped.append(
                f"{process_id} 已在图谱中：审批步骤以现有定义为准，模板中的 {len(out.steps)} 个步骤未覆盖"
            )
            out.steps = []
    elif out.steps:
        out.action = "create"
    else:
        out.action = "skip"
        out.unmapped.append(
            f"{process_id} 不在图谱中且模板没有可导入的审批步骤：未创建（请在 processes.yaml 中定义步骤）"
        )
    return out


def to_spec(mapping: TemplateMapping) -> ProcessSpec:
    return ProcessSpec(
        id=mapping.process_id,
        name=mapping.name,
        name_en=mapping.name_en,
        sla_hours=None,
        escalation=None,
        sla_clock=None,
        steps=mapping.steps,
        fields=mapping.fields,
        wecom_template=mapping.template_id,
    )


async def fetch_templates(client: WeComClient, templates: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Each configured template's detail (process id → detail)."""
    out: dict[str, dict[str, Any]] = {}
    for process_id, template_id in templates.items():
        try:
            out[process_id] = await client.call("/cgi-bin/oa/gettemplatedetail", {"template_id": template_id})
        except WeComError as exc:
            raise InputError(
                f"读取企业微信审批模板 {template_id}（{process_id}）失败：{exc.message_zh}",
                f"oa/gettemplatedetail {template_id} failed: {exc.message_en}",
                hint="在管理后台把本应用加入“审批 → 可调用接口的应用”，并检查模板 ID",
            ) from None
    return out


@dataclass(slots=True)
class TemplateImport:
    mappings: list[TemplateMapping]
    dry_run: bool = False
    written: list[str] = field(default_factory=list)

    def summary(self) -> str:
        head = "（试运行，未写入）" if self.dry_run else ""
        lines = [f"企业微信审批模板导入{head}：{len(self.mappings)} 个模板"]
        for m in self.mappings:
            what = {"create": "新建流程", "update form": "更新表单", "skip": "未导入"}[m.action]
            lines.append(
                f"  {m.process_id} ← {m.template_id}（{m.name}）：{what}；"
                f"字段 {len(m.fields)}、步骤 {len(m.steps)}"
            )
            lines += [f"    未映射：{u}" for u in m.unmapped]
        return "\n".join(lines)


def _roles_of_users(store: GraphStore) -> dict[str, str]:
    """WeCom userid → the ApproverRole (by position) whose position this person alone holds."""
    rows = store.query(load_query("wecom_user_roles").text)
    return {str(r["userid"]): str(r["role"]) for r in rows if r["holders"] == 1}


def import_templates(
    store: GraphStore,
    details: Mapping[str, dict[str, Any]],
    templates: Mapping[str, str],
    onto: Ontology,
    *,
    dry_run: bool = False,
) -> TemplateImport:
    """Map every template and (unless ``dry_run``) write what maps, through the SHACL gate."""
    ids = sorted(details)
    existing = {
        r["id"]: r["props"] or {}
        for r in store.query(load_query("kb_nodes_state").text, {"ids": ids})
        if "ApprovalProcess" in r["labels"]
    }
    roles = _roles_of_users(store)
    result = TemplateImport(
        [map_template(p, templates[p], details[p], roles=roles, existing=existing) for p in ids], dry_run
    )
    full = [to_spec(m) for m in result.mappings if m.steps]
    data = processes_rdf(full)
    nodes, edges = rdf_to_records(data, onto)
    forms = [
        NodeRecord(
            m.process_id,
            ("ApprovalProcess",),
            {
                "formFields": fields_json(m.fields),
                "wecomTemplate": m.template_id,
            },
        )
        for m in result.mappings
        if m.action == "update form"
    ]
    wanted = {e.end for e in edges} - {n.id for n in nodes}
    known = {
        r["id"]: list(r["labels"])
        for r in store.query(load_query("entities_by_ids").text, {"ids": sorted(wanted)})
    }
    missing = sorted(wanted - set(known))
    if missing:
        raise InputError(
            f"导入的审批步骤指向不存在的节点：{'、'.join(missing[:5])}",
            f"imported steps point at missing nodes: {missing[:5]}",
        )
    check_changes(data, [n.id for n in nodes], onto, known=known)
    if dry_run:
        return result
    store.upsert_nodes([*nodes, *forms])
    store.upsert_relationships(edges)
    result.written = [m.process_id for m in result.mappings if m.action != "skip"]
    return result
