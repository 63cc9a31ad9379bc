"""The crawl sources file as a knowledge engineer writes it: a mistake is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.sources import load_sources
from zhiku.errors import ConfigError


def test_a_misspelled_key_is_refused_naming_the_key_the_file_and_the_likely_one(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("- name: hr\n  start_urls: ['http://intranet.test/hr/']\n  depht: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    line = caught.value.one_line()
    assert "depht" in line and "did you mean depth?" in line and "是否应为 depth" in line
    assert str(path) in caught.value.message_zh and str(path) in caught.value.message_en
    assert "hr" in line


def test_the_documented_keys_are_all_accepted(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "- name: hr-policies\n"
        "  start_urls: [https://intranet.example.com/hr/]\n"
        "  allowed_domains: [intranet.example.com]\n"
        "  allow: ['/hr/']\n"
        "  deny: ['/login']\n"
        "  depth: 3\n"
        "  every: 30m\n"
        "  access: {departments: [D-HR]}\n"
        "  max_pages: 2000\n"
        "  title_suffix: ' - 内网'\n",
        encoding="utf-8",
    )
    assert load_sources(path)["hr-policies"].depth == 3
