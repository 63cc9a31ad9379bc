"""The schema is built from the ontology the app loads: a class an extension adds (``ZHIKU_ONTOLOGY_DIR``)
is a value of ``EntityType``, and ``entities(type:)`` lists its members — on the app a client talks to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import graphql_sync, parse, validate

from api.app import create_app
from api.auth import issue_token
from api.graphql.schema import build_schema
from graph.falkordb_store import FalkorDBStore
from ontology.model import load_ontology
from zhiku.settings import Settings

EXTENSION = """\
@prefix zk:   <http://zhiku.example.org/ontology#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

zk:Supplier a owl:Class ;
    rdfs:subClassOf zk:Organization ;
    skos:prefLabel "供应商"@zh , "Supplier"@en .
"""
ENUM = '{ __type(name: "EntityType") { enumValues { name } } }'
BY_TYPE = "{ entities(type: Supplier) { edges { node { id type name } } } }"


@pytest.fixture
def extension(tmp_path: Path) -> Path:
    folder = tmp_path / "ontology"
    folder.mkdir()
    (folder / "supplier.ttl").write_text(EXTENSION, encoding="utf-8")
    return folder


def enum_values(schema: Any) -> set[str]:
    """The enum's values by introspection (graphql-core's own execution: no request context needed)."""
    result = graphql_sync(schema._schema, ENUM)
    assert not result.errors, result.errors
    return {v["name"] for v in result.data["__type"]["enumValues"]}


def test_each_schema_takes_its_entity_types_from_its_ontology(extension: Path) -> None:
    core = build_schema(Settings())
    extended = build_schema(Settings(ontology_dir=extension))  # the ontology the settings name
    given = build_schema(Settings(), load_ontology(extra_dir=extension))  # the ontology passed in
    assert "Supplier" not in enum_values(core)
    for schema in (extended, given):
        values = enum_values(schema)
        assert {"Supplier", "Organization", "Employee"} <= values
        assert not validate(schema._schema, parse(BY_TYPE))
    # built after the extended ones, the core schema still has no Supplier: enums are per schema
    assert validate(core._schema, parse(BY_TYPE))
    assert "Supplier" not in enum_values(build_schema(Settings()))


@pytest.fixture
def suppliers_app(
    store: FalkorDBStore, demo_search: Any, extension: Path, tmp_path: Path
) -> Iterator[tuple[TestClient, Settings]]:
    """The app on a fresh graph holding one employee and one supplier, with the extension loaded."""
    store.execute("CREATE (:Resource:Employee {id: 'E1', name: '测试员工', level: 1})")
    store.execute("CREATE (:Resource:Organization:Supplier {id: 'SUP-1', name: '华东办公用品公司'})")
    settings = Settings(data_dir=tmp_path / "data", ontology_dir=extension)
    with TestClient(create_app(settings, store=store, search=demo_search)) as client:
        yield client, settings


def test_an_extension_class_is_an_entity_type_of_the_api(suppliers_app: tuple[TestClient, Settings]) -> None:
    client, settings = suppliers_app
    token = issue_token(settings, "E1")

    def post(query: str) -> dict[str, Any]:
        response = client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    introspected = post(ENUM)["data"]["__type"]["enumValues"]
    assert "Supplier" in {v["name"] for v in introspected}
    edges = post(BY_TYPE)["data"]["entities"]["edges"]
    assert [e["node"] for e in edges] == [{"id": "SUP-1", "type": "Supplier", "name": "华东办公用品公司"}]
