"""Per-request context: the caller (authenticated lazily, once), and DataLoaders so no resolver
issues N+1 queries — entities referenced by many hits or relations load in one batched query."""

from __future__ import annotations

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
    entities: DataLoader[str, dict[str, Any] | None] = field(init=False)
    neighbours: DataLoader[str, list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.entities = DataLoader(load_fn=self._load_entities)
        # One entity's direct relations, read once per request however many fields need them
        # (an Employee's department, manager and position come from the same rows).
        self.neighbours = DataLoader(load_fn=self._load_neighbours)

    async def _load_neighbours(self, ids: list[str]) -> list[list[dict[str, Any]]]:
        text = load_query("entity_relations").text
        params = {"limit": RELATED_LIMIT, **hidden(self.principal)}
        return [self.state.store.query(text, {"id": i, **params}) for i in ids]

    async def _load_entities(self, ids: list[str]) -> list[dict[str, Any] | None]:
        rows = self.state.store.query(load_query("entities_by_ids").text, {"ids": list(set(ids))})
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
