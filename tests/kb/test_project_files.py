"""A loaded project's ``sources.yaml`` and ``rules.yaml`` are what crawls, the scheduler and WeCom push
rules use — recorded at ``zhiku load`` in the data directory, no environment setting needed; the
environment still overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.schedules import build_scheduler
from crawlers.sources import load_sources
from kb.load import load_project
from kb.project import open_project
from wecom.service import RULES_FILE, load_rules
from zhiku.settings import Settings

SOURCES = """\
- name: acme-intranet
  start_urls: ["http://127.0.0.1:9/handbook/"]
  every: 6h
"""
RULES = """\
- {event: approval.approved, to: recipients, message: text, template: "艾克美：审批通过 {summary}"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    root.mkdir()
    (root / "zhiku.yaml").write_text("name: 艾克美\n", encoding="utf-8")
    (root / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (root / "rules.yaml").write_text(RULES, encoding="utf-8")
    return root


def test_crawls_scheduler_and_push_rules_use_the_loaded_project(store, onto, project, tmp_path, monkeypatch):
    for var in ("ZHIKU_CRAWL_SOURCES", "ZHIKU_WECOM_RULES"):
        monkeypatch.delenv(var, raising=False)
    data = tmp_path / "data"
    before = Settings(data_dir=data)
    assert before.crawl_sources.name == "sources.yaml" and before.crawl_sources.parent.name == "crawlers"
    assert before.wecom_rules == RULES_FILE

    report = load_project(store, open_project(project), onto=onto, registry=data / "projects")
    assert report.sources == ["acme-intranet"] and report.rules == 1

    settings = Settings(data_dir=data)
    assert settings.crawl_sources == project / "sources.yaml"
    assert list(load_sources(settings.crawl_sources)) == ["acme-intranet"]
    assert [r.template for r in load_rules(settings.wecom_rules)] == ["艾克美：审批通过 {summary}"]
    (data / "crawl").mkdir(parents=True, exist_ok=True)
    scheduler = build_scheduler(settings)
    try:
        assert [job.id for job in scheduler.get_jobs()] == ["crawl:acme-intranet"]
    finally:
        scheduler.shutdown(wait=False)

    # The environment still wins.
    own = tmp_path / "own-sources.yaml"
    own.write_text("[]\n", encoding="utf-8")
    monkeypatch.setenv("ZHIKU_CRAWL_SOURCES", str(own))
    monkeypatch.setenv("ZHIKU_WECOM_RULES", str(RULES_FILE))
    overridden = Settings(data_dir=data)
    assert overridden.crawl_sources == own and overridden.wecom_rules == RULES_FILE
