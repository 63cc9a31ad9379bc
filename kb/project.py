"""``zhiku.yaml``: what a knowledge-base project is called, who may read its documents by default, and
which parts it has. Unknown keys are refused with the key, the file and the closest known key, so a
typo never silently switches a part off.

Example::

    project = open_project(Path("demo"))
    project.config.name            # '云杉科技'
    project.parts["processes"]     # PosixPath('demo/processes.yaml')

A part left out of ``parts`` is found by its usual name (``vocabulary/`` or ``vocabulary.ttl``,
``processes/`` or ``processes.yaml``…); ``false`` switches it off; a path names it explicitly (and
must exist). A directory without ``zhiku.yaml`` is still a project (named after the directory): the
layout the demo had before projects existed keeps loading.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from zhiku.errors import ConfigError

PROJECT_FILE = "zhiku.yaml"

#: Each part and the names it is looked for under when ``zhiku.yaml`` does not say (first found wins).
PART_CANDIDATES: dict[str, tuple[str, ...]] = {
    "ontology": ("ontology",),
    "vocabulary": ("vocabulary", "vocabulary.ttl", "vocabulary.jsonld", "vocabulary.rdf"),
    "org": ("org",),
    "processes": ("processes", "processes.yaml", "processes.yml"),
    "docs": ("docs",),
    "faq": ("faq", "faq.csv", "faq.xlsx"),
    "sources": ("sources.yaml", "sources.yml"),
    "rules": ("rules.yaml", "rules.yml"),
    "triggers": ("triggers.yaml", "triggers.yml"),
    "calendar": ("calendar.yaml", "calendar.yml"),
}

#: What each part is, for messages and ``zhiku init``'s summary.
PART_NAMES = {
    "ontology": "本体扩展 / ontology extensions",
    "vocabulary": "词表 / vocabulary",
    "org": "组织架构 / org chart",
    "processes": "审批流程 / approval processes",
    "docs": "文档 / documents",
    "faq": "常见问题 / FAQ",
    "sources": "爬取源 / crawl sources",
    "rules": "企业微信推送规则 / WeCom push rules",
    "triggers": "流程联动 / process triggers",
    "calendar": "节假日日历 / holiday calendar",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Access(_Strict):
    """A document's access scope, as in ``docs/index.yaml``: empty lists mean everyone."""

    departments: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    level: int = Field(0, ge=0, le=12)


class Parts(_Strict):
    """Where each part lives: unset = the usual name if present, ``false`` = none, a path = there."""

    ontology: str | bool | None = None
    vocabulary: str | bool | None = None
    org: str | bool | None = None
    processes: str | bool | None = None
    docs: str | bool | None = None
    faq: str | bool | None = None
    sources: str | bool | None = None
    rules: str | bool | None = None
    triggers: str | bool | None = None
    calendar: str | bool | None = None


class OrgSettings(_Strict):
    """How the org chart's HR export is read. ``columns`` maps a header in the file (``工号``,
    ``Employee No``) to the field it holds (``id``); the importers (``kb.org``) apply it."""

    columns: dict[str, str] = Field(default_factory=dict)


class WeComSettings(_Strict):
    """What the project takes from WeCom. ``approval_templates``: process id → WeCom approval template id,
    the templates ``zhiku processes import --from wecom`` reads (``--template`` and
    ``ZHIKU_WECOM_OA_TEMPLATES`` still take precedence)."""

    approval_templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("approval_templates")
    @classmethod
    def _ids(cls, value: dict[str, str]) -> dict[str, str]:
        for process, template in value.items():
            if not process.strip() or not str(template).strip():
                raise ValueError("流程 ID 和模板 ID 都不能为空 / process and template ids must not be empty")
        return value


class ProjectConfig(_Strict):
    """The contents of ``zhiku.yaml``."""

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    default_access: Access | None = None
    parts: Parts = Field(default_factory=Parts)
    org: OrgSettings = Field(default_factory=OrgSettings)
    wecom: WeComSettings = Field(default_factory=WeComSettings)


@dataclass(frozen=True, slots=True)
class Project:
    """A project directory, its configuration and the parts that exist (part name → path)."""

    root: Path
    config: ProjectConfig
    parts: dict[str, Path]
    has_config_file: bool

    @property
    def name(self) -> str:
        return self.config.name

    def part(self, name: str) -> Path | None:
        return self.parts.get(name)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = ProjectConfig
    for key in loc[:-1]:
        field = model.model_fields.get(str(key))
        annotation = getattr(field, "annotation", None) if field else None
        candidates = [a for a in getattr(annotation, "__args__", (annotation,)) if isinstance(a, type)]
        nested = [a for a in candidates if issubclass(a, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


def _config_error(path: Path, exc: ValidationError) -> ConfigError:
    """One clear error: the first problem, naming the key and the file (and the key it resembles)."""
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    where = ".".join(str(p) for p in loc) or "（顶层）"
    if first["type"] == "extra_forbidden":
        known = _known_keys(loc)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        maybe_zh = f"（是否应为 {close[0]}？）" if close else ""
        maybe_en = f" (did you mean {close[0]}?)" if close else ""
        return ConfigError(
            f"{path} 中有未知的键 {where}{maybe_zh}",
            f"unknown key {where} in {path}{maybe_en}",
            hint="可用的键 / known keys: " + ", ".join(known),
        )
    if first["type"] == "missing":
        return ConfigError(f"{path} 缺少必填的键 {where}", f"{path} lacks the required key {where}")
    return ConfigError(
        f"{path} 中 {where} 的值有误：{first['msg']}", f"invalid value for {where} in {path}: {first['msg']}"
    )


def read_config(path: Path) -> ProjectConfig:
    """Read and check one ``zhiku.yaml``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise ConfigError(f"无法读取 {path}：{detail}", f"cannot read {path}: {detail}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} 应为键值对（name: …）", f"{path} must be a mapping (name: …)")
    try:
        return ProjectConfig.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(path, exc) from None


def _find_parts(root: Path, parts: Parts, config_path: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for name, candidates in PART_CANDIDATES.items():
        setting = getattr(parts, name)
        if setting is False:
            continue
        if isinstance(setting, str):
            path = (root / setting).resolve()
            if not path.exists():
                raise ConfigError(
                    f"{config_path} 中 parts.{name} 指向的 {setting} 不存在",
                    f"parts.{name} in {config_path} names {setting}, which does not exist",
                    hint=f"改正路径（相对于项目目录 {root}），或删去这一行 / fix the path or remove the line",
                )
            found[name] = path
            continue
        present = [root / c for c in candidates if (root / c).exists()]
        if present:
            found[name] = present[0].resolve()
        elif setting is True:
            raise ConfigError(
                f"{config_path} 声明了 {name}，但项目中没有 {' 或 '.join(candidates)}",
                f"{config_path} declares {name} but the project has no {' or '.join(candidates)}",
            )
    return found


def open_project(root: Path) -> Project:
    """The project in ``root``: its ``zhiku.yaml`` checked and its parts found."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(
            f"知识库项目目录不存在：{root}",
            f"no knowledge-base project directory at {root}",
            hint="zhiku init DIR 新建一个 / create one with zhiku init DIR",
        )
    config_path = root / PROJECT_FILE
    if config_path.is_file():
        config = read_config(config_path)
        has_file = True
    else:
        config = ProjectConfig(name=root.name)
        has_file = False
    return Project(root, config, _find_parts(root, config.parts, config_path), has_file)
