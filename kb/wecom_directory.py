"""WeCom's directory (通讯录) as an :class:`~kb.org.OrgChart`: ``department/list`` (the tree and each
department's ``department_leader``), ``user/list_id`` (every member and department, paged by cursor),
then members' details from ``user/list`` per department (few calls) or ``user/get`` per member.

Mapping: WeCom's root department (``parentid`` 0) names the organisation and is kept as a department
(its members, often the executives, belong somewhere); department ``12`` becomes ``WX-D12``; a
member's id is their ``userid``; ``main_department`` → ``belongsTo``, the other departments →
``alsoIn``; ``position`` → a Position by title; the manager is ``direct_leader`` when set, else the
leader of the member's main department (or of the nearest department above that has one); status 2
(disabled) or 5 (left) → inactive, and members no longer listed are deactivated by the sync.

Permission errors are explained: 60011 (the app's visible range or API permission does not cover the
directory) and 48009 (the contact assistant's secret may not read details from a new IP — WeCom's rule
since 2022 — or the API is not granted).

Example::

    async with WeComClient.from_settings(settings, kv) as client:
        chart = await fetch_directory(client)
    sync_org(store, chart, source="wecom")
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Literal

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from kb.org import ORG_ID, Department, Employee, OrgChart, Position, check_chart, position_id
from wecom.client import WeComClient, WeComConfigError, WeComError, WeComUnavailable
from zhiku.errors import OrgDataError

#: Members per ``user/list_id`` page (WeCom allows 1–10000).
PAGE = 10000
#: Tries and first back-off (doubling) of one directory read after a transport failure.
READ_ATTEMPTS = 4
READ_RETRY_WAIT_S = 0.5
PERMISSION = {
    60011: (
        "没有读取通讯录的权限：{what}不在应用的可见范围内，或应用没有通讯录读取权限",
        "在管理后台 → 应用管理 → 本应用 → 可见范围 中加入这些部门，并开通“通讯录读取”权限；"
        "或改用 通讯录同步 的 Secret",
    ),
    48009: (
        "企业微信拒绝了读取通讯录（{what}）：接口无权限调用——通讯录同步助手不再允许从新增 IP 读取通讯录详情，"
        "或应用未获授权",
        "在管理后台 → 安全与管理 → 管理工具 → 通讯录同步 中把本服务器出口 IP 加入可信 IP，"
        "或使用已授权通讯录读取的自建应用",
    ),
}


def dept_id(wecom_id: int | str) -> str:
    return f"WX-D{wecom_id}"


async def _call(
    client: WeComClient, what: str, path: str, payload: Any = None, **params: Any
) -> dict[str, Any]:
    try:
        # Directory reads are idempotent: a transport failure (a timeout on a loaded machine or network)
        # is tried again with back-off before the sync gives up with the retryable WeComUnavailable.
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(WeComUnavailable),
            wait=wait_exponential(multiplier=READ_RETRY_WAIT_S, max=10),
            stop=stop_after_attempt(READ_ATTEMPTS),
            reraise=True,
        ):
            with attempt:
                return await client.call(path, payload, params=params or None)
        raise AssertionError("unreachable")  # pragma: no cover
    except WeComError as exc:
        if exc.errcode in PERMISSION:
            zh, hint = PERMISSION[exc.errcode]
            raise WeComConfigError(exc.errcode, str(exc), zh.format(what=what), hint=hint) from None
        raise


async def fetch_directory(
    client: WeComClient,
    *,
    details: Literal["list", "get"] = "list",
    concurrency: int = 8,
    root: int | None = None,
) -> OrgChart:
    """The whole directory (or the subtree under department ``root``) as a checked :class:`OrgChart`;
    :class:`WeComConfigError` for 60011/48009, :class:`OrgDataError` when WeCom's data is inconsistent."""
    params = {"id": root} if root is not None else {}
    data = await _call(client, "部门列表 department/list", "/cgi-bin/department/list", **params)
    departments: list[dict[str, Any]] = list(data.get("department") or [])
    memberships: dict[str, list[int]] = {}
    cursor = ""
    while True:
        page = await _call(
            client, "成员列表 user/list_id", "/cgi-bin/user/list_id", {"cursor": cursor, "limit": PAGE}
        )
        for pair in page.get("dept_user") or []:
            memberships.setdefault(str(pair["userid"]), []).append(int(pair["department"]))
        cursor = str(page.get("next_cursor") or "")
        if not cursor:
            break
    gate = asyncio.Semaphore(concurrency)
    users: dict[str, dict[str, Any]] = {}

    async def dept_members(d: int) -> None:
        async with gate:
            got = await _call(client, f"部门 {d} 的成员", "/cgi-bin/user/list", department_id=d)
        for u in got.get("userlist") or []:
            users.setdefault(str(u["userid"]), u)

    async def member(userid: str) -> None:
        async with gate:
            got = await _call(client, f"成员 {userid}", "/cgi-bin/user/get", userid=userid)
        users[userid] = got

    if details == "list":
        wanted = sorted({d for ds in memberships.values() for d in ds})
        await asyncio.gather(*(dept_members(d) for d in wanted))
    missing = [u for u in memberships if u not in users]
    await asyncio.gather(*(member(u) for u in missing))
    return directory_chart(departments, [users[u] for u in memberships if u in users])


def directory_chart(departments: Iterable[dict[str, Any]], users: Iterable[dict[str, Any]]) -> OrgChart:
    """WeCom's department and member dicts → a checked :class:`OrgChart` (see the module docstring)."""
    depts = {int(d["id"]): d for d in departments}
    roots = [d for d in depts.values() if int(d.get("parentid") or 0) not in depts]
    root_ids = {int(d["id"]) for d in roots if int(d.get("parentid") or 0) == 0}
    org_name = str(roots[0]["name"]) if len(root_ids) == 1 else ""
    leaders = {i: [str(u) for u in d.get("department_leader") or []] for i, d in depts.items()}
    people = {str(u["userid"]): u for u in users}
    out_depts: list[Department] = []
    for i, d in sorted(depts.items()):
        parent = int(d.get("parentid") or 0)
        out_depts.append(
            Department(
                dept_id(i),
                str(d.get("name") or dept_id(i)),
                dept_id(parent) if parent in depts else None,  # the root department is part of the org
                name_en=str(d.get("name_en") or ""),
                heads=tuple(u for u in leaders.get(i, []) if u in people),
                origin=f"企业微信部门 {i}（{d.get('name', '')}）",
            )
        )

    def leader_above(userid: str, dept: int) -> str | None:
        """The leader of ``dept``, or — for one of its leaders (co-leaders do not report to each other) and
        for a department without one — of the nearest department above."""
        if userid in leaders.get(dept, []):
            dept = int(depts[dept].get("parentid") or 0) if dept in depts else 0
        seen = set()
        while dept in depts and dept not in seen:
            seen.add(dept)
            for leader in leaders.get(dept, []):
                if leader != userid and leader in people:
                    return leader
            dept = int(depts[dept].get("parentid") or 0)
        return None

    titles: dict[str, Position] = {}
    employees: list[Employee] = []
    for userid, u in people.items():
        member_of = [int(d) for d in u.get("department") or []]
        main = int(u.get("main_department") or (member_of[0] if member_of else 0))
        direct = [str(x) for x in u.get("direct_leader") or [] if str(x) in people and str(x) != userid]
        manager = direct[0] if direct else leader_above(userid, main)
        title = str(u.get("position") or "").strip() or "员工"
        titles.setdefault(title, Position(position_id(title), title))
        employees.append(
            Employee(
                userid,
                str(u.get("name") or userid),
                dept_id(main) if main in depts else "",
                position_id(title),
                manager,
                tuple(dept_id(d) for d in member_of if d != main and d in depts),
                email=str(u.get("email") or u.get("biz_mail") or ""),
                mobile=str(u.get("mobile") or ""),
                wecom_userid=userid,
                name_en=str(u.get("english_name") or ""),
                active=int(u.get("status") or 1) not in (2, 5),
                origin=f"企业微信成员 {userid}（{u.get('name', '')}）",
            )
        )
    chart = OrgChart(
        tuple(out_depts), tuple(employees), tuple(titles.values()), ORG_ID, org_name, source="wecom"
    )
    problems = [f"{e.origin}：不属于任何可见的部门" for e in employees if not e.department]
    problems += check_chart(chart)
    if problems:
        raise OrgDataError(problems[:200], "企业微信通讯录")
    return chart
