"""Ingestion speed: extraction + linking alone (characters/s) and end to end (documents/s).

Runs on the demo corpus, and on a real Chinese documentation set that nobody here wrote: Debian's
``debian-reference-zh-cn`` package (fetched with ``apt-get download`` into ``bench/.cache`` unless
``--corpus DIR`` names another folder of HTML/Markdown/text), and ``--pages N`` (1,000) pages of
LibreOffice's Chinese help (``libreoffice-help-zh-cn``, 2,561 HTML pages) — the issue's 1,000-page
end-to-end target. Embedded store in a temp directory, no embeddings. Prints its figures; asserts
nothing.

    python bench/ingest.py [--corpus DIR] [--no-debian] [--pages N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.graph_load import machine
from demo.load import demo_document_paths, load_demo
from graph.falkordb_store import FalkorDBStore
from ingest.corpora import DEBIAN_DOCS, MANY_PAGES, debian_package
from ingest.loaders import discover, load_file
from ingest.pipeline import Pipeline
from ontology.model import load_ontology


def pdf_pages(paths: list[Path]) -> int:
    from pypdf import PdfReader

    total = 0
    for root in paths:
        for pdf in root.rglob("*.pdf") if root.is_dir() else [root]:
            if pdf.suffix == ".pdf":
                total += len(PdfReader(pdf).pages)
    return total


def run(label: str, paths: list[Path], store: FalkorDBStore) -> None:
    pipeline = Pipeline(store)
    pipeline.extractor._tagger()  # build jieba's dictionary outside the timings
    docs = []
    start = time.perf_counter()
    for path, meta in discover(paths):
        try:
            docs.append(load_file(path, meta=meta))
        except Exception as exc:
            print(f"  skipped {path.name}: {exc}")
    load_s = time.perf_counter() - start
    chars = sum(len(b.text) for d in docs for b in d.blocks)

    start = time.perf_counter()
    analysed = [pipeline.analyse(d) for d in docs]
    analyse_s = time.perf_counter() - start
    mentions = sum(len(a.mentions) for a in analysed)
    relations = sum(len(a.relations) for a in analysed)

    start = time.perf_counter()
    report = pipeline.ingest(paths)
    ingest_s = time.perf_counter() - start
    summary = report.summary()

    pages = pdf_pages(paths)
    print(f"[{label}] {len(docs)} documents (PDFs among them: {pages} pages), {chars:,} characters, "
          f"{summary['chunks']:,} chunks")  # fmt: skip
    print(f"  load (parse files):        {load_s:7.2f} s")
    print(f"  extract + link + relate:   {analyse_s:7.2f} s = {chars / analyse_s:>10,.0f} chars/s "
          f"({mentions:,} mentions, {relations:,} relations)")  # fmt: skip
    docs_rate = summary["documents"] / ingest_s
    print(f"  end to end (load → graph): {ingest_s:7.2f} s = {docs_rate:>10,.2f} documents/s"
          f" = {chars / ingest_s:,.0f} chars/s")  # fmt: skip
    print(f"  linked {summary['linked']:,} of {summary['mentions']:,} entity mentions, "
          f"{summary['candidates']} candidates, rejected {summary['rejected']}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, help="another folder of documents to ingest")
    parser.add_argument("--no-debian", action="store_true", help="skip the Debian documentation set")
    parser.add_argument("--pages", type=int, default=1000, help="pages of LibreOffice's help (0: skip)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    onto = load_ontology()
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp:
        store = FalkorDBStore.embedded(Path(tmp) / "graph", "bench")
        load_demo(store, onto)
        run("demo corpus", demo_document_paths(), store)
        if args.corpus:
            run("corpus", [args.corpus], store)
        elif not args.no_debian:
            found = []
            for name in DEBIAN_DOCS:
                path = debian_package(name)
                if path is None:
                    print(f"[{name}] not available (apt-get download failed); skipped")
                else:
                    found.append(path)
            if found:
                run("Debian Chinese documentation: " + ", ".join(p.parts[-1] for p in found), found, store)
        if args.pages:
            many = debian_package(MANY_PAGES[0], folder=MANY_PAGES[1])
            if many is not None:
                pages = sorted(many.rglob("*.html"))[: args.pages]
                run(f"{len(pages):,} pages of LibreOffice's Chinese help ({MANY_PAGES[0]})", pages, store)
            else:
                print(f"[{MANY_PAGES[0]}] not available (apt-get download failed); skipped")
        store.reset()
        store.close()


if __name__ == "__main__":
    main()
