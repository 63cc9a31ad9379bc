"""OAuth2 bearer tokens: JWTs signed with ``ZHIKU_SECRET_KEY`` (HS256), naming an employee.

Roles are not trusted from the token: every request resolves the employee's department chain,
roles and level from the graph (cached for :data:`PRINCIPAL_TTL_S`), so a role revoked in the org
data is revoked for the API within a minute. In development ``zhiku token EMPLOYEE_ID`` issues a
token; in production the WeCom single sign-on issues them.

Errors: a missing token is ``UNAUTHENTICATED``; an expired, forged or malformed one is
``INVALID_TOKEN``; an unknown employee ``UNAUTHENTICATED`` too, and so is one an org sync marked as
having left (``active=false``: ``kb.orgsync``) — within :data:`PRINCIPAL_TTL_S` of the sync.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cachetools import LRUCache

from chat.language import profile_language
from graph.base import GraphStore
from queries import load as load_query
from zhiku.access import Principal, load_principal
from zhiku.errors import NotFoundError, ZhikuError
from zhiku.i18n import N_
from zhiku.settings import Settings

ISSUER = "zhiku"
AUDIENCE = "zhiku-api"
ALGORITHM = "HS256"
PRINCIPAL_TTL_S = 60.0
#: Verified tokens remembered per process (signed in employees, not requests).
TOKEN_MEMO = 10_000


class AuthError(ZhikuError):
    """The caller is not (validly) authenticated."""

    code = "UNAUTHENTICATED"
    title = N_("请先登录")


class InvalidToken(AuthError):
    code = "INVALID_TOKEN"


class Forbidden(ZhikuError):
    """Authenticated, but the caller's roles do not allow this."""

    code = "FORBIDDEN"
    title = N_("没有权限")


def issue_token(settings: Settings, employee_id: str, *, ttl_s: int | None = None) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": employee_id,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s or settings.token_ttl_s),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


def _claims(settings: Settings, token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("登录已过期，请重新登录", "the token has expired", hint="重新获取令牌") from None
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("令牌无效", f"invalid token: {exc}", hint="使用知库签发的令牌") from None
    return claims


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise InvalidToken(
            "Authorization 头格式应为 Bearer <令牌>", "expected 'Authorization: Bearer <token>'"
        )
    return value.strip()


class PrincipalCache:
    """Employee id → principal (and profile language) from the graph, refreshed every
    :data:`PRINCIPAL_TTL_S` seconds."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._items: dict[str, tuple[float, Principal]] = {}
        self._languages: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()
        # token → (employee id, expiry): a token's signature is checked once, its expiry every time
        self._tokens: LRUCache[str, tuple[str, float]] = LRUCache(maxsize=TOKEN_MEMO)

    def _fresh[T](self, table: dict[str, tuple[float, T]], employee_id: str, load: Callable[[str], T]) -> T:
        """``table``'s entry for the employee while younger than :data:`PRINCIPAL_TTL_S`, else
        ``load(employee_id)``, kept."""
        now = time.monotonic()
        with self._lock:
            hit = table.get(employee_id)
        if hit and now - hit[0] < PRINCIPAL_TTL_S:
            return hit[1]
        value = load(employee_id)
        with self._lock:
            table[employee_id] = (now, value)
        return value

    def get(self, employee_id: str) -> Principal:
        return self._fresh(self._items, employee_id, self._load)

    def _load(self, employee_id: str) -> Principal:
        try:
            principal = load_principal(self.store, employee_id)
        except NotFoundError:
            raise AuthError("令牌对应的员工不存在", f"no employee {employee_id}") from None
        if not self._active(employee_id):
            raise AuthError(
                "该员工已离职或账号已停用，令牌不再有效",
                f"employee {employee_id} is inactive (left the organisation)",
                hint="如有疑问请联系管理员",
            )
        return principal

    def language(self, employee_id: str) -> str | None:
        """The employee's profile language (:func:`chat.language.profile_language`), refreshed as the
        principal is, every :data:`PRINCIPAL_TTL_S` seconds: one graph read per employee a minute
        instead of one per question (a distinct ``ask`` read it every time: ~0.2 ms of CPU, half of
        it the graph server's, and a round trip)."""
        return self._fresh(self._languages, employee_id, lambda e: profile_language(self.store, e))

    def _active(self, employee_id: str) -> bool:
        """False once an org sync marked the employee as having left (``access.py``'s principal is left
        as it is: the refusal is the token's, here)."""
        rows = self.store.query(load_query("employee_active").text, {"id": employee_id})
        return bool(rows[0]["active"]) if rows else True

    def authenticate(self, settings: Settings, authorization: str | None) -> Principal:
        return self.get(self.subject(settings, authorization))

    def subject(self, settings: Settings, authorization: str | None) -> str:
        """The employee id a valid ``Authorization`` value names (its signature checked once per
        token, its expiry every time); :class:`AuthError` / :class:`InvalidToken` otherwise."""
        token = bearer(authorization)
        if token is None:
            raise AuthError(
                "请先登录（缺少令牌）", "authentication required", hint="Authorization: Bearer <令牌>"
            )
        with self._lock:
            known = self._tokens.get(token)
        if known is None or time.time() >= known[1]:
            claims = _claims(settings, token)  # raises InvalidToken, also once a remembered one expires
            known = (str(claims["sub"]), float(claims["exp"]))
            with self._lock:
                self._tokens[token] = known
        return known[0]
