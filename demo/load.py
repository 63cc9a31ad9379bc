"""Build the demo company's knowledge graph and load it.

Sources (all in ``demo/``): ``vocabulary.ttl`` (the controlled vocabulary: organisation, locations,
positions, roles, topics, systems, benefits, leave types, forms, approver roles), ``org/*.csv`` (the
HR system's export of departments and employees), ``processes.yaml`` (approval processes) and
``docs/index.yaml`` (the policy documents' metadata). Everything is turned into one RDF graph,
validated against the SHACL shapes, and only then written: invalid data writes nothing.

Example::

    report = load_demo(store, load_ontology())
    report.nodes, report.relationships
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rdflib import RDF, SKOS, XSD, Graph, Literal, URIRef

from graph.base import GraphStore
from ontology.mapping import rdf_to_records
from ontology.model import KG, ZK, Ontology, parse_rdf
from ontology.validate import ensure_valid
from zhiku.errors import InputError
from zhiku.types import WriteStats

DEMO_DIR = Path(__file__).parent


@dataclass(slots=True)
class LoadReport:
    """What a load wrote."""

    nodes: int = 0
    relationships: int = 0
    stats: WriteStats = field(default_factory=WriteStats)
    schema_created: list[str] = field(default_factory=list)
    by_label: dict[str, int] = field(default_factory=dict)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _add_names(
    g: Graph, subject: URIRef, name: str, name_en: str = "", aliases: list[str] | None = None
) -> None:
    g.add((subject, SKOS.prefLabel, Literal(name, lang="zh")))
    if name_en:
        g.add((subject, SKOS.prefLabel, Literal(name_en, lang="en")))
    for alias in aliases or []:
        if alias:
            g.add((subject, SKOS.altLabel, Literal(alias, lang="zh")))


def org_rdf(demo_dir: Path = DEMO_DIR) -> Graph:
    """Departments and employees from the HR export CSVs."""
    g = Graph()
    for row in _read_csv(demo_dir / "org" / "departments.csv"):
        dept = KG[row["id"]]
        g.add((dept, RDF.type, ZK.Department))
        _add_names(g, dept, row["name"], row["name_en"], row["aliases"].split(";"))
        g.add((dept, ZK.code, Literal(row["code"])))
        g.add((dept, ZK.partOf, KG[row["parent"]]))
        g.add((dept, ZK.locatedAt, KG[row["location"]]))
        if row["head"]:
            g.add((KG[row["head"]], ZK.headOf, dept))
    for row in _read_csv(demo_dir / "org" / "employees.csv"):
        emp = KG[row["id"]]
        g.add((emp, RDF.type, ZK.Employee))
        _add_names(g, emp, row["name"])
        g.add((emp, ZK.belongsTo, KG[row["department"]]))
        g.add((emp, ZK.hasPosition, KG[row["position"]]))
        if row["manager"]:
            g.add((emp, ZK.reportsTo, KG[row["manager"]]))
        for role in row["roles"].split(";"):
            g.add((emp, ZK.hasRole, KG[f"ROLE-{role}"]))
        g.add((emp, ZK.level, Literal(int(row["level"]), datatype=XSD.integer)))
        g.add((emp, ZK.hireDate, Literal(dt.date.fromisoformat(row["hire_date"]), datatype=XSD.date)))
        g.add((emp, ZK.email, Literal(f"{row['id'].lower()}@yunshan.example")))
        g.add((emp, ZK.wecomUserId, Literal(row["id"])))
    return g


def _decimal(value: Any) -> Literal:
    return Literal(Decimal(str(value)), datatype=XSD.decimal)


def processes_rdf(demo_dir: Path = DEMO_DIR) -> Graph:
    """Approval processes and their steps from ``processes.yaml``."""
    g = Graph()
    data = yaml.safe_load((demo_dir / "processes.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise InputError("processes.yaml 应为流程列表", "processes.yaml must be a list of processes")
    for proc in data:
        pid = KG[proc["id"]]
        g.add((pid, RDF.type, ZK.ApprovalProcess))
        _add_names(g, pid, proc["name"], proc.get("name_en", ""), proc.get("aliases", []))
        g.add((pid, ZK.usesForm, KG[proc["form"]]))
        g.add((pid, ZK.ownedBy, KG[proc["owner"]]))
        g.add((pid, ZK.hasTopic, KG[proc["topic"]]))
        g.add((pid, ZK.slaHours, Literal(int(proc["sla_hours"]), datatype=XSD.integer)))
        g.add((pid, ZK.description, Literal(proc["description"])))
        previous = None
        for order, step in enumerate(proc["steps"], start=1):
            sid = KG[f"{proc['id']}-S{order}"]
            g.add((sid, RDF.type, ZK.ApprovalStep))
            g.add((sid, SKOS.prefLabel, Literal(step["name"], lang="zh")))
            g.add((sid, ZK.order, Literal(order, datatype=XSD.integer)))
            g.add((sid, ZK.mode, Literal(step["mode"])))
            for approver in step["approvers"]:
                g.add((sid, ZK.approverRole, KG[approver]))
            for key, prop in (("min_amount", ZK.minAmount), ("max_amount", ZK.maxAmount),
                              ("min_days", ZK.minDays), ("max_days", ZK.maxDays)):  # fmt: skip
                if key in step:
                    g.add((sid, prop, _decimal(step[key])))
            g.add((pid, ZK.hasStep, sid))
            if previous is None:
                g.add((pid, ZK.firstStep, sid))
            else:
                g.add((previous, ZK.nextStep, sid))
            previous = sid
    return g


def policies_rdf(demo_dir: Path = DEMO_DIR) -> Graph:
    """Policy nodes (metadata only) from ``docs/index.yaml``; their text arrives with ingestion."""
    g = Graph()
    index_path = demo_dir / "docs" / "index.yaml"
    if not index_path.exists():
        return g
    for doc in yaml.safe_load(index_path.read_text(encoding="utf-8")) or []:
        if not doc.get("policy"):
            continue
        pid = KG[doc["policy"]]
        g.add((pid, RDF.type, ZK.Policy))
        short = re.sub(r"[（(][^）)]*[）)]$", "", doc["title"]).strip()
        _add_names(g, pid, doc["title"], doc.get("title_en", ""), [short] if short != doc["title"] else [])
        if doc.get("owner"):
            g.add((pid, ZK.ownedBy, KG[doc["owner"]]))
        for topic in doc.get("topics", []):
            g.add((pid, ZK.hasTopic, KG[topic]))
        for target in doc.get("governs", []):
            g.add((pid, ZK.governs, KG[target]))
        for proc in doc.get("processes", []):
            g.add((pid, ZK.requiresApproval, KG[proc]))
        if doc.get("effective"):
            g.add((pid, ZK.effectiveDate, Literal(str(doc["effective"]), datatype=XSD.date)))
        g.add((pid, ZK.appliesTo, KG["ORG"]))
    return g


def demo_rdf(demo_dir: Path = DEMO_DIR) -> Graph:
    """The whole demo knowledge base as one RDF graph (not yet validated)."""
    g = parse_rdf(demo_dir / "vocabulary.ttl")
    for part in (org_rdf(demo_dir), processes_rdf(demo_dir), policies_rdf(demo_dir)):
        g += part
    return g


def load_rdf(store: GraphStore, data: Graph, onto: Ontology) -> LoadReport:
    """Validate ``data`` with SHACL, then apply the schema and upsert it (idempotent)."""
    ensure_valid(data, onto)  # raises before anything is written
    nodes, edges = rdf_to_records(data, onto)
    report = LoadReport(nodes=len(nodes), relationships=len(edges))
    report.schema_created = store.apply_schema(onto.schema())
    report.stats += store.upsert_nodes(nodes)
    report.stats += store.upsert_relationships(edges)
    if report.stats.unmatched:
        raise InputError(
            f"{report.stats.unmatched} 条关系的端点不存在",
            f"{report.stats.unmatched} relationships had no endpoints",
        )
    for node in nodes:
        for label in node.labels:
            report.by_label[label] = report.by_label.get(label, 0) + 1
    return report


def load_demo(store: GraphStore, onto: Ontology, demo_dir: Path = DEMO_DIR) -> LoadReport:
    """Load the demo company (org, vocabulary, processes, policy metadata) into ``store``."""
    return load_rdf(store, demo_rdf(demo_dir), onto)


def demo_document_paths(demo_dir: Path = DEMO_DIR) -> list[Path]:
    """What ``zhiku demo load`` ingests: the policy documents and the FAQ sheet."""
    return [demo_dir / "docs", demo_dir / "faq.csv"]
