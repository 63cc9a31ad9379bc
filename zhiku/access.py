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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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

ROLES = ("employee", "manager", "hr", "knowledge_engineer", "analyst", "agent", "admin")


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
