"""Which browser pages may open the API's WebSockets (GraphQL subscriptions and ``/ws/chat``).

A browser sends ``Origin`` on every WebSocket handshake and, unlike for ``fetch``, CORS does not
stop a page elsewhere from opening one with the employee's cookies or a token it holds: the server
must check. Allowed: the API's own origin and ``ZHIKU_CORS_ORIGINS``. A handshake without
``Origin`` is not from a browser page (a mini-program, a server-side client, a test) and is allowed;
it has to bring a token like everyone else.
"""

from __future__ import annotations

from fastapi import WebSocketException
from starlette.requests import HTTPConnection
from starlette.status import WS_1008_POLICY_VIOLATION

from zhiku.settings import Settings


def origin_allowed(connection: HTTPConnection, settings: Settings, *, widget: bool = False) -> bool:
    """``widget``: the chat socket, which the embeddable widget opens from ``ZHIKU_WIDGET_ORIGINS`` too."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    host = connection.headers.get("host")
    own = {f"http://{host}", f"https://{host}"}
    return origin in own or origin in settings.cors_origins or (widget and origin in settings.widget_origins)


def check_ws_origin(connection: HTTPConnection, settings: Settings, *, widget: bool = False) -> None:
    """Refuse the handshake (policy violation, 1008: the client sees HTTP 403) from another origin."""
    if not origin_allowed(connection, settings, widget=widget):
        raise WebSocketException(code=WS_1008_POLICY_VIOLATION, reason="origin not allowed")
