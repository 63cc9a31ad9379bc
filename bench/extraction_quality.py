"""Extraction and linking quality on the labelled sentence sets in ``tests/data/`` (prints a report).

python bench/extraction_quality.py [--errors]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.extraction_eval import evaluate, load_items
from bench.graph_load import machine
from demo.load import load_demo
from graph.falkordb_store import FalkorDBStore
from ingest.pipeline import Pipeline
from ontology.model import load_ontology

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--errors", action="store_true", help="list every sentence with a difference")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp:
        store = FalkorDBStore.embedded(Path(tmp) / "graph", "quality")
        load_demo(store, load_ontology())
        pipeline = Pipeline(store)
        for label, name in (
            ("development set", "extraction_eval.jsonl"),
            ("held-out set", "extraction_heldout.jsonl"),
        ):
            start = time.perf_counter()
            scores = evaluate(pipeline, load_items(DATA / name))
            print(f"[{label}] ({time.perf_counter() - start:.2f} s)\n{scores.report()}")
            if args.errors:
                for line in scores.errors:
                    print("  " + line)
        store.reset()
        store.close()


if __name__ == "__main__":
    main()
