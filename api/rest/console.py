"""The agent console: a static page (``/agent``) and its script and styles (``/agent/static``).

It talks to the GraphQL API from the same origin with the agent's bearer token (from WeCom sign-on
or pasted; kept in the tab's sessionStorage). Strict headers on the page *and* on every static file
(``/agent/static/index.html`` is the same page): scripts and styles only from this origin (no inline
code), no framing, no sniffing, no referrer — the page renders every ticket text with
``textContent``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter()


@router.get("/agent", include_in_schema=False)
def console() -> Response:
    return FileResponse(CONSOLE_DIR / "index.html", headers=HEADERS, media_type="text/html; charset=utf-8")


class _ConsoleFiles(StaticFiles):
    """The console's files, each with the page's strict headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def static_files() -> StaticFiles:
    """Mount at ``/agent/static``."""
    return _ConsoleFiles(directory=CONSOLE_DIR)
