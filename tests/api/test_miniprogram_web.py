"""The mini-program's H5 build served at /m/: the page never cached, hashed files for a year, the
security headers on both, 404 for what is not there (including /m/ before `make miniprogram`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.miniprogram_web import include_miniprogram


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
