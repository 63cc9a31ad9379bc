"""Where FalkorDB and Neo4j 5 disagree, in one place.

``queries/`` is written in the openCypher subset both engines run. What they spell differently —
schema DDL — is produced here, so no other module needs to know which engine it talks to (full-text
and vector search live in ``search/``, so neither engine's index procedures are used). Measured gaps
(FalkorDB 4.22 vs Neo4j 5): no ``CREATE CONSTRAINT`` Cypher (FalkorDB uses the ``GRAPH.CONSTRAINT``
command after an exact-match index), no ``EXISTS { }`` subqueries or ``exists((a)-->())`` pattern
predicates (use ``OPTIONAL MATCH`` + ``count``), no ``datetime()`` (both have ``timestamp()``: store
epoch milliseconds), ``shortestPath`` only in WITH/RETURN, ``db.idx.*`` vs ``db.index.*``
procedures, and FalkorDB's full-text index does not segment Chinese (Chinese keyword search lives
in ``search/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from zhiku.types import IndexSpec


@dataclass(frozen=True, slots=True)
class SchemaOp:
    """One schema change: Cypher text, or (FalkorDB only) a raw server command."""

    kind: Literal["cypher", "command"]
    text: str
    args: tuple[str | int, ...] = ()
    description: str = ""


def _q(identifier: str) -> str:
    return f"`{identifier}`"


class Dialect:
    """Base: the statements both engines share."""

    name = "opencypher"

    def index_ops(self, spec: IndexSpec, graph: str) -> list[SchemaOp]:  # pragma: no cover
        raise NotImplementedError


class FalkorDialect(Dialect):
    """FalkorDB 4.x."""

    name = "falkordb"

    def index_ops(self, spec: IndexSpec, graph: str) -> list[SchemaOp]:
        ops = [
            SchemaOp(
                "cypher",
                f"CREATE INDEX FOR (n:{_q(spec.label)}) ON (n.{_q(spec.property)})",
                description=f"index {spec.label}.{spec.property}",
            )
        ]
        if spec.unique:
            ops.append(
                SchemaOp(
                    "command",
                    "GRAPH.CONSTRAINT",
                    ("CREATE", graph, "UNIQUE", "NODE", spec.label, "PROPERTIES", 1, spec.property),
                    description=f"unique {spec.label}.{spec.property}",
                )
            )
        return ops


class Neo4jDialect(Dialect):
    """Neo4j 5.x."""

    name = "neo4j"

    def index_ops(self, spec: IndexSpec, graph: str) -> list[SchemaOp]:
        base = f"{spec.label.lower()}_{spec.property.lower()}"
        if spec.unique:
            # A uniqueness constraint brings its own index in Neo4j.
            return [
                SchemaOp(
                    "cypher",
                    f"CREATE CONSTRAINT {base}_unique IF NOT EXISTS FOR (n:{_q(spec.label)}) "
                    f"REQUIRE n.{_q(spec.property)} IS UNIQUE",
                    description=f"unique {spec.label}.{spec.property}",
                )
            ]
        return [
            SchemaOp(
                "cypher",
                f"CREATE INDEX {base}_idx IF NOT EXISTS FOR (n:{_q(spec.label)}) ON (n.{_q(spec.property)})",
                description=f"index {spec.label}.{spec.property}",
            )
        ]
