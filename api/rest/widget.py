"""The embeddable chat widget's two server parts (the widget itself is ``web/src/widget.ts``):

* ``GET /widget.js`` — the built script (``make web`` → ``web/dist/widget.js``), for a plain
  ``<script src>`` on an intranet page; revalidated on every load (its URL never changes) and marked
  usable cross-origin (``Cross-Origin-Resource-Policy``), sniffing off.
* ``GET /auth/widget/origins`` — the origins allowed to embed it (``ZHIKU_WIDGET_ORIGINS``): the sign-in
  pop-up hands a token only to one of these, and ``/ws/chat`` accepts a handshake from them
  (:func:`api.origin.origin_allowed`). Nothing else of the API is opened to them: GraphQL keeps
  ``ZHIKU_CORS_ORIGINS``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from api.web import web_dir

router = APIRouter()
WIDGET_PATH = "/widget.js"


@router.get(WIDGET_PATH, include_in_schema=False)
async def widget_script(request: Request) -> Response:
    path = web_dir(request.app.state.zhiku.settings) / "widget.js"
    if not path.is_file():
        return JSONResponse(
            {
                "error": {
                    "code": "WEB_NOT_BUILT",
                    "message": "聊天挂件尚未构建：运行 make web",
                    "message_en": "the chat widget is not built: run `make web`",
                }
            },
            status_code=404,
        )
    headers = {
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    return FileResponse(path, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/auth/widget/origins", include_in_schema=False)
async def widget_origins(request: Request) -> JSONResponse:
    origins: list[str] = request.app.state.zhiku.settings.widget_origins
    return JSONResponse({"origins": origins}, headers={"Cache-Control": "no-store"})
