"""The library entry point: a ``Pipeline`` holds the providers, VAD, tools and settings, and opens sessions.

    pipeline = Pipeline.from_config("configs/local.yaml")          # or Pipeline(stt=..., llm=..., tts=...)
    async with pipeline.session() as session: ...

Several sessions may run at once in one process; they share the providers and the VAD model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.session.session import Session
from pipeline.settings import SessionSettings
from pipeline.stages.tools import Tool, ToolRegistry
from providers.llm import LLM
from providers.stt import SpeechToText
from providers.tts import TextToSpeech
from vad import Vad, VadConfig, create_vad


class Pipeline:
    def __init__(
        self,
        *,
        stt: SpeechToText,
        llm: LLM,
        tts: TextToSpeech,
        vad: Vad | None = None,
        tools: Iterable[Tool | Callable[..., Any]] = (),
        settings: SessionSettings | None = None,
    ) -> None:
        self.stt = stt
        self.llm = llm
        self.tts = tts
        self.vad = vad if vad is not None else create_vad(VadConfig(batched=False))
        self.tools = ToolRegistry(tools)
        self.settings = settings or SessionSettings()

    @classmethod
    def from_config(
        cls, source: str | Path | Any, *, tools: Iterable[Tool | Callable[..., Any]] = ()
    ) -> Pipeline:
        """Build from a YAML path or a loaded ``ParleyConfig``; ``tools`` add to those the config names."""
        from pipeline.session.config import LoadedConfig, build_pipeline, load_config

        config = source if isinstance(source, LoadedConfig) else load_config(source)
        return build_pipeline(config, extra_tools=tools)

    def tool(self, function: Callable[..., Any] | Tool) -> Tool:
        """Decorator registering a tool for every session opened afterwards."""
        return self.tools.add(function)

    def session(self, session_id: str | None = None) -> Session:
        return Session(self, session_id)

    async def aclose(self) -> None:
        """Close the providers' connections (sockets, HTTP clients). Sessions must have ended."""
        for provider in (self.stt, self.llm, self.tts):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    async def __aenter__(self) -> Pipeline:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def describe_providers(self) -> dict[str, str]:
        return {
            "stt": f"{self.stt.provider}/{self.stt.model}",
            "llm": f"{self.llm.provider}/{self.llm.model}",
            "tts": f"{self.tts.provider}/{self.tts.model}",
        }
