"""Per-request context: the caller (authenticated lazily, once), and DataLoaders so no resolver
issues N+1 queries — entities referenced by many hits or relations, and the relations of every entity
at one level of a nested query, load in one batched query each. The loaders run their store query in
a worker thread: the store's clients block, and the event loop must keep serving other requests."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from api.auth import Forbidden
from api.deps import AppState
from queries import load as load_query
from zhiku.access import Principal, hidden, visible

#: Most direct relations read for an entity's typed fields (department, members, forms…).
RELATED_LIMIT = 200


@dataclass(slots=True)
class Context:
    state: AppState
    authorization: str | None
    request: Any = None
    _principal: Principal | None = None
    language: str | None = None  # the reply language once a resolver settled it (api.graphql.language)
    entities: DataLoader[str, dict[str, Any] | None] = field(init=False)
    relations: DataLoader[tuple[str, int], list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.entities = DataLoader(load_fn=self._load_entities)
        # (entity id, most rows) → that entity's direct relations, read once per request however many
        # fields need them (an Employee's department, manager and position come from the same rows).
        self.relations = DataLoader(load_fn=self._load_relations)

    async def neighbours(self, entity_id: str, limit: int = RELATED_LIMIT) -> list[dict[str, Any]]:
        """The first ``limit`` direct relations of ``entity_id`` (the entity_relations rows), batched
        with every other entity's asked for in the same tick."""
        return await self.relations.load((entity_id, limit))

    async def _load_relations(self, keys: list[tuple[str, int]]) -> list[list[dict[str, Any]]]:
        by_limit: dict[int, list[str]] = defaultdict(list)
        for entity_id, limit in keys:
            by_limit[limit].append(entity_id)
        text = load_query("entity_relations_many").text
        hide = hidden(self.principal)
        found: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for limit, ids in by_limit.items():  # one query per distinct limit: usually one
            params = {"ids": ids, "limit": limit, **hide}
            for row in await asyncio.to_thread(self.state.store.query, text, params):
                found[(row.pop("of"), limit)].append(row)
        return [found.get(key, []) for key in keys]

    async def _load_entities(self, ids: list[str]) -> list[dict[str, Any] | None]:
        rows = await asyncio.to_thread(
            self.state.store.query, load_query("entities_by_ids").text, {"ids": list(set(ids))}
        )
        by_id = {r["id"]: r for r in rows}
        who = self.principal
        out: list[dict[str, Any] | None] = []
        for i in ids:
            row = by_id.get(i)
            out.append(row if row is not None and visible(row["properties"], row["labels"], who) else None)
        return out

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            self._principal = self.state.principals.authenticate(self.state.settings, self.authorization)
        return self._principal

    def use_connection_params(self, params: Any) -> None:
        """graphql-transport-ws clients may send the token in connection_init's payload."""
        if self.authorization is None and isinstance(params, dict):
            value = params.get("Authorization") or params.get("authorization")
            self.authorization = str(value) if value else None

    def require(self, *roles: str) -> Principal:
        """The caller, who must hold one of ``roles`` (admins hold every role)."""
        who = self.principal
        if roles and not who.has_role(*roles):
            raise Forbidden(
                "没有权限执行此操作",
                f"requires one of the roles: {', '.join(roles)}",
                hint="联系管理员开通相应角色",
            )
        return who


def ctx(info: Info) -> Context:
    context: Context = info.context["zhiku"]
    return context
