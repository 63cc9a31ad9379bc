"""The one place the ingestion stage order is written: load ▸ chunk ▸ extract ▸ link ▸ relate ▸ write
▸ index.

Incremental: a document whose content hash matches the graph's is skipped; a changed one has exactly
its own facts replaced; files gone from an ingested directory are removed with their facts. Bad files
are rejected with a reason, files of a type no loader reads are skipped with the reason, and the batch
goes on. The last step brings the search index level with the graph, so every caller — the CLI, the
crawler, the API's mutation, the demo loader — ends the same way (neo4j-graphrag's
``SimpleKGPipeline`` ends with its writer).

Example::

    report = run([Path("demo/docs")], store, search, progress=print)   # ingest.run, the entry point
    report.summary()

A caller that receives documents one by one (a crawl) opens an :class:`IngestRun` instead and
finishes it when its batch ends::

    batch = IngestRun(store, lambda: search, sync="changed")
    batch.document(doc); batch.remove(["doc-…"])
    report = batch.finish()          # indexes, if the graph changed
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from graph.base import GraphStore
from ingest.chunking import chunk_document, with_languages
from ingest.extract import Extractor
from ingest.extract.ner import DEFAULT_MODEL, load_ner
from ingest.extract.relations import extract_relations
from ingest.link import Linker, ReviewMemory
from ingest.loaders import DocumentRejected, discover, load_file
from ingest.loaders.base import DEFAULT_MAX_BYTES
from ingest.shacl_gate import ShaclGate
from ingest.writer import DocumentWrite, remove_documents, write_document
from lang.gazetteer import Gazetteer
from ontology.model import Ontology, load_ontology
from queries import load as load_query
from zhiku.errors import GraphUnavailable
from zhiku.types import Chunk, Document, ExtractedRelation, Mention

if TYPE_CHECKING:
    from search.service import SyncReport

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``"ingest"`` while files are ingested, then the index's own
stages (``"documents"``, ``"embeddings"``)."""


class IndexSync(Protocol):
    """What ingestion needs of the search index: bring it level with the graph."""

    def sync(self, *, progress: Progress | None = None) -> SyncReport: ...


def opened(index: IndexSync | Callable[[], IndexSync]) -> IndexSync:
    """The search index itself, or the one a lazy ``index`` function opens (callers pass a function
    so that the index is opened only by a run that syncs it)."""
    return index if hasattr(index, "sync") else index()


@dataclass(slots=True)
class IngestReport:
    """What one ingestion run did."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    rejected_facts: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (uri, why): no loader reads it
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (uri, what): loaded, read in part
    index: SyncReport | None = None  # the index sync that ended the run (None: dry run, or no index)
    chunks: int = 0
    mentions: int = 0
    linked: int = 0
    candidates: int = 0
    relations: int = 0
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "documents": len(self.new) + len(self.changed) + len(self.unchanged),
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "rejected": len(self.rejected),
            "skipped": len(self.skipped),
            "warnings": len(self.warnings),
            "chunks": self.chunks,
            "mentions": self.mentions,
            "linked": self.linked,
            "candidates": self.candidates,
            "relations": self.relations,
            "facts_rejected": len(self.rejected_facts),
        }


class Pipeline:
    """Ingests files into the graph. Clients are passed in; nothing global."""

    def __init__(
        self,
        store: GraphStore,
        *,
        gazetteer: Gazetteer | None = None,
        ontology: Ontology | None = None,
        open_ner: bool = True,
        ner_model: Path | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        force: bool = False,
    ) -> None:
        """``force`` analyses and writes a document again even when its content hash is unchanged
        (``zhiku ingest --force``: after the extractors or the dictionaries changed)."""
        self.store = store
        self.ontology = ontology or load_ontology()
        self.shacl = ShaclGate(store, self.ontology)
        self.gazetteer = gazetteer or Gazetteer.from_store(store)
        ner = None
        if open_ner and (ner_model is not None or DEFAULT_MODEL.exists()):
            ner = load_ner(ner_model)
        self.extractor = Extractor(self.gazetteer, open_ner=open_ner, ner=ner)
        # the knowledge engineers' decisions (ingest.review): merged/accepted candidates link, rejected
        # surfaces are not suggested again
        self.linker = Linker(self.gazetteer, ReviewMemory.from_store(store))
        self.max_bytes = max_bytes
        self.force = force
        self._reconnects = store.reconnects

    def check_store(self) -> None:
        """Stop the run if the graph server went away since it began: it came back from its last
        snapshot, so writes made since may be lost (and the gazetteer's entities may be missing). Every
        document whose hash is not stored is written again by the next run."""
        if self.store.reconnects != self._reconnects:
            raise GraphUnavailable(
                "摄取过程中图数据库重启（可能已回到上次快照），已停止；请重新运行摄取，未完成的文档会重写",
                "the graph server restarted during ingestion (possibly back to its last snapshot); "
                "stopped — run the ingestion again and unfinished documents are rewritten",
            )

    # -- stages -------------------------------------------------------------------------------------

    def analyse(self, doc: Document) -> DocumentWrite:
        """Chunk, extract, link and relate one document (no I/O)."""
        chunks = with_languages(chunk_document(doc))
        policy = doc.metadata.get("policy")
        processes = doc.metadata.get("processes")
        process_list = [str(p) for p in processes] if isinstance(processes, list) else []
        mentions: list[Mention] = []
        relations = []
        topics: dict[str, str] = {}
        heading_cache: dict[tuple[str, ...], list[Mention]] = {}
        for chunk in chunks:
            found, hits = self.extractor.extract(chunk)
            linked = self.linker.link(chunk, found, hits)
            mentions.extend(linked)
            if chunk.heading_path not in heading_cache:
                heading_cache[chunk.heading_path] = self._heading_mentions(chunk)
            relations.extend(
                extract_relations(
                    chunk,
                    linked,
                    heading_mentions=heading_cache[chunk.heading_path],
                    policy_id=policy if isinstance(policy, str) else None,
                    document_processes=process_list,
                )
            )
            topic = self._chunk_topic(chunk)
            if topic:
                topics[chunk.id] = topic
        return DocumentWrite(doc, chunks, mentions, relations, topics)

    def check_facts(
        self, relations: list[ExtractedRelation]
    ) -> tuple[list[ExtractedRelation], list[tuple[str, str]]]:
        """Keep facts whose ends exist and satisfy the ontology's rdfs:domain/range; report the rest."""
        ids = sorted({r.start for r in relations} | {r.end for r in relations})
        labels = {
            row["id"]: set(row["labels"])
            for row in self.store.query(load_query("entity_labels").text, {"ids": ids})
        }
        kept, rejected = [], []
        for rel in relations:
            prop = self.ontology.rel_types.get(rel.type)
            fact = f"{rel.start} -[{rel.type}]-> {rel.end}"
            if prop is None:
                rejected.append((fact, f"本体中没有关系 {rel.type}"))
            elif rel.start not in labels or rel.end not in labels:
                rejected.append((fact, "实体不存在"))
            elif prop.domain and prop.domain not in labels[rel.start]:
                rejected.append((fact, f"起点不是 {prop.domain}（rdfs:domain）"))
            elif prop.range and prop.range in self.ontology.classes and prop.range not in labels[rel.end]:
                rejected.append((fact, f"终点不是 {prop.range}（rdfs:range）"))
            else:
                kept.append(rel)
        return kept, rejected

    def _heading_mentions(self, chunk: Chunk) -> list[Mention]:
        text = " / ".join(chunk.heading_path)
        probe = Chunk(chunk.id, chunk.document_id, chunk.ordinal, text, ())
        found, hits = self.extractor.extract(probe)
        return [m for m in self.linker.link(probe, found, hits) if m.entity_id]

    def _chunk_topic(self, chunk: Chunk) -> str | None:
        if chunk.kind != "faq" or len(chunk.heading_path) < 2:
            return None
        tag = chunk.heading_path[-1]
        if tag in self.gazetteer.names:
            return tag
        for entity_id, mention_type in self.gazetteer.lookup(tag):
            if mention_type == "Topic":
                return entity_id
        return None

    # -- runs ---------------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        dry_run: bool = False,
        prune: bool = True,
        progress: Callable[[str, str], None] | None = None,
        report: IngestReport | None = None,
        defaults: dict[str, Any] | None = None,
    ) -> IngestReport:
        """Ingest files and directories (into ``report`` when given). ``progress(uri, outcome)`` is
        called once per file. ``defaults`` is metadata a file's own sidecar may override (a
        knowledge-base project's default access). This writes the graph only: :func:`run` also ends
        with the index."""
        report = report if report is not None else IngestReport(dry_run=dry_run)
        roots = [p.resolve() for p in paths]
        seen: set[str] = set()

        def skipped(path: Path, why: str) -> None:
            uri = path.resolve().as_uri()
            if all(uri != known for known, _ in report.skipped):  # a file given twice, said once
                report.skipped.append((uri, why))

        for path, meta in discover(roots, skipped=skipped):
            uri = path.resolve().as_uri()
            seen.add(uri)
            if defaults:
                meta = {**defaults, **meta}
            try:
                doc = load_file(path, meta=meta, max_bytes=self.max_bytes)
            except DocumentRejected as exc:
                report.rejected.append((uri, exc.message_zh))
                if progress:
                    progress(uri, "rejected")
                continue
            self.check_store()
            outcome = self.ingest_document(doc, report, dry_run=dry_run)
            self.check_store()
            if progress:
                progress(uri, outcome)
        if prune:
            for root in (r for r in roots if r.is_dir()):
                prefix = root.as_uri().rstrip("/") + "/"
                gone = [
                    row["id"]
                    for row in self.store.query(load_query("documents_under").text, {"prefix": prefix})
                    if row["uri"] not in seen
                ]
                report.removed.extend(gone)
                if gone and not dry_run:
                    remove_documents(self.store, gone)
        return report

    def ingest_document(self, doc: Document, report: IngestReport, *, dry_run: bool = False) -> str:
        """Ingest one loaded document; return new, changed or unchanged."""
        report.warnings.extend((doc.uri, warning) for warning in doc.warnings)
        state = self.store.query(load_query("document_state").text, {"id": doc.id})
        previous = state[0]["hash"] if state else None
        if previous == doc.content_hash and not self.force:
            report.unchanged.append(doc.uri)
            return "unchanged"
        outcome = "changed" if state else "new"
        (report.changed if state else report.new).append(doc.uri)
        item = self.analyse(doc)
        item.relations, rejected = self.check_facts(item.relations)
        report.rejected_facts.extend(rejected)
        item.relations, refused = self.shacl.check(item.relations)  # cardinalities and the rest
        report.rejected_facts.extend(refused)
        report.chunks += len(item.chunks)
        entity_mentions = [m for m in item.mentions if m.type not in ("Amount", "Duration", "Date")]
        report.mentions += len(entity_mentions)
        report.linked += sum(
            1 for m in entity_mentions if m.entity_id and not m.entity_id.startswith("cand-")
        )
        report.candidates += len(
            {m.entity_id for m in entity_mentions if m.entity_id and m.entity_id.startswith("cand-")}
        )
        report.relations += len({(r.start, r.type, r.end) for r in item.relations})
        if not dry_run:
            write_document(self.store, item, reconnects=self._reconnects)
        return outcome


# -- the entry point ----------------------------------------------------------------------------------


class IngestRun:
    """One ingestion batch that ends by bringing the search index level with the graph.

    ``index`` is the search index, or a function returning it (opened only if the run needs it);
    ``None`` leaves the index alone (a caller without one, e.g. the notebooks). ``sync="always"``
    indexes at the end of every run that is not a dry run (the index is then level even if an earlier
    run stopped before its sync); ``"changed"`` only when this run changed the graph (a crawl whose
    pages all answered 304 costs nothing downstream).
    """

    def __init__(
        self,
        store: GraphStore,
        index: IndexSync | Callable[[], IndexSync] | None,
        *,
        pipeline: Pipeline | None = None,
        dry_run: bool = False,
        sync: Literal["always", "changed"] = "always",
        progress: Progress | None = None,
        **options: Any,
    ) -> None:
        """``options`` go to :class:`Pipeline` when no ``pipeline`` is given (``ontology``,
        ``max_bytes``, ``ner_model``…)."""
        self.pipeline = pipeline or Pipeline(store, **options)
        self.store = store
        self.index = index
        self.sync = sync
        self.progress = progress
        self.report = IngestReport(dry_run=dry_run)

    def files(
        self, paths: Iterable[Path], *, prune: bool = True, defaults: dict[str, Any] | None = None
    ) -> IngestReport:
        """Ingest files and directories (see :meth:`Pipeline.ingest`)."""
        roots = [p.resolve() for p in paths]
        total = sum(1 for _ in discover(roots)) if self.progress else 0
        done = 0

        def step(uri: str, outcome: str) -> None:
            nonlocal done
            done += 1
            if self.progress:
                self.progress("ingest", done, total)

        self.pipeline.ingest(
            roots,
            dry_run=self.report.dry_run,
            prune=prune,
            progress=step,
            report=self.report,
            defaults=defaults,
        )
        return self.report

    def document(self, doc: Document) -> str:
        """Ingest one loaded document; return ``new``, ``changed`` or ``unchanged``. Stops the run if
        the graph server restarted meanwhile (:meth:`Pipeline.check_store`)."""
        self.pipeline.check_store()
        outcome = self.pipeline.ingest_document(doc, self.report, dry_run=self.report.dry_run)
        self.pipeline.check_store()
        return outcome

    def reject(self, uri: str, reason: str) -> None:
        self.report.rejected.append((uri, reason))

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Remove documents (and exactly their facts) from the graph."""
        gone = list(doc_ids)
        self.report.removed.extend(gone)
        if gone and not self.report.dry_run:
            remove_documents(self.store, gone)

    def finish(self) -> IngestReport:
        """The last step: sync the index (see ``sync``) and return the report."""
        report = self.report
        changed = bool(report.new or report.changed or report.removed)
        if self.index is None or report.dry_run or (self.sync == "changed" and not changed):
            return report
        report.index = opened(self.index).sync(progress=self.progress)
        return report


def run(
    sources: Iterable[Path],
    store: GraphStore,
    index: IndexSync | Callable[[], IndexSync] | None,
    *,
    dry_run: bool = False,
    prune: bool = True,
    progress: Progress | None = None,
    pipeline: Pipeline | None = None,
    **options: Any,
) -> IngestReport:
    """Ingest files and directories into the graph, then sync the search index: the one entry point
    the CLI, the API's ``ingest`` mutation and the demo loader call (a crawl streams its pages through
    an :class:`IngestRun`, which ends the same way). ``options`` go to :class:`Pipeline`.

    >>> report = run([Path("demo/docs")], store, search, progress=lambda *a: None)
    >>> report.index.total_chunks
    313
    """
    batch = IngestRun(store, index, pipeline=pipeline, dry_run=dry_run, progress=progress, **options)
    batch.files(sources, prune=prune)
    return batch.finish()
