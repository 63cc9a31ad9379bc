"""The knowledge engineer's ontology view and crawl sources over GraphQL, on a copy of the demo: every
class with its labels, properties, SHACL rules in words and instance count; a proposed extension
compared with the loaded ontology (what it adds, what it would orphan in the graph — read-only);
"run now" refused with a reason when no crawl scheduler runs; other roles refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.falkordb_store import FalkorDBStore
from tests.api.conftest import gql_as
from zhiku.settings import Settings

KE, EMPLOYEE, ANALYST = "E1003", "E1030", "E1004"
CLASSES = "{ ontologyClasses { name labelZh labelEn core instances parents properties { name range } rules { path zh en } } }"
DIFF = "query($c: String!, $f: String!) { ontologyDiff(content: $c, filename: $f) { affected changes { kind name change old new breaking affected text } } }"
RUN = "mutation($n: String!) { runCrawl(name: $n) { accepted state message messageEn } }"
RUNS = "{ crawlRuns { leader runs { source state pages } } crawlSources { name } }"
PREFIXES = """@prefix zk: <http://zhiku.example.org/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""
LOADED = PREFIXES + 'zk:Vendor a owl:Class ; skos:prefLabel "供应商"@zh , "Vendor"@en .\n'
EXTENSION = PREFIXES + 'zk:Carrier a owl:Class ; skos:prefLabel "承运商"@zh , "Carrier"@en .\n'


@pytest.fixture
def api(demo_copy: FalkorDBStore, copy_search: Any, tmp_path: Path) -> Iterator[TestClient]:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "- name: hr-site\n  start_urls: ['http://127.0.0.1:9/']\n  every: 1h\n", encoding="utf-8"
    )
    extensions = tmp_path / "ontology"
    extensions.mkdir()
    (extensions / "vendor.ttl").write_text(LOADED, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", crawl_sources=sources, ontology_dir=extensions)
    with TestClient(create_app(settings, store=demo_copy, search=copy_search)) as client:
        yield client


gql = gql_as


def test_the_ontology_view_and_a_proposed_extension_diff(api: TestClient, demo_copy: FalkorDBStore) -> None:
    classes = {c["name"]: c for c in gql(api, KE, CLASSES)["data"]["ontologyClasses"]}
    employee = classes["Employee"]
    assert employee["labelZh"] == "员工" and employee["labelEn"] and employee["core"]
    employees = demo_copy.query("MATCH (e:Employee) RETURN count(e) AS n")[0]["n"]
    assert employee["instances"] == employees > 0
    assert {"name": "belongsTo", "range": "Department"} in employee["properties"]
    belongs = next(r for r in employee["rules"] if r["path"] == "belongsTo")
    assert "必填" in belongs["zh"] and "最多 1 个" in belongs["zh"] and "部门" in belongs["zh"]
    assert "required" in belongs["en"]

    assert classes["Vendor"]["core"] is False and classes["Vendor"]["instances"] == 0  # an extension's
    before = demo_copy.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
    added = gql(api, KE, DIFF, c=EXTENSION, f="carrier.ttl")["data"]["ontologyDiff"]  # a new file: added
    assert [(c["name"], c["change"], c["breaking"]) for c in added["changes"]] == [
        ("Carrier", "added", False)
    ]
    replaced = gql(api, KE, DIFF, c=EXTENSION, f="vendor.ttl")["data"][
        "ontologyDiff"
    ]  # vendor.ttl's new version
    by = {(c["name"], c["change"]): c for c in replaced["changes"]}
    assert by[("Vendor", "removed")]["breaking"] and by[("Vendor", "removed")]["affected"] == 0
    assert "删除" in by[("Vendor", "removed")]["text"] and not by[("Carrier", "added")]["breaking"]
    assert demo_copy.query("MATCH (n) RETURN count(n) AS n")[0]["n"] == before  # read-only
    assert "Carrier" not in {c["name"] for c in gql(api, KE, CLASSES)["data"]["ontologyClasses"]}

    bad = gql(api, KE, DIFF, c="这不是 RDF {", f="x.ttl")
    assert bad["errors"][0]["extensions"]["code"] == "ONTOLOGY_INVALID"  # not RDF: said, nothing loaded
    assert gql(api, KE, DIFF, c=EXTENSION, f="x.json")["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert gql(api, ANALYST, CLASSES)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_run_now_without_a_scheduler_is_refused_with_a_reason(api: TestClient) -> None:
    runs = gql(api, KE, RUNS)["data"]
    assert runs["crawlRuns"]["leader"] is None and runs["crawlSources"] == [{"name": "hr-site"}]
    assert runs["crawlRuns"]["runs"] == [{"source": "hr-site", "state": "idle", "pages": 0}]
    refused = gql(api, KE, RUN, n="hr-site")["data"]["runCrawl"]
    assert (refused["accepted"], refused["state"]) == (False, "no_scheduler")
    assert "zhiku scheduler" in refused["message"] and "no crawl scheduler" in refused["messageEn"]
    assert gql(api, KE, RUN, n="nope")["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert gql(api, EMPLOYEE, RUN, n="hr-site")["errors"][0]["extensions"]["code"] == "FORBIDDEN"


COVERAGE = "{ ontologyClasses { name instances labelCoverage { language labelled share } } }"


def test_label_coverage_per_class_in_the_ten_languages(api: TestClient, demo_copy: FalkorDBStore) -> None:
    classes = {c["name"]: c for c in gql(api, KE, COVERAGE)["data"]["ontologyClasses"]}
    topic = classes["Topic"]
    cover = {c["language"]: c for c in topic["labelCoverage"]}
    assert list(cover) == ["zh", "en", "ja", "ko", "de", "fr", "it", "nl", "pt", "ru"]
    # counted here from the nodes' label properties as loaded (skos labels → name/nameEn/labelsI18n…)
    rows = demo_copy.query(
        "MATCH (t:Topic) RETURN t.name AS zh, t.nameEn AS en, t.labelsI18n AS i18n, t.aliasesI18n AS alt"
    )
    ja = sum(
        1 for r in rows if any(str(x).startswith("ja=") for x in [*(r["i18n"] or []), *(r["alt"] or [])])
    )
    assert topic["instances"] == len(rows) > 0 and ja > 0
    assert cover["zh"]["labelled"] == sum(1 for r in rows if r["zh"]) and cover["ja"]["labelled"] == ja
    assert cover["ja"]["share"] == round(ja / len(rows), 4)
    assert cover["en"]["labelled"] == sum(1 for r in rows if r["en"])
    assert cover["ko"]["labelled"] == 0 and cover["ko"]["share"] == 0
    vendor = {c["language"]: c["share"] for c in classes["Vendor"]["labelCoverage"]}  # no instances
    assert set(vendor.values()) == {0}
