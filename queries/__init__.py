"""The named Cypher library: one ``NAME.cypher`` file per query, loaded by name.

The pipeline, the API's ``namedQuery`` and the notebooks all load the same files. A file starts with
comment lines: a one-line description, then ``@mode read|write`` and one ``@param NAME TYPE text``
per parameter, and ``@internal`` for queries Zhiku's own stages use (not offered to analysts).
``TYPE`` alone makes the parameter required; ``TYPE=VALUE`` gives a default (``list=`` the empty
list); ``TYPE?`` lets it be null (the query handles ``$NAME IS NULL``).
Values always travel as parameters (``$name``). A few internal write templates also
take ``{{labels}}`` / ``{{type}}`` placeholders, filled only with identifiers that
:func:`zhiku.types.check_identifier` accepted (Cypher cannot parameterise labels).

Example::

    q = queries.load("entity_by_id")
    rows = store.query(q.text, {"id": "E1001"})
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from zhiku.access import Principal, hidden_documents, invisible_ids, redact_rows, scope_params, strings_in
from zhiku.errors import InputError, QueryNotFound

QUERY_DIR = Path(__file__).parent
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    type: str
    description: str
    default: Any = None  # ``@param limit int=50 …``: used when the caller gives none
    nullable: bool = False  # ``@param name string? …``: null when the caller gives none

    @property
    def required(self) -> bool:
        """A caller must give it: no default, and the query does not accept null."""
        return self.default is None and not self.nullable


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """One ``.cypher`` file: its text and what its header says about it."""

    name: str
    text: str
    description: str
    mode: str = "read"
    params: tuple[QueryParam, ...] = field(default_factory=tuple)
    internal: bool = False  # used by Zhiku itself; not offered to analysts

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.text))

    def render(self, **identifiers: str) -> str:
        """Fill ``{{name}}`` placeholders; every placeholder must be given."""
        missing = self.placeholders - identifiers.keys()
        if missing:
            raise KeyError(f"query {self.name} needs {sorted(missing)}")
        return _PLACEHOLDER.sub(lambda m: identifiers[m.group(1)], self.text)


def coerce(ptype: str, raw: str) -> Any:
    """A text value (a header default, a ``--param k=v`` on the command line) as the declared type."""
    try:
        if ptype == "int":
            return int(raw)
        if ptype == "float":
            return float(raw)
        if ptype == "boolean":
            return raw.lower() in ("1", "true", "yes")
        if ptype == "list":
            return [v for v in raw.split(",") if v]
    except ValueError:
        raise InputError(f"参数值 {raw!r} 不是 {ptype}", f"{raw!r} is not a {ptype}") from None
    return raw


def _parse(name: str, source: str) -> NamedQuery:
    description, mode, internal = "", "read", False
    params: list[QueryParam] = []
    body: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("//") and not body:
            content = stripped[2:].strip()
            if content.startswith("@mode"):
                mode = content.split()[1]
            elif content.startswith("@internal"):
                internal = True
            elif content.startswith("@param"):
                parts = content.split(maxsplit=3)
                ptype, given, default = parts[2].partition("=")
                nullable = ptype.endswith("?")
                ptype = ptype.removesuffix("?")
                value = coerce(ptype, default) if given else None
                text = parts[3] if len(parts) > 3 else ""
                params.append(QueryParam(parts[1], ptype, text, value, nullable))
            elif content and not description:
                description = content
        elif stripped or body:
            body.append(line)
    if mode not in ("read", "write"):
        raise ValueError(f"{name}.cypher: @mode must be read or write, not {mode!r}")
    return NamedQuery(name, "\n".join(body).strip(), description, mode, tuple(params), internal)


@cache
def load(name: str) -> NamedQuery:
    """Load ``queries/NAME.cypher``; raise ``QueryNotFound`` for an unknown name."""
    if not _NAME.match(name) or not (QUERY_DIR / f"{name}.cypher").is_file():
        shown = name if len(name) <= 64 else name[:64] + "…"  # the name is checked before it is a path
        raise QueryNotFound(f"没有名为 {shown!r} 的查询", f"no named query {shown!r}")
    path = QUERY_DIR / f"{name}.cypher"
    return _parse(name, path.read_text(encoding="utf-8"))


def names() -> list[str]:
    """All query names, sorted."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.cypher"))


_PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "int": (int,),
    "float": (int, float),
    "boolean": (bool,),
    "list": (list,),
}
MAX_ROWS = 1000
#: Integer parameters are page sizes, offsets and depths: never negative, never huge.
MAX_INT = 100_000


#: Parameters that decide what the caller may see. A query that declares one gets it from the server
#: (from the caller's principal: :func:`zhiku.access.scope_params`, :func:`~zhiku.access.hidden_documents`);
#: a caller that sends one is refused, so no request can widen its own view.
SERVER_PARAMS = frozenset(
    {"admin", "level", "departments", "roles", "private", "hide_types", "hide_labels", "hidden_documents"}
)


def run_named_query(
    store: Any, name: str, params: dict[str, Any] | None = None, *, who: Principal
) -> list[dict[str, Any]]:
    """Run an analyst-facing query as ``who``: read-only, not internal, parameters checked against its
    header, and every row held to the visibility rule of :mod:`zhiku.access`.

    A parameter not given takes its header's default (or ``null`` where the header allows it); a missing
    required one, unknown ones, visibility parameters (:data:`SERVER_PARAMS`) and wrong types are an
    :class:`InputError` naming the parameter. A query about a node the caller may not see (a parameter naming
    it) returns no rows, as for an id that does not exist; rows naming such a node are left out (a list
    column loses just those elements). At most :data:`MAX_ROWS` rows come back."""
    query = load(name)
    if query.internal or query.mode != "read":
        raise QueryNotFound(f"没有名为 {name!r} 的查询", f"no named query {name!r}")
    if params is not None and not isinstance(params, dict):
        raise InputError("参数应为一个对象（名称: 值）", "parameters must be an object of name: value")
    given = dict(params or {})
    declared = {p.name: p for p in query.params}
    reserved = sorted(set(given) & SERVER_PARAMS)
    if reserved:
        raise InputError(
            f"参数 {', '.join(reserved)} 由服务器按调用者身份设置，不能传入",
            f"{reserved} are set by the server from the caller's identity",
        )
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InputError(
            f"查询 {name} 没有参数 {', '.join(map(repr, unknown))}",
            f"unknown parameters for {name}: {unknown}",
        )
    values: dict[str, Any] = {}
    missing = []
    for pname, param in declared.items():
        if pname in SERVER_PARAMS:
            continue
        value = given.get(pname)
        value = param.default if value is None else value  # null means "not given"
        if value is None and param.required:
            missing.append(pname)
        expected = _PARAM_TYPES.get(param.type, (object,))
        bad_bool = isinstance(value, bool) and param.type in ("int", "float")
        if value is not None and (not isinstance(value, expected) or bad_bool):
            raise InputError(
                f"参数 {pname} 应为 {param.type}", f"parameter {pname} must be {param.type}, got {value!r}"
            )
        if isinstance(value, int) and param.type == "int" and not 0 <= value <= MAX_INT:
            raise InputError(f"参数 {pname} 应在 0 到 {MAX_INT} 之间", f"{pname} must be within 0..{MAX_INT}")
        values[pname] = value
    if missing:
        raise InputError(
            f"查询 {name} 缺少必填参数：{', '.join(missing)}",
            f"query {name} is missing required parameters: {', '.join(missing)}",
            hint="参数及其类型见命名查询目录（namedQueries / zhiku query）",
        )
    server = scope_params(who)
    for pname in declared.keys() & SERVER_PARAMS:
        values[pname] = hidden_documents(store, who) if pname == "hidden_documents" else server[pname]
    rows: list[dict[str, Any]] = store.query(query.text, values)
    asked = [v for k, v in values.items() if k not in SERVER_PARAMS]
    invisible = invisible_ids(store, [*strings_in(asked), *strings_in(rows)], who)
    if invisible.intersection(strings_in(asked)):
        return []  # a question about something the caller may not see: as if it did not exist
    return redact_rows(rows, invisible)[:MAX_ROWS]
