"""The ontology view for knowledge engineers: ``ontologyClasses`` (every class, core or extension, with
its labels, properties, SHACL rules in plain words and instance count among what the caller may see)
and ``ontologyDiff`` — a proposed extension file compared with the loaded ontology, with the data in
the graph each breaking change would orphan. Read-only: the diff reports, it never applies anything.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path, PurePosixPath

import strawberry
from strawberry.types import Info

from api.deps import AppState
from api.graphql.context import ctx
from lang.detect import SUPPORTED
from ontology.diff import count_affected, diff_ontologies
from ontology.model import CORE_FILE, load_ontology
from ontology.view import class_views
from queries import run_named_query
from zhiku.access import Principal
from zhiku.errors import InputError, OntologyError

ROLES = ("knowledge_engineer", "admin")
#: The largest extension file compared (Turtle or RDF/XML text).
MAX_DIFF_CHARS = 512_000
DIFF_SUFFIXES = (".ttl", ".owl", ".rdf")


@strawberry.type(description="本体属性 / an ontology property")
class OntologyProperty:
    name: str
    kind: str = strawberry.field(description="object（关系）/ datatype（数据）")
    label_zh: str
    label_en: str
    range: str | None
    functional: bool


@strawberry.type(description="SHACL 约束（白话）/ a SHACL constraint in words")
class OntologyRule:
    path: str
    zh: str
    en: str
    message: str


@strawberry.type(description="某种语言的标签覆盖 / label coverage in one language")
class LabelCoverage:
    language: str = strawberry.field(description="zh en ja ko de fr it nl pt ru")
    labelled: int = strawberry.field(description="有该语言 skos:prefLabel/altLabel 的实例数")
    share: float = strawberry.field(description="占实例数的比例（0–1；无实例为 0）")


@strawberry.type(description="本体类 / an ontology class")
class OntologyClass:
    name: str
    label_zh: str
    label_en: str
    definition: str
    parents: list[str]
    core: bool = strawberry.field(description="true：核心本体；false：扩展带来的")
    instances: int = strawberry.field(description="图谱中该类的节点数（调用者可见的）")
    properties: list[OntologyProperty]
    rules: list[OntologyRule]
    label_coverage: list[LabelCoverage] = strawberry.field(
        description="十种语言各自有标签的实例比例（调用者可见的实例）/ label coverage per language"
    )


@strawberry.type(description="本体差异的一项 / one change of an ontology diff")
class OntologyChange:
    kind: str
    name: str
    change: str = strawberry.field(description="added / removed / range / domain")
    old: str
    new: str
    breaking: bool
    affected: int | None = strawberry.field(description="当前图谱中会失效的节点或关系数（仅破坏性变化）")
    text: str


@strawberry.type(
    description="提议的扩展与当前本体的差异（只读）/ a proposed extension against the loaded ontology"
)
class OntologyDiffResult:
    changes: list[OntologyChange]
    affected: int


def _coverage(row: dict[str, object] | None) -> list[LabelCoverage]:
    total = int(row["count"]) if row else 0  # type: ignore[call-overload]
    out = []
    for language in SUPPORTED:
        labelled = int(row[language]) if row else 0  # type: ignore[call-overload]
        out.append(
            LabelCoverage(
                language=language, labelled=labelled, share=round(labelled / total, 4) if total else 0.0
            )
        )
    return out


def _classes(state: AppState, who: Principal) -> list[OntologyClass]:
    counts = {r["label"]: int(r["count"]) for r in run_named_query(state.store, "label_counts", who=who)}
    coverage = {r["label"]: r for r in run_named_query(state.store, "label_coverage", who=who)}
    return [
        OntologyClass(
            name=v.name,
            label_zh=v.label_zh,
            label_en=v.label_en,
            definition=v.definition,
            parents=list(v.parents),
            core=v.core,
            instances=counts.get(v.name, 0),
            properties=[
                OntologyProperty(
                    name=p.local,
                    kind=p.kind,
                    label_zh=p.label_zh,
                    label_en=p.label_en,
                    range=p.range,
                    functional=p.functional,
                )
                for p in v.properties
            ],
            rules=[OntologyRule(path=r.path, zh=r.zh, en=r.en, message=r.message) for r in v.rules],
            label_coverage=_coverage(coverage.get(v.name)),
        )
        for v in class_views(state.ontology).values()
    ]


def _diff(state: AppState, content: str, filename: str) -> OntologyDiffResult:
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in DIFF_SUFFIXES:
        raise InputError(
            f"只比较 Turtle 或 RDF/XML 文件（{'、'.join(DIFF_SUFFIXES)}）：{filename}",
            f"only Turtle or RDF/XML files ({', '.join(DIFF_SUFFIXES)}) are compared: {filename}",
        )
    if len(content) > MAX_DIFF_CHARS:
        raise InputError(
            f"文件过大（上限 {MAX_DIFF_CHARS} 字符）", f"file too large (limit {MAX_DIFF_CHARS} chars)"
        )
    # the extensions in use; a file of the same name is the proposed new version of that one
    loaded = [p for p in state.ontology.sources if p != CORE_FILE and p.name != PurePosixPath(filename).name]
    with tempfile.TemporaryDirectory() as tmp:
        proposed = Path(tmp) / f"proposed{suffix}"
        proposed.write_text(content, encoding="utf-8")
        try:
            new = load_ontology([*loaded, proposed])
        except OntologyError:
            raise
        except Exception as exc:  # a parser's own error: the file is not valid RDF
            raise InputError(f"无法解析本体文件：{exc}", f"cannot parse the ontology file: {exc}") from None
    diff = diff_ontologies(state.ontology, new)
    changes = []
    for c in diff.changes:
        affected = count_affected(state.store, c) if c.breaking else None
        changes.append(
            OntologyChange(
                kind=c.kind,
                name=c.name,
                change=c.change,
                old=c.old,
                new=c.new,
                breaking=c.breaking,
                affected=affected,
                text=str(c),
            )
        )
    return OntologyDiffResult(changes=changes, affected=sum(c.affected or 0 for c in changes))


@strawberry.type
class OntologyQuery:
    @strawberry.field(
        description="本体的类：标签、属性、SHACL 约束（白话）、实例数（知识工程师）/ ontology classes"
    )
    async def ontology_classes(self, info: Info) -> list[OntologyClass]:
        c = ctx(info)
        who = c.require(*ROLES)
        return await asyncio.to_thread(_classes, c.state, who)

    @strawberry.field(
        description="比较提议的本体扩展文件与当前本体（只读，不应用）/ diff a proposed extension"
    )
    async def ontology_diff(self, info: Info, content: str, filename: str) -> OntologyDiffResult:
        c = ctx(info)
        c.require(*ROLES)
        return await asyncio.to_thread(_diff, c.state, content, filename[:200])
