"""Crawls of real Chinese documentation nobody here wrote (Debian's ``debian-reference-zh-cn``, fetched
with apt) and of a deliberately hostile site, both served by HTTP servers on loopback; each crawl runs
as the scheduler runs it (a ``python -m crawlers.run`` subprocess) into a real embedded graph."""

from __future__ import annotations

import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawlers.schedules import build_scheduler, run_source
from crawlers.sources import load_sources
from crawlers.state import CrawlState
from graph import open_store
from ingest.corpora import debian_package
from search.service import SearchService
from zhiku.errors import ConfigError
from zhiku.settings import Settings


class Handler(http.server.SimpleHTTPRequestHandler):
    """Files from a directory (If-Modified-Since → 304, as Python's server does), plus hostile routes."""

    requested: list[str]

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.requested.append(self.path)
        hostile = {
            "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/loop": (302, "", b""),
            "/loop2": (302, "", b""),
            "/broken": (500, "text/html", b"<h1>Internal Server Error</h1>"),
            "/binary.html": (200, "text/html", b"\x00\x01\x02PK\x03\x04" * 2000),
            "/huge.html": (200, "text/html", b"<p>" + "大".encode() * 600_000 + b"</p>"),
            "/gbk.html": (200, "text/html; charset=utf-8", GBK_PAGE),
            "/bad-sitemap.xml": (200, "application/xml", b"<urlset><url><loc>http://"),
        }
        if self.path in hostile:
            status, ctype, body = hostile[self.path]
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "/loop2" if self.path == "/loop" else "/loop")
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


GBK_PAGE = (
    "<html><head><title>差旅报销须知</title></head><body><article><h1>差旅报销须知</h1>"
    "<p>出差结束后十个工作日内提交差旅报销，附上发票和行程单，由部门经理审批后交财务部复核。</p>"
    "<p>住宿标准按城市分级执行，一线城市每晚不超过六百元。</p></article></body></html>"
).encode("gb18030")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    root = tmp_path / "www"
    root.mkdir()
    requested: list[str] = []
    handler = type("H", (Handler,), {"requested": requested})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root, requested
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def debian_docs() -> Path:
    docs = debian_package("debian-reference-zh-cn")
    if docs is None:
        pytest.skip("apt could not fetch debian-reference-zh-cn (no Debian mirror reachable)")
    return docs


def _settings(tmp_path: Path, sources: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Settings:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(sources, allow_unicode=True), encoding="utf-8")
    env = {
        "ZHIKU_DATA_DIR": str(tmp_path / "data"),
        "ZHIKU_CRAWL_SOURCES": str(path),
        "ZHIKU_CRAWL_START_DELAY_S": "0",
        "ZHIKU_EMBED_MODEL": "static",  # the crawl subprocess indexes with the bundled small model
        "ZHIKU_INGEST_MAX_BYTES": "1000000",
        "ZHIKU_GRAPH_IDLE_SHUTDOWN_S": "1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


def _crawl(settings: Settings, name: str) -> dict[str, Any]:
    return run_source(name, str(settings.crawl_sources), str(settings.data_dir), 600)


def _top_hits(settings: Settings, question: str) -> list[Any]:
    store = open_store(settings)
    service = SearchService.open(store, settings)
    try:
        return service.search(question, k=3).hits
    finally:
        service.close()
        store.close()


def _top_uris(settings: Settings, question: str) -> list[str]:
    return [hit.uri for hit in _top_hits(settings, question)]


def test_debian_docs_are_crawled_incrementally_and_answer_questions(
    site: tuple[str, Path, list[str]], debian_docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root, requested = site
    for name in ("index", "pr01", "ch02", "apa"):
        shutil.copy(debian_docs / f"{name}.zh-cn.html", root)
    # apa.zh-cn.html links to https://www.debian.org/…/index.zh-cn.html, which the pattern matches:
    # another site, not followed (no allowed_domains given: the start URL's host only)
    source = {"name": "debref", "start_urls": [f"{base}/index.zh-cn.html"],
              "allow": [r"(index|pr01|ch02|apa)\.zh-cn\.html"], "depth": 2, "every": "30s"}  # fmt: skip
    settings = _settings(tmp_path, [source], monkeypatch)

    first = _crawl(settings, "debref")
    assert first["outcome"] == "ok" and first["new"] == 4 and first["errors"] == 0, first
    pages = {p.url for p in CrawlState(settings.data_dir).pages("debref")}
    assert all(url.startswith(base) for url in pages), pages  # www.debian.org was not asked
    assert f"{base}/ch02.zh-cn.html" in _top_uris(settings, "怎样用 apt 安装和移除软件包")
    assert "/ch01.zh-cn.html" not in requested  # outside the allowed patterns

    # unchanged pages cost a 304 and nothing downstream
    requested.clear()
    second = _crawl(settings, "debref")
    assert (second["new"], second["changed"], second["unchanged"], second["removed"]) == (0, 0, 4, 0), second

    # a changed page replaces its facts; a page that disappears is removed from the graph and index
    preface = root / "pr01.zh-cn.html"
    html = preface.read_text(encoding="utf-8")
    marker = "<p>知库爬虫测试：本手册的中文版由知库每三十秒同步一次，值班联系人是运维部的赵敏。</p>"
    # inside the main content: the first paragraph of the first section (not the navigation header or
    # the table of contents, which the loader leaves out as boilerplate)
    cut = html.index("</p>", html.index('class="section"')) + len("</p>")
    preface.write_text(html[:cut] + marker + html[cut:], encoding="utf-8")
    future = time.time() + 5
    import os

    os.utime(preface, (future, future))
    (root / "ch02.zh-cn.html").unlink()
    third = _crawl(settings, "debref")
    assert (third["changed"], third["removed"]) == (1, 1), third
    # the changed page answers, and its new sentence is indexed: the question it answers word for word
    # finds the long preface chunk holding it first, in the keyword list and in the hybrid ranking
    # (search.fusion.passage_evidence: the keyword ranker's clear first, one window of it holding the
    # question's words; before, the small bundled model's cosine put that chunk 6th)
    store = open_store(settings)
    service = SearchService.open(store, settings)
    try:
        question = "知库多久同步一次本手册？值班联系人是谁"
        keyword = service.search(question, k=3, lists=("keyword",)).hits
        hybrid = service.search(question, k=10).hits
    finally:
        service.close()
        store.close()
    assert "赵敏" in keyword[0].text and keyword[0].uri == f"{base}/pr01.zh-cn.html"
    assert "赵敏" in hybrid[0].text and hybrid[0].uri == f"{base}/pr01.zh-cn.html", hybrid[0].text
    assert f"{base}/ch02.zh-cn.html" not in _top_uris(settings, "怎样用 apt 安装和移除软件包")
    pages = {p.url for p in CrawlState(settings.data_dir).pages("debref")}
    assert f"{base}/ch02.zh-cn.html" not in pages


def test_hostile_pages_are_contained_and_recorded(
    site: tuple[str, Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root, requested = site
    links = [
        "/loop",
        "/broken",
        "/binary.html",
        "/huge.html",
        "/gbk.html",
        "/private/secret.html",
        "/missing.html",
    ]
    (root / "index.html").write_text(
        "<html><body><article><h1>制度索引</h1><p>公司制度与办事指南的目录页面，列出各项制度。</p>"
        + "".join(f'<p><a href="{u}">{u}</a></p>' for u in links)
        + "</article></body></html>",
        encoding="utf-8",
    )
    (root / "private").mkdir()
    (root / "private" / "secret.html").write_text("<p>机密</p>", encoding="utf-8")
    source = {"name": "hostile", "start_urls": [f"{base}/index.html"], "depth": 2, "every": "1m"}
    settings = _settings(tmp_path, [source], monkeypatch)

    result = _crawl(settings, "hostile")
    assert result["outcome"] == "ok", result  # the crawl itself finished
    assert "/private/secret.html" not in requested  # robots.txt obeyed
    assert requested.count("/loop") + requested.count("/loop2") <= 8  # the loop was cut off
    state = CrawlState(settings.data_dir)
    errors = dict(state.page_errors("hostile", limit=50))
    assert errors.get(f"{base}/broken") == "HTTP 500", (errors, requested)
    assert "二进制" in errors[f"{base}/binary.html"]
    assert f"{base}/huge.html" in errors, errors  # over ZHIKU_INGEST_MAX_BYTES: abandoned, recorded
    assert "robots" in errors[f"{base}/private/secret.html"]  # refused before any request, and recorded
    gbk = state.page("hostile", f"{base}/gbk.html")
    assert gbk is not None and gbk.doc_id and not errors.get(f"{base}/gbk.html")
    assert f"{base}/gbk.html" in _top_uris(
        settings, "差旅报销多少天内提交"
    )  # wrong charset header, read right
    run = state.last_run("hostile")
    assert run is not None and run["errors"] >= 2


def test_a_malformed_sitemap_removes_nothing_and_sitemap_removals_work(
    site: tuple[str, Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root, _ = site
    for name, text in (
        ("a", "年假申请需提前三个工作日提交，由直属上级审批。"),
        ("b", "病假需提供医院证明，三天以上报人力资源部备案。"),
    ):
        (root / f"{name}.html").write_text(f"<html><body><article><h1>{name}</h1><p>{text}</p></article></body></html>", encoding="utf-8")  # fmt: skip

    def sitemap(*names: str) -> None:
        urls = "".join(f"<url><loc>{base}/{n}.html</loc></url>" for n in names)
        (root / "sitemap.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
            encoding="utf-8",
        )

    sitemap("a", "b")
    sources = [{"name": "maps", "sitemap": f"{base}/sitemap.xml", "every": "1h"},
               {"name": "badmap", "sitemap": f"{base}/bad-sitemap.xml", "every": "1h"}]  # fmt: skip
    settings = _settings(tmp_path, sources, monkeypatch)
    assert _crawl(settings, "maps")["new"] == 2
    sitemap("a")  # b leaves the sitemap
    gone = _crawl(settings, "maps")
    assert (gone["outcome"], gone["removed"]) == ("ok", 1), gone
    bad = _crawl(settings, "badmap")
    assert bad["outcome"] == "failed" and bad["removed"] == 0, bad
    assert {p.url for p in CrawlState(settings.data_dir).pages("maps")} == {f"{base}/a.html"}


def test_sources_are_checked_and_the_scheduler_persists_jobs(
    site: tuple[str, Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root, _ = site
    (root / "a.html").write_text("<html><body><article><h1>班车</h1><p>公司班车每天早上八点从地铁站发车。</p></article></body></html>", encoding="utf-8")  # fmt: skip
    settings = _settings(
        tmp_path, [{"name": "tick", "start_urls": [f"{base}/a.html"], "every": "2s"}], monkeypatch
    )
    scheduler = build_scheduler(settings)
    scheduler.resume()
    state = CrawlState(settings.data_dir)
    try:
        deadline = time.monotonic() + 120

        def done() -> bool:  # a run finished, and the scheduler recorded the one after it
            run = state.last_run("tick")
            return bool(run and run["outcome"] and (state.next_run("tick") or 0) > run["started"])

        while not done() and time.monotonic() < deadline:
            time.sleep(0.5)
        runs = CrawlState(settings.data_dir)
        first = runs.last_run("tick")
        assert first is not None and first["outcome"] == "ok", first
        assert (runs.next_run("tick") or 0) > first["started"]  # the following run, from the trigger
    finally:
        scheduler.shutdown(wait=True)
    again = build_scheduler(settings)  # the persistent job store still holds the job
    try:
        job = again.get_job("crawl:tick")
        assert job is not None and job.max_instances == 1 and job.coalesce
    finally:
        again.shutdown(wait=False)

    bad = tmp_path / "bad.yaml"
    bad.write_text("- {name: x, start_urls: [http://a/], sitemap: http://a/s.xml}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="x"):
        load_sources(bad)
    bad.write_text("- {name: y, start_urls: [http://a/], every: often}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="y"):
        load_sources(bad)
