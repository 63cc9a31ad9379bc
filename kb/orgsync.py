"""Incremental org sync: write an :class:`~kb.org.OrgChart` into the graph as a diff against what it holds.

* a new department, employee or title is added; a changed one is updated (only what changed);
* a department renamed keeps its id and gains the old name as an alias (so do renamed people);
* someone no longer in the source is marked inactive (``active=false``, ``inactiveSince``) — never
  deleted: their approval history still points at them; their tokens are refused (``api.auth``);
* approval steps pending with someone inactive are transferred to their nearest active superior, else
  to the process owner, through :meth:`ApprovalEngine.act` (an ``ApprovalAction`` in the instance's
  audit trail, channel ``org_sync``); what cannot be re-routed is reported.

Only records of the same ``source`` (or of none, e.g. loaded by ``zhiku demo load``) are deactivated.
Everything to be written passes the SHACL gate first (:mod:`ontology.gate`: the changed nodes and their
1-hop neighbours): a violation writes nothing. Departments and employees must point at nodes that exist.

Example::

    report = sync_org(store, read_org(Path("hr/")), source="hr")
    print(report.summary())
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from approvals.engine import ApprovalEngine
from graph.base import GraphStore
from kb.org import Employee, OrgChart, org_graph
from ontology.gate import check_changes
from ontology.mapping import rdf_to_records
from ontology.model import Ontology, load_ontology
from queries import load as load_query
from zhiku.errors import OrgDataError, ZhikuError
from zhiku.types import EdgeRecord, NodeRecord, PropertyValue

log = logging.getLogger(__name__)

#: Relationships a sync owns, by the label of their start node.
EMPLOYEE_EDGES = ("BELONGS_TO", "ALSO_IN", "HAS_POSITION", "REPORTS_TO", "HEAD_OF", "HAS_ROLE")
DEPARTMENT_EDGES = ("PART_OF", "LOCATED_AT")
#: Properties a sync owns (others — set by people or other stages — are left alone).
EMPLOYEE_PROPS = ("name", "nameEn", "email", "mobile", "level", "hireDate", "wecomUserId", "active")
DEPARTMENT_PROPS = ("name", "nameEn", "code", "active")
#: An employee's source record as the fingerprint sees it: every field but where in the file it sits.
_record = attrgetter(*(f.name for f in fields(Employee) if f.name != "origin"))
#: Employees read in full per query (those a sync changes; the rest are compared by fingerprint).
DETAIL_BATCH = 2000
#: An employee's owned relationships when the source does not manage Zhiku roles.
_UNMANAGED_ROLES = tuple(t for t in EMPLOYEE_EDGES if t != "HAS_ROLE")


@dataclass(slots=True)
class OrgSyncReport:
    """What a sync did (or, with ``dry_run``, would do)."""

    source: str
    dry_run: bool = False
    departments_added: list[str] = field(default_factory=list)
    departments_updated: list[str] = field(default_factory=list)
    departments_renamed: list[tuple[str, str, str]] = field(default_factory=list)  # id, old, new
    departments_deactivated: list[str] = field(default_factory=list)
    employees_added: list[str] = field(default_factory=list)
    employees_updated: list[str] = field(default_factory=list)
    employees_deactivated: list[str] = field(default_factory=list)
    employees_reactivated: list[str] = field(default_factory=list)
    employees_restored: list[str] = field(default_factory=list)  # hand edits in the graph undone
    positions_added: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0  # of the unchanged: employees skipped by fingerprint (source and graph as last synced)
    rerouted: list[str] = field(default_factory=list)  # audit lines
    unrouted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (self.departments_added, self.departments_updated, self.departments_deactivated,
             self.employees_added, self.employees_updated, self.employees_deactivated, self.positions_added)
        )  # fmt: skip

    def summary(self) -> str:
        """A few lines in Chinese for the CLI."""
        head = "（试运行，未写入）" if self.dry_run else ""
        lines = [
            f"组织同步 {self.source}{head}：部门 新增 {len(self.departments_added)}、更新 "
            f"{len(self.departments_updated)}（改名 {len(self.departments_renamed)}）、停用 "
            f"{len(self.departments_deactivated)}；员工 新增 {len(self.employees_added)}、更新 "
            f"{len(self.employees_updated)}、离职停用 {len(self.employees_deactivated)}、恢复 "
            f"{len(self.employees_reactivated)}；新职位 {len(self.positions_added)}；未变 {self.unchanged}",
        ]
        lines += [
            f"  部门改名：{i} {old} → {new}（旧名保留为别名）" for i, old, new in self.departments_renamed
        ]
        if self.employees_restored:
            lines.append(
                f"  按来源恢复了 {len(self.employees_restored)} 名员工在图谱中被手工改动的数据："
                + "、".join(self.employees_restored[:20])
                + ("…" if len(self.employees_restored) > 20 else "")
            )
        lines += [f"  审批转交：{line}" for line in self.rerouted]
        lines += [f"  未能转交：{line}" for line in self.unrouted]
        lines += [f"  注意：{line}" for line in self.warnings]
        return "\n".join(lines)


@dataclass(slots=True)
class _Existing:
    labels: list[str]
    props: dict[str, Any]
    out: set[tuple[str, str]]


def _snapshot(store: GraphStore) -> dict[str, _Existing]:
    """Departments, positions and the organisation as the graph holds them (employees: see below)."""
    rows = store.query(load_query("org_snapshot").text, {"types": list(DEPARTMENT_EDGES)})
    return {r["id"]: _existing(r) for r in rows}


def _existing(row: dict[str, Any]) -> _Existing:
    out = {(t, e) for t, e in row["out"] if t}
    return _Existing(list(row["labels"]), dict(row["properties"]), out)


@dataclass(frozen=True, slots=True)
class _EmployeeState:
    """One employee's row of ``org_employee_states``: their fingerprints and what a sync owns of them,
    as text (see :func:`_state`)."""

    hash: str | None
    state: str | None
    props: str
    edges: tuple[tuple[str, str], ...]

    @property
    def active(self) -> bool:
        return not self.props.endswith("\tfalse")  # zk:active is the last owned property


def _read_graph(store: GraphStore) -> tuple[dict[str, _Existing], dict[str, _EmployeeState]]:
    """The departments' snapshot and every employee's state, the three reads in parallel: the database
    answers one while this process parses another (on a busy machine, two runnable tasks get twice
    the share of one)."""
    with ThreadPoolExecutor(3, thread_name_prefix="org-read") as pool:
        snapshot = pool.submit(_snapshot, store)
        edge_rows = pool.submit(
            store.query, load_query("org_employee_edges").text, {"types": list(EMPLOYEE_EDGES)}
        )
        state_rows = pool.submit(store.query, load_query("org_employee_states").text)
        edges = {
            r["id"]: tuple(
                (t, end) for t, _, end in (line.partition(" ") for line in r["edges"].splitlines())
            )
            for r in edge_rows.result()
        }
        states = {
            r["id"]: _EmployeeState(r["hash"], r["state"], r["props"], edges.get(r["id"], ()))
            for r in state_rows.result()
        }
        return snapshot.result(), states


def _text(value: Any) -> str:
    """A property value as Cypher's ``toString`` writes it (``org_employee_states``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _state(props: str | dict[str, Any], out: Iterable[tuple[str, str]], owned_edges: Iterable[str]) -> str:
    """A digest of what a sync owns of one employee (their ``orgState``): the owned properties (as the
    graph renders them, or a dict rendered the same way) and relationships. A re-load compares it with
    the graph, so a hand edit of an unchanged employee (a deleted REPORTS_TO, a changed e-mail) is seen
    and restored from the source. (A value rendered differently by the database — floats — only
    costs that employee's skip, never correctness: they are compared in full.)"""
    if isinstance(props, dict):
        props = "\t".join(_text(props.get(k)) for k in EMPLOYEE_PROPS)
    owned = set(owned_edges)
    edges = "\n".join(sorted(f"{t} {e}" for t, e in out if t in owned))
    return hashlib.sha1(f"{props}\n{edges}".encode(), usedforsecurity=False).hexdigest()[:16]


def _existing_ids(store: GraphStore, ids: Iterable[str]) -> dict[str, list[str]]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = store.query(load_query("entities_by_ids").text, {"ids": wanted})
    return {r["id"]: list(r["labels"]) for r in rows}


def _title_positions(chart: OrgChart, snapshot: dict[str, _Existing]) -> tuple[OrgChart, dict[str, str]]:
    """Titles that name a position the graph already has (by name or alias) use that position."""
    by_name: dict[str, str] = {}
    for node_id, node in snapshot.items():
        if "Position" in node.labels and not node_id.startswith("POS-T"):
            for n in [node.props.get("name"), *(node.props.get("aliases") or [])]:
                if isinstance(n, str):
                    by_name.setdefault(n, node_id)
    remap = {p.id: by_name[p.name] for p in chart.positions if p.name in by_name}
    if not remap:
        return chart, {}
    return (
        replace(
            chart,
            positions=tuple(p for p in chart.positions if p.id not in remap),
            employees=tuple(
                replace(e, position=remap[e.position]) if e.position in remap else e for e in chart.employees
            ),
        ),
        remap,
    )


def _fingerprints(chart: OrgChart, source: str) -> dict[str, str]:
    """Employee id → a digest of everything a sync writes for them from this source: their record
    (not where in the file it sits) and the departments they head (stored as their ``orgHash``)."""
    heads: dict[str, list[str]] = {}
    for d in chart.departments:
        for head in d.heads:
            heads.setdefault(head, []).append(d.id)
    return {
        e.id: hashlib.sha1(
            repr((source, _record(e), sorted(heads.get(e.id, [])))).encode(), usedforsecurity=False
        ).hexdigest()[:16]
        for e in chart.employees
    }


def _values(value: PropertyValue) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return sorted(map(str, a or [])) != sorted(map(str, b or []))
    return bool(a != b)


def sync_org(
    store: GraphStore,
    chart: OrgChart,
    *,
    source: str,
    dry_run: bool = False,
    onto: Ontology | None = None,
    approvals: ApprovalEngine | None = None,
    now: str | None = None,
) -> OrgSyncReport:
    """Write ``chart`` into ``store`` as a diff (see the module docstring); with ``dry_run`` only report.

    Raises :class:`OrgDataError` (a node pointed at does not exist) or :class:`ShaclViolation` before
    anything is written."""
    onto = onto or load_ontology()
    at = now or datetime.now(UTC).isoformat(timespec="seconds")
    report = OrgSyncReport(source, dry_run, warnings=list(chart.warnings))
    snapshot, states = _read_graph(store)
    chart, remapped = _title_positions(chart, snapshot)
    # An employee whose source record (and the departments they head) is what the last sync of this
    # source wrote is skipped before any RDF is built: a re-load pays for what changed, not for everyone.
    # A hand edit in the graph since (orgState no longer matches what is there) is not skipped: the
    # source owns these properties and relationships, so the sync restores them.
    prints = _fingerprints(chart, source)
    roles_managed = {e.id for e in chart.employees if e.roles is not None}
    same: set[str] = set()
    edited: set[str] = set()
    for emp_id, digest in prints.items():
        held = states.get(emp_id)
        if held is None or held.hash != digest:
            continue
        owned = EMPLOYEE_EDGES if emp_id in roles_managed else _UNMANAGED_ROLES
        if held.state == _state(held.props, held.edges, owned):
            same.add(emp_id)
        else:
            edited.add(emp_id)
    # In full: the employees this sync may change (in the source and not skipped, or active and gone).
    touched = [i for i, held in states.items() if i not in same and (i in prints or held.active)]
    for batch in range(0, len(touched), DETAIL_BATCH):
        rows = store.query(
            load_query("org_employees").text,
            {"ids": touched[batch : batch + DETAIL_BATCH], "types": list(EMPLOYEE_EDGES)},
        )
        snapshot.update((r["id"], _existing(r)) for r in rows)
    report.skipped = len(same)
    graph = org_graph(replace(chart, employees=tuple(e for e in chart.employees if e.id not in same)))
    nodes, edges = rdf_to_records(graph, onto)
    wanted = {n.id: n for n in nodes}
    report.unchanged += len(same)

    # Every node an org relationship points at must exist: in the chart or already in the graph.
    outside = {e.end for e in edges if e.end not in wanted} | {
        e.start for e in edges if e.start not in wanted
    }
    known = {i: snapshot[i].labels for i in outside if i in snapshot}
    known |= _existing_ids(store, outside - set(known))
    missing = sorted(outside - set(known))
    if missing:
        raise OrgDataError(
            [
                f"{e.start} 的 {e.type} 指向不存在的节点 {e.end}"
                for e in edges
                if e.end in missing or e.start in missing
            ][:50],
            chart.source or source,
        )

    out_edges: dict[str, set[tuple[str, str]]] = {}
    for e in edges:
        out_edges.setdefault(e.start, set()).add((e.type, e.end))

    writes: list[NodeRecord] = []
    link: list[EdgeRecord] = []
    unlink: list[dict[str, str]] = []
    focus: list[str] = []
    for node in nodes:
        old = snapshot.get(node.id)
        props = dict(node.properties)
        if "Organization" in node.labels:  # WeCom's root names the organisation: written, not counted
            if old is None:
                writes.append(node)
            continue
        if "Position" in node.labels and "Employee" not in node.labels:
            if old is None:
                writes.append(node)
                focus.append(node.id)
                report.positions_added.append(node.id)
            continue
        is_emp = "Employee" in node.labels
        owned_props = EMPLOYEE_PROPS if is_emp else DEPARTMENT_PROPS
        owned_edges: tuple[str, ...] = EMPLOYEE_EDGES if is_emp else DEPARTMENT_EDGES
        desired_out = out_edges.get(node.id, set())
        if is_emp and node.id not in roles_managed:
            owned_edges = _UNMANAGED_ROLES
            if old is None or not any(t == "HAS_ROLE" for t, _ in old.out):
                desired_out = desired_out | {("HAS_ROLE", "ROLE-employee")}
        props["orgSource"] = source
        if node.id in prints:
            props["orgHash"] = prints[node.id]
        if is_emp:
            props["orgState"] = _state(props, desired_out, owned_edges)
        if old is None:
            props.setdefault("aliases", [])
            writes.append(NodeRecord(node.id, node.labels, props))
            link += [EdgeRecord(node.id, t, end) for t, end in sorted(desired_out)]
            focus.append(node.id)
            (report.employees_added if is_emp else report.departments_added).append(node.id)
            continue
        change: dict[str, PropertyValue] = {}
        for key in owned_props:
            if _differs(old.props.get(key), props.get(key)):
                change[key] = props.get(key)
        aliases = {str(a) for a in [*(old.props.get("aliases") or []), *_values(props.get("aliases"))]}
        old_name = old.props.get("name")
        if isinstance(old_name, str) and old_name and old_name != props.get("name"):
            aliases.add(old_name)
            if not is_emp:
                report.departments_renamed.append((node.id, old_name, str(props.get("name"))))
        aliases.discard(str(props.get("name")))
        if _differs(old.props.get("aliases"), sorted(aliases)):
            change["aliases"] = sorted(aliases)
        current_out = {(t, e) for t, e in old.out if t in owned_edges}
        gone, new = current_out - desired_out, desired_out - current_out
        if not change and not gone and not new:
            report.unchanged += 1
            stamp = {k: props.get(k) for k in ("orgSource", "orgHash", "orgState")}
            if any(old.props.get(k) != v for k, v in stamp.items()):
                writes.append(NodeRecord(node.id, node.labels, stamp))
            continue
        if old.props.get("active") is False and props.get("active") is True:
            change["inactiveSince"] = None
            if is_emp:
                report.employees_reactivated.append(node.id)
        change["orgSource"] = source
        change["orgHash"] = props.get("orgHash")
        if is_emp:
            change["orgState"] = props["orgState"]
            if node.id in edited:
                report.employees_restored.append(node.id)
        writes.append(NodeRecord(node.id, node.labels, change))
        unlink += [{"start": node.id, "type": t, "end": e} for t, e in sorted(gone)]
        link += [EdgeRecord(node.id, t, e) for t, e in sorted(new)]
        focus.append(node.id)
        (report.employees_updated if is_emp else report.departments_updated).append(node.id)

    # Who is no longer in the source: deactivated, never deleted.
    for node_id, old in sorted(snapshot.items()):
        if node_id in wanted or node_id in same or old.props.get("active") is False:
            continue
        if old.props.get("orgSource") not in (None, source):
            continue
        if "Employee" in old.labels:
            report.employees_deactivated.append(node_id)
        elif "Department" in old.labels:
            report.departments_deactivated.append(node_id)
        else:
            continue
        # orgHash dropped: someone who comes back with the same record is synced (reactivated), not skipped.
        gone_props: dict[str, PropertyValue] = {"active": False, "inactiveSince": at, "orgSource": source}
        gone_props |= {"orgHash": None, "orgState": None}
        writes.append(NodeRecord(node_id, tuple(old.labels), gone_props))
    for node_id in report.employees_added + report.employees_updated:
        if wanted[node_id].properties.get("active") is False and (
            node_id not in snapshot or snapshot[node_id].props.get("active") is not False
        ):
            report.employees_deactivated.append(node_id)
    if remapped:
        report.warnings.append(f"{len(remapped)} 个职位名称对应了图谱中已有的职位")

    check_changes(graph, focus, onto, known=known | {i: s.labels for i, s in snapshot.items()})
    if dry_run:
        return report

    stats = store.upsert_nodes(writes)
    if unlink:
        store.query_write_count(load_query("org_unlink").text, {"rows": unlink}, stats)
    stats += store.upsert_relationships(link)
    if stats.unmatched:
        raise ZhikuError(
            f"组织同步时 {stats.unmatched} 条关系的端点不存在",
            f"{stats.unmatched} org relationships unmatched",
        )
    _reroute(store, approvals or ApprovalEngine(store), report, source)
    return report


def _reroute(store: GraphStore, engine: ApprovalEngine, report: OrgSyncReport, source: str) -> None:
    """Transfer approval steps pending with inactive employees (see the module docstring)."""
    for row in store.query(load_query("org_pending_with_inactive").text):
        departed, name = row["employee"], row["name"] or row["employee"]
        try:
            inst = engine.get(row["instance"])
        except ZhikuError:
            continue
        step = inst.current
        if step is None or departed not in inst.pending:
            continue
        taken = {inst.applicant, *(p.id for p in step.approvers)}
        found = store.query(
            load_query("org_reroute_targets").text, {"employee": departed, "process": inst.process_id}
        )
        candidates = [*found[0]["managers"], *found[0]["owners"]] if found else []
        target = next((c for c in candidates if c and c["active"] and c["id"] not in taken), None)
        if target is None:
            report.unrouted.append(
                f"{inst.id}（{inst.name}）的“{step.name}”待 {name}（{departed}，已离职）审批，"
                "找不到在职的上级或流程负责人，请管理员处理"
            )
            continue
        comment = (
            f"{name}（{departed}）已离职（组织同步 {source}），“{step.name}”自动转交给"
            f"{target['name']}（{target['id']}）"
        )
        try:
            result = engine.act(
                inst.id,
                "transfer",
                actor=departed,
                target=target["id"],
                comment=comment,
                key=f"org-reroute:{inst.step_index}:{departed}",
                channel="org_sync",
            )
        except ZhikuError as exc:
            report.unrouted.append(f"{inst.id}：{exc.message_zh}")
            continue
        if result.applied:
            log.info("approval %s: %s", inst.id, comment)
            report.rerouted.append(f"{inst.id}（{inst.name}）：{comment}")
