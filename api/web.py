"""The web console (``web/``, built by ``make web`` into ``web/dist``), served by the API itself.

* ``GET /`` and every client-side route (``/chat``, ``/kb/hit-test``…) → ``index.html`` (no-cache),
  with a strict Content-Security-Policy: scripts only from this origin, no inline script; styles
  from this origin plus the ``<style>`` elements Ant Design's CSS-in-JS writes, admitted by a
  per-response nonce (the page reads it from ``<meta name="csp-nonce">``), never ``unsafe-inline``.
* ``/assets/…`` → the bundle's content-hashed files, cached for a year (``immutable``), gzipped for
  clients that accept it (:func:`compressed`).
* ``GET /graphql`` in a browser → GraphiQL built into the bundle (``graphiql.html``) instead of
  Strawberry's page, whose scripts come from a public CDN; ``/docs`` → Swagger UI from the
  ``swagger-ui-dist`` files copied into the bundle. Both work without internet.
* Development only: ``GET /auth/dev/personas`` (the demo employees with their roles) and
  ``POST /auth/dev/login {"employee": "E1030"}`` → a token, what ``zhiku token`` prints. In
  production both answer 404 and sign-in is WeCom's (``/auth/wecom/login``).

Paths the API owns (``/graphql``, ``/ws``, ``/auth``, ``/agent``, ``/healthz``, ``/wecom``…) never
fall back to the page, nor does a path with a file extension: those stay 404.

    include_web(app, settings)     # in create_app, after the other routers
"""

from __future__ import annotations

import asyncio
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

from api.auth import AuthError, issue_token
from queries import load as load_query
from zhiku.settings import Environment, Settings

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "web" / "dist"
NONCE_PLACEHOLDER = "__CSP_NONCE__"
#: First path segments that belong to the API, not the single-page app.
API_PREFIXES = frozenset(
    {"graphql", "ws", "auth", "agent", "healthz", "wecom", "docs", "openapi.json", "assets", "vendor"}
)
IMMUTABLE = "public, max-age=31536000, immutable"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def page_csp(nonce: str) -> str:
    return (
        "default-src 'none'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}' 'report-sample'; connect-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def compressed(files: ASGIApp) -> ASGIApp:
    """Static files gzipped for clients that accept it (``Vary: Accept-Encoding``; headers kept).
    Only the static mounts: API responses are left alone (a compressed response that mixes a secret
    with what the client sent can leak the secret through its length — BREACH)."""
    return GZipMiddleware(files, minimum_size=1024, compresslevel=6)


def web_dir(settings: Settings) -> Path:
    return settings.web_dir or DEFAULT_DIR


@lru_cache(maxsize=8)
def _template(path: Path, mtime_ns: int) -> str:
    return path.read_text(encoding="utf-8")


def html_page(path: Path) -> Response:
    """``path`` (a built HTML page) with a fresh style nonce and the strict headers."""
    if not path.is_file():
        return _missing()
    return _page(path)


def _page(path: Path) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    body = _template(path, path.stat().st_mtime_ns).replace(NONCE_PLACEHOLDER, nonce)
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": page_csp(nonce), "Cache-Control": "no-cache"}
    return HTMLResponse(body, headers=headers)


def _missing() -> Response:
    return JSONResponse(
        {
            "error": {
                "code": "WEB_NOT_BUILT",
                "message": "网页控制台尚未构建：运行 make web（或 make run）",
                "message_en": "the web console is not built: run `make web` (or `make run`)",
            }
        },
        status_code=404,
    )


def _not_found() -> Response:
    return JSONResponse(
        {"error": {"code": "NOT_FOUND", "message": "页面不存在", "message_en": "not found"}}, status_code=404
    )


class _Assets(StaticFiles):
    """Content-hashed bundle files: cached for a year, sniffing off."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class DevLogin(BaseModel):
    employee: str = Field(min_length=1, max_length=64)


def _development(request: Request) -> Settings | None:
    settings: Settings = request.app.state.zhiku.settings
    return settings if settings.env is Environment.development else None


router = APIRouter()


@router.get("/auth/dev/personas", include_in_schema=False)
async def dev_personas(request: Request) -> Response:
    if _development(request) is None:
        return _not_found()
    store = request.app.state.zhiku.store
    rows: list[dict[str, Any]] = await asyncio.to_thread(store.query, load_query("dev_personas").text, {})
    people = [
        {
            "id": r["id"],
            "name": r["name"],
            "department": r.get("department") or "",
            "level": int(r.get("level") or 0),
            "roles": sorted(str(x).removeprefix("ROLE-") for x in (r.get("roles") or [])),
        }
        for r in rows
    ]
    return JSONResponse({"personas": people})


@router.post("/auth/dev/login", include_in_schema=False)
async def dev_login(payload: DevLogin, request: Request) -> Response:
    settings = _development(request)
    if settings is None:
        return _not_found()
    state = request.app.state.zhiku
    try:
        principal = await asyncio.to_thread(state.principals.get, payload.employee)
    except AuthError:  # an unknown employee
        return JSONResponse(
            {
                "error": {
                    "code": "UNAUTHENTICATED",
                    "message": f"员工 {payload.employee} 不存在",
                    "message_en": f"no employee {payload.employee}",
                }
            },
            status_code=401,
        )
    return JSONResponse(
        {
            "token": issue_token(settings, principal.id),
            "employee": principal.id,
            "name": principal.name,
            "roles": list(principal.roles),
            "expiresIn": settings.token_ttl_s,
        }
    )


_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")


def include_web(app: FastAPI, settings: Settings) -> None:
    """Serve the console at ``/`` (call after every other router: its fallback route comes last)."""
    root = web_dir(settings)
    app.include_router(router)
    app.mount("/assets", compressed(_Assets(directory=root / "assets", check_dir=False)), name="web-assets")
    app.mount("/vendor", compressed(_Assets(directory=root / "vendor", check_dir=False)), name="web-vendor")
    if app.docs_url:
        _offline_docs(app, root)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return html_page(root / "index.html")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> Response:
        first = path.split("/", 1)[0]
        if first in API_PREFIXES or _EXTENSION.search(path):
            return _not_found()
        return html_page(root / "index.html")


def graphiql_page(settings: Settings) -> HTMLResponse | None:
    """The bundle's GraphiQL page, when built (``None``: fall back to Strawberry's)."""
    path = web_dir(settings) / "graphiql.html"
    return _page(path) if path.is_file() else None


def _offline_docs(app: FastAPI, root: Path) -> None:
    """Swap FastAPI's ``/docs`` (Swagger UI from a CDN) for the same page on bundled files."""
    docs_url, openapi_url = app.docs_url, app.openapi_url
    if not (root / "vendor" / "swagger-ui" / "swagger-ui-bundle.js").is_file() or not openapi_url:
        return

    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/vendor/swagger-ui/favicon-32x32.png",
        )

    app.router.routes[:] = [
        Route(docs_url, docs, include_in_schema=False) if isinstance(r, Route) and r.path == docs_url else r
        for r in app.router.routes
    ]
