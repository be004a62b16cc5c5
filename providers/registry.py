"""Provider registry: the names used in YAML (``provider: deepgram``) resolve to a spec holding the provider's
options model and factory. Built-ins load lazily (no SDK import until used); third parties add theirs through the
``parley.providers`` entry-point group (each entry point is a ``ProviderSpec``) or ``registry.register(...)``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

ProviderKind = Literal["stt", "llm", "tts"]
OptionsT = TypeVar("OptionsT", bound=BaseModel)

ENTRY_POINT_GROUP = "parley.providers"


@dataclass(frozen=True)
class ProviderSpec(Generic[OptionsT]):
    kind: ProviderKind
    name: str
    options: type[OptionsT]
    build: Callable[[OptionsT], Any]  # options -> SpeechToText | LLM | TextToSpeech
    description: str = ""


class UnknownProviderError(LookupError):
    def __init__(self, kind: ProviderKind, name: str, known: list[str]) -> None:
        super().__init__(f"unknown {kind} provider {name!r} (known: {', '.join(known) or 'none'})")
        self.kind = kind
        self.name = name


# name -> "module:attribute" of a ProviderSpec; imported on first use.
_BUILTINS: dict[tuple[ProviderKind, str], str] = {
    ("stt", "pocketsphinx"): "providers.local.sphinx_stt:SPEC",
    ("stt", "whisper-local"): "providers.local.whisper_stt:SPEC",
    ("tts", "piper"): "providers.local.piper_tts:SPEC",
    ("stt", "local"): "providers.local.choice:STT_SPEC",
    ("tts", "local"): "providers.local.choice:TTS_SPEC",
    ("tts", "espeak"): "providers.local.espeak_tts:SPEC",
    ("llm", "scripted"): "providers.local.scripted_llm:SPEC",
    ("stt", "simulated"): "providers.simulated_specs:STT_SPEC",
    ("llm", "simulated"): "providers.simulated_specs:LLM_SPEC",
    ("tts", "simulated"): "providers.simulated_specs:TTS_SPEC",
    ("stt", "deepgram"): "providers.deepgram.stt:SPEC",
    ("stt", "deepgram-flux"): "providers.deepgram.flux:SPEC",
    ("stt", "openai"): "providers.openai.stt:SPEC",
    ("llm", "openai"): "providers.openai.llm:SPEC",
    ("tts", "openai"): "providers.openai.tts:SPEC",
    ("tts", "elevenlabs"): "providers.elevenlabs.websocket_tts:SPEC",
    ("tts", "elevenlabs-http"): "providers.elevenlabs.http_tts:SPEC",
}


class ProviderRegistry:
    def __init__(self, builtins: dict[tuple[ProviderKind, str], str] | None = None) -> None:
        self._lazy = dict(_BUILTINS if builtins is None else builtins)
        self._specs: dict[tuple[ProviderKind, str], ProviderSpec[Any]] = {}
        self._entry_points_loaded = False

    def register(self, spec: ProviderSpec[Any]) -> ProviderSpec[Any]:
        self._specs[(spec.kind, spec.name)] = spec
        return spec

    def get(self, kind: ProviderKind, name: str) -> ProviderSpec[Any]:
        key = (kind, name)
        if key not in self._specs and key in self._lazy:
            self.register(_load(self._lazy[key]))
        if key not in self._specs:
            self._load_entry_points()
        if key not in self._specs:
            raise UnknownProviderError(kind, name, self.names(kind))
        return self._specs[key]

    def names(self, kind: ProviderKind) -> list[str]:
        self._load_entry_points()
        known = {n for k, n in self._lazy if k == kind} | {n for k, n in self._specs if k == kind}
        return sorted(known)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            spec = entry_point.load()
            if not isinstance(spec, ProviderSpec):
                raise TypeError(
                    f"entry point {entry_point.name!r} in {ENTRY_POINT_GROUP} is not a ProviderSpec"
                )
            self._specs.setdefault((spec.kind, spec.name), spec)


def _load(target: str) -> ProviderSpec[Any]:
    module_name, _, attribute = target.partition(":")
    spec = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(spec, ProviderSpec):
        raise TypeError(f"{target} is not a ProviderSpec")
    return spec


registry = ProviderRegistry()
