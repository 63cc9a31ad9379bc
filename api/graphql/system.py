"""System: what an administrator's console shows about this deployment — the settings in effect (every
secret masked, credentials in URLs hidden), the graph store, the search index and its model, the
scheduler — and the people with their roles and scopes, read from the org data. Admins only; read-only.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import strawberry
from pydantic import SecretStr
from strawberry.types import Info

from api.graphql.context import ctx
from api.graphql.paging import page
from queries import load as load_query
from zhiku import __version__
from zhiku.errors import InputError
from zhiku.settings import MAX_KEY_CHARS, Settings

#: Shown instead of a secret's value.
MASK = "******"


@strawberry.type(description="一项生效中的设置（密钥已遮盖）/ one setting in effect, secrets masked")
class SettingValue:
    name: str = strawberry.field(description="环境变量名 / the environment variable")
    value: str
    default: bool = strawberry.field(description="是否为默认值 / whether it is the default")
    description: str


@strawberry.type(description="部署概况（管理员）/ the deployment at a glance")
class SystemOverview:
    version: str
    env: str
    data_dir: str
    graph_backend: str
    graph_location: str
    graph_ok: bool
    graph_latency_ms: float | None
    index_documents: int
    index_chunks: int
    index_vectors: int
    index_kind: str
    index_version: int
    embed_model: str
    embed_dim: int
    ner_model: str | None
    scheduler: str | None = strawberry.field(description="leader / standby；null：本实例不参与调度")
    wecom: bool = strawberry.field(description="是否配置了企业微信 / whether WeCom is configured")
    settings: list[SettingValue]


@strawberry.type(description="一位员工的角色与可见范围（来自组织数据）/ a person's roles and scope")
class PersonRoles:
    id: strawberry.ID
    name: str
    department: str
    level: int
    roles: list[str]


def _hide_credentials(url: str) -> str:
    """A URL with any password in it replaced by :data:`MASK`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:{MASK}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_shown(v)}" for k, v in value.items())
    text = "" if value is None else str(getattr(value, "value", value))
    return _hide_credentials(text) if "://" in text else text


def settings_in_effect(settings: Settings) -> list[SettingValue]:
    """Every setting as its environment variable, its value as text (secrets never shown) and whether
    it is the default."""
    prefix = str(settings.model_config.get("env_prefix", "")).upper()
    out = []
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        out.append(
            SettingValue(
                name=prefix + name.upper(),
                value=_shown(value),
                default=name not in settings.model_fields_set,
                description=field.description or "",
            )
        )
    return out


def _overview(info: Info) -> SystemOverview:
    state = ctx(info).state
    settings = state.settings
    graph: dict[str, Any] = state.store.health()
    index = state.search.stats()
    return SystemOverview(
        version=__version__,
        env=settings.env.value,
        data_dir=str(settings.data_dir.resolve()),
        graph_backend=str(graph.get("backend", "")),
        graph_location=_hide_credentials(str(graph.get("location", ""))),
        graph_ok=bool(graph.get("ok")),
        graph_latency_ms=graph.get("latency_ms"),
        index_documents=int(index["documents"]),
        index_chunks=int(index["chunks"]),
        index_vectors=int(index["vectors"]),
        index_kind=str(index["vector_index"]),
        index_version=int(index["version"]),
        embed_model=str(index["model"]),
        embed_dim=int(index["dim"]),
        ner_model=str(settings.ner_model) if settings.ner_model else None,
        scheduler=state.scheduler.role if state.scheduler is not None else None,
        wecom=state.wecom is not None,
        settings=settings_in_effect(settings),
    )


@strawberry.type
class SystemQuery:
    @strawberry.field(description="部署概况与生效中的设置（管理员，密钥已遮盖）/ the deployment, for admins")
    async def system_overview(self, info: Info) -> SystemOverview:
        ctx(info).require("admin")
        return await asyncio.to_thread(_overview, info)

    @strawberry.field(description="人员与角色（管理员，只读，来自组织数据）/ people and their roles")
    async def people(
        self, info: Info, role: str | None = None, first: int = 100, skip: int = 0
    ) -> list[PersonRoles]:
        c = ctx(info)
        c.require("admin")
        if skip < 0:
            raise InputError("skip 不能为负数", "skip must not be negative")
        if role is not None and len(role) > MAX_KEY_CHARS:
            raise InputError("角色名过长", "role too long")
        params = {"role": role, "skip": skip, "limit": page(first)}
        rows: list[dict[str, Any]] = await asyncio.to_thread(
            c.state.store.query, load_query("people_roles").text, params
        )
        return [
            PersonRoles(
                id=strawberry.ID(r["id"]),
                name=r["name"] or "",
                department=r.get("department") or "",
                level=int(r.get("level") or 0),
                roles=sorted(str(x).removeprefix("ROLE-") for x in (r.get("roles") or [])),
            )
            for r in rows
        ]
