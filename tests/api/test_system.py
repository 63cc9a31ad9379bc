"""The admin page's queries: ``systemOverview`` (the deployment and every setting in effect, secrets
never shown) and ``people`` (roles from the org data) — admins only, on the demo."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from zhiku.settings import Settings

ADMIN, KE = "E1001", "E1003"
SECRET = "s3cr3t-" + "x" * 40
OVERVIEW = "{ systemOverview { dataDir graphBackend graphOk indexChunks embedModel settings { name value default } } }"
PEOPLE = "query($r: String) { people(role: $r) { id name department level roles } }"


@pytest.fixture(scope="module")
def api(demo_graph, demo_search) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=demo_search.directory.parent,
        secret_key=SECRET,
        redis_url="redis://:hunter2-password@127.0.0.1:6390/0",
        llm_api_key="sk-do-not-show",
    )
    with TestClient(create_app(settings, store=demo_graph, search=demo_search)) as client:
        yield client


def gql(api: TestClient, who: str, query: str, **variables: Any) -> dict[str, Any]:
    settings = api.app.state.zhiku.settings  # type: ignore[attr-defined]
    r = api.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {issue_token(settings, who)}"},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_an_admin_sees_the_deployment_and_its_settings_with_every_secret_masked(
    api: TestClient, demo_search: Any
) -> None:
    body = gql(api, ADMIN, OVERVIEW)
    o = body["data"]["systemOverview"]
    assert o["graphOk"] and o["graphBackend"] == "falkordb"
    assert o["dataDir"] == str(demo_search.directory.parent.resolve())
    assert o["indexChunks"] == demo_search.stats()["chunks"] > 0
    assert o["embedModel"] == demo_search.embedder.name
    settings = {s["name"]: s for s in o["settings"]}
    assert settings["ZHIKU_SECRET_KEY"]["value"] == "******" and not settings["ZHIKU_SECRET_KEY"]["default"]
    assert settings["ZHIKU_REDIS_URL"]["value"] == "redis://:******@127.0.0.1:6390/0"
    assert settings["ZHIKU_LLM_API_KEY"]["value"] == "******"
    assert settings["ZHIKU_INGEST_MAX_BYTES"]["default"]
    text = str(body)
    assert "hunter2" not in text and SECRET not in text and "sk-do-not-show" not in text


def test_people_and_their_roles_come_from_the_org_data_for_admins_only(api: TestClient) -> None:
    people = {p["id"]: p for p in gql(api, ADMIN, PEOPLE)["data"]["people"]}
    assert people["E1003"]["roles"] == ["employee", "knowledge_engineer"]
    assert people["E1003"]["department"] == "总经办" and people["E1003"]["level"] == 6
    agents = {p["id"] for p in gql(api, ADMIN, PEOPLE, r="agent")["data"]["people"]}
    assert {"E1015", "E1017", "E1016"} <= agents and "E1003" not in agents
    for query in (OVERVIEW, PEOPLE):
        refused = gql(api, KE, query)
        assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
