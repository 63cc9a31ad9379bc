"""The mini-program's H5 build served at /m/: the page never cached, hashed files for a year, the
security headers on both, 404 for what is not there (including /m/ before `make miniprogram`), and
gzip for clients that accept it (the console's bundle too)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.miniprogram_web import include_miniprogram
from api.web import IMMUTABLE, include_web
from zhiku.settings import Settings


def test_h5_build_is_served_under_m(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text("<div id=app></div>", encoding="utf-8")
    (tmp_path / "js" / "app.1a2b3c4d.js").write_text("console.log(1)", encoding="utf-8")
    app = FastAPI()
    include_miniprogram(app, tmp_path)
    with TestClient(app) as http:
        page = http.get("/m/")
        assert page.status_code == 200 and "app" in page.text
        assert page.headers["cache-control"] == "no-cache" and page.headers["x-frame-options"] == "DENY"
        asset = http.get("/m/js/app.1a2b3c4d.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert http.get("/m/js/missing.js").status_code == 404


def test_not_built_is_404(tmp_path: Path) -> None:
    app = FastAPI()
    include_miniprogram(app, tmp_path / "absent")
    with TestClient(app) as http:
        assert http.get("/m/").status_code == 404


def test_static_files_are_gzipped_for_clients_that_accept_it(tmp_path: Path) -> None:
    """The phone's H5 build and the console's bundle; headers as without compression."""
    script = "console.log('知库');\n" * 400  # well over the 1 KB below which nothing is compressed
    (tmp_path / "h5" / "js").mkdir(parents=True)
    (tmp_path / "h5" / "index.html").write_text("<div id=app></div>" * 100, encoding="utf-8")
    (tmp_path / "h5" / "js" / "app.1a2b3c4d.js").write_text(script, encoding="utf-8")
    (tmp_path / "web" / "assets").mkdir(parents=True)
    (tmp_path / "web" / "assets" / "index-abc123.js").write_text(script, encoding="utf-8")
    app = FastAPI()
    include_miniprogram(app, tmp_path / "h5")
    include_web(app, Settings(data_dir=tmp_path, web_dir=tmp_path / "web"))
    with TestClient(app) as http:
        for path in ("/m/js/app.1a2b3c4d.js", "/assets/index-abc123.js"):
            got = http.get(path, headers={"Accept-Encoding": "gzip"})
            assert got.headers["content-encoding"] == "gzip" and got.text == script  # decoded by httpx
            assert int(got.headers["content-length"]) < len(script.encode()) / 10
            assert (
                got.headers["cache-control"] == IMMUTABLE
                and got.headers["x-content-type-options"] == "nosniff"
            )
            assert "accept-encoding" in got.headers["vary"].lower()
            plain = http.get(path, headers={"Accept-Encoding": "identity"})
            assert "content-encoding" not in plain.headers and plain.text == script
        page = http.get("/m/", headers={"Accept-Encoding": "gzip"})
        assert page.headers["content-encoding"] == "gzip" and page.headers["cache-control"] == "no-cache"
        assert page.headers["x-frame-options"] == "DENY"
