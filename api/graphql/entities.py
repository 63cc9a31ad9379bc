"""Entities of the knowledge graph: the ``Entity`` interface and its types, and the queries that read
them (``me``, ``entity``, ``entities``, ``neighborhood``). The ontology's classes with fields of their
own get concrete types, every other class is a ``GenericEntity`` whose ``type`` names the class.
``EntityType`` (the enum of ontology classes) is built per schema from the ontology the app loaded,
extensions included (:func:`entity_type_enum`)."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.context import ctx
from api.graphql.paging import PageInfo, decode_cursor, encode_cursor, page
from ontology.model import Ontology
from queries import load as load_query
from zhiku.access import hidden, scope_params, visible
from zhiku.errors import InputError

# -- the ontology's classes as an enum ---------------------------------------------------------------


def entity_type_enum(ontology: Ontology) -> type[enum.Enum]:
    """The GraphQL enum ``EntityType``: one value per class of ``ontology`` (core and extensions)."""
    classes = enum.Enum("EntityType", {name: name for name in sorted(ontology.classes)})  # type: ignore[misc]
    return strawberry.enum(classes, description="本体中的类 / the ontology's classes")


def _annotated(**annotations: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a resolver's parameters types known only when the schema is built (Strawberry resolves
    the module's string annotations in the module's namespace, where a per-schema enum is not)."""

    def apply(resolver: Callable[..., Any]) -> Callable[..., Any]:
        resolver.__annotations__.update(annotations)
        return resolver

    return apply


# -- entities ------------------------------------------------------------------------------------------


@strawberry.type(description="实体的一条直接关系 / one direct relationship of an entity")
class Relation:
    type: str
    direction: str = strawberry.field(description="out：本实体指向对方；in：对方指向本实体")
    target_id: strawberry.ID
    target_name: str | None
    target_labels: list[str]

    @strawberry.field(description="关系另一端的实体 / the entity at the other end")
    async def target(self, info: Info) -> Entity | None:
        return await load_entity(info, str(self.target_id))


@strawberry.interface(description="知识图谱中的实体 / an entity of the knowledge graph")
class Entity:
    id: strawberry.ID
    labels: list[str]
    type: str = strawberry.field(description="最具体的本体类 / the most specific ontology class")
    name: str | None
    name_en: str | None
    aliases: list[str]
    properties: JSON = strawberry.field(description="全部属性 / every property, as a JSON object")

    @strawberry.field(description="直接关系（双向），对调用者不可见的文档不出现 / direct relationships")
    async def relations(self, info: Info, first: int = 20, types: list[str] | None = None) -> list[Relation]:
        first = max(0, min(first, 200))
        c = ctx(info)
        # Hidden documents are rare among an entity's relations: fetch a margin, not everything
        # (a department has hundreds of members); a type filter needs the full list.
        limit = 500 if types else first * 2 + 10
        who = c.principal
        rows = await c.neighbours(str(self.id), limit)  # batched with the other entities' at this level
        rows = [r for r in rows if not types or r["type"] in types]
        out = []
        for r in rows:
            labels = [lb for lb in r["labels"] if lb != "Resource"]
            # the other end's access scope comes with the row: restricted documents are left out
            # without another query (people's records the query itself left out)
            if not visible(r, r["labels"], who):
                continue
            out.append(
                Relation(
                    type=r["type"],
                    direction=r["direction"],
                    target_id=strawberry.ID(r["id"]),
                    target_name=r["name"],
                    target_labels=labels,
                )
            )
            if len(out) >= first:
                break
        return out


def _prop(entity: Entity, key: str) -> Any:
    return cast(dict[str, Any], entity.properties).get(key)


async def _related(info: Info, entity: Entity, rel_type: str, direction: str = "out") -> list[Entity]:
    rows = await ctx(info).neighbours(str(entity.id))
    return await load_entities(
        info, [r["id"] for r in rows if r["type"] == rel_type and r["direction"] == direction]
    )


@strawberry.type(description="员工 / an employee")
class Employee(Entity):
    @strawberry.field
    def email(self) -> str | None:
        return cast(str | None, _prop(self, "email"))

    @strawberry.field
    def level(self) -> int | None:
        return cast(int | None, _prop(self, "level"))

    @strawberry.field(description="所属部门")
    async def department(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "BELONGS_TO")), None)

    @strawberry.field(description="直属上级")
    async def manager(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "REPORTS_TO")), None)

    @strawberry.field(description="职位")
    async def position(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "HAS_POSITION")), None)


@strawberry.type(description="部门 / a department")
class Department(Entity):
    @strawberry.field(description="负责人")
    async def head(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "HEAD_OF", "in")), None)

    @strawberry.field(description="上级部门或组织")
    async def parent(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "PART_OF")), None)

    @strawberry.field(description="成员")
    async def members(self, info: Info) -> list[Entity]:
        return await _related(info, self, "BELONGS_TO", "in")


@strawberry.type(description="文档（仅在调用者有权限时可见）/ a document the caller may read")
class Document(Entity):
    @strawberry.field
    def title(self) -> str | None:
        return self.name

    @strawberry.field
    def uri(self) -> str | None:
        return cast(str | None, _prop(self, "sourceUri"))

    @strawberry.field
    def format(self) -> str | None:
        return cast(str | None, _prop(self, "format"))

    @strawberry.field
    def modified_at(self) -> str | None:
        return cast(str | None, _prop(self, "modifiedAt"))


@strawberry.type(description="制度 / a policy")
class Policy(Entity):
    @strawberry.field(description="制度原文")
    async def documents(self, info: Info) -> list[Entity]:
        return await _related(info, self, "DEFINED_IN")

    @strawberry.field(description="涉及的审批流程")
    async def processes(self, info: Info) -> list[Entity]:
        return await _related(info, self, "REQUIRES_APPROVAL")


@strawberry.type(description="审批流程中的一步 / a step of an approval process")
class ProcessStep:
    id: strawberry.ID
    name: str
    order: int
    mode: str = strawberry.field(description="依次 / 会签（全部同意）/ 或签（任一同意）")
    condition: str = strawberry.field(description="生效条件，空表示总是生效")
    approver_roles: list[str]


@strawberry.type(description="审批流程 / an approval process")
class ApprovalProcess(Entity):
    @strawberry.field
    def description(self) -> str | None:
        return cast(str | None, _prop(self, "description"))

    @strawberry.field(description="处理时限（小时）")
    def sla_hours(self) -> int | None:
        return cast(int | None, _prop(self, "slaHours"))

    @strawberry.field(description="步骤（按顺序）")
    async def steps(self, info: Info) -> list[ProcessStep]:
        from approvals.chain import condition_text

        store = ctx(info).state.store
        rows = await asyncio.to_thread(store.query, load_query("process_steps").text, {"id": str(self.id)})
        return [
            ProcessStep(
                id=strawberry.ID(r["id"]),
                name=r["name"],
                order=int(r["ordinal"] or 0),
                mode=r["mode"] or "依次",
                condition=condition_text(r),
                approver_roles=[a["name"] for a in r["approvers"] if a.get("name")],
            )
            for r in rows
        ]

    @strawberry.field(description="使用的表单")
    async def forms(self, info: Info) -> list[Entity]:
        return await _related(info, self, "USES_FORM")

    @strawberry.field(description="归口部门")
    async def owner(self, info: Info) -> Entity | None:
        return next(iter(await _related(info, self, "OWNED_BY")), None)


@strawberry.type(description="表单 / a form")
class Form(Entity):
    @strawberry.field(description="表单编号，如 HR-F-001")
    def code(self) -> str | None:
        return cast(str | None, _prop(self, "code"))


@strawberry.type(description="其他类的实体（type 给出本体类）/ an entity of any other class")
class GenericEntity(Entity):
    pass


CONCRETE: dict[str, type[Entity]] = {
    "Employee": Employee,
    "Department": Department,
    "Document": Document,
    "Policy": Policy,
    "ApprovalProcess": ApprovalProcess,
    "Form": Form,
}
ALL_ENTITY_TYPES = (*CONCRETE.values(), GenericEntity)


def to_entity(info: Info, row: dict[str, Any]) -> Entity:
    ontology = ctx(info).state.ontology
    labels = [lb for lb in row["labels"] if lb != "Resource"]
    inherited = {a for lb in labels for a in ontology.ancestors(lb)[1:]}
    specific = [lb for lb in labels if lb not in inherited] or labels or ["Resource"]
    props: dict[str, Any] = dict(row["properties"])
    aliases = props.get("aliases") or []
    cls = next((CONCRETE[lb] for lb in specific if lb in CONCRETE), GenericEntity)
    return cls(
        id=strawberry.ID(row["id"]),
        labels=labels,
        type=specific[0],
        name=props.get("name"),
        name_en=props.get("nameEn"),
        aliases=list(aliases) if isinstance(aliases, list) else [str(aliases)],
        properties=cast(JSON, props),
    )


async def load_entity(info: Info, entity_id: str) -> Entity | None:
    row = await ctx(info).entities.load(entity_id)
    return to_entity(info, row) if row is not None else None


async def load_entities(info: Info, ids: list[str]) -> list[Entity]:
    """Several entities in one batch (invisible and missing ones left out, order kept)."""
    rows = await ctx(info).entities.load_many(ids)
    return [to_entity(info, r) for r in rows if r is not None]


@strawberry.type
class EntityEdge:
    cursor: str
    node: Entity


@strawberry.type
class EntityConnection:
    edges: list[EntityEdge]
    page_info: PageInfo


@strawberry.type(description="邻域中的一条边 / an edge of a neighbourhood")
class GraphEdge:
    source: strawberry.ID
    type: str
    target: strawberry.ID


@strawberry.type(description="实体的邻域 / an entity's neighbourhood")
class Neighborhood:
    center: strawberry.ID
    nodes: list[Entity]
    edges: list[GraphEdge]


@strawberry.type(description="当前登录的员工 / the caller")
class Me:
    id: strawberry.ID
    name: str
    roles: list[str]
    departments: list[strawberry.ID]
    level: int

    @strawberry.field
    async def employee(self, info: Info) -> Entity | None:
        return await load_entity(info, str(self.id))


def visible_row(info: Info, row: dict[str, Any]) -> bool:
    return visible(row["properties"], row["labels"], ctx(info).principal)


# -- the queries ---------------------------------------------------------------------------------------


def entity_query(entity_type: type[enum.Enum]) -> type:
    """The entity queries of one schema: ``entities(type:)`` takes that schema's ``EntityType``."""

    @strawberry.type
    class EntityQuery:
        @strawberry.field(description="当前登录的员工 / the caller")
        def me(self, info: Info) -> Me:
            who = ctx(info).principal
            return Me(
                id=strawberry.ID(who.id),
                name=who.name,
                roles=list(who.roles),
                departments=[strawberry.ID(d) for d in who.departments],
                level=who.level,
            )

        @strawberry.field(description="按 ID 查实体（无权查看的文档视为不存在）/ one entity by id")
        async def entity(self, info: Info, id: strawberry.ID) -> Entity | None:
            ctx(info).require()
            return await load_entity(info, str(id))

        @strawberry.field(description="按类型和名称列出实体（Relay 分页）/ entities by type and name")
        @_annotated(type=entity_type | None)
        async def entities(
            self,
            info: Info,
            type: enum.Enum | None = None,
            name: str | None = None,
            first: int = 20,
            after: str | None = None,
        ) -> EntityConnection:
            who = ctx(info).require()
            first = page(first)
            skip = decode_cursor(after)
            rows = await asyncio.to_thread(
                ctx(info).state.store.query,
                load_query("entities_page").text,
                {
                    "type": type.value if type is not None else None,
                    "name": name or None,
                    "skip": skip,
                    "limit": first + 1,
                    **scope_params(who),
                },
            )
            edges = [
                EntityEdge(cursor=encode_cursor(skip + i), node=to_entity(info, r))
                for i, r in enumerate(rows[:first])
            ]
            return EntityConnection(
                edges=edges,
                page_info=PageInfo(
                    has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None
                ),
            )

        @strawberry.field(description="实体的邻域（1–3 跳）/ an entity's neighbourhood")
        async def neighborhood(
            self, info: Info, id: strawberry.ID, depth: int = 1, rel_types: list[str] | None = None
        ) -> Neighborhood | None:
            c = ctx(info)
            c.require()
            if not 1 <= depth <= 3:
                raise InputError("depth 应为 1 到 3", "depth must be 1, 2 or 3")
            if await load_entity(info, str(id)) is None:
                return None
            rows = await asyncio.to_thread(
                c.state.store.query,
                load_query("neighborhood").text,
                {
                    "id": str(id),
                    "depth": depth,
                    "types": rel_types or [],
                    "limit": 500,
                    **hidden(c.principal),
                },
            )
            ids = sorted({r["source"] for r in rows} | {r["target"] for r in rows})
            nodes = await load_entities(info, ids)
            loaded = {str(e.id): e for e in nodes}
            edges = [
                GraphEdge(
                    source=strawberry.ID(r["source"]), type=r["type"], target=strawberry.ID(r["target"])
                )
                for r in rows
                if loaded.get(r["source"]) and loaded.get(r["target"])
            ]
            return Neighborhood(center=id, nodes=nodes, edges=edges)

    return EntityQuery
