"""A project's ontology extensions loaded with ``zhiku load`` reach the API: the ``zhiku init`` example's
``MeetingRoom`` class is a GraphQL ``EntityType`` and its instance is queried by it — the ontology as
recorded at load in the data directory, without ZHIKU_ONTOLOGY_DIR."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.graphql.schema import build_schema
from kb.load import load_graph, register_project
from kb.project import open_project
from kb.scaffold import init_project
from ontology.model import configured_ontology
from tests.api.test_app import auth
from zhiku.projects import REGISTRY_DIR
from zhiku.settings import Settings

ENUM = '{ __type(name: "EntityType") { enumValues { name } } }'
ROOMS = "{ entities(type: MeetingRoom) { edges { node { id type name aliases } } } }"


def _enum(c: TestClient) -> set[str]:
    return {
        v["name"] for v in c.post("/graphql", json={"query": ENUM}).json()["data"]["__type"]["enumValues"]
    }


@pytest.fixture
def search(store, e5, embed_cache: Path, tmp_path: Path) -> Iterator[Any]:
    """An empty search index over ``store`` (the app would otherwise build one)."""
    from search.service import SearchService

    service = SearchService(store, tmp_path / "search", e5, cache_path=embed_cache)
    try:
        yield service
    finally:
        service.close()


def test_the_schema_built_from_the_settings_has_a_loaded_projects_class(store, tmp_path: Path) -> None:
    """The fast variant: the schema the app builds from its settings (no app started)."""
    root = tmp_path / "acme"
    init_project(root, name="艾克美")
    settings = Settings(data_dir=tmp_path / "data", ontology_dir=None)
    assert "MeetingRoom" not in _schema_enum(settings)
    project = open_project(root)
    register_project(settings.data_dir / REGISTRY_DIR, project, load_graph(store, project))
    assert "MeetingRoom" in _schema_enum(settings)
    assert "MeetingRoom" in {c for c in configured_ontology(settings).classes}


def _schema_enum(settings: Settings) -> set[str]:
    result = asyncio.run(build_schema(settings).execute(ENUM))
    assert result.errors is None and result.data is not None
    return {v["name"] for v in result.data["__type"]["enumValues"]}


@pytest.mark.slow
def test_a_loaded_extension_class_is_an_entity_type_and_queryable(store, search, tmp_path: Path) -> None:
    root = tmp_path / "acme"
    init_project(root, name="艾克美")
    data = tmp_path / "data"
    settings = Settings(data_dir=data, ontology_dir=None)
    with TestClient(
        create_app(settings, store=store, search=search)
    ) as c:  # before the load: the core's types only
        names = _enum(c)
        assert "MeetingRoom" not in names and "Employee" in names

    project = open_project(root)
    report = load_graph(store, project)  # the structured parts (the documents do not matter here)
    register_project(data / REGISTRY_DIR, project, report)  # what `zhiku load` then records
    assert report.ontology_files

    with TestClient(create_app(settings, store=store, search=search)) as c:
        c.headers.update(auth(settings, "E001"))
        names = _enum(c)
        assert "MeetingRoom" in names
        body = c.post("/graphql", json={"query": ROOMS}).json()
        assert "errors" not in body, body
        rooms = [e["node"] for e in body["data"]["entities"]["edges"]]
        assert rooms == [
            {"id": "ROOM-101", "type": "MeetingRoom", "name": "101会议室", "aliases": ["大会议室"]}
        ]
