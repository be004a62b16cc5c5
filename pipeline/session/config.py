"""YAML config -> validated settings and providers. Every problem is reported with its key path (and the env var
to set, for a missing secret) before anything starts; secrets stay ``SecretStr`` and never print."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from pipeline.session.config_yaml import MAX_CONFIG_BYTES, load_yaml
from pipeline.session.named_configs import config_file, packaged_config_names
from pipeline.settings import SessionSettings
from pipeline.stages.tools import Tool, make_tool
from providers.options import env_var_of
from providers.registry import ProviderKind, ProviderRegistry, ProviderSpec, UnknownProviderError, registry
from vad import VadConfig

# ${NAME} or ${NAME:-default}; $${...} is the escape for a literal ${...}
_ENV_REFERENCE = re.compile(r"(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


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
    agent_providers: dict[str, tuple[ProviderChoice | None, ProviderChoice | None]] = field(
        default_factory=dict
    )  # named agent -> its own (llm, tts)

    @property
    def settings(self) -> SessionSettings:
        return SessionSettings.model_validate(
            self.config.model_dump(include=set(SessionSettings.model_fields))
        )


def load_config(path: str | Path, *, providers: ProviderRegistry = registry) -> LoadedConfig:
    """Load a YAML file, or a shipped config by name (``local``, ``cloud``, ``openai-compatible``, ``smollm2``)."""
    file = config_file(path)
    source = str(file)
    try:
        if file.exists() and not file.is_file():
            raise ConfigError(source, ["not a regular file"])
        with file.open("rb") as stream:
            data = stream.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(source, [f"larger than {MAX_CONFIG_BYTES >> 10} KiB; is this the config file?"])
        text = data.decode("utf-8")
    except FileNotFoundError:
        names = ", ".join(packaged_config_names())
        raise ConfigError(source, [f"no such file (shipped configs, loadable by name: {names})"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            source, [f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"]
        ) from None
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
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(source, [f"{where}invalid YAML ({getattr(exc, 'problem', None) or exc})"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(source, ["the config must be a mapping of sections (stt, llm, tts, ...)"])
    problems: list[str] = []
    environ = environ if environ is not None else dict(os.environ)
    retypable: dict[tuple[str | int, ...], Any] = {}
    data = _interpolate(raw, (), environ, problems, retypable)
    try:
        config = _validate_config(data, retypable)
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
    model_path = config.turn.audio_model_path
    if model_path is not None and not Path(model_path).is_file():
        problems.append(f"turn.audio_model_path: no such file: {model_path}")
    agent_providers = {
        name: (
            _choose(providers, "llm", profile.llm, ("agents", name, "llm"), problems, environ)
            if profile.llm is not None
            else None,
            _choose(providers, "tts", profile.tts, ("agents", name, "tts"), problems, environ)
            if profile.tts is not None
            else None,
        )
        for name, profile in config.agents.items()
    }
    imported = tuple(t for group in tools if group for t in group)
    known = {t.name for t in imported}
    for name, profile in config.agents.items():
        for index, tool_name in enumerate(profile.tools or ()):
            if tool_name not in known:
                problems.append(f"agents.{name}.tools[{index}]: no tool named {tool_name!r} in `tools`")
    if problems:
        raise ConfigError(source, _without_repeats(problems))
    return LoadedConfig(
        source,
        _redacted(config, stt, llms, tts, agent_providers),  # type: ignore[arg-type]
        stt,  # type: ignore[arg-type]
        tuple(llms),  # type: ignore[arg-type]
        tts,  # type: ignore[arg-type]
        imported,
        agent_providers,
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
    config: ParleyConfig,
    stt: ProviderChoice,
    llms: list[ProviderChoice],
    tts: ProviderChoice,
    agent_providers: dict[str, tuple[ProviderChoice | None, ProviderChoice | None]],
) -> ParleyConfig:
    """The config with each provider section replaced by its validated options (secrets masked)."""

    def section(choice: ProviderChoice) -> dict[str, Any]:
        return {"provider": choice.spec.name, **choice.options.model_dump(mode="json")}

    agents = {
        name: profile.model_copy(
            update={
                "llm": section(agent_llm) if agent_llm is not None else None,
                "tts": section(agent_tts) if agent_tts is not None else None,
            }
        )
        for (name, profile), (agent_llm, agent_tts) in zip(
            config.agents.items(), agent_providers.values(), strict=True
        )
    }

    llm: dict[str, Any] | list[dict[str, Any]] = (
        [section(c) for c in llms] if isinstance(config.llm, list) else section(llms[0])
    )
    return config.model_copy(update={"stt": section(stt), "llm": llm, "tts": section(tts), "agents": agents})


def _interpolate(
    value: Any,
    path: tuple[str | int, ...],
    environ: dict[str, str],
    problems: list[str],
    retypable: dict[tuple[str | int, ...], Any],
) -> Any:
    if isinstance(value, dict):
        return {
            key: _interpolate(item, (*path, key), environ, problems, retypable) for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _interpolate(item, (*path, index), environ, problems, retypable)
            for index, item in enumerate(value)
        ]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        escaped, name, default = match.group(1), match.group(2), match.group(3)
        if escaped:
            return match.group(0)[1:]  # $${X} is the literal text ${X}
        if name in environ and environ[name] != "":
            return environ[name]
        if default is not None:
            return default
        problems.append(f"{_path(path)}: environment variable {name} is not set")
        return ""

    result = _ENV_REFERENCE.sub(substitute, value)
    whole = _ENV_REFERENCE.fullmatch(value)
    if whole is not None and not whole.group(1) and not isinstance(_scalar(result), str):
        retypable[path] = _scalar(result)
    return result


def _validate_config(data: Any, retypable: dict[tuple[str | int, ...], Any]) -> ParleyConfig:
    """Validate; where a field refused the text of a lone ``${...}`` (``sample_rate: ${RATE:-16000}`` for a
    field that takes the numbers 8000 or 16000), try again with the value typed as YAML would type it."""
    try:
        return ParleyConfig.model_validate(data)
    except ValidationError as exc:
        refused = {tuple(p for p in error["loc"] if not _is_union_tag(p)) for error in exc.errors()}
        fixes = {path: typed for path, typed in retypable.items() if path in refused}
        if not fixes:
            raise
        for path, typed in fixes.items():
            _set(data, path, typed)
        return ParleyConfig.model_validate(data)


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _scalar(text: str) -> Any:
    """A value that was one ``${...}`` reference, typed the way YAML types a plain scalar (int, float, bool)."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


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
    except Exception as exc:  # the module itself raised while being imported
        problems.append(f"{_path(path)}: importing {module_name!r} raised {type(exc).__name__}: {exc}")
        return None
    items = found if isinstance(found, list | tuple) else [found]
    if not all(isinstance(item, Tool) or callable(item) for item in items):
        problems.append(f"{_path(path)}: {target!r} is not a function or a Tool")
        return None
    try:
        return [item if isinstance(item, Tool) else make_tool(item) for item in items]
    except (TypeError, ValueError) as exc:
        problems.append(f"{_path(path)}: {target!r} is not a usable tool ({exc})")
        return None
