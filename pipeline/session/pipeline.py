"""The library entry point: a ``Pipeline`` holds the providers, VAD, tools and settings, and opens sessions.

    pipeline = Pipeline.from_config("local")          # a shipped config, a YAML path, or Pipeline(stt=..., ...)
    async with pipeline.session() as session: ...

Several sessions may run at once in one process; they share the providers and the VAD model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pipeline.observe.observer import SessionObserver
from pipeline.session.agents import AgentProviders
from pipeline.session.config import LoadedConfig, load_config
from pipeline.session.session import Session
from pipeline.settings import SessionSettings
from pipeline.stages.tools import Tool, ToolRegistry
from providers.fallback import FallbackLlm
from providers.llm import LLM
from providers.stt import SpeechToText
from providers.tts import TextToSpeech
from vad import Vad, VadConfig, create_vad


class Pipeline:
    """The providers (speech-to-text, LLM, text-to-speech), the VAD, the tools and the settings of an agent.
    It opens sessions (one per call) that share its providers and VAD model."""

    def __init__(
        self,
        *,
        stt: SpeechToText,
        llm: LLM,
        tts: TextToSpeech,
        vad: Vad | None = None,
        tools: Iterable[Tool | Callable[..., Any]] = (),
        settings: SessionSettings | None = None,
        observers: Iterable[SessionObserver] | None = None,
        name: str | None = None,
        agent_providers: Mapping[str, AgentProviders] | None = None,
    ) -> None:
        self.stt = stt
        self.agent_providers = dict(agent_providers or {})  # named agents' own LLM / voice
        self.llm = llm
        self.tts = tts
        self.vad = vad if vad is not None else create_vad(VadConfig())
        self.tools = ToolRegistry(tools)
        self.settings = settings or SessionSettings()
        self.name = name  # the config's name, in call records
        # Watching every session: metrics and traces by default (traces cost nothing without an SDK);
        # add call records with ``pipeline.observers.append(CallRecords(...))``.
        self.observers: list[SessionObserver] = (
            list(observers) if observers is not None else default_observers(self.vad)
        )

    @classmethod
    def from_config(
        cls, source: str | Path | LoadedConfig, *, tools: Iterable[Tool | Callable[..., Any]] = ()
    ) -> Pipeline:
        """Build from a config (a YAML path, or one loaded with ``load_config``): its providers, VAD and tools;
        ``tools`` add to those the config names."""
        loaded = source if isinstance(source, LoadedConfig) else load_config(source)
        llms = [choice.build() for choice in loaded.llm]
        return cls(
            stt=loaded.stt.build(),
            llm=llms[0] if len(llms) == 1 else FallbackLlm(llms),
            tts=loaded.tts.build(),
            vad=create_vad(loaded.config.vad),
            tools=[*loaded.tools, *tools],
            settings=loaded.settings,
            name=Path(loaded.source).stem if loaded.source else None,
            agent_providers={
                name: AgentProviders(
                    llm=agent_llm.build() if agent_llm is not None else None,
                    tts=agent_tts.build() if agent_tts is not None else None,
                )
                for name, (agent_llm, agent_tts) in loaded.agent_providers.items()
            },
        )

    def tool(self, function: Callable[..., Any] | Tool) -> Tool:
        """Decorator registering a tool for every session opened afterwards."""
        return self.tools.add(function)

    def session(self, session_id: str | None = None, *, metadata: Mapping[str, str] | None = None) -> Session:
        """A new session (one call); start it with ``async with``. ``metadata`` describes the call (for
        instance ``caller_number`` from the transport); it goes into the call record."""
        return Session(
            stt=self.stt,
            llm=self.llm,
            tts=self.tts,
            vad=self.vad,
            tools=self.tools,
            settings=self.settings,
            session_id=session_id,
            observers=self.observers,
            metadata=metadata,
            config_name=self.name,
            agent_providers=self.agent_providers,
        )

    async def aclose(self) -> None:
        """Close the providers' connections (sockets, HTTP clients). Sessions must have ended."""
        extra = [
            p for agent in self.agent_providers.values() for p in (agent.llm, agent.tts) if p is not None
        ]
        for provider in (self.stt, self.llm, self.tts, *extra):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    async def __aenter__(self) -> Pipeline:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def default_observers(vad: Vad | None = None) -> list[SessionObserver]:
    """Prometheus metrics (the process-wide registry) and OpenTelemetry traces (only with an SDK)."""
    from pipeline.observe.prometheus import default_metrics
    from pipeline.observe.tracing import CallTracer

    metrics = default_metrics()
    if vad is not None:
        metrics.watch_vad(vad)
    return [metrics, CallTracer()]
