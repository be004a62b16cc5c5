"""YAML config -> validated settings and providers. Every problem is reported with its key path (and the env var
to set, for a missing secret) before anything starts; secrets stay ``SecretStr`` and never print."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from pipeline.session.named_configs import config_file, packaged_config_names
from pipeline.settings import SessionSettings
from pipeline.stages.tools import Tool, make_tool
from providers.options import env_var_of
from providers.registry import ProviderKind, ProviderRegistry, ProviderSpec, UnknownProviderError, registry
from vad import VadConfig

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """All problems found in a config, each as ``key.path: message``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class ParleyConfig(SessionSettings):
    """The whole YAML file. Provider sections are ``{provider: <name>, ...options}``; ``llm`` may be a list
    (fallback order)."""

    vad: VadConfig = Field(default_factory=VadConfig)
    stt: dict[str, Any]
    llm: dict[str, Any] | list[dict[str, Any]]
    tts: dict[str, Any]
    tools: list[str] = Field(default_factory=list, description="'module:function' import paths of tools")


@dataclass(frozen=True)
class ProviderChoice:
    spec: ProviderSpec[Any]
    options: BaseModel

    def build(self) -> Any:
        return self.spec.build(self.options)


@dataclass(frozen=True)
class LoadedConfig:
    source: str
    config: ParleyConfig
    stt: ProviderChoice
    llm: tuple[ProviderChoice, ...]
    tts: ProviderChoice
    tools: tuple[Tool, ...]

    @property
    def settings(self) -> SessionSettings:
        return SessionSettings.model_validate(
            self.config.model_dump(include=set(SessionSettings.model_fields))
        )


def load_config(path: str | Path, *, providers: ProviderRegistry = registry) -> LoadedConfig:
    """Load a YAML file, or a shipped config by name (``local``, ``cloud``, ``openai-compatible``)."""
    file = config_file(path)
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        names = ", ".join(packaged_config_names())
        raise ConfigError(source, [f"no such file (shipped configs, loadable by name: {names})"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot read: {exc.strerror}"]) from None
    return parse_config(text, source=source, providers=providers)


def parse_config(
    text: str,
    *,
    source: str = "<config>",
    providers: ProviderRegistry = registry,
    environ: dict[str, str] | None = None,
) -> LoadedConfig:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(source, [f"{where}invalid YAML ({getattr(exc, 'problem', None) or exc})"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(source, ["the config must be a mapping of sections (stt, llm, tts, ...)"])
    problems: list[str] = []
    environ = environ if environ is not None else dict(os.environ)
    data = _interpolate(raw, (), environ, problems)
    try:
        config = ParleyConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems + _describe(exc, (), ParleyConfig)) from None
    stt = _choose(providers, "stt", config.stt, ("stt",), problems, environ)
    sections = config.llm if isinstance(config.llm, list) else [config.llm]
    prefix: Callable[[int], tuple[str | int, ...]] = (
        (lambda i: ("llm", i)) if isinstance(config.llm, list) else (lambda i: ("llm",))
    )
    llms = [
        _choose(providers, "llm", section, prefix(i), problems, environ) for i, section in enumerate(sections)
    ]
    tts = _choose(providers, "tts", config.tts, ("tts",), problems, environ)
    if isinstance(config.llm, list) and not config.llm:
        problems.append("llm: the fallback list is empty")
    tools = [_import_tool(target, ("tools", i), problems) for i, target in enumerate(config.tools)]
    if problems:
        raise ConfigError(source, _without_repeats(problems))
    return LoadedConfig(
        source,
        _redacted(config, stt, llms, tts),  # type: ignore[arg-type]
        stt,  # type: ignore[arg-type]
        tuple(llms),  # type: ignore[arg-type]
        tts,  # type: ignore[arg-type]
        tuple(t for group in tools if group for t in group),
    )


def _without_repeats(problems: list[str]) -> list[str]:
    """One message per key (a missing ``${VAR}`` already explains why that key is then missing), and none for a
    section whose own key already has one (``llm[0]`` when ``llm[0].api_key`` is reported)."""
    keys = [problem.split(": ", 1)[0] for problem in problems]
    kept: list[str] = []
    seen: set[str] = set()
    for key, problem in zip(keys, problems, strict=True):
        has_child = any(other.startswith((f"{key}.", f"{key}[")) for other in keys)
        if key not in seen and not has_child:
            seen.add(key)
            kept.append(problem)
    return kept


def _redacted(
    config: ParleyConfig, stt: ProviderChoice, llms: list[ProviderChoice], tts: ProviderChoice
) -> ParleyConfig:
    """The config with each provider section replaced by its validated options (secrets masked)."""

    def section(choice: ProviderChoice) -> dict[str, Any]:
        return {"provider": choice.spec.name, **choice.options.model_dump(mode="json")}

    llm: dict[str, Any] | list[dict[str, Any]] = (
        [section(c) for c in llms] if isinstance(config.llm, list) else section(llms[0])
    )
    return config.model_copy(update={"stt": section(stt), "llm": llm, "tts": section(tts)})


def _interpolate(
    value: Any, path: tuple[str | int, ...], environ: dict[str, str], problems: list[str]
) -> Any:
    if isinstance(value, dict):
        return {key: _interpolate(item, (*path, key), environ, problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, (*path, index), environ, problems) for index, item in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ and environ[name] != "":
            return environ[name]
        if default is not None:
            return default
        problems.append(f"{_path(path)}: environment variable {name} is not set")
        return ""

    return _ENV_REFERENCE.sub(substitute, value)


def _choose(
    providers: ProviderRegistry,
    kind: ProviderKind,
    section: dict[str, Any],
    path: tuple[str | int, ...],
    problems: list[str],
    environ: dict[str, str],
) -> ProviderChoice | None:
    options = dict(section)
    name = options.pop("provider", None)
    if not isinstance(name, str) or not name:
        problems.append(
            f"{_path((*path, 'provider'))}: required (one of: {', '.join(providers.names(kind))})"
        )
        return None
    try:
        spec = providers.get(kind, name)
    except UnknownProviderError as exc:
        problems.append(f"{_path((*path, 'provider'))}: {exc}")
        return None
    try:
        return ProviderChoice(spec, spec.options.model_validate(options, context={"environ": environ}))
    except ValidationError as exc:
        problems.extend(_describe(exc, path, spec.options))
        return None


def _describe(exc: ValidationError, prefix: tuple[str | int, ...], model: type[BaseModel]) -> list[str]:
    messages = []
    for error in exc.errors(include_url=False, include_input=False):
        location = tuple(part for part in error["loc"] if not _is_union_tag(part))
        kind = error["type"]
        if kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "missing":
            env = env_var_of(model, str(location[0])) if len(location) == 1 else None
            message = f"required; set the {env} environment variable" if env else "required"
        else:
            message = error["msg"]
        messages.append(f"{_path((*prefix, *location))}: {message}")
    return messages


def _is_union_tag(part: str | int) -> bool:
    return isinstance(part, str) and ("[" in part or part in ("list[dict[str,any]]", "dict[str,any]"))


def _path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _import_tool(target: str, path: tuple[str | int, ...], problems: list[str]) -> list[Tool] | None:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        problems.append(f"{_path(path)}: expected 'module:function', got {target!r}")
        return None
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        problems.append(f"{_path(path)}: cannot import {target!r} ({exc})")
        return None
    items = found if isinstance(found, list | tuple) else [found]
    try:
        return [item if isinstance(item, Tool) else make_tool(item) for item in items]
    except (TypeError, ValueError) as exc:
        problems.append(f"{_path(path)}: {target!r} is not a usable tool ({exc})")
        return None
