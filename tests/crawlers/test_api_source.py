"""A JSON/REST endpoint as a crawl source (``api:`` in sources.yaml): records mapped to documents by
the declared mapping, paginated, incremental by ETag (304) and by ``updated_at``, vanished records
removed, a failing endpoint removing nothing — against a real HTTP server on loopback serving the
sections of Debian's ``debian-reference-zh-cn`` chapter 1 as records, into the embedded graph."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawlers.api import crawl_api
from crawlers.sources import load_sources
from crawlers.state import CrawlState
from ingest.loaders import html
from queries import load as load_query
from tests.ingest.realdocs import debian_reference
from zhiku.errors import ConfigError


class Endpoint:
    """Records served two per page at ``/api/sections?page=N`` with an ETag per page content."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.requests: list[tuple[str, str | None]] = []  # (path, If-None-Match)
        self.failing = False

    def page(self, number: int) -> tuple[bytes, str]:
        items = self.records[(number - 1) * 2 : number * 2]
        more = len(self.records) > number * 2
        body = {
            "data": {"items": items},
            "links": {"next": f"{self.base}/api/sections?page={number + 1}" if more else None},
        }
        raw = json.dumps(body, ensure_ascii=False).encode()
        return raw, '"' + str(hash(raw) & 0xFFFFFFFF) + '"'

    base = ""


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    blocks = html.load((debian_reference() / "ch01.zh-cn.html").read_bytes()).blocks
    records: list[dict[str, Any]] = []
    for block in blocks:
        if block.kind == "heading" and block.level == 3 and len(records) < 5:
            records.append({"id": block.anchor, "name": block.text, "body": "", "updated_at": "2026-11-01T08:00:00Z",
                            "owner": {"team": "Debian 文档组"}, "policy_id": "POL-debref"})  # fmt: skip
        elif records and block.kind == "paragraph" and not records[-1]["body"]:
            records[-1]["body"] = block.text
    api = Endpoint(records)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            api.requests.append((self.path, self.headers.get("If-None-Match")))
            if api.failing:
                self.send_response(503)
                self.end_headers()
                return
            body, etag = api.page(int(self.path.rsplit("=", 1)[1]))
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def _source(tmp_path: Path, api: Endpoint, **extra: Any):  # type: ignore[no-untyped-def]
    entry = {
        "name": "debref-api",
        "api": {
            "url": f"{api.base}/api/sections?page=1",
            "records": "data.items",
            "id": "id",
            "title": "name",
            "text": ["body"],
            "fields": ["owner"],
            "updated_at": "updated_at",
            "link": "https://www.debian.org/doc/manuals/debian-reference/ch01.zh-cn.html#{id}",
            "metadata": {"policy": "policy_id"},
            "next": "links.next",
            **extra,
        },
        "every": "1h",
        "access": {"roles": ["employee"]},
    }
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump([entry], allow_unicode=True), encoding="utf-8")
    return load_sources(path)["debref-api"]


def _documents(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rows = store.query(load_query("documents_under").text, {"prefix": "https://www.debian.org/"})
    return {row["uri"].rsplit("#", 1)[1]: row["id"] for row in rows}


def test_endpoint_records_become_documents_and_later_crawls_are_incremental(
    endpoint: Endpoint, store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source = _source(tmp_path, endpoint)
    state = CrawlState(tmp_path / "data")
    first = crawl_api(source, state, store, None)
    assert (first["outcome"], first["pages"], first["new"]) == ("ok", 3, 5)  # 5 records, 2 a page
    ids = [r["id"] for r in endpoint.records]
    assert sorted(_documents(store)) == sorted(ids)
    title = store.query("MATCH (d:Document {id: $id}) RETURN d.name AS t", {"id": _documents(store)[ids[2]]})
    assert title[0]["t"] == endpoint.records[2]["name"]  # e.g. "1.1.3. root 账户"
    texts = [r["t"] for r in store.query("MATCH (c:Chunk) RETURN c.text AS t")]
    assert any(endpoint.records[2]["body"][:20] in t for t in texts)
    assert any("owner：team：Debian 文档组" in t for t in texts)

    again = crawl_api(source, state, store, None)  # every page answers 304: nothing is read
    assert (again["new"], again["changed"], again["unchanged"], again["removed"]) == (0, 0, 5, 0)
    assert all(etag for path, etag in endpoint.requests[3:])

    endpoint.records[0] = {
        **endpoint.records[0],
        "body": "改写后的正文。",
        "updated_at": "2026-12-01T08:00:00Z",
    }
    gone = endpoint.records.pop(4)
    third = crawl_api(source, state, store, None)
    assert (third["new"], third["changed"], third["unchanged"], third["removed"]) == (0, 1, 3, 1)
    assert gone["id"] not in _documents(store)
    assert any("改写后的正文。" in r["t"] for r in store.query("MATCH (c:Chunk) RETURN c.text AS t"))


def test_a_failing_endpoint_removes_nothing(endpoint: Endpoint, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = _source(tmp_path, endpoint)
    state = CrawlState(tmp_path / "data")
    assert crawl_api(source, state, store, None)["new"] == 5
    endpoint.failing = True
    failed = crawl_api(source, state, store, None)
    assert failed["outcome"] == "failed" and "503" in failed["reason"]
    assert len(_documents(store)) == 5
    assert state.last_run("debref-api")["outcome"] == "failed"  # type: ignore[index]


def test_api_sources_are_checked(endpoint: Endpoint, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _source(tmp_path, endpoint, titel="name")
    assert "titel" in info.value.message_en
