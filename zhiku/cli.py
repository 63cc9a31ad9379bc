"""The ``zhiku`` command line (Typer). Every failure prints one line — code, Chinese, English, what
to do — and exits non-zero; no tracebacks.

    zhiku init acme          # 新建知识库项目 / scaffold a knowledge-base project
    zhiku load acme          # 加载它（先 SHACL 校验）/ load it (SHACL gate first)
    zhiku demo load          # 加载演示企业 / load the demo company
    zhiku serve              # 启动 API / serve the API on :8000
    zhiku graph stats        # 图谱统计 / graph statistics

The data directory is ``--data-dir``, else ``ZHIKU_DATA_DIR``, else ``.zhiku`` in the current
directory. Every command that opens the store prints the one it uses (one line on stderr). Only the
commands that put data in (:data:`CREATES_DATA`) start a new one; the others refuse a directory with
no graph in it, rather than answering from a new, empty database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from zhiku.access import SYSTEM
from zhiku.errors import ConfigError, DataDirError, DataDirMissing, InputError, PortInUse, ZhikuError
from zhiku.settings import GraphBackend, Settings, load_settings

#: The commands that may start a new data directory: they put data into it (a deployment's first
#: ``serve`` starts empty and is filled through the API). Every other command reads, and refuses a
#: data directory without a graph rather than silently starting an empty database.
CREATES_DATA = frozenset({"demo load", "load", "ingest", "serve", "import", "crawl", "scheduler", "org sync"})

app = typer.Typer(
    name="zhiku",
    help="知库 Zhiku — 企业知识图谱与智能问答 / enterprise knowledge graph and Q&A.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
demo_app = typer.Typer(help="演示数据 / the demo knowledge base", no_args_is_help=True)
ontology_app = typer.Typer(
    help="本体：校验、导出、统计 / ontology: validate, export, stats", no_args_is_help=True
)
graph_app = typer.Typer(
    help="图数据库：统计、清空、停止 / the graph store: stats, reset, stop", no_args_is_help=True
)
app.add_typer(demo_app, name="demo")
app.add_typer(ontology_app, name="ontology")
index_app = typer.Typer(
    help="检索索引：同步、重建、统计 / the search index: sync, rebuild, stats", no_args_is_help=True
)
app.add_typer(graph_app, name="graph")
app.add_typer(index_app, name="index")
org_app = typer.Typer(help="组织架构：从 HR 导出或企业微信通讯录同步 / the org chart", no_args_is_help=True)
app.add_typer(org_app, name="org")
processes_app = typer.Typer(help="审批流程：从企业微信审批模板导入 / processes", no_args_is_help=True)
app.add_typer(processes_app, name="processes")
docs_app = typer.Typer(
    help="文档：删除（重新摄取见 zhiku ingest --force）/ documents: delete", no_args_is_help=True
)
app.add_typer(docs_app, name="docs")
nlu_app = typer.Typer(
    help="聊天意图模型：用标注的问题重新训练 / the chat's intent model", no_args_is_help=True
)
app.add_typer(nlu_app, name="nlu")

out = Console()
err = Console(stderr=True)
log = logging.getLogger(__name__)


def cli_errors[F: Callable[..., Any]](fn: F) -> F:
    """Print a ``ZhikuError`` as one line on stderr and exit 1; Ctrl-C exits 130 quietly."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ZhikuError as exc:
            err.print(exc.one_line(), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


#: The command being run, without the program name ("demo load", "token"): set by :func:`_settings`,
#: which every command calls first (one command per process).
_running = ""


def _settings(ctx: typer.Context) -> Settings:
    global _running
    names = []
    at: Any = ctx
    while at is not None and at.parent is not None:
        names.append(at.info_name or "")
        at = at.parent
    _running = " ".join(reversed(names))
    settings: Settings = ctx.obj
    return settings


@app.callback()
@cli_errors
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="数据目录 / data directory (ZHIKU_DATA_DIR)")
    ] = None,
    graph_uri: Annotated[
        str | None, typer.Option("--graph-uri", help="图数据库地址 / graph URI (ZHIKU_GRAPH_URI)")
    ] = None,
) -> None:
    """知库 Zhiku 命令行 / the Zhiku command line."""
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if graph_uri is not None:
        overrides["graph_uri"] = graph_uri
    ctx.obj = load_settings(**overrides)


def _check_data_dir(settings: Settings) -> None:
    """Say which data directory is in use; refuse one with no graph unless this command creates data."""
    where = settings.data_dir.resolve()
    command = _running
    if (
        settings.graph_backend is GraphBackend.embedded
        and not settings.graph_dir.is_dir()
        and command not in CREATES_DATA
    ):
        raise DataDirMissing(
            f"数据目录 {where} 中没有知库数据（zhiku {command} 不会新建空的数据库）",
            f"no Zhiku data in {where} (zhiku {command} does not start an empty database)",
            hint="用 --data-dir 或 ZHIKU_DATA_DIR 指向已有的数据目录（make run 用的是仓库里的 .zhiku），"
            "或先运行 zhiku demo load / zhiku ingest 创建 / point --data-dir or ZHIKU_DATA_DIR at an "
            "existing data directory (make run uses the checkout's .zhiku), or create one with "
            "zhiku demo load or zhiku ingest",
        )
    err.print(f"数据目录 / data directory: {where}", markup=False, highlight=False, soft_wrap=True)


def _open(settings: Settings) -> Any:
    from graph import open_store

    _check_data_dir(settings)
    return open_store(settings)


def _services(settings: Settings) -> Any:
    """The services, built where the API builds them (``zhiku.services``): the store now, the rest
    (search index, dialog, approvals…) when a command first uses it."""
    from zhiku.services import open_state

    _check_data_dir(settings)
    return open_state(settings)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """What third-party code prints on import or first use (banners, notices) goes to the log at
    debug level, not into a conversation on stdout."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        yield
    if printed.getvalue().strip():
        log.debug("printed while building or answering: %s", printed.getvalue().strip())


def _new_table(title: str, columns: Sequence[str]) -> Table:
    """A table whose cells wrap (fold) instead of being cut with "…": Chinese has no spaces to wrap at,
    and a pipe or a narrow terminal would otherwise lose the end of every long cell."""
    table = Table(title=title)
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = _new_table(title, columns)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    out.print(table)


# -- knowledge-base projects ----------------------------------------------------------------------


@app.command("init")
@cli_errors
def init_cmd(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="新项目目录（不存在或为空）/ a new or empty directory")],
    name: Annotated[str | None, typer.Option("--name", help="项目名称 / the project's name")] = None,
) -> None:
    """新建知识库项目：每部分一个可直接加载的最小示例，中文注释 / scaffold a knowledge-base project."""
    from kb.scaffold import init_project

    _settings(ctx)
    files = init_project(directory, name)
    for path in files:
        out.print(f"  {path.relative_to(directory)}", markup=False, highlight=False)
    out.print(
        f"已新建知识库项目 / created {directory}（{len(files)} 个文件 files）。下一步 / next: "
        f"zhiku load {directory} --dry-run",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _load_project(ctx: typer.Context, directory: Path, *, dry_run: bool, prune: bool, reset: bool) -> None:
    """Check, plan and load one project (``zhiku load``, ``zhiku demo load``)."""
    from kb.load import load_project
    from kb.project import open_project
    from zhiku.errors import ShaclViolation

    settings = _settings(ctx)
    project = open_project(directory)  # a mistake in zhiku.yaml fails before the store starts

    def note(text: str) -> None:
        err.print(text, markup=False, highlight=False, soft_wrap=True)

    with _services(settings) as state:
        if reset and not dry_run:
            state.store.reset()
        try:
            with _stage_progress() as progress:
                report = load_project(
                    state.store,
                    project,
                    onto=state.ontology,
                    index=lambda: state.search,  # opened only at the end, by the sync that ends a load
                    dry_run=dry_run,
                    prune=prune,
                    registry=settings.data_dir / "projects",
                    note=note,
                    progress=progress,
                    max_bytes=settings.ingest_max_bytes,
                    ner_model=settings.ner_model,
                )
        except ShaclViolation as exc:
            err.print(
                f"SHACL 校验未通过，未写入任何内容 / nothing was written: {len(exc.violations)} 处违反约束",
                markup=False,
            )
            for line in exc.violations:
                err.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
            raise
    _print_load(report)


def _print_load(report: Any) -> None:
    done = "试运行，未写入 / dry run, nothing written" if report.dry_run else "已加载 / loaded"
    title = f"{report.project}：{done}"
    rows = [
        ["节点 / nodes", report.nodes],
        ["  新增 / new", len(report.new_nodes)],
        ["  变更 / changed", len(report.changed_nodes)],
        ["  未变 / unchanged", report.unchanged_nodes],
        ["关系 / relationships", report.relationships],
        ["  新增 / new", report.new_relationships],
        ["删除（已不在项目中）/ pruned", len(report.pruned)],
        ["保留的离开员工 / employees kept", len(report.kept)],
        ["本体扩展文件 / ontology files", len(report.ontology_files)],
        ["爬取源 / crawl sources", len(report.sources)],
        ["推送规则 / push rules", report.rules],
        ["流程联动 / triggers", report.triggers],
    ]
    _table(title, ["项 / item", "数量 / count"], rows)
    if report.by_label and not report.dry_run:
        labels = sorted(report.by_label.items(), key=lambda kv: -kv[1])
        _table("各类节点 / nodes by class", ["类 / label", "节点 / nodes"], [list(kv) for kv in labels])
    for heading, ids in (("新增 / new", report.new_nodes), ("变更 / changed", report.changed_nodes),
                         ("删除 / pruned", report.pruned), ("保留 / kept", report.kept)):  # fmt: skip
        if ids and (report.dry_run or heading.startswith(("删除", "保留"))):
            shown = ", ".join(ids[:30]) + (f" …（共 {len(ids)}）" if len(ids) > 30 else "")
            out.print(f"{heading}: {shown}", markup=False, highlight=False, soft_wrap=True)
    versions = getattr(report, "process_versions", {})
    if versions:
        shown = ", ".join(f"{p} v{v}" for p, v in sorted(versions.items()))
        out.print(f"流程版本 / process versions: {shown}", markup=False, highlight=False, soft_wrap=True)
    for line in getattr(report, "stranded", []):
        out.print(f"注意 / note: {line}", markup=False, highlight=False, soft_wrap=True)
    if report.documents is not None:
        _print_ingest(report.documents)
    if report.registered is not None:
        out.print(f"已登记 / registered: {report.registered}", markup=False, highlight=False, soft_wrap=True)


@app.command("load")
@cli_errors
def load_cmd(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="知识库项目目录 / a knowledge-base project directory")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只显示将发生的变化，不写入 / show what would change")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="删除项目中已不存在的文档与实例 / remove what the project dropped"),
    ] = False,
) -> None:
    """加载知识库项目（本体扩展、词表、组织、流程、文档、FAQ、爬取源、推送规则）/ load a project."""
    _load_project(ctx, directory, dry_run=dry_run, prune=prune, reset=False)


# -- demo ---------------------------------------------------------------------------------------


@demo_app.command("load")
@cli_errors
def demo_load(
    ctx: typer.Context,
    reset: Annotated[bool, typer.Option("--reset", help="先清空图谱 / empty the graph first")] = False,
) -> None:
    """加载演示企业（= zhiku load demo --prune）/ load the demo company (a knowledge-base project)."""
    from demo.load import DEMO_DIR

    _load_project(ctx, DEMO_DIR, dry_run=False, prune=True, reset=reset)


# -- ingest -------------------------------------------------------------------------------------


def _run_ingest(state: Any, paths: list[Path], *, dry_run: bool, prune: bool, force: bool = False) -> Any:
    """``ingest.run``: the files into the graph, then the search index level with it."""
    import ingest

    settings = state.settings
    with _stage_progress() as progress:
        return ingest.run(
            paths,
            state.store,
            lambda: state.search,  # opened (its embedder loaded) only when the run reaches the index
            dry_run=dry_run,
            prune=prune,
            progress=progress,
            ontology=state.ontology,
            max_bytes=settings.ingest_max_bytes,
            ner_model=settings.ner_model,
            force=force,
        )


def _print_ingest(report: Any) -> None:
    summary = report.summary()
    names = {
        "documents": "文档 / documents", "new": "新增 / new", "changed": "变更 / changed",
        "unchanged": "未变 / unchanged", "removed": "删除 / removed", "rejected": "拒收 / rejected",
        "skipped": "跳过（不支持的类型）/ skipped", "warnings": "警告（部分结构未读出）/ warnings",
        "chunks": "文本块 / chunks", "mentions": "实体提及 / mentions", "linked": "已链接 / linked",
        "candidates": "待审核实体 / candidates", "relations": "关系 / relations",
        "facts_rejected": "不合本体的关系 / facts rejected",
    }  # fmt: skip
    title = "摄取结果（试运行，未写入）/ ingest (dry run)" if report.dry_run else "摄取结果 / ingest"
    _table(title, ["项 / item", "数量 / count"], [[names[k], v] for k, v in summary.items()])
    for uri, reason in report.skipped:
        err.print(f"跳过 / skipped: {uri} — {reason}", markup=False, highlight=False, soft_wrap=True)
    for uri, reason in report.rejected:
        err.print(f"拒收 / rejected: {uri} — {reason}", markup=False, highlight=False, soft_wrap=True)
    for uri, warning in report.warnings:
        err.print(f"警告 / warning: {uri} — {warning}", markup=False, highlight=False, soft_wrap=True)
    for fact, reason in report.rejected_facts:
        err.print(f"未写入 / not written: {fact} — {reason}", markup=False, highlight=False, soft_wrap=True)
    if report.index is not None:
        _print_sync(report.index)


@app.command("ingest")
@cli_errors
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="文件或目录（或 file:// URI）/ files or directories")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只显示将发生的变化 / show what would change")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune/--no-prune", help="删除目录中已不存在的文档 / remove documents gone from a directory"
        ),
    ] = True,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="内容未变也重新抽取并写入（如词典更新后）/ re-analyse unchanged documents too"
        ),
    ] = False,
) -> None:
    """摄取文档：加载、切分、抽取、链接、写入图谱，再同步检索索引 / ingest documents, then sync the index."""
    paths = [_uri_path(p) for p in paths]
    for path in paths:  # checked here, not by Typer: its error is an English box, ours one line
        if not path.exists():
            raise InputError(
                f"文件或目录不存在：{path}",
                f"no such file or directory: {path}",
                hint="检查路径（相对路径从当前目录算起）/ check the path (relative to the current directory)",
            )
    settings = _settings(ctx)
    with _services(settings) as state:
        report = _run_ingest(state, paths, dry_run=dry_run, prune=prune, force=force)
    _print_ingest(report)
    nothing = not (report.new or report.changed or report.unchanged)
    if (report.rejected or report.skipped) and nothing:
        raise typer.Exit(1)


def _uri_path(path: Path) -> Path:
    """A ``file://`` URI (as the documents page and ``zhiku docs`` show a document) as its path."""
    text = str(path)  # Path() folds file:///a/b into file:/a/b
    if text.startswith("file:/"):
        from urllib.parse import unquote

        return Path(unquote(text.removeprefix("file:")))
    return path


# -- search -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per stage (files, then the index's documents and embeddings) on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    names = {
        "ingest": "抽取与写入 / ingesting",
        "documents": "索引文档 / indexing documents",
        "embeddings": "向量化 / embedding",
    }
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(names.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


def _sync_index(state: Any, *, rebuild: bool = False) -> Any:
    with _stage_progress() as progress:
        service = state.search
        return service.rebuild(progress=progress) if rebuild else service.sync(progress=progress)


def _print_sync(report: Any) -> None:
    out.print(
        f"检索索引 / search index: {report.total_chunks} 块 chunks；新增 added {report.chunks_added}，"
        f"删除 removed {report.chunks_removed}，新向量化 embedded {report.embedded}，"
        f"缓存命中 cached {report.cached}（{report.seconds:.1f} s）"
    )


@app.command("search")
@cli_errors
def search_cmd(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="问题 / the question")],
    as_employee: Annotated[
        str | None, typer.Option("--as", help="以该员工身份检索 / search as this employee (ID)")
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="返回条数 / results")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """混合检索（关键词 + 向量 + 实体），按权限过滤 / hybrid search, filtered by permissions."""
    from zhiku.access import load_principal

    settings = _settings(ctx)
    with _services(settings) as state:
        who = load_principal(state.store, as_employee) if as_employee else SYSTEM
        result = state.search.search(query, who, k=k)
    if as_json:
        import dataclasses
        import json

        payload = dataclasses.asdict(result)
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    if result.message:
        err.print(result.message, markup=False)
    if result.entities:
        out.print("识别到的实体 / entities: " + "、".join(f"{s}（{e}）" for e, s in result.entities))
    table = Table(title=f"检索：{result.query}" + (f"（身份 {who.name or who.id}）" if as_employee else ""))
    for col in ("#", "得分 score", "文档 document", "章节 section", "片段 snippet"):
        table.add_column(col, overflow="fold")
    for i, hit in enumerate(result.hits, 1):
        section = " / ".join(h for h in hit.heading_path if h != hit.title)
        table.add_row(str(i), f"{hit.score:.4f}", hit.title, section, hit.snippet.replace("\n", " "))
    out.print(table)


def _index_update(ctx: typer.Context, *, rebuild: bool) -> None:
    settings = _settings(ctx)
    with _services(settings) as state:
        report = _sync_index(state, rebuild=rebuild)
    _print_sync(report)


@app.command("chat")
@cli_errors
def chat_cmd(
    ctx: typer.Context,
    as_employee: Annotated[str, typer.Option("--as", help="以该员工身份对话 / talk as this employee (ID)")],
    message: Annotated[
        list[str] | None, typer.Argument(help="消息（省略则进入交互模式）/ messages (none: interactive)")
    ] = None,
) -> None:
    """在终端里和智能客服对话（可提交审批、工单）/ talk to the chatbot in the terminal."""
    from zhiku.access import load_principal

    settings = _settings(ctx)
    with _services(settings) as state:
        who = load_principal(state.store, as_employee)
        with _quiet():
            engine = state.dialog  # the API's dialog: approvals engine, ticket desk, shared sessions
        session = None
        scripted = list(message or [])
        while True:
            if scripted:
                text = scripted.pop(0)
                out.print(f"[bold]{who.name}>[/bold] {text}")
            elif message:
                break
            else:
                try:
                    text = input(f"{who.name}> ")
                except EOFError:
                    break
                if text.strip() in ("exit", "quit", "退出"):
                    break
            with _quiet():
                reply = engine.handle(session, who, text)
            session = reply.session_id
            if reply.notice:
                err.print(reply.notice, markup=False)
            out.print("[bold cyan]知库>[/bold cyan] ", end="")
            out.print(reply.text, markup=False, highlight=False)
            for c in reply.citations[:3]:
                out.print(f"    · {c.title} {c.section}", markup=False, highlight=False)
            if reply.follow_ups:
                out.print("    你可能还想问：" + " / ".join(reply.follow_ups), markup=False, highlight=False)


@nlu_app.command("train")
@cli_errors
def nlu_train(ctx: typer.Context) -> None:
    """用训练数据和确认的标注问题重训意图模型，留出集准确率下降则不替换 / retrain the intent model."""
    from chat.gaps import labelled_questions
    from chat.nlu import retrain
    from zhiku.services import chat_model_digest

    settings = _settings(ctx)
    with _services(settings) as state, _quiet():
        labelled = labelled_questions(state.kv)
        report = retrain(settings.data_dir / "models", labelled, base=chat_model_digest())
    out.print(f"标注问题 / labelled questions: {report.labelled}（训练语句共 {report.trained}）")
    figures = f"之前 before {report.before:.3f} → 之后 after {report.after:.3f}"
    out.print(f"留出集准确率 / held-out accuracy ({report.heldout}): {figures}")
    if not report.replaced:
        err.print("准确率下降，保留原模型 / accuracy dropped: the model in service is kept")
        raise typer.Exit(1)
    out.print("新模型已启用（原模型已保留，可用 zhiku nlu rollback 恢复）/ the new model is in service")


@nlu_app.command("rollback")
@cli_errors
def nlu_rollback(ctx: typer.Context) -> None:
    """恢复上一个意图模型 / put the previous intent model back in service."""
    from chat.nlu import rollback

    settings = _settings(ctx)
    if not rollback(settings.data_dir / "models"):
        err.print("没有可恢复的模型 / no previous model")
        raise typer.Exit(1)
    out.print("已恢复上一个模型 / the previous model is back in service")


@app.command("crawl")
@cli_errors
def crawl(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="源名称，或 status / a source name, or status")],
) -> None:
    """立即爬取一个源，或查看各源状态 / crawl one source now, or show every source's status."""
    import json
    import time as _time

    from crawlers.schedules import run_source
    from crawlers.sources import load_sources
    from crawlers.state import source_statuses

    settings = _settings(ctx)
    sources = load_sources(settings.crawl_sources)
    if target != "status":
        if target not in sources:
            raise InputError(
                f"没有名为 {target} 的爬取源（见 {settings.crawl_sources}）", f"no crawl source {target}"
            )
        with err.status(f"爬取 / crawling {target} …"):
            result = run_source(
                target,
                str(settings.crawl_sources.resolve()),
                str(settings.data_dir.resolve()),
                settings.crawl_timeout_s,
            )
        out.print(json.dumps(result, ensure_ascii=False), soft_wrap=True)
        if result.get("outcome") != "ok":
            raise typer.Exit(1)
        return

    def when(ts: float | None) -> str:
        return _time.strftime("%Y-%m-%d %H:%M:%S", _time.localtime(ts)) if ts else "–"

    if not sources:
        err.print(
            f"没有配置爬取源：{settings.crawl_sources.resolve()} 是空的。在其中添加一个源（写法见文件内的示例"
            "与 crawlers/sources.py），或用 ZHIKU_CRAWL_SOURCES 指向你的源文件 / no crawl sources are "
            "configured: add one to that file (see its examples and crawlers/sources.py) or point "
            "ZHIKU_CRAWL_SOURCES at your sources file",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    columns = ("源 source", "计划 every", "上次 last run", "结果 outcome", "页 pages",
               "新/变/删 new/changed/removed", "错误 errors", "下次 next run")  # fmt: skip
    table = _new_table("爬取源 / crawl sources", columns)
    statuses = source_statuses(settings.data_dir, sources)
    for st in statuses:
        table.add_row(
            st.name, st.schedule, when(st.last_run), st.outcome or "–", str(st.pages),
            f"{st.new}/{st.changed}/{st.removed}", str(st.errors), when(st.next_run),
        )  # fmt: skip
    out.print(table)
    for st in statuses:
        for url, error in st.recent_errors:
            out.print(f"  [{st.name}] {url}: {error}")


@app.command("scheduler")
@cli_errors
def scheduler(ctx: typer.Context) -> None:
    """按 sources.yaml 定时爬取（APScheduler；多实例时只有一个主调度）/ run the crawl scheduler until Ctrl-C.

    Any number may run (on several machines): one leads, through a lease in the shared Redis; the
    others wait and take over within a lease (ZHIKU_SCHEDULER_LEASE_S) when it stops."""
    import threading

    settings = _settings(ctx)
    with _services(settings) as state:  # keeps the embedded server up; the lease lives in its Redis
        crawls = state.crawl_scheduler()

        def elected(sched: Any) -> None:
            jobs = sched.get_jobs()
            out.print(f"调度器已启动 / scheduler leading: {len(jobs)} 个源 sources（Ctrl-C 停止 / to stop）")
            for job in jobs:
                out.print(f"  {job.name}: next {job.next_run_time}")

        crawls.elected.append(elected)
        crawls.start()
        out.print("等待成为主调度 / waiting to lead (another instance may be leading)…")
        stop = threading.Event()
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            crawls.stop()


#: Words in a parameter's description that say it may be left out (``名称包含（可为空）``).
_OPTIONAL_MARKS = ("可为空", "空表示", "optional")


def _required_params(named: Any) -> list[Any]:
    """The parameters a named query cannot run without: no default, not described as optional (or,
    where the query library says so itself, those it marks ``required``)."""
    out = []
    for param in named.params:
        required = getattr(param, "required", None)
        if required is None:
            required = param.default is None and not any(m in param.description for m in _OPTIONAL_MARKS)
        if required and param.name not in _server_params():
            out.append(param)
    return out


def _server_params() -> frozenset[str]:
    from queries import SERVER_PARAMS

    return SERVER_PARAMS


@app.command("query")
@cli_errors
def query(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="查询名称；省略则列出全部 / query name; none lists them")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="参数 k=v（可重复；列表用逗号）/ parameter k=v")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 行 / JSON lines")] = False,
) -> None:
    """运行 queries/ 中的命名 Cypher 查询并以表格输出 / run a named query from queries/ and print a table."""
    import json

    import queries as q

    if name is None:
        table = _new_table("命名查询 / named queries", ("名称 name", "参数 params", "说明 description"))
        for n in q.names():
            nq = q.load(n)
            if not nq.internal and nq.mode == "read":
                table.add_row(n, ", ".join(f"{p.name}: {p.type}" for p in nq.params), nq.description)
        out.print(table)
        return
    declared = {p.name: p for p in q.load(name).params}
    params: dict[str, Any] = {}
    for item in param or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise InputError(f"参数应写成 k=v：{item}", f"parameters are k=v: {item}")
        params[key] = q.coerce(declared[key].type, raw) if key in declared else raw
    missing = [p for p in _required_params(q.load(name)) if p.name not in params]
    if missing:
        usage = " ".join(f"--param {p.name}=…" for p in missing)
        problem = InputError(
            f"查询 {name} 缺少必填参数 {', '.join(p.name for p in missing)}",
            f"{name} needs the parameter(s) {', '.join(p.name for p in missing)}",
            hint=f"zhiku query {name} {usage}（"
            + "；".join(f"{p.name}: {p.type} {p.description}" for p in missing)
            + "）",
        )
        err.print(problem.one_line(), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)  # a usage error, as for a missing argument
    settings = _settings(ctx)
    with _open(settings) as store:
        rows = q.run_named_query(store, name, params, who=SYSTEM)  # the operator's own store
    if as_json:
        for row in rows:
            out.print(json.dumps(row, ensure_ascii=False, default=str), soft_wrap=True)
        return
    columns = list(rows[0]) if rows else []
    table = _new_table(f"{name}（{len(rows)} 行 rows）", columns)
    for row in rows:
        table.add_row(*("–" if row[c] is None else str(row[c]) for c in columns))
    out.print(table)


#: ``--key-file`` of export and import.
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="备份密钥文件（32 字节，原始/base64/十六进制）/ the backup key file (ZHIKU_BACKUP_KEY_FILE)",
    ),
]


def _backup_key(settings: Settings, key_file: Path | None) -> bytes:
    from graph.encryption import load_key

    return load_key(key_file or settings.backup_key_file, settings.backup_key.get_secret_value())


@app.command("export")
@cli_errors
def export(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="新的空目录 / a new, empty directory")],
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="用 AES-256-GCM 加密每个文件 / encrypt every file (AES-256-GCM)")
    ] = False,
    key_file: KeyFileOption = None,
) -> None:
    """备份：图谱（JSON 行 + RDF）与检索索引 / back up the graph (JSON lines + RDF) and the index."""
    from graph.backup import export_all

    settings = _settings(ctx)
    key = _backup_key(settings, key_file) if encrypt else None  # a bad key fails before any work
    with _open(settings) as store, err.status("导出 / exporting …"):
        manifest = export_all(store, settings, target, key=key)
    sealed = "（已加密 / encrypted, AES-256-GCM）" if key else ""
    out.print(
        f"已导出 / exported {manifest['nodes']} 节点 nodes、"
        f"{manifest['relationships']} 关系 relationships → {target}{sealed}"
    )


@app.command("import")
@cli_errors
def import_(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="zhiku export 写出的目录 / a directory from zhiku export")],
    key_file: KeyFileOption = None,
) -> None:
    """恢复 zhiku export 的备份（幂等）/ restore a backup made by zhiku export (idempotent)."""
    from graph.backup import import_all, is_encrypted

    settings = _settings(ctx)
    key = _backup_key(settings, key_file) if is_encrypted(source) else None
    with _open(settings) as store, err.status("导入 / importing …"):
        manifest = import_all(store, settings, source, key=key)
    after = manifest["after"]
    out.print(f"已导入 / imported: {after['nodes']} 节点 nodes、{after['relationships']} 关系 relationships")


@app.command("token")
@cli_errors
def token_cmd(
    ctx: typer.Context,
    employee_id: Annotated[str, typer.Argument(help="员工 ID / employee id, e.g. E1030")],
    ttl: Annotated[int | None, typer.Option("--ttl", help="有效期（秒）/ lifetime in seconds")] = None,
) -> None:
    """签发开发用 API 令牌（生产环境由企业微信登录签发）/ issue a development API token."""
    from api.auth import issue_token
    from zhiku.access import load_principal
    from zhiku.settings import Environment

    settings = _settings(ctx)
    if settings.env is Environment.production:
        raise InputError(
            "生产环境不通过命令行签发令牌",
            "tokens are not issued from the command line in production",
            hint="员工通过企业微信单点登录获取令牌",
        )
    with _open(settings) as store:
        who = load_principal(store, employee_id)
    err.print(f"{who.name}（{who.id}）角色 roles: {', '.join(who.roles)}", markup=False)
    print(issue_token(settings, who.id, ttl_s=ttl))


@org_app.command("sync")
@cli_errors
def org_sync(
    ctx: typer.Context,
    origin: Annotated[
        str,
        typer.Option("--from", help="wecom（企业微信通讯录）或 HR 导出 / wecom, or an HR export"),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只报告变化，不写入 / report only")] = False,
    source: Annotated[
        str | None,
        typer.Option("--source", help="来源名：只停用同一来源的记录（默认 wecom 或 hr）/ source name"),
    ] = None,
    columns: Annotated[
        list[str] | None, typer.Option("--map", help="列映射 表头=字段，如 员工编号=id / header=field")
    ] = None,
) -> None:
    """增量同步组织架构：更新变化、停用离职人员并转交其待办审批 / sync the org chart incrementally."""
    from kb.org import read_org
    from kb.orgsync import sync_org

    settings = _settings(ctx)
    mapping = dict(c.split("=", 1) for c in columns or [] if "=" in c)
    with _services(settings) as state:
        if origin == "wecom":
            with err.status("读取企业微信通讯录 / reading the WeCom directory…"):
                chart = asyncio.run(_wecom_chart(settings, state.kv_url))
        else:
            chart = read_org(Path(origin), mapping)
        with err.status("校验并同步 / validating and syncing…"):
            report = sync_org(
                state.store,
                chart,
                source=source or ("wecom" if origin == "wecom" else "hr"),
                dry_run=dry_run,
                onto=state.ontology,
                approvals=state.approvals,
            )
    out.print(report.summary(), markup=False, highlight=False)


async def _wecom_chart(settings: Settings, kv_url: str) -> Any:
    from graph.kv import open_async_kv
    from kb.wecom_directory import fetch_directory
    from wecom.client import WeComClient

    kv = open_async_kv(kv_url)
    try:
        async with WeComClient.from_settings(settings, kv) as client:
            return await fetch_directory(client)
    finally:
        await kv.aclose()


@processes_app.command("import")
@cli_errors
def processes_import(
    ctx: typer.Context,
    origin: Annotated[str, typer.Option("--from", help="wecom（企业微信审批模板）/ wecom")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只报告映射，不写入 / report only")] = False,
    template: Annotated[
        list[str] | None,
        typer.Option(
            "--template",
            help="流程ID=模板ID（默认取 ZHIKU_WECOM_OA_TEMPLATES，"
            "再取项目 zhiku.yaml 的 wecom.approval_templates）/ process=template",
        ),
    ] = None,
    project_dir: Annotated[
        Path | None,
        typer.Option("--project", help="从该项目的 zhiku.yaml 读取模板（默认：最近加载的项目）/ project dir"),
    ] = None,
) -> None:
    """从企业微信审批模板导入流程：表单字段、可映射的审批步骤；不能映射的逐条报告 / import WeCom templates."""
    from kb.project import open_project
    from kb.wecom_templates import import_templates, templates_to_import
    from zhiku.projects import project_wecom_templates

    if origin != "wecom":
        raise InputError(f"不支持的来源：{origin}（目前只有 wecom）", f"unknown source {origin}; only wecom")
    settings = _settings(ctx)
    in_project = (
        open_project(project_dir).config.wecom.approval_templates
        if project_dir is not None
        else project_wecom_templates(settings.data_dir)
    )
    templates, origin = templates_to_import(template, settings.wecom_oa_templates, in_project)
    if not templates:
        raise ConfigError(
            "没有要导入的审批模板", "no WeCom approval templates configured",
            hint="在项目 zhiku.yaml 的 wecom.approval_templates 中写 流程ID: 模板ID，或设置 "
            'ZHIKU_WECOM_OA_TEMPLATES=\'{"PROC-EXPENSE": "模板ID"}\'，或用 --template 流程ID=模板ID',
        )  # fmt: skip
    err.print(f"审批模板取自 / templates from: {origin}", markup=False, highlight=False)
    with _services(settings) as state:
        with err.status("读取企业微信审批模板 / reading WeCom approval templates…"):
            details = asyncio.run(_wecom_templates(settings, state.kv_url, templates))
        report = import_templates(state.store, details, templates, state.ontology, dry_run=dry_run)
    out.print(report.summary(), markup=False, highlight=False)


async def _wecom_templates(settings: Settings, kv_url: str, templates: dict[str, str]) -> Any:
    from graph.kv import open_async_kv
    from kb.wecom_templates import fetch_templates
    from wecom.client import WeComClient

    kv = open_async_kv(kv_url)
    try:
        async with WeComClient.from_settings(settings, kv) as client:
            return await fetch_templates(client, templates)
    finally:
        await kv.aclose()


@index_app.command("sync")
@cli_errors
def index_sync(ctx: typer.Context) -> None:
    """让检索索引与图谱一致（只向量化新文本）/ bring the index level with the graph."""
    _index_update(ctx, rebuild=False)


@index_app.command("rebuild")
@cli_errors
def index_rebuild(ctx: typer.Context) -> None:
    """从图谱重建检索索引（向量取自缓存）/ rebuild the index from the graph (vectors from the cache)."""
    _index_update(ctx, rebuild=True)


@index_app.command("stats")
@cli_errors
def index_stats(ctx: typer.Context) -> None:
    """检索索引统计 / search index statistics."""
    settings = _settings(ctx)
    with _services(settings) as state:
        stats = state.search.stats()
    _table("检索索引 / search index", ["项 / item", "值 / value"], [[k, v] for k, v in stats.items()])


# -- ontology -----------------------------------------------------------------------------------


@ontology_app.command("validate")
@cli_errors
def ontology_validate(
    ctx: typer.Context,
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", "-d", help="要校验的实例数据文件 / instance data files (default: the demo)"),
    ] = None,
    extra: Annotated[
        list[Path] | None,
        typer.Option("--extra", "-e", help="附加本体文件（如 Protégé 导出）/ extra ontology"),
    ] = None,
) -> None:
    """校验本体与实例数据（SHACL）/ check the ontology and validate instance data with SHACL."""
    from ontology.model import load_ontology, parse_rdf
    from ontology.validate import validate

    settings = _settings(ctx)
    onto = load_ontology(extra or [], extra_dir=settings.ontology_dir)
    problems = onto.lint()
    for p in problems:
        err.print(f"警告 / warning: {p}", markup=False)
    if data:
        from rdflib import Graph

        graph = Graph()
        for path in data:
            parse_rdf(path, graph)
        label = ", ".join(p.name for p in data)
    else:
        from demo.load import demo_rdf

        graph, label = demo_rdf(), "demo"
    violations = validate(graph, onto)
    for v in violations:
        err.print(str(v), markup=False, highlight=False)
    if violations:
        err.print(f"{label}: {len(violations)} 处违反约束 / violation(s)", markup=False)
        raise typer.Exit(1)
    out.print(f"通过 / valid: {label}（{len(graph)} 条三元组 / triples，本体 {len(onto.graph)} 条）")


@ontology_app.command("stats")
@cli_errors
def ontology_stats(ctx: typer.Context) -> None:
    """本体统计 / ontology statistics."""
    from ontology.model import load_ontology

    onto = load_ontology(extra_dir=_settings(ctx).ontology_dir)
    _table("本体 / ontology", ["项 / item", "数量 / count"], [[k, v] for k, v in onto.stats().items()])


def _ontology_version(path: Path) -> Any:
    """The core ontology plus one version of the extensions: a file, or every RDF file in a folder."""
    from kb.load import RDF_SUFFIXES
    from ontology.model import load_ontology

    if not path.exists():
        raise InputError(f"文件或目录不存在：{path}", f"no such file or directory: {path}")
    if path.is_file():
        return load_ontology([path])
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in RDF_SUFFIXES)
    return load_ontology(files)


@ontology_app.command("diff")
@cli_errors
def ontology_diff(
    ctx: typer.Context,
    old: Annotated[Path, typer.Argument(help="旧版本（文件或目录）/ the old version (file or folder)")],
    new: Annotated[Path, typer.Argument(help="新版本（文件或目录）/ the new version (file or folder)")],
) -> None:
    """比较两版本体，统计图谱中会失效的数据（只读）/ diff two ontology versions, count what they orphan."""
    from ontology.diff import count_affected, diff_ontologies

    settings = _settings(ctx)
    diff = diff_ontologies(_ontology_version(old), _ontology_version(new))
    if not diff.changes:
        out.print("两版本体的类与属性相同 / no class or property changed")
        return
    counts: dict[Any, int | str] = {}
    if diff.breaking:
        try:
            with _open(settings) as store:  # read-only: counts only
                counts = {c: count_affected(store, c) for c in diff.breaking}
        except DataDirError as exc:
            err.print(f"无法统计受影响的数据 / cannot count affected data: {exc.message_zh}", markup=False)
    kinds = {"class": "类 class", "object": "关系 relation", "datatype": "属性 property"}
    changes = {"added": "新增 added", "removed": "删除 removed",
               "range": "值域 range", "domain": "定义域 domain"}  # fmt: skip
    rows = [
        [
            kinds[c.kind],
            c.name,
            changes[c.change],
            f"{c.old or '—'} → {c.new or '—'}" if c.change in ("range", "domain") else "",
            ("⚠ " if c.breaking else "") + str(counts.get(c, "—" if c.breaking else "")),
        ]
        for c in diff.changes
    ]
    _table(
        f"本体差异 / ontology diff: {old} → {new}",
        ["种类 / kind", "名称 / name", "变化 / change", "旧 → 新 / old → new", "受影响 / affected"],
        rows,
    )
    affected = sum(v for v in counts.values() if isinstance(v, int))
    if diff.breaking:
        out.print(
            f"{len(diff.breaking)} 处变化可能使已有数据失效，当前图谱中受影响 {affected} 个节点/关系 / "
            f"{len(diff.breaking)} change(s) may orphan data: {affected} nodes or relationships affected",
            soft_wrap=True,
        )


@ontology_app.command("export")
@cli_errors
def ontology_export(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Option("--source", "-s", help="ontology（本体）或 graph（图谱实例）")
    ] = "graph",
    fmt: Annotated[str, typer.Option("--format", "-f", help="turtle | json-ld | xml | nt")] = "turtle",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="输出文件 / output file")] = None,
) -> None:
    """导出 RDF（本体或图谱数据）/ export RDF: the ontology, or the graph's instance data."""
    from ontology.mapping import export_graph
    from ontology.model import load_ontology

    if fmt not in ("turtle", "json-ld", "xml", "nt"):
        raise InputError(
            f"不支持的格式 {fmt}", f"unsupported format {fmt}", hint="turtle | json-ld | xml | nt"
        )
    settings = _settings(ctx)
    onto = load_ontology(extra_dir=settings.ontology_dir)
    if source == "ontology":
        graph = onto.graph
    elif source == "graph":
        with _open(settings) as store:
            graph = export_graph(store, onto)
    else:
        raise InputError(f"--source 只能是 ontology 或 graph：{source}", f"bad --source {source}")
    text = graph.serialize(format=fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"已写入 / wrote {output}（{len(graph)} 条三元组 / triples）", markup=False)


# -- graph --------------------------------------------------------------------------------------


@graph_app.command("stats")
@cli_errors
def graph_stats(ctx: typer.Context) -> None:
    """图谱统计：各类节点与关系数量 / node and relationship counts."""
    from queries import run_named_query

    with _open(_settings(ctx)) as store:
        labels = run_named_query(store, "label_counts", who=SYSTEM)
        types = run_named_query(store, "relationship_counts", who=SYSTEM)
        health = store.health()
    _table("节点 / nodes", ["标签 / label", "数量 / count"], [[r["label"], r["count"]] for r in labels])
    _table("关系 / relationships", ["类型 / type", "数量 / count"], [[r["type"], r["count"]] for r in types])
    out.print(f"后端 / backend: {health['backend']}  位置 / at: {health.get('location', '')}")


@graph_app.command("reset")
@cli_errors
def graph_reset(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再确认 / do not ask")] = False,
) -> None:
    """清空图谱（不可恢复）/ delete every node, relationship and index."""
    settings = _settings(ctx)
    if not yes:
        typer.confirm(
            f"确定清空图谱 {settings.graph_uri}（{settings.data_dir}）？/ really empty the graph?", abort=True
        )
    with _open(settings) as store:
        store.reset()
    out.print("图谱已清空 / graph emptied")


@graph_app.command("stop")
@cli_errors
def graph_stop(ctx: typer.Context) -> None:
    """停止嵌入式图数据库（保存后退出）/ save and stop the embedded graph server."""
    from graph.embedded import EmbeddedServer

    settings = _settings(ctx)
    stopped = EmbeddedServer(settings.graph_dir).stop()
    out.print("已停止 / stopped" if stopped else "没有运行中的嵌入式服务器 / no embedded server running")


review_app = typer.Typer(
    help="审核：待审核实体与事实冲突的列出、合并、转正、驳回、解决 / the knowledge engineer's review loop",
    invoke_without_command=True,
)
app.add_typer(review_app, name="review")

_AS_HELP = "以哪位员工的身份记录（须为知识工程师或管理员）；不给则记为 cli:当前系统用户 / who decides"
_NOTE_HELP = "备注（为何这样决定）/ why"


def _reviewer(store: Any, employee: str | None) -> str:
    """Who a decision is recorded for: ``--as`` (a knowledge engineer or admin), else the OS user."""
    if employee is None:
        import getpass

        return f"cli:{getpass.getuser()}"
    from api.auth import Forbidden
    from zhiku.access import load_principal

    who = load_principal(store, employee)
    if not who.has_role("knowledge_engineer"):
        raise Forbidden(
            f"{who.name or who.id}（{who.id}）不是知识工程师，不能做审核决定",
            f"{who.id} is not a knowledge engineer",
            hint="用知识工程师的员工 ID（演示中为 E1003 周文博），或不给 --as",
        )
    return who.id


def _review_open(ctx: typer.Context) -> Any:
    from ingest.review import Review

    @contextlib.contextmanager
    def opened() -> Iterator[tuple[Any, Review]]:
        with _services(_settings(ctx)) as state:
            yield state.store, Review(state.store, state.ontology)

    return opened()


def _print_decision(decision: Any) -> None:
    what = {
        "merge": f"已合并 / merged: {decision.surface} → {decision.target}（名称成为其同义词）",
        "accept": f"已转正 / accepted: {decision.surface} → {decision.target}（{decision.entity_class}）",
        "reject": f"已驳回 / rejected: {decision.surface}（以后不再作为待审核实体出现）",
        "resolve": f"已解决 / resolved: {decision.surface}，采用 / source: {decision.source}"
        f"（{'；'.join(decision.chosen)}）",
    }[decision.action]
    out.print(what, markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"决定 / decision {decision.id}：{decision.decided_by} @ {decision.decided_at}",
        markup=False,
        highlight=False,
    )


@docs_app.command("rm")
@cli_errors
def docs_rm(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="文档 ID 或来源 URI / a document id or source URI")],
    employee: Annotated[str | None, typer.Option("--as", help=_AS_HELP)] = None,
    note: Annotated[str | None, typer.Option("--note", help=_NOTE_HELP)] = None,
) -> None:
    """删除一个文档：文本块立即离开检索索引；只被它提及的实体保留为孤立实体，进入审核队列；记录谁、何时
    / delete a document: its chunks leave the index now, entities only it mentioned stay as orphans."""
    from ingest.manage import delete_document, find_document
    from zhiku.access import SYSTEM

    with _services(_settings(ctx)) as state:
        by = _reviewer(state.store, employee)
        doc = find_document(state.store, ref, SYSTEM)  # the operator on the server sees every document
        made = delete_document(state.store, state.search, doc, by=by, ontology=state.ontology, note=note)
    out.print(f"已删除 / deleted: {doc.title}（{doc.uri}）", markup=False, highlight=False, soft_wrap=True)
    for entity_id, name in made.orphans:
        out.print(f"  孤立实体 / orphaned: {name}（{entity_id}）", markup=False, highlight=False)
    out.print(
        f"检索索引 / index: {made.indexed_chunks} 块 chunks；决定 / decision {made.decision.id}：{by}",
        markup=False,
        highlight=False,
    )


@review_app.callback()
@cli_errors
def review(ctx: typer.Context) -> None:
    """列出（不带子命令时）并处理待审核实体与来源不一致的事实 / list (the default) and act on candidates and
    disagreeing facts."""
    if ctx.invoked_subcommand is None:
        review_list(ctx)


@review_app.command("list")
@cli_errors
def review_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="最多列出多少个 / how many to list")] = 50,
    decisions: Annotated[
        bool, typer.Option("--decisions", help="也列出已做的审核决定 / list the decisions made, too")
    ] = False,
) -> None:
    """列出待审核实体（及可能合并的已有实体）和来源不一致的事实 / candidates and disagreeing facts."""
    with _review_open(ctx) as (_, reviewer):
        rows = reviewer.candidates(SYSTEM, limit)
        conflicts = reviewer.conflicts(SYSTEM, limit)
        made = reviewer.decisions(SYSTEM, limit=limit) if decisions else []
    _table(
        f"待审核实体 / candidates ({len(rows)})",
        ["名称 / name", "类型 / type", "提及 / mentions", "可能是 / maybe", "ID"],
        [
            [
                c.name,
                c.type,
                c.mentions,
                f"{c.suggestion.name}（{c.suggestion.entity_id}，{c.suggestion.score:.0f}）"
                if c.suggestion
                else "—",
                c.id,
            ]
            for c in rows
        ],
    )
    if conflicts:
        _table(
            f"来源不一致的事实 / facts whose sources disagree ({len(conflicts)})",
            ["事实 / fact", "图中取值 ≠ 文档所说 / kept ≠ said", "文档 / document", "ID"],
            [
                [f"{c.start} -[{c.relation}]-> {c.end}", n.differences, n.document, c.id]
                for c in conflicts
                for n in c.notes
            ],
        )
    if decisions:
        _table(
            f"审核决定 / decisions ({len(made)})",
            ["时间 / at", "决定人 / by", "动作 / action", "对象 / what", "结果 / target"],
            [[d.decided_at, d.decided_by, d.action, d.surface, d.target or "—"] for d in made],
        )


@review_app.command("merge")
@cli_errors
def review_merge(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="待审核实体 ID（cand-…）/ candidate id")],
    entity: Annotated[str, typer.Argument(help="并入的已有实体 ID / the existing entity's id")],
    as_: Annotated[str | None, typer.Option("--as", help=_AS_HELP)] = None,
    note: Annotated[str | None, typer.Option(help=_NOTE_HELP)] = None,
) -> None:
    """把待审核实体并入已有实体：名称成为其同义词，提及改指向它 / merge a candidate into an entity."""
    with _review_open(ctx) as (store, reviewer):
        made = reviewer.merge(candidate, entity, by=_reviewer(store, as_), note=note)
    _print_decision(made)


@review_app.command("accept")
@cli_errors
def review_accept(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="待审核实体 ID（cand-…）/ candidate id")],
    entity_class: Annotated[str, typer.Argument(help="本体中的类，如 Organization / an ontology class")],
    entity_id: Annotated[
        str | None, typer.Option("--id", help="新实体的 ID（默认自动生成）/ the new id")
    ] = None,
    name: Annotated[str | None, typer.Option(help="新实体的名称（默认为提及的名称）/ its name")] = None,
    as_: Annotated[str | None, typer.Option("--as", help=_AS_HELP)] = None,
    note: Annotated[str | None, typer.Option(help=_NOTE_HELP)] = None,
) -> None:
    """把待审核实体转为本体某个类的新实体（先经 SHACL 校验）/ accept a candidate as a new entity."""
    with _review_open(ctx) as (store, reviewer):
        made = reviewer.accept(
            candidate,
            entity_class,
            by=_reviewer(store, as_),
            entity_id=entity_id,
            name=name,
            note=note,
        )
    _print_decision(made)


@review_app.command("reject")
@cli_errors
def review_reject(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="待审核实体 ID（cand-…）/ candidate id")],
    as_: Annotated[str | None, typer.Option("--as", help=_AS_HELP)] = None,
    note: Annotated[str | None, typer.Option(help=_NOTE_HELP)] = None,
) -> None:
    """驳回待审核实体：该名称以后不再作为待审核实体出现 / reject a candidate for good."""
    with _review_open(ctx) as (store, reviewer):
        made = reviewer.reject(candidate, by=_reviewer(store, as_), note=note)
    _print_decision(made)


@review_app.command("resolve")
@cli_errors
def review_resolve(
    ctx: typer.Context,
    conflict: Annotated[str, typer.Argument(help="事实冲突 ID（conf-…，或 起点|关系|终点）/ conflict id")],
    source: Annotated[
        str, typer.Argument(help="采用哪个来源：冲突中的文档 ID，或 graph（保留图中取值）/ doc id or graph")
    ],
    as_: Annotated[str | None, typer.Option("--as", help=_AS_HELP)] = None,
    note: Annotated[str | None, typer.Option(help=_NOTE_HELP)] = None,
) -> None:
    """选定来源解决事实冲突，重新摄取时不再提出被否决的取值 / resolve a fact conflict by choosing a source."""
    with _review_open(ctx) as (store, reviewer):
        made = reviewer.resolve(conflict, source, by=_reviewer(store, as_), note=note)
    _print_decision(made)


# -- serve --------------------------------------------------------------------------------------


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUse(
                f"端口 {host}:{port} 已被占用",
                f"port {host}:{port} is already in use",
                hint="用 --port 或 ZHIKU_API_PORT 换一个端口，或停止占用它的进程",
            ) from None


@app.command("serve")
@cli_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="监听地址 / bind address (ZHIKU_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="端口 / port (ZHIKU_API_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="进程数 / uvicorn workers (ZHIKU_API_WORKERS)")] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option("--tls-cert", help="PEM 证书，启用 HTTPS（仅 TLS 1.3）/ certificate (ZHIKU_TLS_CERT)"),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help="证书的 PEM 私钥 / its private key (ZHIKU_TLS_KEY)")
    ] = None,
) -> None:
    """启动 API（GraphQL /graphql，健康检查 /healthz）/ serve the API."""
    import os

    import uvicorn

    from zhiku.logs import uvicorn_log_config
    from zhiku.tls import check_server_files, tls13_context

    settings = _settings(ctx)
    host = host or settings.api_host
    port = port or settings.api_port
    workers = workers or settings.api_workers
    tls_cert = tls_cert or settings.tls_cert
    tls_key = tls_key or settings.tls_key
    check_server_files(tls_cert, tls_key)
    _check_port(host, port)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(
            f"数据目录不可写：{settings.data_dir}（{exc.strerror}）",
            f"data directory is not writable: {settings.data_dir}",
        ) from None
    # Workers are separate processes: they rebuild settings from the environment.
    os.environ["ZHIKU_DATA_DIR"] = str(settings.data_dir)
    os.environ["ZHIKU_GRAPH_URI"] = settings.graph_uri
    if workers > 1:
        from zhiku.metrics import prepare_multiprocess_dir

        # The workers count into shared files that /metrics adds up (zhiku/metrics.py).
        prepare_multiprocess_dir(settings.data_dir / "metrics" / str(port))
        # Each worker's OpenMP threads (query encoder, FAISS) get their share of the cores: with a
        # team per worker larger than that, queries wait at the teams' barriers for descheduled
        # threads (bench/cluster.py: three instances on 2 cores, distinct questions 5 req/s → 77).
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    # Fail fast with a clear message if the graph cannot be opened, before uvicorn starts.
    with _open(settings) as store:
        store.health()
    scheme = "https" if tls_cert else "http"
    out.print(
        f"知库已启动 / serving on {scheme}://{host}:{port}  (GraphQL /graphql, /healthz)"
        "  Ctrl-C 停止 / to stop"
    )
    config = uvicorn.Config(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # no JWT from `?token=` in the logs; ZHIKU_LOG_FORMAT=json: one object a line, with request ids
        log_config=uvicorn_log_config(json_format=settings.log_format == "json", level=settings.log_level),
        ws_max_size=settings.max_request_bytes,  # uvicorn's default is 16 MiB a frame
        # measured against h11 (bench/api_load.py, wrk): entity 4,300 vs 3,000 req/s, ask 790 vs 700
        http="httptools",
        # HTTPS and WSS, TLS 1.3 only (zhiku/tls.py)
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        ssl_context_factory=tls13_context if tls_cert else None,
    )
    server = uvicorn.Server(config)
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        sock = config.bind_socket()
        # uvicorn leaves Nagle on for the workers' connections and writes a response's headers and
        # body separately, and the body then waits for the client's delayed ACK — a 40–48 ms floor
        # on every keep-alive request (measured). Accepted sockets inherit this from the listener.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with contextlib.suppress(KeyboardInterrupt):
            Multiprocess(config, sockets=[sock]).run()
    else:
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        if not server.started:
            raise typer.Exit(3)  # uvicorn has logged why (as uvicorn.run would exit)


if __name__ == "__main__":  # pragma: no cover
    app()
