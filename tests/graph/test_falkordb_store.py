"""The conformance suite on the embedded FalkorDB (always runs)."""

from tests.graph.conformance import GraphStoreConformance


class TestEmbeddedFalkorDB(GraphStoreConformance):
    pass
