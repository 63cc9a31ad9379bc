"""The mini-program's H5 build (``miniprogram/dist/h5``, made by ``make miniprogram``) served at ``/m/``:
the employee's phone page for browsers outside WeChat — the same Taro pages as the WeChat mini-program.
Its routes are hash routes (``/m/#/pages/ask/index``), so the server only serves files: ``index.html``
never cached, the content-hashed ``js/`` and ``css/`` files for a year, all gzipped for clients that
accept it. Not built: ``/m/`` is 404.

    include_miniprogram(app)     # in create_app, before include_web (whose fallback catches the rest)
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.web import IMMUTABLE, SECURITY_HEADERS, compressed

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "miniprogram" / "dist" / "h5"


class _H5Files(StaticFiles):
    def __init__(self, root: Path) -> None:
        super().__init__(directory=root, html=True, check_dir=False)
        self.root = root

    async def check_config(self) -> None:
        """Not built is a 404 (Starlette would answer 500 for a missing directory)."""
        if self.root.is_dir():
            await super().check_config()

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not self.root.is_dir():
            return PlainTextResponse("Not Found", status_code=404)
        response = await super().get_response(path, scope)
        hashed = path.startswith(("js/", "css/", "static/"))
        response.headers["Cache-Control"] = IMMUTABLE if hashed else "no-cache"
        response.headers.update(SECURITY_HEADERS)
        return response


def include_miniprogram(app: FastAPI, root: Path = DEFAULT_DIR) -> None:
    app.mount("/m", compressed(_H5Files(root)), name="miniprogram-h5")
