"""A company's org chart from its real sources: HR exports (CSV, XLSX) and, through :mod:`kb.wecom_directory`,
WeCom's 通讯录 — into one typed :class:`OrgChart`, then into the RDF the ontology expects.

An HR export is either a directory holding a departments file and an employees file (``departments.csv``
/ ``employees.xlsx``, or 部门 / 员工 …) or one CSV/XLSX file (an XLSX may hold both as sheets named
部门 and 员工; a lone employees sheet names departments by id, name or path such as ``总部/研发中心``).
Headers may be Chinese or English (工号/姓名/部门/上级/职位/邮箱/手机 … or id/name/department/manager/
title …); ``mapping`` names other headers (``{"员工编号": "id"}``). CSV files may be UTF-8 or
GBK/GB18030 (detected); a header may sit under a title row and span two rows (merged cells).

Every problem — a missing manager, a reporting-line cycle, two employees with one id, an unknown
department — is collected and raised together as :class:`~zhiku.errors.OrgDataError`, each naming its
row (or WeCom node), before anything is written.

Example::

    chart = read_org(Path("hr/花名册.xlsx"))
    graph = org_graph(chart)                       # RDF: zk:Department, zk:Employee, zk:Position
    report = sync_org(store, chart, source="hr")   # incremental: updates, deactivations, aliases
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import RDF, SKOS, XSD, Graph, Literal, URIRef

from ontology.model import KG, ZK
from zhiku.errors import InputError, OrgDataError

if TYPE_CHECKING:
    from graph.base import GraphStore
    from kb.orgsync import OrgSyncReport

#: The organisation node root departments are part of (the demo vocabulary's ``kg:ORG``).
ORG_ID = "ORG"
#: The position given to people whose export names none (SHACL requires one).
DEFAULT_TITLE = "员工"
#: How many problems an :class:`OrgDataError` lists (the first ones, in row order).
MAX_PROBLEMS = 200
SUFFIXES = (".csv", ".xlsx", ".xlsm")


@dataclass(frozen=True, slots=True)
class Department:
    """One department. ``parent`` None: directly under the organisation. ``origin`` says where it was
    read (``departments.csv 第 3 行``, ``企业微信部门 12``) for error messages."""

    id: str
    name: str
    parent: str | None = None
    name_en: str = ""
    code: str = ""
    location: str = ""
    heads: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    active: bool = True
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Position:
    """A job title as a ``zk:Position`` node (ids of titles read from exports: ``POS-T…``, stable)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Employee:
    """One person. ``department`` is the main department (``zk:belongsTo``), ``other_departments`` the rest
    (``zk:alsoIn``). ``roles`` None: the source does not manage Zhiku roles (a sync keeps what the graph
    has; new people get ``employee``). ``wecom_userid`` defaults to the id (WeCom accounts are usually
    the 工号)."""

    id: str
    name: str
    department: str
    position: str = ""
    manager: str | None = None
    other_departments: tuple[str, ...] = ()
    roles: tuple[str, ...] | None = None
    level: int | None = None
    hire_date: str | None = None
    email: str = ""
    mobile: str = ""
    wecom_userid: str = ""
    name_en: str = ""
    active: bool = True
    origin: str = ""
    language: str = ""  # the language the employee reads Zhiku in (zh_Hans, en, ja-JP…; issue 19)


@dataclass(frozen=True, slots=True)
class OrgChart:
    """Departments, positions and employees read from one source."""

    departments: tuple[Department, ...]
    employees: tuple[Employee, ...]
    positions: tuple[Position, ...] = ()
    organization: str = ORG_ID
    organization_name: str = ""  # emitted as a zk:Organization node when set (WeCom's root department)
    source: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def department(self, dept_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == dept_id), None)

    def employee(self, emp_id: str) -> Employee | None:
        return next((e for e in self.employees if e.id == emp_id), None)


# -- headers ------------------------------------------------------------------------------------------

EMPLOYEE_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "工号", "员工编号", "员工工号", "员工id", "人员编号", "编号", "账号", "userid", "employeeid",
           "empid", "staffid", "employeeno", "employeenumber"),
    "name": ("name", "姓名", "员工姓名", "名字", "fullname", "employeename"),
    "name_en": ("nameen", "englishname", "英文名", "英文姓名"),
    "department": ("department", "部门", "所属部门", "部门名称", "部门id", "部门编号", "主部门", "dept",
                   "departmentid", "departmentname", "maindepartment"),
    "other_departments": ("otherdepartments", "兼职部门", "其他部门", "兼属部门"),
    "position": ("position", "职位", "岗位", "职务", "title", "jobtitle", "positionid"),
    "manager": ("manager", "上级", "直属上级", "直接上级", "汇报对象", "上级工号", "直属上级工号", "上级姓名",
                "managerid", "reportsto", "supervisor", "directleader"),
    "roles": ("roles", "角色", "系统角色", "role"),
    "level": ("level", "职级", "级别", "grade", "rank"),
    "hire_date": ("hiredate", "入职日期", "入职时间", "startdate", "joindate"),
    "email": ("email", "邮箱", "电子邮箱", "邮件", "工作邮箱", "mail", "企业邮箱"),
    "mobile": ("mobile", "手机", "手机号", "手机号码", "移动电话", "phone", "cellphone"),
    "status": ("status", "状态", "在职状态", "员工状态", "active"),
    "wecom_userid": ("wecomuserid", "企业微信账号", "企业微信id", "企微账号"),
    "language": ("language", "语言", "首选语言", "工作语言", "locale", "lang"),
}  # fmt: skip
DEPARTMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "部门id", "部门编号", "departmentid", "deptid"),
    "name": ("name", "部门名称", "部门", "名称", "departmentname", "deptname"),
    "name_en": ("nameen", "英文名称", "英文名", "englishname"),
    "code": ("code", "编码", "部门编码", "代码", "部门代码"),
    "parent": ("parent", "上级部门", "上级部门id", "上级部门编号", "上级", "父部门", "parentid",
               "parentdepartment"),
    "location": ("location", "地点", "办公地点", "所在地"),
    "head": ("head", "负责人", "部门负责人", "负责人工号", "leader", "heads", "departmentleader"),
    "aliases": ("aliases", "别名", "简称", "alias"),
    "status": ("status", "状态", "active"),
}  # fmt: skip
ACTIVE_WORDS = {
    "在职",
    "正式",
    "试用",
    "试用期",
    "实习",
    "active",
    "1",
    "true",
    "是",
    "y",
    "yes",
    "启用",
    "已激活",
}
INACTIVE_WORDS = {
    "离职",
    "已离职",
    "停用",
    "禁用",
    "inactive",
    "left",
    "0",
    "false",
    "否",
    "n",
    "no",
    "撤销",
    "5",
}
_SPLIT = re.compile(r"[;；,，、|]")
_ID_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)+$")


def _norm(header: Any) -> str:
    text = "" if header is None else str(header)
    return re.sub(r"[\s_\-（）()*:：.]+", "", text).lower()


def _fields_for(
    headers: Sequence[Any], known: dict[str, tuple[str, ...]], mapping: dict[str, str]
) -> dict[int, str]:
    """Column index → field name for one header row (``mapping`` first, then the known names)."""
    custom = {_norm(k): v for k, v in mapping.items()}
    lookup = {_norm(alias): name for name, aliases in known.items() for alias in aliases}
    out: dict[int, str] = {}
    for i, header in enumerate(headers):
        key = _norm(header)
        if not key:
            continue
        name = custom.get(key) or lookup.get(key)
        if name in known and name not in out.values():
            out[i] = name
    return out


def _mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    """Header → field; a pair written the other way round (field → header) is turned around."""
    fields = set(EMPLOYEE_FIELDS) | set(DEPARTMENT_FIELDS)
    out: dict[str, str] = {}
    for key, value in (mapping or {}).items():
        if key in fields and value not in fields:
            out[value] = key
        elif value in fields:
            out[key] = value
        else:
            raise InputError(
                f"列映射 {key} → {value} 无效：目标应为 {', '.join(sorted(fields))} 之一",
                f"column mapping {key} -> {value}: the target must be one of {sorted(fields)}",
            )
    return out


# -- tables -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Table:
    """Rows of one sheet or CSV below its header: (row number as a person counts it, field → text)."""

    name: str
    rows: list[tuple[int, dict[str, Any]]]
    fields: set[str]


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else the detected encoding (GBK/GB18030 exports are common)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16"]).best()
    if best is None or best.chaos > 0.3:
        raise OrgDataError([f"{name}：无法识别文件编码（请另存为 UTF-8 或 GBK）"], name)
    encoding = "gb18030" if best.encoding in ("gb2312", "gbk", "gb18030") else best.encoding
    return data.decode(encoding)


def _header_row(
    rows: Sequence[Sequence[Any]], known: dict[str, tuple[str, ...]], mapping: dict[str, str]
) -> int:
    """Which of the first rows is the header: the one naming the most known fields (title rows and the
    upper row of a two-row merged header name fewer); -1 when none names both an id or name column."""
    best, best_score = -1, 1
    for i, row in enumerate(rows[:10]):
        fields = set(_fields_for(row, known, mapping).values())
        if not ({"id", "name"} & fields):
            continue
        if len(fields) >= best_score:
            best, best_score = i, len(fields)
    return best


def _table(
    name: str, raw: list[tuple[int, list[Any]]], known: dict[str, tuple[str, ...]], mapping: dict[str, str]
) -> _Table | None:
    header_at = _header_row([r for _, r in raw[:10]], known, mapping)
    if header_at < 0:
        return None
    header = list(raw[header_at][1])
    first = header_at + 1
    if first < len(raw):
        # A two-row header (merged cells: 工号 over both rows, 联系方式 over 邮箱 | 手机): the row below names
        # only fields, so each column takes its lower name when it has one, else the upper one.
        below = list(raw[first][1])
        named = _fields_for(below, known, mapping)
        if named and all(i in named for i, v in enumerate(below) if _text(v)):
            header = [below[i] if i in named else (header[i] if i < len(header) else None)
                      for i in range(max(len(header), len(below)))]  # fmt: skip
            first += 1
    columns = _fields_for(header, known, mapping)
    rows = []
    for number, values in raw[first:]:
        row = {f: values[i] if i < len(values) else None for i, f in columns.items()}
        if any(_text(v) for v in row.values()):
            rows.append((number, row))
    return _Table(name, rows, set(columns.values()))


def _csv_rows(path: Path) -> list[tuple[int, list[Any]]]:
    text = _decode(path.read_bytes(), path.name)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    return [(reader.line_num, row) for row in reader]


def _sheets(path: Path) -> Iterator[tuple[str, list[tuple[int, list[Any]]]]]:
    """Each sheet's rows, numbered from the sheet's first row. Read with calamine (Rust): openpyxl's
    read-only mode parsed a 20,000-row export twice (its dimension scan, then the rows), ~10 s of a
    re-load. Merged header cells read as their anchor plus blanks, which :func:`_table` handles."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for damaged or foreign files
        raise OrgDataError([f"{path.name}：无法读取 Excel 文件（{type(exc).__name__}）"], path.name) from None
    try:
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            yield name, [(i + 1, list(r)) for i, r in enumerate(rows)]
    finally:
        book.close()


def _tables(path: Path, mapping: dict[str, str]) -> tuple[_Table | None, _Table | None]:
    """(departments, employees) tables found in one file."""
    label = path.name
    if path.suffix.lower() == ".csv":
        raw = _csv_rows(path)
        is_dept = _is_department_file(path.stem)
        known = DEPARTMENT_FIELDS if is_dept else EMPLOYEE_FIELDS
        table = _table(label, raw, known, mapping)
        return (table, None) if is_dept else (None, table)
    depts = emps = None
    for title, raw in _sheets(path):
        if _is_department_file(title) and depts is None:
            depts = _table(f"{label}「{title}」", raw, DEPARTMENT_FIELDS, mapping)
        elif emps is None:
            emps = _table(f"{label}「{title}」", raw, EMPLOYEE_FIELDS, mapping)
    return depts, emps


def _is_department_file(stem: str) -> bool:
    low = stem.lower()
    return "department" in low or "dept" in low or (("部门" in stem or "组织" in stem) and "员工" not in stem)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> str | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _text(value)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s.*)?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if not m:
        raise ValueError(text)
    return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()


def _active(value: Any) -> bool:
    text = _text(value).lower()
    if not text or text in ACTIVE_WORDS:
        return True
    if text in INACTIVE_WORDS:
        return False
    raise ValueError(text)


def _list(value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in _SPLIT.split(_text(value)) if p.strip()))


def position_id(title: str) -> str:
    """The stable id of a Position read as a title (``高级工程师`` → ``POS-T…``)."""
    return "POS-T" + hashlib.sha1(title.encode(), usedforsecurity=False).hexdigest()[:8].upper()


def department_id(path: str) -> str:
    """The id of a department known only by its name or path (a lone employees file)."""
    return "D-" + hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()[:8].upper()


# -- reading ------------------------------------------------------------------------------------------


def read_org(path: Path, mapping: dict[str, str] | None = None) -> OrgChart:
    """The org chart in ``path`` (a directory with departments and employees files, or one CSV/XLSX file);
    :class:`OrgDataError` listing every problem (each naming its row) when it is inconsistent."""
    path = Path(path)
    columns = _mapping(mapping)
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and not p.name.startswith("~$")
        )
        dept_files = [p for p in files if _is_department_file(p.stem)]
        emp_files = [p for p in files if p not in dept_files]
        if not emp_files:
            raise OrgDataError([f"{path}：没有员工文件（employees.csv / 员工.xlsx …）"], str(path))
        depts = _tables(dept_files[0], columns)[0] if dept_files else None
        emps = _tables(emp_files[0], columns)[1]
        if emps is None and len(emp_files) == 1:
            depts2, emps = _tables(emp_files[0], columns)
            depts = depts or depts2
        label = path.name
    elif path.is_file() and path.suffix.lower() in SUFFIXES:
        depts, emps = _tables(path, columns)
        label = path.name
    else:
        raise InputError(
            f"找不到组织架构文件：{path}（应为目录或 CSV/XLSX 文件）",
            f"no org chart at {path} (a directory or a CSV/XLSX file)",
        )
    if emps is None:
        raise OrgDataError(
            [f"{label}：找不到员工表头（至少要有 工号/id 和 姓名/name 列；其他列名用列映射指定）"], label
        )
    return chart_from_tables(depts, emps, source=label)


def chart_from_tables(depts: _Table | None, emps: _Table, *, source: str) -> OrgChart:
    problems: list[str] = []
    departments: list[Department] = []
    by_name: dict[str, list[str]] = {}
    if depts is not None:
        for number, row in depts.rows:
            where = f"{depts.name} 第 {number} 行"
            dept_id, name = _text(row.get("id")), _text(row.get("name"))
            if not dept_id or not name:
                problems.append(f"{where}：缺少部门{'编号' if not dept_id else '名称'}")
                continue
            try:
                active = _active(row.get("status"))
            except ValueError as exc:
                problems.append(f"{where}（{dept_id} {name}）：无法识别的状态“{exc}”")
                active = True
            departments.append(
                Department(
                    dept_id, name, _text(row.get("parent")) or None, _text(row.get("name_en")),
                    _text(row.get("code")), _text(row.get("location")), _list(row.get("head")),
                    _list(row.get("aliases")), active, where,
                )
            )  # fmt: skip
    for d in departments:
        for n in (d.name, *d.aliases):
            by_name.setdefault(n, []).append(d.id)
    ids = {d.id for d in departments}
    derived: dict[str, Department] = {}

    def department_ref(value: str, where: str) -> str | None:
        """A department cell → its id: an id, a unique name or alias, or (without a departments table) a
        name or path from which departments are derived."""
        if value in ids:
            return value
        if value in by_name and len(set(by_name[value])) == 1:
            return by_name[value][0]
        if value in by_name:
            problems.append(f"{where}：部门“{value}”有重名，请改用部门编号")
            return None
        if depts is not None:
            problems.append(f"{where}：部门“{value}”不存在（不在部门表中）")
            return None
        parent: str | None = None
        parts = [p.strip() for p in re.split(r"[/>＞／]", value) if p.strip()]
        for depth in range(len(parts)):
            key = "/".join(parts[: depth + 1])
            if key not in derived:
                derived[key] = Department(department_id(key), parts[depth], parent, origin=where)
            parent = derived[key].id
        return parent

    employees: list[Employee] = []
    titles: dict[str, Position] = {}
    seen: dict[str, str] = {}
    for number, row in emps.rows:
        where = f"{emps.name} 第 {number} 行"
        emp_id, name = _text(row.get("id")), _text(row.get("name"))
        if not emp_id or not name:
            problems.append(f"{where}：缺少{'工号' if not emp_id else '姓名'}")
            continue
        who = f"{where}（{emp_id} {name}）"
        if emp_id in seen:
            problems.append(f"{who}：工号 {emp_id} 重复（{seen[emp_id]}已有）")
            continue
        seen[emp_id] = where
        dept_text = _text(row.get("department"))
        dept = department_ref(dept_text, who) if dept_text else None
        if not dept_text:
            problems.append(f"{who}：缺少部门")
        others = tuple(
            d
            for d in (department_ref(v, who) for v in _list(row.get("other_departments")))
            if d and d != dept
        )
        title = _text(row.get("position")) or DEFAULT_TITLE
        if _ID_LIKE.match(title) and title.upper().startswith("POS"):
            pos = title  # an id from the vocabulary (the demo's POS-CEO)
        else:
            pos = titles.setdefault(title, Position(position_id(title), title)).id
        level = None
        if _text(row.get("level")):
            digits = re.search(r"\d+", _text(row.get("level")))
            if digits is None:
                problems.append(f"{who}：职级“{_text(row.get('level'))}”不是数字")
            else:
                level = int(digits.group())
        try:
            hire = _date(row.get("hire_date"))
        except ValueError as exc:
            problems.append(f"{who}：入职日期“{exc}”无法识别（应为 YYYY-MM-DD）")
            hire = None
        try:
            active = _active(row.get("status"))
        except ValueError as exc:
            problems.append(f"{who}：无法识别的在职状态“{exc}”")
            active = True
        roles = _list(row.get("roles")) if "roles" in emps.fields else None
        employees.append(
            Employee(
                emp_id, name, dept or "", pos, _text(row.get("manager")) or None, others,
                roles or (None if roles is None else ("employee",)), level, hire, _text(row.get("email")),
                _text(row.get("mobile")), _text(row.get("wecom_userid")) or emp_id, _text(row.get("name_en")),
                active, who, _text(row.get("language")),
            )
        )  # fmt: skip
    # A manager may be given by name (unique) instead of id.
    emp_ids = {e.id for e in employees}
    names = Counter(e.name for e in employees)
    by_person = {e.name: e.id for e in employees}
    fixed = []
    for e in employees:
        if e.manager and e.manager not in emp_ids and names.get(e.manager) == 1:
            e = _replace(e, manager=by_person[e.manager])
        elif e.manager and e.manager not in emp_ids and names.get(e.manager, 0) > 1:
            problems.append(f"{e.origin}：上级“{e.manager}”有 {names[e.manager]} 人同名，请改用工号")
            e = _replace(e, manager=None)
        fixed.append(e)
    chart = OrgChart(
        tuple(departments) + tuple(derived.values()), tuple(fixed), tuple(titles.values()), source=source
    )
    problems += check_chart(chart)
    if problems:
        raise OrgDataError(problems[:MAX_PROBLEMS], source)
    return chart


def _replace(e: Employee, **changes: Any) -> Employee:
    from dataclasses import replace

    return replace(e, **changes)


def check_chart(chart: OrgChart) -> list[str]:
    """Problems that make ``chart`` unloadable, each naming its row or node: duplicate ids, unknown
    departments, parents and managers, cycles in departments and in reporting lines."""
    problems: list[str] = []
    depts: dict[str, Department] = {}
    for d in chart.departments:
        if d.id in depts:
            problems.append(f"{d.origin or d.id}：部门编号 {d.id} 重复（{depts[d.id].origin}已有）")
        depts.setdefault(d.id, d)
    emps: dict[str, Employee] = {}
    for e in chart.employees:
        if e.id in emps:
            problems.append(f"{e.origin or e.id}：工号 {e.id} 重复（{emps[e.id].origin}已有）")
        emps.setdefault(e.id, e)
    for d in depts.values():
        if d.parent and d.parent != chart.organization and d.parent not in depts:
            problems.append(f"{d.origin or d.id}（{d.id} {d.name}）：上级部门 {d.parent} 不存在")
        for head in d.heads:
            if head not in emps:
                problems.append(f"{d.origin or d.id}（{d.id} {d.name}）：负责人 {head} 不在员工名单中")
    for e in emps.values():
        where = e.origin or f"员工 {e.id}（{e.name}）"
        for dept in (e.department, *e.other_departments):
            if dept and dept not in depts:
                problems.append(f"{where}：部门 {dept} 不存在")
        if e.manager and e.manager not in emps:
            problems.append(f"{where}：上级 {e.manager} 不在员工名单中")
    problems += _cycles(
        {d.id: d.parent for d in depts.values() if d.parent in depts},
        lambda i: f"{i} {depts[i].name}（{depts[i].origin}）" if depts[i].origin else f"{i} {depts[i].name}",
        "部门的上级关系形成环",
    )
    problems += _cycles(
        {e.id: e.manager for e in emps.values() if e.manager in emps},
        lambda i: f"{i} {emps[i].name}（{emps[i].origin}）" if emps[i].origin else f"{i} {emps[i].name}",
        "汇报关系形成环",
    )
    return problems


def _cycles(parent: dict[str, str | None], describe: Any, what: str) -> list[str]:
    """Each cycle in a child → parent map, once, as "what：A → B → A"."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[str] = []
    for start in parent:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent.get(node)
        if node is not None and state.get(node) == 1:
            loop = path[path.index(node) :]
            found.append(f"{what}：" + " → ".join(describe(i) for i in [*loop, loop[0]]))
        for n in path:
            state[n] = 2
    return found


# -- RDF ----------------------------------------------------------------------------------------------


def _names(g: Graph, s: URIRef, name: str, name_en: str = "", aliases: Iterable[str] = ()) -> None:
    g.add((s, SKOS.prefLabel, Literal(name, lang="zh")))
    if name_en:
        g.add((s, SKOS.prefLabel, Literal(name_en, lang="en")))
    for alias in aliases:
        if alias and alias != name:
            g.add((s, SKOS.altLabel, Literal(alias, lang="zh")))


def org_graph(chart: OrgChart) -> Graph:
    """The chart as RDF in the shape ``demo/load.py`` has always written (departments part of their parent
    or the organisation, heads, positions, reporting lines, roles), plus ``zk:active``, ``zk:alsoIn`` and
    ``zk:mobile``. Titles read from an export become ``zk:Position`` nodes; position ids (``POS-CEO``)
    refer to the vocabulary's."""
    g = Graph()
    org = KG[chart.organization]
    if chart.organization_name:
        g.add((org, RDF.type, ZK.Organization))
        g.add((org, SKOS.prefLabel, Literal(chart.organization_name, lang="zh")))
    for d in chart.departments:
        s = KG[d.id]
        g.add((s, RDF.type, ZK.Department))
        _names(g, s, d.name, d.name_en, d.aliases)
        if d.code:
            g.add((s, ZK.code, Literal(d.code)))
        g.add((s, ZK.partOf, KG[d.parent] if d.parent else org))
        if d.location:
            g.add((s, ZK.locatedAt, KG[d.location]))
        for head in d.heads:
            g.add((KG[head], ZK.headOf, s))
        g.add((s, ZK.active, Literal(d.active)))
    for p in chart.positions:
        g.add((KG[p.id], RDF.type, ZK.Position))
        g.add((KG[p.id], SKOS.prefLabel, Literal(p.name, lang="zh")))
    for e in chart.employees:
        s = KG[e.id]
        g.add((s, RDF.type, ZK.Employee))
        _names(g, s, e.name, e.name_en)
        g.add((s, ZK.belongsTo, KG[e.department]))
        for other in e.other_departments:
            g.add((s, ZK.alsoIn, KG[other]))
        if e.position:
            g.add((s, ZK.hasPosition, KG[e.position]))
        if e.manager:
            g.add((s, ZK.reportsTo, KG[e.manager]))
        for role in e.roles or ():
            g.add((s, ZK.hasRole, KG[f"ROLE-{role}"]))
        if e.level is not None:
            g.add((s, ZK.level, Literal(e.level, datatype=XSD.integer)))
        if e.hire_date:
            g.add((s, ZK.hireDate, Literal(e.hire_date, datatype=XSD.date)))
        if e.email:
            g.add((s, ZK.email, Literal(e.email)))
        if e.mobile:
            g.add((s, ZK.mobile, Literal(e.mobile)))
        g.add((s, ZK.wecomUserId, Literal(e.wecom_userid or e.id)))
        if e.language:
            g.add((s, ZK.language, Literal(e.language)))
        g.add((s, ZK.active, Literal(e.active)))
    return g


def sync_org(
    store: GraphStore, chart: OrgChart, *, source: str, dry_run: bool = False, **options: Any
) -> OrgSyncReport:
    """Write ``chart`` into ``store`` incrementally (see :func:`kb.orgsync.sync_org`)."""
    from kb.orgsync import sync_org as _sync

    return _sync(store, chart, source=source, dry_run=dry_run, **options)
