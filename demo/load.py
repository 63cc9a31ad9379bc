"""The demo company 云杉科技 is a knowledge-base project like any other (``demo/zhiku.yaml``; loaded
by ``zhiku load demo`` or ``zhiku demo load``): its vocabulary, org chart, processes and documents
are read by ``kb.load``, with no code path of its own. These names stay for the tests, benchmarks and
notebooks that load the demo from Python.

Example::

    report = load_demo(store, load_ontology())     # org, vocabulary, processes, policy metadata
    ingest.run(demo_document_paths(), store, search)
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from graph.base import GraphStore
from kb.load import LoadReport, document_paths, load_graph, load_rdf, project_rdf
from kb.project import Project, open_project
from ontology.model import Ontology

DEMO_DIR = Path(__file__).parent

__all__ = ["DEMO_DIR", "LoadReport", "demo_document_paths", "demo_rdf", "load_demo", "load_rdf"]


def demo_project(demo_dir: Path = DEMO_DIR) -> Project:
    return open_project(demo_dir)


def demo_rdf(demo_dir: Path = DEMO_DIR) -> Graph:
    """The demo's structured parts as one RDF graph (not yet validated)."""
    return project_rdf(demo_project(demo_dir))


def load_demo(store: GraphStore, onto: Ontology, demo_dir: Path = DEMO_DIR) -> LoadReport:
    """Load the demo company's structured parts (org, vocabulary, processes, policy metadata)."""
    return load_graph(store, demo_project(demo_dir), onto)


def demo_document_paths(demo_dir: Path = DEMO_DIR) -> list[Path]:
    """What ``zhiku demo load`` ingests: the policy documents and the FAQ sheet."""
    return document_paths(demo_project(demo_dir))
