"""Logging that keeps secrets out of log files.

Browsers cannot set headers on a WebSocket handshake, so chat clients may pass their JWT in the URL
(``/ws/chat?token=…``) — and uvicorn writes every request's path with its query string to the log
(``uvicorn.access`` for HTTP, ``uvicorn.error`` for WebSocket handshakes). :class:`RedactSecrets`
replaces the value of any ``token=`` / ``access_token=`` query parameter before a record is
formatted; :func:`uvicorn_log_config` is uvicorn's own logging configuration with it installed on
both loggers (``zhiku serve`` passes it, so every worker process gets it).

Example::

    uvicorn.Config("api.main:app", log_config=uvicorn_log_config())
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

#: A secret query parameter's value: from ``token=`` (or ``access_token=``) to the next ``&``,
#: ``#``, space or quote.
SECRET_PARAM = re.compile(r"([?&](?:access_)?token=)[^&#\s\"']+", re.IGNORECASE)
#: The password in a URL's user part: ``falkordb://:secret@db:6379``, ``rediss://user:secret@…``.
URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+(@)", re.IGNORECASE)
REDACTED = "[redacted]"
#: The loggers uvicorn writes request lines to.
UVICORN_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """``text`` with the values of secret query parameters and passwords in URLs replaced."""
    if "token=" in text.lower():
        text = SECRET_PARAM.sub(rf"\g<1>{REDACTED}", text)
    return redact_url(text) if "://" in text else text


def redact_url(text: str) -> str:
    """``text`` with any URL's password replaced (a store's location shown by /healthz and errors)."""
    return URL_PASSWORD.sub(rf"\g<1>{REDACTED}\g<2>", text)


class RedactSecrets(logging.Filter):
    """Redacts secret query parameters in a record's message and arguments (the record keeps its
    shape: uvicorn's access formatter unpacks ``record.args``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


class RequestId(logging.Filter):
    """Puts the id of the request being served (``X-Request-ID``, api/observability.py) on every
    record as ``request_id`` (``None`` outside a request: start-up, background tasks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from asgi_correlation_id import correlation_id

        record.request_id = correlation_id.get()
        return True


class AccessFields(logging.Filter):
    """uvicorn's access records as fields — ``client``, ``method``, ``path``, ``status`` — besides
    the message, so a JSON log can be queried by them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            record.client, record.method, record.path, _, record.status = record.args
        return True


#: The JSON log line: these fields, then any a record carries (``extra=``, the access fields).
JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
    "datefmt": "%Y-%m-%dT%H:%M:%S%z",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    "json_ensure_ascii": False,
}


def uvicorn_log_config(*, json_format: bool = False, level: str = "INFO") -> dict[str, Any]:
    """uvicorn's default logging configuration, with :class:`RedactSecrets` on its request loggers.

    ``json_format`` (``ZHIKU_LOG_FORMAT=json``): every line — uvicorn's and Zhiku's own loggers' at
    ``level`` — is one JSON object with ``time``, ``level``, ``logger``, ``message`` and
    ``request_id``, secrets redacted on the way out whichever logger wrote them."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    filters = config.setdefault("filters", {})
    filters["redact_secrets"] = {"()": f"{__name__}.RedactSecrets"}
    for name in UVICORN_LOGGERS:
        logger = config["loggers"].setdefault(name, {})
        logger["filters"] = [*logger.get("filters", []), "redact_secrets"]
    if not json_format:
        return config
    filters["request_id"] = {"()": f"{__name__}.RequestId"}
    filters["access_fields"] = {"()": f"{__name__}.AccessFields"}
    from pythonjsonlogger.core import RESERVED_ATTRS

    # uvicorn's records carry their message again with terminal colours: not for a log pipeline
    config["formatters"] = {"json": {**JSON_FORMATTER, "reserved_attrs": [*RESERVED_ATTRS, "color_message"]}}
    for handler in config["handlers"].values():
        handler["formatter"] = "json"
        handler["filters"] = ["redact_secrets", "request_id", "access_fields"]
    config["root"] = {"handlers": ["default"], "level": level}
    return config


def install_redaction() -> None:
    """Add :class:`RedactSecrets` to uvicorn's request loggers in this process (once), for servers
    started with a logging configuration of their own (``uvicorn api.main:app``)."""
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
