"""Hybrid, entity-aware, permission-filtered retrieval over the graph's chunks.

``SearchService.sync()`` brings the index level with the graph (the source of truth): documents whose
content hash changed have their chunks replaced, documents gone from the graph are dropped, and only
text never seen before is embedded (vectors are cached by content hash). ``search()`` takes the
candidates of BM25 over jieba tokens and of dense (FAISS) retrieval — each computed **only over
chunks the caller may see** (a FAISS ``IDSelector`` and a BM25 weight mask), so filtering never
happens after pagination — and scores them with :func:`fuse`: the dense cosine, plus keyword
evidence weighed by how much of the query the candidate actually contains, plus the candidate's
heading (or FAQ question) as a field of its own; chunks that mention the entities recognised in the
query get a small boost.

Writers take a file lock; readers in other processes notice the catalogue's version change and
reload, so the API keeps serving the old snapshot while a sync or rebuild runs.

Example::

    service = SearchService.open(store, settings)
    service.sync()
    result = service.search("年假怎么请", principal, k=5)
    for hit in result.hits:
        hit.title, hit.heading_path, hit.snippet, hit.score
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from graph.base import GraphStore
from lang.analysers import Analyser
from lang.detect import UNDETERMINED, detect_language, detect_languages, main_language
from lang.gazetteer import Gazetteer
from lang.text import NormalisedQuery, has_content, normalise_query
from queries import load as load_query
from search import fusion
from search.about import document_entities, with_topics
from search.batcher import batched
from search.catalog import Catalog, ChunkRow, DocRow, file_lock
from search.embedders import Embedder, EmbeddingCache, load_embedder, text_hash
from search.fusion import WEIGHTS, coverage, field_text, fuse, idf, same_language
from search.sections import section_texts
from search.threads import limit_threads
from search.vector import DEFAULT_ANN_THRESHOLD, DEFAULT_NPROBE, Ids, VectorIndex
from zhiku.access import SYSTEM, Principal, admits_parts
from zhiku.errors import GraphError, GraphUnavailable
from zhiku.settings import EMBED_THREADS

log = logging.getLogger(__name__)

_FRAGMENT_SAFE = "!$&'()*+,;=:@/?-._~"
RRF_K = 60  # a single list's scores: 1/(RRF_K + rank), as reciprocal rank fusion would give it
DEPTH = 50
ENTITY_MAX_SHARE = 0.05
ENTITY_BOOST = 0.05
#: An entity the chunk's document is about (its title, :mod:`search.about`) counts this much of one
#: the chunk names itself. On the demo, 0.5 lifted the Tokyo guide's earthquake section into the
#: first five for 东京办公室地震… but left the Tokyo rules' preamble (文書番号…, which names the office)
#: above 第2条 勤務時間 for 東京オフィスの始業時間は…; 0.8 puts both first. At 1.0 a chunk's own
#: mention would count for nothing within a document about the entity.
ABOUT_WEIGHT = 0.8
RELOAD_CHECK_S = 1.0
#: Results kept per index version (keyed by query, page and the caller's access groups); popular
#: questions repeat, and a new version of the index starts an empty cache.
RESULT_CACHE = 4096
#: Term counts kept per snapshot, one per set of hidden access groups (:meth:`Snapshot.counts`): each
#: holds the hidden chunks' vocabulary, so a server with many distinct scopes keeps only the most used.
COUNTS_CACHE = 64
QUERY_VECTOR_CACHE = 4096

AccessKey = tuple[tuple[str, ...], tuple[str, ...], int]


@dataclass(slots=True)
class Hit:
    """One retrieved chunk with where it came from."""

    chunk_id: str
    document_id: str
    title: str
    uri: str
    heading_path: tuple[str, ...]
    text: str
    kind: str
    score: float
    entities: tuple[tuple[str, str], ...]
    dense_score: float | None = None
    keyword_score: float | None = None  # raw BM25 (None: not among the keyword results)
    keyword_rank: int | None = None
    dense_rank: int | None = None
    anchor: str = ""  # the section's fragment in ``uri`` ("" when the document has none)

    @property
    def link(self) -> str:
        """Where the hit is: the document's URI with the section's anchor (``…/ch01.html#_console``)."""
        return section_link(self.uri, self.anchor)

    @property
    def section(self) -> str:
        """The headings above the chunk, without the document title (``1.1. 控制台基础 / 1.1.7. …``)."""
        return " / ".join(p for p in self.heading_path if p != self.title)

    @property
    def snippet(self) -> str:
        return self.text if len(self.text) <= 160 else self.text[:158] + "……"


@dataclass(slots=True)
class SearchResult:
    query: str
    hits: list[Hit]
    total: int  # fused candidates the caller may see (at most ~2×DEPTH; for pagination)
    entities: list[tuple[str, str]] = field(default_factory=list)  # (id, surface) recognised in the query
    message: str = ""  # a clear word when the query could not be used as typed
    truncated: bool = False
    # the access groups the search was made for (Snapshot.admitted of its readers, set by the search
    # from the principal): what the answer gate counts the question's words in (Snapshot.counts);
    # none, the default, counts nothing as seen
    scope: tuple[AccessKey, ...] = ()


@dataclass(frozen=True, slots=True)
class TermCounts:
    """How many chunks of a reader's visible set hold each term: the index's document frequencies less
    those of the chunks hidden from the reader (:meth:`Snapshot.counts`)."""

    every: Mapping[str, int]
    hidden: Mapping[str, int] = field(default_factory=dict)
    chunks: int = 0  # how many chunks the reader may see

    def get(self, term: str) -> int:
        return self.every.get(term, 0) - self.hidden.get(term, 0)

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) > 0


@dataclass(slots=True)
class SyncReport:
    documents_changed: int = 0
    documents_removed: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    embedded: int = 0
    cached: int = 0
    rebuilt: bool = False
    seconds: float = 0.0
    total_chunks: int = 0

    def summary(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def section_link(uri: str, anchor: str) -> str:
    """``uri`` deep-linked to ``anchor`` (percent-encoded as a URI fragment; ``uri`` when no anchor)."""
    if not anchor or not uri:
        return uri
    return f"{uri.split('#', 1)[0]}#{quote(anchor, safe=_FRAGMENT_SAFE)}"


def search_text(title: str, heading: Sequence[str], text: str, kind: str) -> str:
    """What gets embedded and indexed: the document title and heading path give a chunk its topic."""
    if kind == "faq":
        return text
    path = [h for h in heading if h and h != title]
    return "\n".join([" / ".join([title, *path]), text])


@dataclass(frozen=True, slots=True)
class Fields:
    """Each chunk's heading field (:func:`search.fusion.field_text`): the distinct texts' vectors and
    tokens, and which one each chunk has."""

    of_chunk: np.ndarray  # chunk position → row
    vectors: np.ndarray  # row → unit vector
    tokens: tuple[frozenset[str], ...]  # row → tokens

    @classmethod
    def empty(cls, dim: int) -> Fields:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32), ())


@dataclass(frozen=True, slots=True)
class Sections:
    """Each chunk's section (:mod:`search.sections`): the distinct sections' vectors, and which one
    each chunk is in."""

    of_chunk: np.ndarray  # chunk position → row
    vectors: np.ndarray  # row → unit vector

    @classmethod
    def empty(cls, dim: int) -> Sections:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32))


class Snapshot:
    """An immutable, in-memory view of the index that queries read (swapped whole on change)."""

    def __init__(
        self,
        version: int,
        docs: dict[str, DocRow],
        chunks: list[ChunkRow],
        vector: VectorIndex,
        fields: Fields | None = None,
        sections: Sections | None = None,
        about: dict[str, frozenset[str]] | None = None,
        topics: dict[str, frozenset[str]] | None = None,
    ) -> None:
        import bm25s

        self.version = version
        self.about = about or {}  # document id → the entities its title names (search.about)
        # document id → what it is about and those entities' topics (a policy's zk:hasTopic): read by
        # the answer gate across languages (chat.gate.Evidence.linked_document), not by ranking
        self.topics = topics or {}
        self.fields = fields or Fields.empty(vector.dim)
        self.sections = sections or Sections.empty(vector.dim)
        self.docs = docs
        self.chunks = chunks
        self.vector = vector
        self.nums = np.array([c.num for c in chunks], dtype=np.int64)
        self.pos_of = {c.num: i for i, c in enumerate(chunks)}
        self.pos_by_id = {c.id: i for i, c in enumerate(chunks)}
        groups: dict[AccessKey, list[int]] = defaultdict(list)
        entity_positions: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(chunks):
            doc = docs.get(c.doc_id)
            groups[doc.access_key if doc else ((), (), 0)].append(i)
            for entity_id, _ in c.entities:
                entity_positions[entity_id].append(i)
        self.groups = {k: np.array(v, dtype=np.int64) for k, v in groups.items()}
        self.entity_positions = {k: np.array(v, dtype=np.int64) for k, v in entity_positions.items()}
        self._masks: dict[tuple[AccessKey, ...], np.ndarray | None] = {}
        self._counts: OrderedDict[tuple[AccessKey, ...], TermCounts] = OrderedDict()
        self._results: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._mask_lock = threading.Lock()
        self._token_sets: dict[int, frozenset[str]] = {}
        self._by_document: dict[str, list[int]] | None = None
        self.bm25: Any = None
        self.vocab: set[str] = set()
        corpus = [list(c.tokens) or ["∅"] for c in chunks]
        self.df: dict[str, int] = defaultdict(int)
        if corpus:
            self.bm25 = bm25s.BM25()
            self.bm25.index(corpus, show_progress=False)
            for tokens in corpus:
                for t in set(tokens):
                    self.df[t] += 1
            self.vocab = set(self.df)

    def token_set(self, pos: int) -> frozenset[str]:
        """A chunk's distinct tokens (made on first use: only candidates ever need them)."""
        found = self._token_sets.get(pos)
        if found is None:
            found = self._token_sets[pos] = frozenset(self.chunks[pos].tokens)
        return found

    def admitted(self, *who: Principal) -> tuple[AccessKey, ...]:
        """The access groups every one of ``who`` may see (callers with the same groups get the same
        results)."""
        return tuple(sorted(k for k in self.groups if all(admits_parts(k[0], k[1], k[2], w) for w in who)))

    def counts(self, scope: tuple[AccessKey, ...]) -> TermCounts:
        """Document frequencies within ``scope`` (the access groups of :meth:`admitted`): what a
        reader's question is weighed against, so that whether a question is answered says nothing
        about documents the reader cannot see. Made once per set of hidden groups and kept with this
        snapshot (the :data:`COUNTS_CACHE` most recently used), so a change of the index starts afresh."""
        hidden = tuple(k for k in self.groups if k not in scope)
        if not hidden:
            return TermCounts(self.df, chunks=len(self.chunks))
        with self._mask_lock:
            found = self._counts.get(hidden)
            if found is not None:
                self._counts.move_to_end(hidden)
        if found is None:
            minus: Counter[str] = Counter()
            for key in hidden:
                for pos in self.groups[key]:
                    minus.update(set(self.chunks[pos].tokens))
            unseen = sum(len(self.groups[key]) for key in hidden)
            found = TermCounts(self.df, dict(minus), len(self.chunks) - unseen)
            with self._mask_lock:
                self._counts[hidden] = found
                if len(self._counts) > COUNTS_CACHE:
                    self._counts.popitem(last=False)
        return found

    def cached(self, key: tuple[Any, ...]) -> SearchResult | None:
        with self._mask_lock:
            hit = self._results.get(key)
            if hit is not None:
                self._results.move_to_end(key)
            return hit

    def remember(self, key: tuple[Any, ...], result: SearchResult) -> None:
        with self._mask_lock:
            self._results[key] = result
            if len(self._results) > RESULT_CACHE:
                self._results.popitem(last=False)

    def hit(self, pos: int, score: float, **scores: Any) -> Hit:
        """The chunk at ``pos`` as a hit, with its document's title and link."""
        c = self.chunks[pos]
        doc = self.docs.get(c.doc_id)
        return Hit(
            chunk_id=c.id,
            document_id=c.doc_id,
            title=doc.title if doc else c.doc_id,
            uri=doc.uri if doc else "",
            heading_path=c.heading,
            text=c.text,
            kind=c.kind,
            score=score,
            entities=c.entities,
            anchor=c.anchor,
            **scores,
        )

    def of_document(self, document_id: str) -> list[int]:
        """The positions of a document's chunks, in document order (the map is made on first use)."""
        with self._mask_lock:
            if self._by_document is None:
                by_document: dict[str, list[int]] = defaultdict(list)
                for i, c in enumerate(self.chunks):
                    by_document[c.doc_id].append(i)
                self._by_document = dict(by_document)
        return self._by_document.get(document_id, [])

    def mask_for(self, *who: Principal) -> np.ndarray | None:
        """Boolean mask of positions every one of ``who`` may see (``None``: everything)."""
        admitted = self.admitted(*who)
        if len(admitted) == len(self.groups):
            return None
        with self._mask_lock:
            if admitted not in self._masks:
                mask = np.zeros(len(self.chunks), dtype=bool)
                for key in admitted:
                    mask[self.groups[key]] = True
                self._masks[admitted] = mask
            return self._masks[admitted]


def topics_stamp(topics: Mapping[str, frozenset[str]]) -> str:
    """A digest of the entity topics, kept in the catalogue: a sync that reads others makes a new
    version of the index."""
    text = json.dumps(sorted((k, sorted(v)) for k, v in topics.items()), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def entity_evidence(snap: Snapshot, pos: int, entity_ids: set[str]) -> float:
    """How many of the query's entities chunk ``pos`` is linked to: its own mentions count 1 each,
    entities only its document's title names (:mod:`search.about`) :data:`ABOUT_WEIGHT` each."""
    chunk = snap.chunks[pos]
    own = {e for e, _ in chunk.entities if e in entity_ids}
    about = (snap.about.get(chunk.doc_id, frozenset()) & entity_ids) - own
    return len(own) + ABOUT_WEIGHT * len(about)


class SearchService:
    """The search index of one data directory, kept in step with one graph store."""

    def __init__(
        self,
        store: GraphStore,
        directory: Path,
        embedder: Embedder,
        *,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        nprobe: int = DEFAULT_NPROBE,
        cache_path: Path | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.embedder = embedder
        self.ann_threshold = ann_threshold
        self.nprobe = nprobe
        directory.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(directory / "search.sqlite")
        self.cache = EmbeddingCache(cache_path or directory / "embeddings.sqlite")
        self._vector_path = directory / "vectors.faiss"
        self._lock_path = directory / ".lock"
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._gazetteer: Gazetteer | None = None
        self._analyser: Analyser | None = None
        self._swap = threading.Lock()
        self._qvecs: OrderedDict[str, np.ndarray] = OrderedDict()
        self._owned_embedder: Embedder | None = None
        self.threads: int | None = EMBED_THREADS  # native threads per search (search/threads.py)

    @classmethod
    def open(cls, store: GraphStore, settings: Any, *, embedder: Embedder | None = None) -> SearchService:
        owned: Embedder | None = None
        if embedder is None:  # made here, so closed here (a micro-batcher's model thread)
            threads = settings.embed_threads or None
            model = load_embedder(
                settings.embed_model,
                threads=threads,
                runtime=settings.embed_runtime,
                models_dir=settings.embed_models_dir or settings.data_dir / "models",
                passage_workers=settings.embed_passage_workers,
                query_encoder=settings.embed_query_encoder,
            )
            embedder = owned = batched(model, settings)
        service = cls(
            store,
            settings.search_dir,
            embedder,
            ann_threshold=settings.search_ann_threshold,
            nprobe=settings.search_nprobe,
            cache_path=settings.embed_cache,
        )
        service._owned_embedder = owned
        service.threads = settings.embed_threads or None
        return service

    def close(self) -> None:
        self.catalog.close()
        self.cache.close()
        close = getattr(self._owned_embedder, "close", None)
        if close is not None:  # the micro-batcher's model thread of an embedder ``open`` made
            close()

    # -- language ------------------------------------------------------------------------------------

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.from_store(self.store)
        return self._gazetteer

    @property
    def analyser(self) -> Analyser:
        """Keyword tokens per language (:mod:`lang.analysers`; Chinese by jieba with the gazetteer)."""
        if self._analyser is None:
            self._analyser = Analyser(self.gazetteer.table)
        return self._analyser

    def refresh_language(self) -> None:
        """Re-read the gazetteer (new entities) — the next sync re-tokenises with it."""
        self._gazetteer = None
        self._analyser = None

    # -- writing -------------------------------------------------------------------------------------

    def _writer(self) -> AbstractContextManager[None]:
        return file_lock(self._lock_path)

    def sync(self, *, progress: Callable[[str, int, int], None] | None = None) -> SyncReport:
        """Bring the index level with the graph; cheap when nothing changed."""
        started = time.perf_counter()
        report = SyncReport()
        with self._writer():
            model_changed = self.catalog.get("model") not in ("", self.embedder.name) or self.catalog.get(
                "dim"
            ) not in ("", str(self.embedder.dim))
            graph_docs = {row["id"]: row for row in self.store.query(load_query("index_documents").text)}
            known = self.catalog.docs()
            ready = {i: r for i, r in graph_docs.items() if r["hash"]}  # hash set last: fully written
            changed = [i for i, r in ready.items() if i not in known or known[i].hash != r["hash"]]
            # A document mid-rewrite (hash unset) keeps its old chunks until it is complete again.
            gone = [i for i in known if i not in graph_docs]
            if self.catalog.migrated:  # an index from before section anchors: read every document again
                changed = list(ready)
                self.catalog.migrated = False
            indexed = self.catalog.count()
            vector = self._load_vector(indexed)
            if model_changed:
                log.warning("embedding model changed to %s: re-embedding every chunk", self.embedder.name)
            # what each policy and process is filed under (zk:hasTopic) is graph data no document
            # carries: re-filed without a document change, it still makes a new version of the index,
            # so every process publishes the new topics now, not with the next changed document
            topics = self._entity_topics()
            topics_changed = topics is not None and self.catalog.get("topics") != topics_stamp(topics)
            if not changed and not gone and not model_changed and vector is not None:
                if topics_changed and topics is not None:
                    with self.catalog.transaction():
                        self.catalog.set("topics", topics_stamp(topics))
                        self.catalog.set("version", self.catalog.version + 1)
                report.total_chunks = indexed
                report.seconds = time.perf_counter() - started
                current = self._snapshot
                if current is None or current.version != self.catalog.version:
                    self._publish(vector, topics)  # the index just read, not a second read of the file
                return report
            removed: list[int] = []
            added: list[tuple[int, str]] = []
            with self.catalog.transaction():
                for doc_id in gone + changed:
                    removed.extend(self.catalog.delete_doc(doc_id))
                report.documents_removed = len(gone)
                report.documents_changed = len(changed)
                for start in range(0, len(changed), 200):
                    ids = changed[start : start + 200]
                    rows = self.store.query(load_query("index_chunks").text, {"ids": ids})
                    anchors = {
                        r["id"]: r["anchor"] or ""
                        for r in self.store.query(load_query("index_chunk_anchors").text, {"ids": ids})
                    }
                    by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
                    for row in rows:
                        by_doc[row["document"]].append(row)
                    for doc_id in ids:
                        doc = self._doc_row(ready[doc_id])
                        self.catalog.put_doc(doc)
                        chunk_rows = sorted(by_doc.get(doc_id, []), key=lambda r: r["ordinal"] or 0)
                        prepared = []
                        # A store from before languages (issue 19) has none: detect them here.
                        languages = [row.get("language") or "" for row in chunk_rows]
                        unknown = [i for i, code in enumerate(languages) if not code]
                        if unknown:
                            found = detect_languages([chunk_rows[i]["text"] or "" for i in unknown])
                            for i, lang in zip(unknown, found, strict=True):
                                languages[i] = lang.code
                        # Chunks are analysed (and fused) in their document's language: a Chinese page
                        # whose chunk is mostly commands or English terms stays a Chinese chunk.
                        main = doc.language or main_language(
                            languages, [len(row["text"] or "") for row in chunk_rows]
                        )
                        if main != doc.language:
                            doc = replace(doc, language=main)
                            self.catalog.put_doc(doc)
                        if main != UNDETERMINED:
                            languages = [main] * len(chunk_rows)
                        for row, language in zip(chunk_rows, languages, strict=True):
                            # FAQ categories arrive as entity ids (TOPIC-leave): show their names.
                            names = self.gazetteer.names
                            heading = tuple(names.get(h, h) for h in row["heading"] or ())
                            kind = row["kind"] or "text"
                            st = search_text(doc.title, heading, row["text"] or "", kind)
                            entities = sorted(
                                {
                                    (e, n or e)
                                    for e, n in zip(row["entityIds"], row["entityNames"], strict=False)
                                    if e
                                }
                            )
                            prepared.append(
                                (
                                    row["id"],
                                    doc_id,
                                    int(row["ordinal"] or 0),
                                    kind,
                                    heading,
                                    row["text"] or "",
                                    st,
                                    text_hash(st),
                                    self.analyser.tokens(st, language),
                                    entities,
                                    anchors.get(row["id"], ""),
                                    language,
                                )
                            )
                        nums = self.catalog.add_chunks(prepared)
                        added.extend((n, p[6]) for n, p in zip(nums, prepared, strict=True))
                    if progress:
                        progress("documents", min(start + 200, len(changed)), len(changed))
                report.chunks_added = len(added)
                report.chunks_removed = len(removed)
                self.catalog.set("model", self.embedder.name)
                self.catalog.set("dim", self.embedder.dim)
                if model_changed or vector is None or vector.dim != self.embedder.dim:
                    vector = self._rebuild_vector(report, progress)
                else:
                    vector.remove(np.array(removed, dtype=np.int64))
                    vectors = self._embed([t for _, t in added], report, progress)
                    vector.add(np.array([n for n, _ in added], dtype=np.int64), vectors)
                    if vector.stale(self.ann_threshold):
                        vector = self._rebuild_vector(report, progress)
                vector.save(self._vector_path)
                self.catalog.set("trained_at", vector.trained_at)
                if topics is not None:
                    self.catalog.set("topics", topics_stamp(topics))
                self.catalog.set("version", self.catalog.version + 1)
            report.total_chunks = self.catalog.count()
        self._publish(vector, topics)
        report.seconds = time.perf_counter() - started
        return report

    def rebuild(self, *, progress: Callable[[str, int, int], None] | None = None) -> SyncReport:
        """Drop the index and build it again from the graph (embeddings come from the cache)."""
        with self._writer(), self.catalog.transaction():
            for doc_id in list(self.catalog.docs()):
                self.catalog.delete_doc(doc_id)
            self.catalog.set("version", self.catalog.version + 1)
        self._vector_path.unlink(missing_ok=True)
        self.refresh_language()
        report = self.sync(progress=progress)
        report.rebuilt = True
        return report

    def _doc_row(self, row: dict[str, Any]) -> DocRow:
        return DocRow(
            row["id"],
            row["hash"],
            row["title"] or row["id"],
            row["uri"] or "",
            row["format"] or "",
            tuple(row["departments"] or ()),
            tuple(row["roles"] or ()),
            int(row["level"] or 0),
            row["modifiedAt"] or "",
            row.get("language") or "",
        )

    def _embed(
        self, texts: list[str], report: SyncReport, progress: Callable[[str, int, int], None] | None
    ) -> np.ndarray:
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("embeddings", done, len(texts))

        misses = self.cache.misses
        vectors = self.cache.embed(self.embedder, texts, progress=step)
        report.embedded += self.cache.misses - misses
        report.cached += len(texts) - (self.cache.misses - misses)
        return vectors

    def _rebuild_vector(
        self, report: SyncReport, progress: Callable[[str, int, int], None] | None
    ) -> VectorIndex:
        chunks = self.catalog.chunks()
        vectors = self._embed([c.search_text for c in chunks], report, progress)
        ids = np.array([c.num for c in chunks], dtype=np.int64)
        report.rebuilt = True
        return VectorIndex.build(ids, vectors, ann_threshold=self.ann_threshold, nprobe=self.nprobe)

    def _load_vector(self, expected: int) -> VectorIndex | None:
        """The saved vector index, or ``None`` when it is missing or disagrees with the catalogue."""
        if not self._vector_path.exists():
            return None if expected else VectorIndex.empty(self.embedder.dim)
        try:
            vector = VectorIndex.load(
                self._vector_path,
                trained_at=int(self.catalog.get("trained_at", "0") or 0),
                nprobe=self.nprobe,
            )
        except RuntimeError:
            log.warning("vector index unreadable; rebuilding from the embedding cache")
            return None
        if len(vector) != expected:
            log.warning("vector index has %d vectors, catalogue %d: rebuilding", len(vector), expected)
            return None
        return vector

    # -- reading -------------------------------------------------------------------------------------

    def _publish(self, vector: VectorIndex, topics: dict[str, frozenset[str]] | None = None) -> None:
        """Make the catalogue's current state the snapshot queries read (``topics``: the entity topics,
        when the caller just read them)."""
        if topics is None:
            topics = self._entity_topics() or {}
        chunks = self.catalog.chunks()
        docs = self.catalog.docs()
        fields = self._fields(chunks, vector.dim)
        snapshot = Snapshot(
            self.catalog.version,
            docs,
            chunks,
            vector,
            fields,
            self._sections(chunks, docs, vector.dim),
            about := document_entities(docs, chunks, self.gazetteer),
            with_topics(about, topics),
        )
        with self._swap:
            self._snapshot = snapshot

    def _entity_topics(self) -> dict[str, frozenset[str]] | None:
        """Policy/process id → the topics it is filed under (read by every sync and once per published
        snapshot); ``None`` when the graph cannot be read at that moment: the snapshot publishes
        without them (until the next one) — a search must not fail for a hint only the cross-language
        answer gate reads — and a sync leaves the recorded topics as they were."""
        try:
            rows = self.store.query(load_query("entity_topics").text)
        except (GraphError, GraphUnavailable) as exc:
            log.warning("entity topics not read (%s): this snapshot goes without them", exc.code)
            return None
        return {str(r["id"]): frozenset(str(t) for t in r["topics"]) for r in rows}

    def _fields(self, chunks: Sequence[ChunkRow], dim: int) -> Fields:
        """The chunks' heading fields, embedded once per distinct text (through the cache: a heading
        is embedded the first time the index meets it)."""
        texts = [(field_text(c.kind, c.heading, c.text), c.language) for c in chunks]
        distinct = sorted(set(texts))  # a heading's tokens depend on its chunk's language
        if not distinct or dim != self.embedder.dim:
            return Fields.empty(dim)
        row = {t: i for i, t in enumerate(distinct)}
        vectors = self.cache.embed(self.embedder, [t for t, _ in distinct])
        tokens = tuple(frozenset(self.analyser.tokens(t, lang or None)) for t, lang in distinct)
        return Fields(np.array([row[t] for t in texts], dtype=np.int64), vectors, tokens)

    def _sections(self, chunks: Sequence[ChunkRow], docs: dict[str, DocRow], dim: int) -> Sections:
        """The chunks' sections, embedded once per distinct text (through the cache, as headings are;
        one more embedding per section, so none when the section weight is 0)."""
        if not chunks or dim != self.embedder.dim or WEIGHTS.section_dense <= 0:
            return Sections.empty(dim)
        found = section_texts(chunks, {d: doc.title for d, doc in docs.items()})
        return Sections(found.of_chunk, self.cache.embed(self.embedder, list(found.texts)))

    def snapshot(self) -> Snapshot:
        """The index as queries read it now (reloaded when another process changed it): for readers
        beside the search itself, such as :mod:`search.recommend`."""
        now = time.monotonic()
        current = self._snapshot
        if current is not None and now - self._checked_at < RELOAD_CHECK_S:
            return current
        self._checked_at = now
        version = self.catalog.version
        if current is None or current.version != version:
            vector = self._load_vector(self.catalog.count())
            if vector is None:
                # Another writer is mid-sync, or the file was lost: bring it level ourselves.
                self.sync()
                assert self._snapshot is not None
                return self._snapshot
            self._publish(vector)
        assert self._snapshot is not None
        return self._snapshot

    def search(
        self,
        query: str,
        who: Principal = SYSTEM,
        *,
        k: int = 10,
        offset: int = 0,
        lists: Sequence[str] = ("keyword", "dense", "entity"),
        also: Principal | None = None,
    ) -> SearchResult:
        """The caller's best ``k`` chunks after ``offset`` (hybrid, entity-boosted, permission-filtered).

        ``lists`` selects the fused rankings (the evaluation compares keyword, dense and hybrid).
        ``also``: a second reader who must be admitted to every hit too (an agent's suggestion for an
        employee's question offers only what both may read)."""
        readers = (who,) if also is None else (who, also)
        norm: NormalisedQuery = normalise_query(query)
        if not has_content(norm.text):
            return SearchResult(
                norm.text, [], 0, message="请输入要查询的问题（至少包含一个汉字、字母或数字）。"
            )
        snap = self.snapshot()
        k = max(0, min(k, 100))
        offset = max(0, offset)
        if not snap.chunks:
            return SearchResult(norm.text, [], 0, message="知识库还没有内容。")
        scope = snap.admitted(*readers)
        cache_key = (scope, norm.text, k, offset, tuple(lists))
        cached = snap.cached(cache_key)
        if cached is not None:
            return cached
        result = replace(self._search(snap, norm, readers, k, offset, lists), scope=scope)
        snap.remember(cache_key, result)
        return result

    def query_vector(self, text: str) -> np.ndarray:
        """The (cached) embedding of a normalised query, as the search used it (the answer gate compares
        it with a hit's heading)."""
        return self._query_vector(text)

    def _query_vector(self, text: str) -> np.ndarray:
        with self._swap:
            vec = self._qvecs.get(text)
        if vec is None:
            vec = self.embedder.embed_query(text)
            with self._swap:
                self._qvecs[text] = vec
                if len(self._qvecs) > QUERY_VECTOR_CACHE:
                    self._qvecs.popitem(last=False)
        return vec

    def _search(
        self,
        snap: Snapshot,
        norm: NormalisedQuery,
        readers: tuple[Principal, ...],
        k: int,
        offset: int,
        lists: Sequence[str],
    ) -> SearchResult:
        limit_threads(self.threads)  # FAISS and numpy: one thread per request, no spinning
        mask = snap.mask_for(*readers)
        if mask is not None and not mask.any():
            return SearchResult(norm.text, [], 0)
        depth = max(DEPTH, offset + k)
        ranked: dict[str, list[int]] = {}

        # The question's language steers its analysis and the fusion (lang.detect; "und" → jieba).
        language = detect_language(norm.text).code
        tokens = [t for t in self.analyser.cached_tokens(norm.text, language) if t in snap.vocab]
        keyword_score: dict[int, float] = {}
        if "keyword" in lists:
            # None of the question's words in the index (a question in another language than the
            # documents'): no keyword evidence, but fused all the same, so that the dense signals are
            # weighed as for any other question (issue 19).
            ranked["keyword"] = []
        if tokens and snap.bm25 is not None and "keyword" in lists:
            weight = None if mask is None else mask.astype(np.float32)
            docs, scores = snap.bm25.retrieve(
                [tokens], k=min(depth, len(snap.chunks)), show_progress=False, weight_mask=weight, n_threads=0
            )
            keyword_score = {int(d): float(s) for d, s in zip(docs[0], scores[0], strict=True) if s > 0}
            ranked["keyword"] = list(keyword_score)

        allowed: Ids | None = None if mask is None else snap.nums[mask]
        qvec = self._query_vector(norm.text)
        ids, sims = snap.vector.search(qvec, depth, allowed=allowed)
        dense = [snap.pos_of[int(i)] for i in ids if int(i) in snap.pos_of]
        if "dense" in lists:
            ranked["dense"] = dense
        dense_score = {
            snap.pos_of[int(i)]: float(s) for i, s in zip(ids, sims, strict=True) if int(i) in snap.pos_of
        }

        recognised = []
        for hit in self.gazetteer.find(norm.text):
            recognised.append((hit.candidates[0][0], hit.surface))
        # Entities most chunks mention (公司, 员工) say nothing about which chunk answers.
        limit = max(3, int(len(snap.chunks) * ENTITY_MAX_SHARE))
        entity_ids = {e for e, _ in recognised if len(snap.entity_positions.get(e, ())) <= limit}
        fused = self._fuse(snap, ranked, keyword_score, dense_score, tokens, qvec, language)
        if entity_ids and "entity" in lists:
            # Entity boost: among the candidates, chunks linked to more of the query's entities rise;
            # an entity only the chunk's document title names counts ABOUT_WEIGHT (search.about).
            for pos in fused:
                linked = entity_evidence(snap, pos, entity_ids)
                fused[pos] *= 1.0 + ENTITY_BOOST * linked / len(entity_ids)
        order_all = sorted(fused, key=lambda p: -fused[p])
        kw_rank = {p: r for r, p in enumerate(ranked.get("keyword", []))}
        dn_rank = {p: r for r, p in enumerate(dense)}
        hits = [
            snap.hit(
                pos,
                round(fused[pos], 6),
                dense_score=dense_score.get(pos),
                keyword_score=keyword_score.get(pos),
                keyword_rank=kw_rank.get(pos),
                dense_rank=dn_rank.get(pos),
            )
            for pos in order_all[offset : offset + k]
        ]
        message = "问题过长，只使用了前 256 个字。" if norm.truncated else ""
        return SearchResult(norm.text, hits, len(order_all), recognised, message, norm.truncated)

    def _fuse(
        self,
        snap: Snapshot,
        ranked: dict[str, list[int]],
        keyword_score: dict[int, float],
        dense_score: dict[int, float],
        tokens: Sequence[str],
        qvec: np.ndarray,
        language: str = UNDETERMINED,
    ) -> dict[int, float]:
        """Candidate position → score. One list alone keeps its own order; both are fused by
        :func:`search.fusion.fuse` (the candidates of either list, every one scored on every signal;
        keyword and heading-word evidence only where the chunk is in the question's language)."""
        if "dense" not in ranked or "keyword" not in ranked:
            only = ranked.get("dense") or ranked.get("keyword") or []
            return {pos: 1.0 / (RRF_K + rank + 1) for rank, pos in enumerate(only)}
        positions = list(dict.fromkeys([*ranked["dense"], *ranked["keyword"]]))
        missing = [p for p in positions if p not in dense_score]
        if missing:
            # Keyword-only candidates: their exact cosine from the stored vectors (an exact index);
            # an IVF index cannot give them back cheaply, so there they count as the least similar
            # dense candidate (searching them out would scan every list).
            floor = min(dense_score.values(), default=0.0)
            if snap.vector.kind == "flat":
                sims = snap.vector.vectors_for(snap.nums[missing]) @ qvec
                found = {p: float(s) for p, s in zip(missing, sims, strict=True)}
            else:
                found = {}
            dense_score = {**dense_score, **{p: found.get(p, floor) for p in missing}}
        n = len(snap.chunks)
        query = {t: idf(snap.df.get(t, 0), n) for t in set(tokens)}
        fields = snap.fields
        has_fields = len(fields.of_chunk) == n
        rows = fields.of_chunk[positions] if has_fields else np.zeros(0, dtype=np.int64)
        zeros = np.zeros(len(positions))
        dense = np.array([dense_score[p] for p in positions])
        keyword = np.array([keyword_score.get(p, 0.0) for p in positions])
        same = np.array([same_language(language, snap.chunks[p].language) for p in positions])
        sections = snap.sections
        section_dense = (
            sections.vectors[sections.of_chunk[positions]] @ qvec
            if len(sections.of_chunk) == n and not same.any()
            else None
        )
        scores = fuse(
            dense,
            keyword,
            np.array([coverage(query, snap.token_set(p)) for p in positions]),
            np.array([coverage(query, fields.tokens[r]) for r in rows]) if has_fields else zeros,
            fields.vectors[rows] @ qvec if has_fields else zeros,
            WEIGHTS,
            same_language=same,
            section_dense=section_dense,
        )
        # a passage of a long chunk holding the question's words together (search.fusion.Passage);
        # only long chunks can qualify, so only theirs is windowed
        passage = fusion.PASSAGE
        tokens_of = [snap.chunks[p].tokens for p in positions]
        long = np.array([len(t) > passage.width for t in tokens_of])
        window = [fusion.window_coverage(query, t, passage.width) if is_long else 0.0
                  for t, is_long in zip(tokens_of, long, strict=True)]  # fmt: skip
        scores = scores + fusion.passage_evidence(
            np.array(window), dense, keyword, long, passage, same_language=same
        )
        return {p: float(s) for p, s in zip(positions, scores, strict=True)}

    def document_hits(self, document_id: str, who: Principal, *, also: Principal | None = None) -> list[Hit]:
        """The chunks of one document, in document order, when every reader (``who``, and ``also``
        when given) may read it (:func:`zhiku.access.admits_parts`, as every search filters); none
        otherwise, or when the document is not indexed. An engineer's link to an answer reads this."""
        snap = self.snapshot()
        doc = snap.docs.get(document_id)
        readers = (who,) if also is None else (who, also)
        if doc is None or not all(admits_parts(*doc.access_key, w) for w in readers):
            return []
        return [snap.hit(pos, 1.0) for pos in snap.of_document(document_id)]

    def stats(self) -> dict[str, Any]:
        snap = self.snapshot()
        return {
            "model": self.embedder.name,
            "dim": self.embedder.dim,
            "documents": len(snap.docs),
            "chunks": len(snap.chunks),
            "vector_index": snap.vector.kind,
            "vectors": len(snap.vector),
            "access_groups": len(snap.groups),
            "version": snap.version,
            "directory": str(self.directory),
        }
