"""Load a knowledge-base project: everything is read and checked first, and only a project that passes
every check is written.

The order (:func:`load_project`):

1. **read**: ontology extensions (Turtle, Protégé RDF/XML, JSON-LD) on top of the core ontology;
   vocabulary RDF; the org chart; approval processes (YAML); policy metadata from ``docs/``
   (``index.yaml`` and ``NAME.meta.yaml`` sidecars); ``sources.yaml``, ``rules.yaml`` and
   ``triggers.yaml``;
2. **check**: every configuration file, every relationship's endpoints (in the project or already in
   the graph), and the SHACL gate (:mod:`ontology.gate`) over what is new or changed and its 1-hop
   neighbours — one violation anywhere and nothing is written; each violation is listed in Chinese
   (node, property, rule);
3. **plan**: what would be new, changed, unchanged, and (``prune``) what the project no longer has;
   a dry run stops here and also asks ingestion what its documents would do;
4. **write**: schema, nodes (tagged ``kbProject``), relationships, pruning; then documents and FAQ
   through the ingestion entry point (which ends by syncing the search index); last, the project is
   registered in the data directory (``projects/NAME.json``).

Example::

    project = open_project(Path("demo"))
    report = load_project(store, project, index=lambda: search, registry=data_dir / "projects")
    report.new_nodes, report.documents.summary()
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rdflib import RDF, SKOS, XSD, Graph, Literal, URIRef

from graph.base import GraphStore
from kb.project import PART_NAMES, Project
from ontology.gate import check_changes
from ontology.mapping import rdf_to_records
from ontology.model import KG, ZK, Ontology, load_ontology, parse_rdf
from ontology.validate import validate
from queries import load as load_query
from zhiku.errors import ConfigError, InputError, ShaclViolation
from zhiku.types import EdgeRecord, NodeRecord, WriteStats

if TYPE_CHECKING:
    from ingest.pipeline import IndexSync, IngestReport, Progress

#: The node property that says which project loaded a node (``--prune`` removes only its own).
PROJECT_PROPERTY = "kbProject"
#: Never deleted by ``--prune``: an employee who left keeps their approval history; the org re-load
#: marks them inactive instead. Nor is an entity a review decision accepted or merged into.
KEEP_ON_PRUNE = frozenset({"Employee"})

Note = Callable[[str], None]
#: The RDF files a project's ``ontology/`` and ``vocabulary/`` hold (as ``ontology.model.parse_rdf`` reads).
RDF_SUFFIXES = frozenset({".ttl", ".owl", ".rdf", ".xml", ".jsonld", ".json", ".nt"})


def _quiet(_: str) -> None:
    return None


@dataclass(slots=True)
class LoadReport:
    """What a load wrote (or, in a dry run, would write)."""

    project: str = ""
    dry_run: bool = False
    nodes: int = 0
    relationships: int = 0
    stats: WriteStats = field(default_factory=WriteStats)
    schema_created: list[str] = field(default_factory=list)
    by_label: dict[str, int] = field(default_factory=dict)
    new_nodes: list[str] = field(default_factory=list)
    changed_nodes: list[str] = field(default_factory=list)
    unchanged_nodes: int = 0
    new_relationships: int = 0
    pruned: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # gone from the project, kept (employees, reviewed)
    ontology_files: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    rules: int = 0
    triggers: int = 0
    #: process id → the definition version it has after this load (new or changed definitions only)
    process_versions: dict[str, int] = field(default_factory=dict)
    #: running instances that wait on a step the new version of their process no longer has (they
    #: keep their own version and finish on it; listed so an admin knows)
    stranded: list[str] = field(default_factory=list)
    documents: IngestReport | None = None
    registered: Path | None = None


# -- reading ------------------------------------------------------------------------------------------


def _rdf_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in RDF_SUFFIXES)


def project_ontology(
    project: Project, base: Ontology | None = None, *, extra_dir: Path | None = None
) -> Ontology:
    """The ontology a project is loaded with: the core (and ``extra_dir``, ``ZHIKU_ONTOLOGY_DIR``), or
    ``base``, plus the project's ``ontology/`` files."""
    files = _rdf_files(project.parts["ontology"]) if "ontology" in project.parts else []
    if base is not None and not files:
        return base
    inherited = list(base.sources[1:]) if base is not None else []
    return load_ontology([*inherited, *files], extra_dir=None if base is not None else extra_dir)


def _add_names(g: Graph, subject: URIRef, name: str, name_en: str = "", aliases: Iterable[str] = ()) -> None:
    g.add((subject, SKOS.prefLabel, Literal(name, lang="zh")))
    if name_en:
        g.add((subject, SKOS.prefLabel, Literal(name_en, lang="en")))
    for alias in aliases:
        if alias:
            g.add((subject, SKOS.altLabel, Literal(alias, lang="zh")))


def _add_labels(g: Graph, subject: URIRef, labels: dict[str, list[str]], named: set[str]) -> None:
    """Names in other languages (tag → names): the first is the preferred label, unless the subject
    already has one in that language (``named``); the rest are synonyms."""
    for tag, names in labels.items():
        for i, label in enumerate(n for n in names if n):
            preferred = i == 0 and tag not in named
            g.add((subject, SKOS.prefLabel if preferred else SKOS.altLabel, Literal(label, lang=tag)))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _org_graph(org_dir: Path, columns: dict[str, str] | None = None) -> Graph:
    """Departments and employees from the project's ``org/`` HR export (CSV or XLSX, Chinese or
    English headers, ``org.columns`` for other header names), read and checked by :mod:`kb.org`."""
    from kb.org import org_graph, read_org

    return org_graph(read_org(org_dir, columns or None))


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepSpec(_Spec):
    """One approval step in ``processes.yaml``."""

    name: str
    mode: str = "依次"  # 依次 | 会签 | 或签: the SHACL gate says so in Chinese
    approvers: list[str] = Field(min_length=1)
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    min_days: Decimal | None = None
    max_days: Decimal | None = None


#: Field types of an application form (the WeCom template importer maps its controls onto these).
FIELD_TYPES = (
    "text", "number", "amount", "date", "datetime", "duration", "choice", "choices", "employee",
    "department", "file", "table", "location", "approval", "phone", "leave", "attendance", "bank_account",
)  # fmt: skip


class FieldSpec(_Spec):
    """One field of a process's application form."""

    id: str
    name: str
    type: str = Field(pattern="^(" + "|".join(FIELD_TYPES) + ")$")
    required: bool = False
    options: list[str] = Field(default_factory=list)
    columns: list[FieldSpec] = Field(default_factory=list)  # a table's columns


class AttachmentSpec(_Spec):
    """A process's attachment rules (``attachments:`` in ``processes.yaml``); unset: Zhiku's defaults."""

    max_mb: Decimal | None = Field(None, gt=0, le=1024)
    types: list[str] = Field(default_factory=list)  # detected types: pdf, ofd, jpg, png, docx, xlsx, txt…
    approvers: bool = False  # approvers of the current step may attach files too


class ProcessSpec(_Spec):
    """One approval process in ``processes.yaml``."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    name: str
    name_en: str = ""
    aliases: list[str] = Field(default_factory=list)
    #: names in other languages by language tag (``ja: [経費精算申請, 経費精算の承認]``): the first is
    #: the name in that language (for ``en``, when ``name_en`` is set, all are synonyms)
    labels: dict[str, list[str]] = Field(default_factory=dict)
    form: str | None = None
    owner: str | None = None
    topic: str | None = None
    sla_hours: int | None = Field(None, ge=0)
    #: shares of ``sla_hours`` at which the approvers are reminded (default 0.5 and 1)
    sla_reminders: list[Decimal] = Field(default_factory=list)
    #: what happens once ``sla_hours`` has passed: manager / auto_approve / auto_reject / none
    escalation: str | None = Field(None, pattern=r"^(manager|auto_approve|auto_reject|none)$")
    #: how the SLA counts: calendar (all hours), workdays, working_hours (holiday calendar applied)
    sla_clock: str | None = Field(None, pattern=r"^(calendar|workdays|working_hours)$")
    cc: list[str] = Field(default_factory=list)  # 抄送 when an instance ends: employee / position / role ids
    absence: bool = False  # a leave process: approved, its applicant's approvals go to their delegate
    attachments: AttachmentSpec | None = None
    #: attachments' text into the knowledge base (readable by admins only: never wider than the application)
    ingest_attachments: bool = False
    description: str = ""
    steps: list[StepSpec] = Field(min_length=1)
    fields: list[FieldSpec] = Field(default_factory=list)
    wecom_template: str | None = None

    def fingerprint(self) -> str:
        """What a running instance depends on: the steps, their conditions and approvers."""
        steps = [s.model_dump(mode="json") for s in self.steps]
        text = json.dumps(steps, ensure_ascii=False, sort_keys=True)
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise ConfigError(f"无法读取 {path.name}：{detail}", f"cannot read {path}: {detail}") from None


def _yaml_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix.lower() in (".yaml", ".yml"))


def read_processes(path: Path) -> list[ProcessSpec]:
    """Every process in ``processes.yaml`` (or each YAML file of ``processes/``), checked."""
    out: list[ProcessSpec] = []
    for file in _yaml_files(path):
        data = _yaml(file) or []
        if not isinstance(data, list):
            raise InputError(f"{file.name} 应为流程列表", f"{file.name} must be a list of processes")
        for i, raw in enumerate(data, start=1):
            name = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
            try:
                out.append(ProcessSpec.model_validate(raw))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                what = "未知的键" if first["type"] == "extra_forbidden" else first["msg"]
                raise InputError(
                    f"{file.name} 中流程 {name} 的 {where}：{what}",
                    f"process {name} in {file.name}: {where}: {first['msg']}",
                ) from None
    return out


def fields_json(fields: Iterable[FieldSpec]) -> str:
    """A form's fields as stored on the process (``formFields``): a JSON list."""
    return json.dumps([f.model_dump(exclude_defaults=True) for f in fields], ensure_ascii=False)


def _decimal(value: Decimal) -> Literal:
    return Literal(value, datatype=XSD.decimal)


def processes_rdf(processes: Iterable[ProcessSpec]) -> Graph:
    """Approval processes and their steps (``PROC-X-S1``…, in order) as RDF."""
    g = Graph()
    for proc in processes:
        pid = KG[proc.id]
        g.add((pid, RDF.type, ZK.ApprovalProcess))
        _add_names(g, pid, proc.name, proc.name_en, proc.aliases)
        _add_labels(g, pid, proc.labels, named={"en"} if proc.name_en else set())
        for attr, prop in (("form", ZK.usesForm), ("owner", ZK.ownedBy), ("topic", ZK.hasTopic)):
            if getattr(proc, attr):
                g.add((pid, prop, KG[getattr(proc, attr)]))
        if proc.sla_hours is not None:
            g.add((pid, ZK.slaHours, Literal(proc.sla_hours, datatype=XSD.integer)))
        if proc.description:
            g.add((pid, ZK.description, Literal(proc.description)))
        g.add((pid, ZK.definitionHash, Literal(proc.fingerprint())))
        for share in proc.sla_reminders:
            g.add((pid, ZK.slaReminders, _decimal(share)))
        for attr, prop in (("escalation", ZK.escalation), ("sla_clock", ZK.slaClock)):
            if getattr(proc, attr):
                g.add((pid, prop, Literal(getattr(proc, attr))))
        for cc in proc.cc:
            g.add((pid, ZK.ccTo, Literal(cc)))
        if proc.absence:
            g.add((pid, ZK.absence, Literal(True)))
        if proc.attachments is not None:
            if proc.attachments.max_mb is not None:
                size = int(proc.attachments.max_mb * 1_048_576)
                g.add((pid, ZK.attachmentMaxBytes, Literal(size, datatype=XSD.integer)))
            for kind in proc.attachments.types:
                g.add((pid, ZK.attachmentTypes, Literal(kind.lower().lstrip("."))))
            if proc.attachments.approvers:
                g.add((pid, ZK.approversAttach, Literal(True)))
        if proc.ingest_attachments:
            g.add((pid, ZK.ingestAttachments, Literal(True)))
        if proc.fields:
            g.add((pid, ZK.formFields, Literal(fields_json(proc.fields))))
        if proc.wecom_template:
            g.add((pid, ZK.wecomTemplate, Literal(proc.wecom_template)))
        previous = None
        for order, step in enumerate(proc.steps, start=1):
            sid = KG[f"{proc.id}-S{order}"]
            g.add((sid, RDF.type, ZK.ApprovalStep))
            g.add((sid, SKOS.prefLabel, Literal(step.name, lang="zh")))
            g.add((sid, ZK.order, Literal(order, datatype=XSD.integer)))
            g.add((sid, ZK.mode, Literal(step.mode)))
            for approver in step.approvers:
                g.add((sid, ZK.approverRole, KG[approver]))
            for key, prop in (("min_amount", ZK.minAmount), ("max_amount", ZK.maxAmount),
                              ("min_days", ZK.minDays), ("max_days", ZK.maxDays)):  # fmt: skip
                value = getattr(step, key)
                if value is not None:
                    g.add((sid, prop, _decimal(value)))
            g.add((pid, ZK.hasStep, sid))
            if previous is None:
                g.add((pid, ZK.firstStep, sid))
            else:
                g.add((previous, ZK.nextStep, sid))
            previous = sid
    return g


def policies_rdf(docs: Path) -> Graph:
    """Policy nodes (metadata only) from the documents' ``index.yaml`` and sidecars: a document with
    ``policy: POL-x`` is that policy's text, which arrives with ingestion."""
    from ingest.loaders import discover

    g = Graph()
    for _path, doc in discover([docs]):
        if not doc.get("policy"):
            continue
        pid = KG[str(doc["policy"])]
        title = str(doc.get("title") or doc["policy"])
        g.add((pid, RDF.type, ZK.Policy))
        short = re.sub(r"[（(][^）)]*[）)]$", "", title).strip()
        _add_names(g, pid, title, str(doc.get("title_en", "")), [short] if short != title else [])
        if doc.get("owner"):
            g.add((pid, ZK.ownedBy, KG[str(doc["owner"])]))
        links = (("topics", ZK.hasTopic), ("governs", ZK.governs), ("processes", ZK.requiresApproval))
        for key, prop in links:
            for target in doc.get(key) or []:
                g.add((pid, prop, KG[str(target)]))
        if doc.get("effective"):
            g.add((pid, ZK.effectiveDate, Literal(str(doc["effective"]), datatype=XSD.date)))
        g.add((pid, ZK.appliesTo, KG["ORG"]))
    return g


def project_rdf(project: Project) -> Graph:
    """The project's structured parts as one RDF graph (not yet validated): vocabulary, org chart,
    processes and policy metadata."""
    g = Graph()
    if "vocabulary" in project.parts:
        for path in _rdf_files(project.parts["vocabulary"]):
            parse_rdf(path, g)
    if "org" in project.parts:
        g += _org_graph(project.parts["org"], project.config.org.columns)
    if "processes" in project.parts:
        g += processes_rdf(read_processes(project.parts["processes"]))
    if "docs" in project.parts:
        g += policies_rdf(project.parts["docs"])
    if "calendar" in project.parts:
        g += calendar_rdf(read_calendar(project.parts["calendar"]))
    return g


class CalendarSpec(_Spec):
    """``calendar.yaml``: days off (holidays) and weekend days worked (调休上班), for approval SLAs."""

    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)
    source: str = ""  # the notice the dates come from


def read_calendar(path: Path) -> CalendarSpec:
    try:
        return CalendarSpec.model_validate(_yaml(path) or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"{path.name} 的 {where}：{first['msg']}", f"{path.name}: {where}: {first['msg']}"
        ) from None


def calendar_rdf(spec: CalendarSpec) -> Graph:
    """One ``CalendarDay`` (``CAL-2026-02-16``) per holiday or worked weekend day."""
    g = Graph()
    for day, worked in [(d, False) for d in spec.holidays] + [(d, True) for d in spec.workdays]:
        node = KG[f"CAL-{day.isoformat()}"]
        g.add((node, RDF.type, ZK.CalendarDay))
        label = f"{day.isoformat()} {'调休上班' if worked else '放假'}"
        g.add((node, SKOS.prefLabel, Literal(label, lang="zh")))
        g.add((node, ZK.onDate, Literal(day, datatype=XSD.date)))
        g.add((node, ZK.workday, Literal(worked)))
        if spec.source:
            g.add((node, ZK.description, Literal(spec.source)))
    return g


def document_paths(project: Project) -> list[Path]:
    """What ingestion reads: the documents and the FAQ."""
    return [project.parts[p] for p in ("docs", "faq") if p in project.parts]


# -- configuration files ------------------------------------------------------------------------------


class RuleSpec(_Spec):
    """One WeCom push rule (``wecom.service.Rule``), checked before it is registered."""

    event: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)*$")
    to: str = Field("recipients", pattern=r"^(recipients|all|role:[A-Za-z0-9_\-]+)$")
    message: str = Field("text", pattern=r"^(card|text|markdown|mp_template)$")
    template: str = "{summary}"
    data: dict[str, str] = Field(default_factory=dict)
    page: str = ""


def check_rules(path: Path) -> int:
    """Check ``rules.yaml``; return how many rules it has."""
    data = _yaml(path) or []
    if not isinstance(data, list):
        raise ConfigError(f"{path.name} 应为规则列表", f"{path.name} must be a list of rules")
    for i, raw in enumerate(data, start=1):
        try:
            RuleSpec.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            what = "未知的键" if first["type"] == "extra_forbidden" else first["msg"]
            raise ConfigError(
                f"{path.name} 第 {i} 条规则的 {where}：{what}",
                f"rule #{i} in {path.name}: {where}: {first['msg']}",
                hint="to: recipients | all | role:角色；message: card | text | markdown | mp_template",
            ) from None
    return len(data)


def check_triggers(path: Path, processes: set[str]) -> int:
    """Check ``triggers.yaml`` (completed process → processes started after it); every id must be a
    process of the project or of the graph."""
    data = _yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path.name} 应为 流程ID: [后续流程ID…] 的映射", f"{path.name} must map a process id to a list"
        )
    for key, targets in data.items():
        if not isinstance(targets, list):
            raise ConfigError(f"{path.name} 中 {key} 的值应为列表", f"{key} in {path.name} must be a list")
        for pid in [key, *targets]:
            if str(pid) not in processes:
                raise ConfigError(
                    f"{path.name} 中的 {pid} 不是已知的审批流程",
                    f"{pid} in {path.name} is not a known process",
                )
    return len(data)


# -- checking and planning ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    nodes: list[NodeRecord]
    edges: list[EdgeRecord]
    stored: dict[str, dict[str, Any]]


def _dangling(data: Graph, nodes: list[NodeRecord], edges: list[EdgeRecord], store: GraphStore) -> _Plan:
    """Read what the graph holds of the project's nodes and of the nodes its relationships point at;
    refuse relationships whose end is nowhere."""
    ids = {n.id for n in nodes}
    wanted = sorted(ids | {e.start for e in edges} | {e.end for e in edges})
    stored = {row["id"]: row for row in store.query(load_query("kb_nodes_state").text, {"ids": wanted})}
    missing = sorted(
        {(e.start, e.type, e.end) for e in edges if e.start not in ids and e.start not in stored}
        | {(e.start, e.type, e.end) for e in edges if e.end not in ids and e.end not in stored}
    )
    if missing:
        lines = [f"{s} -[{t}]-> {e}" for s, t, e in missing]
        more = f"（另有 {len(lines) - 5} 条）" if len(lines) > 5 else ""
        raise InputError(
            f"{len(lines)} 条关系指向不存在的节点：{'；'.join(lines[:5])}{more}",
            f"{len(lines)} relationships point at nodes that exist neither in the project nor in the graph",
            hint="在词表或组织架构中补上这些节点，或改正 ID；未写入任何内容 / "
            "add those nodes or fix the ids; nothing was written",
        )
    # Nodes the project points at but does not define take their types from the graph for the gate.
    for node_id in wanted:
        if node_id not in ids and node_id in stored:
            for label in stored[node_id]["labels"]:
                if label != "Resource":
                    data.add((KG[node_id], RDF.type, ZK[label]))
    return _Plan(nodes, edges, stored)


def _unstaffed(
    nodes: list[NodeRecord], edges: list[EdgeRecord], store: GraphStore
) -> list[tuple[str, str, str, str]]:
    """Process steps whose approver role resolves by position (``relation`` position) to a position no
    active employee holds — in the project (its org chart wins for the people it lists) or the graph —
    each as (step, role, position, a line in Chinese naming them). Relative roles (direct manager,
    department head) depend on the applicant and are not judged here."""
    steps = sorted({(e.start, e.end) for e in edges if e.type == "APPROVER_ROLE"})
    if not steps:
        return []
    by_id = {n.id: n for n in nodes}
    stored = {
        r["role"]: r
        for r in store.query(
            load_query("kb_approver_positions").text, {"roles": sorted({r for _, r in steps})}
        )
    }
    resolves = {e.start: e.end for e in edges if e.type == "RESOLVES_TO"}
    roles: dict[str, tuple[str, str]] = {}  # role → (name, position) for roles that resolve by position
    for role in {r for _, r in steps}:
        node, row = by_id.get(role), stored.get(role) or {}
        relation = node.properties.get("relation") if node is not None else row.get("relation")
        position = resolves.get(role) or row.get("position")
        if relation == "position" and position:  # no position at all: the SHACL rule names it
            name = node.properties.get("name") if node is not None else row.get("name")
            roles[role] = (str(name or role), str(position))
    people = {n.id for n in nodes if "Employee" in n.labels}
    holders: dict[str, set[str]] = {}
    for e in edges:
        if (
            e.type == "HAS_POSITION"
            and e.start in people
            and by_id[e.start].properties.get("active") is not False
        ):
            holders.setdefault(e.end, set()).add(e.start)
    positions = sorted({p for _, p in roles.values()})
    for row in store.query(load_query("kb_position_holders").text, {"positions": positions}):
        holders.setdefault(row["position"], set()).update(h for h in row["holders"] if h not in people)
    problems: list[tuple[str, str, str, str]] = []
    for step, role in steps:
        if role in roles and not holders.get(roles[role][1]):
            name, position = roles[role]
            step_name = by_id[step].properties.get("name", "") if step in by_id else ""
            line = (
                f"审批步骤 {step}（{step_name}）：审批角色 {role}（{name}）按职位 {position} 解析，"
                "但没有在职员工担任该职位"
            )
            problems.append((step, role, position, line))
    return problems


def _same(stored: Any, wanted: Any) -> bool:
    if isinstance(stored, list) and isinstance(wanted, list | tuple):
        return sorted(map(str, stored)) == sorted(map(str, wanted))
    if isinstance(stored, int | float) and isinstance(wanted, int | float):
        return float(stored) == float(wanted)
    return bool(stored == wanted)


def _diff(plan: _Plan, report: LoadReport) -> None:
    for node in plan.nodes:
        row = plan.stored.get(node.id)
        if row is None:
            report.new_nodes.append(node.id)
            continue
        props = row["props"] or {}
        if not set(node.labels) <= set(row["labels"]) or any(
            not _same(props.get(k), v) for k, v in node.properties.items()
        ):
            report.changed_nodes.append(node.id)
        else:
            report.unchanged_nodes += 1


def _new_edges(store: GraphStore, edges: list[EdgeRecord]) -> set[tuple[str, str, str]]:
    starts = sorted({e.start for e in edges})
    have = {
        (r["start"], r["type"], r["end"])
        for r in store.query(load_query("kb_edges_from").text, {"ids": starts})
    }
    return {(e.start, e.type, e.end) for e in edges} - have


def _ontology_files(project: Project) -> list[Path]:
    return _rdf_files(project.parts["ontology"]) if "ontology" in project.parts else []


def check_project(
    store: GraphStore, project: Project, onto: Ontology, *, note: Note = _quiet
) -> tuple[_Plan, LoadReport]:
    """Read and check everything; raise before anything could be written. Read-only."""
    report = LoadReport(project=project.name)
    report.ontology_files = [str(p) for p in _ontology_files(project)]
    note(f"读取 / reading {project.root}")
    data = project_rdf(project)
    nodes, edges = rdf_to_records(data, onto)
    nodes = [NodeRecord(n.id, n.labels, {**n.properties, PROJECT_PROPERTY: project.name}) for n in nodes]
    note(f"检查关系端点 / checking {len(edges)} relationships")
    plan = _dangling(data, nodes, edges, store)
    if unstaffed := _unstaffed(nodes, edges, store):
        raise InputError(
            f"{len(unstaffed)} 个审批步骤没有人能审批：{'；'.join(u[3] for u in unstaffed[:5])}",
            f"{len(unstaffed)} approval steps resolve to nobody (no active employee holds the position): "
            + "; ".join(f"{step} ({role} → {position})" for step, role, position, _ in unstaffed[:5]),
            hint="在组织架构中为这些职位安排在职员工，或改用其他审批角色；未写入任何内容 / "
            "staff those positions or choose another approver role; nothing was written",
        )
    if "sources" in project.parts:
        from crawlers.sources import load_sources

        report.sources = sorted(load_sources(project.parts["sources"]))
    if "rules" in project.parts:
        report.rules = check_rules(project.parts["rules"])
    if "triggers" in project.parts:
        processes = {n.id for n in nodes if "ApprovalProcess" in n.labels}
        processes |= {i for i, row in plan.stored.items() if "ApprovalProcess" in row["labels"]}
        report.triggers = check_triggers(project.parts["triggers"], processes)
    report.nodes, report.relationships = len(nodes), len(edges)
    for node in nodes:
        for label in node.labels:
            report.by_label[label] = report.by_label.get(label, 0) + 1
    _version_processes(store, plan, report)
    _diff(plan, report)
    new_edges = _new_edges(store, edges)
    report.new_relationships = len(new_edges)
    # What the graph already holds unchanged passed the gate when it was written.
    changed = {*report.new_nodes, *report.changed_nodes, *(s for s, _, _ in new_edges),
               *(e for _, _, e in new_edges)}  # fmt: skip
    note(f"SHACL 校验 / validating {len(changed)} new or changed nodes")
    check_changes(data, sorted(changed), onto, infer=True)
    return plan, report


def _version_processes(store: GraphStore, plan: _Plan, report: LoadReport) -> None:
    """Number each process definition: a new one is version 1, a changed one (its fingerprint differs
    from the stored) the stored version + 1. Running instances keep the version they started with;
    those that wait on a step the new version lacks are reported."""
    from approvals.versions import stranded

    steps_of: dict[str, list[str]] = {}
    for edge in plan.edges:
        if edge.type == "HAS_STEP":
            steps_of.setdefault(edge.start, []).append(edge.end)
    names = {n.id: str(n.properties.get("name", "")) for n in plan.nodes if "ApprovalStep" in n.labels}
    for i, node in enumerate(plan.nodes):
        if "ApprovalProcess" not in node.labels:
            continue
        props = (plan.stored.get(node.id) or {}).get("props") or {}
        old = int(props.get("definitionVersion") or 0)
        same = props.get("definitionHash") == node.properties.get("definitionHash")
        version = old if (same and old) else old + 1
        plan.nodes[i] = replace(node, properties={**node.properties, "definitionVersion": version})
        if version != old:
            report.process_versions[node.id] = version
            if old:
                step_names = {names.get(s, "") for s in steps_of.get(node.id, [])}
                report.stranded += stranded(store, node.id, step_names, version)


def _prune_plan(store: GraphStore, project: Project, plan: _Plan, report: LoadReport) -> None:
    ids = {n.id for n in plan.nodes}
    for row in store.query(load_query("kb_project_nodes").text, {"project": project.name}):
        if row["id"] in ids:
            continue
        if KEEP_ON_PRUNE & set(row["labels"]):
            report.kept.append(row["id"])
        else:
            report.pruned.append(row["id"])
    # What a review decision made or merged into (its aliases, its re-pointed mentions) stays.
    reviewed = {r["id"] for r in store.query(load_query("kb_reviewed_entities").text, {"ids": report.pruned})}
    report.kept += [i for i in report.pruned if i in reviewed]
    report.pruned = sorted(i for i in report.pruned if i not in reviewed)
    report.kept.sort()
    gone = set(report.pruned)
    broken = sorted(f"{e.start} -[{e.type}]-> {e.end}" for e in plan.edges if {e.start, e.end} & gone)
    if broken:
        raise InputError(
            f"项目中的关系指向已从项目中删去的节点：{'；'.join(broken[:5])}",
            f"relationships in the project point at nodes it dropped: {', '.join(broken[:5])}",
            hint="一并改正这些引用；未写入任何内容 / fix those references too; nothing was written",
        )


# -- writing ------------------------------------------------------------------------------------------


def _write(store: GraphStore, onto: Ontology, plan: _Plan, report: LoadReport) -> None:
    report.schema_created = store.apply_schema(onto.schema())
    report.stats += store.upsert_nodes(plan.nodes)
    report.stats += store.upsert_relationships(plan.edges)
    if report.pruned:
        report.stats += store.delete_nodes(report.pruned)


def load_graph(
    store: GraphStore, project: Project, onto: Ontology | None = None, *, prune: bool = False
) -> LoadReport:
    """Check and load the project's structured parts (no documents, no registration): what tests and
    notebooks that need the organisation without the corpus call."""
    onto = project_ontology(project, onto)
    plan, report = check_project(store, project, onto)
    if prune:
        _prune_plan(store, project, plan, report)
    _write(store, onto, plan, report)
    return report


def register_project(registry: Path, project: Project, report: LoadReport) -> Path:
    """Record a loaded project in the data directory (``projects/NAME.json``): what the services read
    back (:mod:`zhiku.projects`) for its sources, push rules and ontology extensions."""
    registry.mkdir(parents=True, exist_ok=True)
    access = project.config.default_access
    slug = re.sub(r"[^\w.-]+", "_", project.name).strip("._") or "project"
    path = registry / f"{slug}.json"
    record = {
        "name": project.name,
        "root": str(project.root),
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "parts": {name: str(path) for name, path in project.parts.items()},
        "default_access": access.model_dump() if access is not None else None,
        "ontology_files": report.ontology_files,
        "wecom_templates": project.config.wecom.approval_templates,
        "sources": report.sources,
        "rules": report.rules,
        "triggers": report.triggers,
        "nodes": report.nodes,
        "relationships": report.relationships,
    }
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def load_project(
    store: GraphStore,
    project: Project,
    *,
    onto: Ontology | None = None,
    extra_dir: Path | None = None,
    index: IndexSync | Callable[[], IndexSync] | None = None,
    dry_run: bool = False,
    prune: bool = False,
    registry: Path | None = None,
    note: Note = _quiet,
    progress: Progress | None = None,
    **ingest_options: Any,
) -> LoadReport:
    """Load a whole project (see the module's docstring for the order). ``dry_run`` reports what
    would change and writes nothing; ``prune`` removes what the project loaded before and no longer
    has (documents, and instances other than employees). ``ingest_options`` go to the ingestion
    pipeline (``max_bytes``, ``ner_model``)."""
    from ingest.pipeline import IngestRun, opened

    if not project.parts and not project.has_config_file:
        raise ConfigError(
            f"{project.root} 不是知识库项目：没有 zhiku.yaml，也没有词表、组织、流程或文档",
            f"{project.root} is not a knowledge-base project: no zhiku.yaml and no parts",
            hint="zhiku init DIR 新建一个项目 / create one with zhiku init DIR",
        )
    onto = project_ontology(project, onto, extra_dir=extra_dir)
    if report_parts := ", ".join(PART_NAMES[p].split(" / ")[0] for p in project.parts):
        note(f"项目 / project {project.name}: {report_parts}")
    plan, report = check_project(store, project, onto, note=note)
    report.dry_run = dry_run
    if prune:
        _prune_plan(store, project, plan, report)
    if not dry_run:
        note(f"写入 / writing {len(plan.nodes)} nodes, {len(plan.edges)} relationships")
        _write(store, onto, plan, report)
        if report.stats.unmatched:  # checked above; only a concurrent delete gets here
            raise InputError(
                f"{report.stats.unmatched} 条关系的端点在写入时已不存在",
                f"{report.stats.unmatched} relationships lost their endpoints while loading",
            )
    paths = document_paths(project)
    if paths:
        note("摄取文档 / ingesting documents")
        batch = IngestRun(store, index, dry_run=dry_run, progress=progress, ontology=onto, **ingest_options)
        access = project.config.default_access
        defaults = {"access": access.model_dump()} if access is not None else None
        batch.files(paths, prune=prune, defaults=defaults)
        if prune:
            batch.remove(_documents_gone(store, project, batch.report))
        report.documents = batch.finish()
    elif index is not None and not dry_run:
        # no documents, but the structured parts may have re-filed a policy or process under other
        # topics, which the search index reads (search.service: a new version when they change)
        opened(index).sync(progress=progress)
    if registry is not None and not dry_run:
        report.registered = register_project(registry, project, report)
    return report


def _documents_gone(store: GraphStore, project: Project, ingested: IngestReport) -> list[str]:
    """Documents ingested from anywhere in the project that it no longer has (a removed ``faq.csv``,
    a whole ``docs/`` folder gone); those under a folder still present were pruned by ingestion."""
    seen = {*ingested.new, *ingested.changed, *ingested.unchanged, *(u for u, _ in ingested.rejected)}
    prefix = project.root.as_uri().rstrip("/") + "/"
    rows = store.query(load_query("documents_under").text, {"prefix": prefix})
    return sorted(r["id"] for r in rows if r["uri"] not in seen and r["id"] not in ingested.removed)


def load_rdf(store: GraphStore, data: Graph, onto: Ontology) -> LoadReport:
    """Validate any RDF instance data with SHACL, then apply the schema and upsert it (idempotent;
    not tied to a project, so never pruned)."""
    violations = [v for v in validate(data, onto) if v.severity in ("Violation", "")]
    if violations:
        raise ShaclViolation([str(v) for v in violations])
    nodes, edges = rdf_to_records(data, onto)
    report = LoadReport(nodes=len(nodes), relationships=len(edges))
    _write(store, onto, _Plan(nodes, edges, {}), report)
    if report.stats.unmatched:
        raise InputError(
            f"{report.stats.unmatched} 条关系的端点不存在",
            f"{report.stats.unmatched} relationships had no endpoints",
        )
    for node in nodes:
        for label in node.labels:
            report.by_label[label] = report.by_label.get(label, 0) + 1
    return report
