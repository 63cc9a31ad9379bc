"""WeCom's directory (通讯录) from the fake server on loopback: paging, leaders, members in several
departments, both detail paths, permission errors explained, and an incremental re-sync."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from kb import wecom_directory as directory
from kb.orgsync import sync_org
from kb.wecom_directory import fetch_directory
from tests.kb.test_org import _vocabulary
from wecom.client import WeComClient, WeComConfigError
from wecom.fake import FakeWeCom, generate_directory
from zhiku.loopback import running

CORP = "ww-org-test"


def _fetch(fake: FakeWeCom, store, **options):
    async def go():
        kv = redis.asyncio.Redis.from_url(store.kv_url, decode_responses=True)
        try:
            async with WeComClient(CORP, "s", fake.agent_id, kv, base_url=base) as client:
                return await fetch_directory(client, **options)
        finally:
            await kv.aclose()

    with running(fake.app) as base:
        return asyncio.run(go())


@pytest.fixture
def fake() -> FakeWeCom:
    fake = FakeWeCom(corp_id=CORP, secret="s", token="t", aes_key="a" * 43)
    fake.directory = generate_directory(members=300, departments=40, seed=3)
    return fake


def test_directory_pages_and_maps_leaders_and_multi_department_members(fake, store, monkeypatch) -> None:
    monkeypatch.setattr(directory, "PAGE", 100)
    chart = _fetch(fake, store)
    assert len(chart.employees) == 300 and len(chart.departments) == 41  # with the root department
    assert fake.directory_calls["/cgi-bin/user/list_id"] >= 3  # 300+ memberships in pages of 100
    assert chart.organization_name == "云杉科技"
    assert any(e.other_departments for e in chart.employees)
    assert sum(1 for d in chart.departments if d.heads) >= 30
    # Managers: an explicit direct_leader, else the department's leader.
    u = next(u for u in fake.directory.users if u["direct_leader"])
    assert chart.employee(u["userid"]).manager == u["direct_leader"][0]  # type: ignore[union-attr]
    # user/get per member gives the same chart as user/list per department.
    by_get = _fetch(fake, store, details="get")
    assert by_get.employees == chart.employees
    assert fake.directory_calls["/cgi-bin/user/get"] == 300


@pytest.mark.parametrize(("errcode", "says"), [(60011, "可见范围"), (48009, "可信 IP")])
def test_a_token_without_directory_permission_is_explained(fake, store, errcode, says) -> None:
    fake.directory_denied = errcode
    with pytest.raises(WeComConfigError) as err:
        _fetch(fake, store)
    assert err.value.errcode == errcode and "通讯录" in err.value.message_zh and says in err.value.hint


def test_resync_from_wecom_deactivates_leavers_and_keeps_renamed_departments(fake, store, onto) -> None:
    _vocabulary(store, onto)
    first = sync_org(store, _fetch(fake, store), source="wecom", onto=onto)
    assert len(first.employees_added) == 300
    gone = fake.directory.users.pop()["userid"]
    fake.directory.departments[5]["name"] = "新名字部"
    renamed = f"WX-D{fake.directory.departments[5]['id']}"
    report = sync_org(store, _fetch(fake, store), source="wecom", onto=onto)
    assert gone in report.employees_deactivated
    assert [r[0] for r in report.departments_renamed] == [renamed]
    row = store.query("MATCH (d:Department {id: $id}) RETURN d.name AS n, d.aliases AS a", {"id": renamed})[0]
    assert row["n"] == "新名字部" and len(row["a"]) == 1
    assert store.query("MATCH (e:Employee {id: $id}) RETURN e.active AS a", {"id": gone})[0]["a"] is False


def test_a_transient_outage_during_the_read_is_retried(fake, store, monkeypatch) -> None:
    monkeypatch.setattr(directory, "READ_RETRY_WAIT_S", 0.01)
    fake.down_for = 2  # the first directory reads answer 503
    chart = _fetch(fake, store)
    assert len(chart.employees) == 300 and fake.down_for == 0
