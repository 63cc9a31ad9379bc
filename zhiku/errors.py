"""One root exception; a subclass per domain.

Every error carries a stable ``code``, a Chinese message (what users read) and an English one
(what logs and English speakers read), plus an optional ``hint`` saying what to do. The API and the
CLI turn them into GraphQL errors / one-line messages; nobody sees a traceback.
"""

from __future__ import annotations

from typing import Self

from zhiku.i18n import DEFAULT, LANGUAGES, N_, translate


class ZhikuError(Exception):
    """Root of every error Zhiku raises on purpose.

    In a language other than Chinese and English (:meth:`message_in`), an error built from a catalogue
    message (``template``, a :func:`~zhiku.i18n.N_`-marked Chinese text with ``{placeholders}`` filled
    from ``params``) reads in full; any other reads as its class's ``title`` in that language followed
    by the English detail."""

    code = "ZHIKU_ERROR"
    retryable = False
    title = N_("出错了")

    def __init__(
        self,
        message_zh: str,
        message_en: str = "",
        *,
        hint: str = "",
        template: str = "",
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message_en or message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.hint = hint
        self.template = template
        self.params = params or {}

    @classmethod
    def localized(cls, template: str, message_en: str, /, *, hint: str = "", **params: object) -> Self:
        """An error whose message is the catalogue's ``template`` (Chinese source) in every language."""
        return cls(translate(template, DEFAULT, **params), message_en, hint=hint, template=template,
                   params=params)  # fmt: skip

    def message_in(self, language: str) -> str:
        """What a user reading ``language`` (one of :data:`~zhiku.i18n.LANGUAGES`) is told."""
        if language == DEFAULT or language not in LANGUAGES:
            return self.message_zh
        if language == "en":
            return self.message_en
        if self.template:
            return translate(self.template, language, **self.params)
        if language == "zh_Hant":
            from zhiku.i18n import to_traditional

            return to_traditional(self.message_zh)
        return f"{translate(self.title, language)}: {self.message_en}"

    def one_line(self) -> str:
        """The single line the CLI prints: code, Chinese, English, what to do."""
        text = f"错误 [{self.code}]: {self.message_zh} | {self.message_en}"
        if self.hint:
            text += f" — {self.hint}"
        return " ".join(text.split())  # driver messages can span lines; the CLI prints exactly one


class RetryableError(ZhikuError):
    """A transient failure: the same call may succeed later (database restarting, rate limited)."""

    title = N_("服务暂时不可用，请稍后再试")

    retryable = True


class EmbedderBusy(RetryableError):
    """Too many questions are waiting for the embedding model; retry after ``retry_after`` seconds."""

    code = "EMBEDDER_BUSY"

    def __init__(
        self,
        message_zh: str,
        message_en: str = "",
        *,
        retry_after: int = 1,
        hint: str = "",
        template: str = "",
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message_zh, message_en, hint=hint, template=template, params=params)
        self.retry_after = retry_after


class ConfigError(ZhikuError):
    """Settings are invalid or unsafe (placeholder secret in production, bad URI)."""

    code = "CONFIG_INVALID"
    title = N_("配置有误")


class DataDirError(ZhikuError):
    """The data directory cannot be created or written."""

    code = "DATA_DIR_UNWRITABLE"
    title = N_("数据目录不可写")


class GraphError(ZhikuError):
    """A graph query failed for a reason a retry will not fix (syntax, constraint)."""

    code = "GRAPH_QUERY_FAILED"
    title = N_("知识库查询失败")


class GraphUnavailable(RetryableError):
    """The graph database cannot be reached or did not start."""

    code = "GRAPH_UNAVAILABLE"


class StorageUnavailable(RetryableError):
    """The store of attachment bytes (an S3-compatible object store) cannot be reached."""

    code = "STORAGE_UNAVAILABLE"


class SharedStateUnavailable(RetryableError):
    """The Redis that instances share (sessions, limits, events) cannot be reached."""

    code = "SHARED_STATE_UNAVAILABLE"


class InvalidIdentifier(GraphError):
    """A label, relationship type or property name is not a safe Cypher identifier."""

    code = "INVALID_IDENTIFIER"


class OntologyError(ZhikuError):
    """The ontology files cannot be read or parsed."""

    code = "ONTOLOGY_INVALID"
    title = N_("本体文件有误")


class ShaclViolation(ZhikuError):
    """Instance data breaks the ontology's SHACL shapes; nothing was written."""

    code = "SHACL_VIOLATION"
    title = N_("数据不符合本体约束")

    def __init__(self, violations: list[str]) -> None:
        first = violations[0] if violations else ""
        more = f"（另有 {len(violations) - 1} 处）" if len(violations) > 1 else ""
        super().__init__(
            f"数据不符合本体约束：{first}{more}",
            f"data violates the ontology's SHACL shapes: {len(violations)} violation(s)",
            hint="修正数据后重试；未写入任何内容 / fix the data and retry; nothing was written",
        )
        self.violations = violations


class NotFoundError(ZhikuError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    code = "NOT_FOUND"
    title = N_("没有找到")


class QueryNotFound(NotFoundError):
    """No named query in ``queries/`` has that name."""

    code = "QUERY_NOT_FOUND"


class InputError(ZhikuError):
    """The caller sent something malformed."""

    code = "BAD_INPUT"
    title = N_("请求有误")


class AttachmentRefused(InputError):
    """An application's attachment was refused (empty, a bad name); nothing was stored."""

    code = "ATTACHMENT_REFUSED"
    title = N_("附件被拒绝")


class AttachmentTooLarge(AttachmentRefused):
    """An attachment is over its process's size limit; nothing was stored."""

    code = "ATTACHMENT_TOO_LARGE"


class AttachmentTypeRefused(AttachmentRefused):
    """An attachment's bytes are a type its process does not take, or a program or script."""

    code = "ATTACHMENT_TYPE_REFUSED"


class OrgDataError(InputError):
    """An org chart (an HR export, WeCom's directory) is inconsistent; each problem names its row or node,
    and nothing was written."""

    code = "ORG_INVALID"
    title = N_("组织架构数据有误")

    def __init__(self, problems: list[str], source: str = "") -> None:
        where = f"{source}：" if source else ""
        first = problems[0] if problems else ""
        more = f"（另有 {len(problems) - 1} 处问题）" if len(problems) > 1 else ""
        super().__init__(
            f"组织架构数据有误，{where}{first}{more}",
            f"the org chart {source + ' ' if source else ''}has {len(problems)} problem(s); "
            "nothing was written",
            hint="修正数据后重试；未写入任何内容 / fix the data and retry; nothing was written",
        )
        self.problems = problems


class QueryTooCostly(InputError):
    """A GraphQL request would cost more than ``ZHIKU_GRAPHQL_MAX_COST``; refused before it ran."""

    code = "QUERY_TOO_COSTLY"
    title = N_("查询代价过高")

    def __init__(self, cost: int, limit: int) -> None:
        template = N_(
            "查询代价 {cost} 超过上限 {limit}：请减小 first 参数（尤其是嵌套的列表），或把查询拆成几次请求"
        )
        super().__init__(
            translate(template, DEFAULT, cost=cost, limit=limit),
            f"query cost {cost} exceeds the limit of {limit}: lower `first` (nested lists above all) "
            "or split the query into several requests",
            hint="每个返回的对象计 1，列表按 first 计，嵌套的列表相乘 / each object costs 1, a list "
            "counts `first` items, nested lists multiply",
            template=template,
            params={"cost": cost, "limit": limit},
        )
        self.cost = cost
        self.limit = limit


class PortInUse(ZhikuError):
    """The API port is already taken."""

    code = "PORT_IN_USE"
    title = N_("端口已被占用")


class ServerNotStarted(ZhikuError):
    """A server started on loopback (``zhiku serve`` in a benchmark, a test's app) did not come up."""

    code = "SERVER_NOT_STARTED"


class DataDirMissing(DataDirError):
    """A command that reads Zhiku's data found no data directory (or no graph in it) where it looked."""

    code = "DATA_DIR_MISSING"
    title = N_("找不到数据目录")
