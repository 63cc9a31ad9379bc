"""The agent console: a static page (``/agent``) and its script and styles (``/agent/static``).

It talks to the GraphQL API from the same origin with the agent's bearer token (from WeCom sign-on
or pasted; kept in the tab's sessionStorage). Strict headers: scripts and styles only from this
origin, no framing, no sniffing — the page renders every ticket text with ``textContent``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter()


@router.get("/agent", include_in_schema=False)
def console() -> Response:
    return FileResponse(CONSOLE_DIR / "index.html", headers=HEADERS, media_type="text/html; charset=utf-8")


def static_files() -> StaticFiles:
    """Mount at ``/agent/static``."""
    return StaticFiles(directory=CONSOLE_DIR)
