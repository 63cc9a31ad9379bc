"""Who is asking, and whether a document's access scope admits them.

One rule, used by retrieval, the GraphQL resolvers and recommendations alike:

* an ``admin`` sees everything;
* a public scope (no departments, no roles, level 0) admits everyone;
* otherwise the caller's level must reach the scope's ``level``, **and**, when the scope names
  departments or roles, the caller must belong to one of the departments (or a sub-department of
  one) or hold one of the roles.

>>> hr_only = AccessScope(departments=("D-HR",), roles=("hr",), level=7)
>>> admits(hr_only, Principal("E1010", departments=("D-HR",), roles=("employee",), level=9))
True
>>> admits(hr_only, Principal("E1030", departments=("D-RD",), roles=("employee",), level=9))
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zhiku.errors import NotFoundError
from zhiku.types import AccessScope

if TYPE_CHECKING:
    from graph.base import GraphStore

#: Records about particular people (tickets, answer feedback, approval instances and their actions):
#: never listed or fetched as generic entities except by admins; their owners reach them through
#: the fields made for them (``myApprovals``, ``approvalInstance``, the agent console).
PRIVATE_LABELS = ("Ticket", "Feedback", "ApprovalInstance", "ApprovalAction")
#: Relationships that record what a person did (read a document), between otherwise public nodes:
#: shown to admins only, like the private records above.
PRIVATE_RELATIONSHIPS = ("VIEWED",)
#: The knowledge engineers' working records: names extraction could not link (a candidate's name may
#: come from a document the caller cannot read) and the review decisions taken on them. Shown to
#: knowledge engineers and admins only; everyone else sees what review made of them (entities, aliases).
CURATION_LABELS = ("Candidate", "ReviewDecision")
CURATORS = "knowledge_engineer"

#: Labels whose nodes carry an access scope (``accessDepartments`` / ``accessRoles`` / ``level``);
#: a chunk carries its document's scope and ``documentId``.
SCOPED_LABELS = ("Document", "Chunk")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: employee id, own department first then its ancestors, roles and rank."""

    id: str
    departments: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("employee",)
    level: int = 0
    name: str = ""

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, *roles: str) -> bool:
        return self.is_admin or any(r in self.roles for r in roles)

    @property
    def department(self) -> str | None:
        return self.departments[0] if self.departments else None


#: A caller that sees only public documents (anonymous callers, bad tokens never get this far).
PUBLIC = Principal("anonymous", roles=(), level=0)
#: Internal jobs (indexing, evaluation) that must see every document.
SYSTEM = Principal("system", roles=("admin",), level=99)


def admits_parts(departments: Sequence[str], roles: Sequence[str], level: int | None, who: Principal) -> bool:
    """:func:`admits` on a scope's stored parts (as they sit on graph nodes and in the index)."""
    if who.is_admin:
        return True
    if (level or 0) > who.level:
        return False
    if not departments and not roles:
        return True
    return any(d in departments for d in who.departments) or any(r in roles for r in who.roles)


def admits(scope: AccessScope, who: Principal) -> bool:
    return admits_parts(scope.departments, scope.roles, scope.level, who)


def private_labels(who: Principal) -> tuple[str, ...]:
    """The labels ``who`` may not see as generic entities: people's records unless admin, the
    curation records unless a knowledge engineer (admins see everything)."""
    if who.is_admin:
        return ()
    return PRIVATE_LABELS if who.has_role(CURATORS) else PRIVATE_LABELS + CURATION_LABELS


def visible(props: dict[str, Any], labels: Sequence[str], who: Principal) -> bool:
    """Whether ``who`` may know that this node exists: the rule every path applies to graph nodes.

    People's records (:data:`PRIVATE_LABELS`) only for admins (their owners reach them through the
    fields made for them); curation records (:data:`CURATION_LABELS`) for knowledge engineers;
    documents and chunks by their access scope; everything else is shared company knowledge
    (organisation, processes, forms, topics)."""
    private = private_labels(who)
    if any(label in private for label in labels):
        return False
    if not any(label in SCOPED_LABELS for label in labels):
        return True
    return admits_parts(
        props.get("accessDepartments") or (), props.get("accessRoles") or (), props.get("level"), who
    )


def hidden(who: Principal) -> dict[str, list[str]]:
    """What relation and neighbourhood queries leave out for ``who``: people's records and who-read-what,
    except for admins. Left out in the query, not after it, so that they neither crowd out visible rows
    under its LIMIT nor make its result depend on them."""
    if who.is_admin:
        return {"hide_types": [], "hide_labels": []}
    return {"hide_types": list(PRIVATE_RELATIONSHIPS), "hide_labels": list(private_labels(who))}


def scope_params(who: Principal) -> dict[str, Any]:
    """The caller's side of the scope rule, as query parameters (for queries that page over documents
    and must filter before their LIMIT): always set by the server from the principal, never by a caller."""
    return {
        "admin": who.is_admin,
        "level": who.level,
        "departments": list(who.departments),
        "roles": list(who.roles),
        "private": list(private_labels(who)),
        **hidden(who),
    }


def hidden_documents(store: GraphStore, who: Principal) -> list[str]:
    """Ids of the documents ``who`` may not read (their chunks carry them as ``documentId``), decided by
    :func:`admits_parts` — for queries that aggregate over documents and must not count hidden ones."""
    if who.is_admin:
        return []
    from queries import load as load_query

    rows = store.query(load_query("document_scopes").text)
    return [
        r["id"] for r in rows if not admits_parts(r["departments"] or (), r["roles"] or (), r["level"], who)
    ]


def node_visibility(store: GraphStore, values: Iterable[str], who: Principal) -> dict[str, bool]:
    """For each of ``values`` that is a graph node's id, whether ``who`` may see that node (other
    strings are not ids and are left out)."""
    ids = sorted({v for v in values if v})
    if not ids:
        return {}
    from queries import load as load_query

    rows = store.query(load_query("node_scopes").text, {"ids": ids})
    return {r["id"]: visible(r, r["labels"], who) for r in rows}


def invisible_ids(store: GraphStore, values: Iterable[str], who: Principal) -> set[str]:
    """Which of ``values`` are ids of graph nodes that ``who`` may not see."""
    if who.is_admin:
        return set()
    return {i for i, seen in node_visibility(store, values, who).items() if not seen}


def strings_in(value: Any) -> Iterable[str]:
    """Every string inside a query result value (lists and maps walked)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def _mentions(value: Any, invisible: set[str]) -> bool:
    return any(s in invisible for s in strings_in(value))


def redact_rows(rows: list[dict[str, Any]], invisible: set[str]) -> list[dict[str, Any]]:
    """Rows without what names an invisible node: a row whose column (or map) names one is dropped; a list
    column loses just the elements that name one (a policy's list of source documents keeps the others).

    >>> redact_rows([{"id": "D1", "docs": ["D1", "D2"]}, {"id": "P1", "docs": ["D1", "D2"]}], {"D1"})
    [{'id': 'P1', 'docs': ['D2']}]
    """
    out = []
    for row in rows:
        if any(not isinstance(v, list) and _mentions(v, invisible) for v in row.values()):
            continue
        out.append(
            {
                k: [x for x in v if not _mentions(x, invisible)] if isinstance(v, list) else v
                for k, v in row.items()
            }
        )
    return out


def load_principal(store: GraphStore, employee_id: str) -> Principal:
    """The employee's principal from the graph; :class:`NotFoundError` when there is no such employee."""
    from queries import load as load_query

    rows = store.query(load_query("principal").text, {"id": employee_id})
    if not rows:
        raise NotFoundError(
            f"没有这个员工：{employee_id}",
            f"no employee with id {employee_id}",
            hint="用组织架构中的员工 ID，例如 E1030",
        )
    row = rows[0]
    roles = tuple(sorted(r.removeprefix("ROLE-") for r in row["roles"] if r)) or ("employee",)
    departments = tuple(dict.fromkeys(d for d in row["departments"] if d))
    return Principal(row["id"], departments, roles, int(row["level"] or 0), row["name"] or "")
