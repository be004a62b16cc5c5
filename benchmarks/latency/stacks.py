"""Where a benchmark session's providers come from.

* Simulated (``--profile``): each session starts its own loopback fakes (Deepgram, OpenAI, ElevenLabs) with
  the profile's latencies and points the real adapters at them, so the adapters, SDKs and sockets all run.
* Configured (``--config``): the providers of a Parley config (real services when their keys are set), shared
  by all sessions like in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from typing import Protocol

from benchmarks.latency.fake_script import FakeScript
from benchmarks.latency.profiles import ProviderLatencies
from benchmarks.latency.scenario import TurnSpec
from pipeline.session.pipeline import Pipeline
from pipeline.settings import SessionSettings
from pipeline.stages.tools import Tool
from providers.deepgram.stt import DeepgramOptions, DeepgramStt
from providers.elevenlabs.options import ElevenLabsWebsocketOptions
from providers.elevenlabs.websocket_tts import ElevenLabsTts
from providers.llm import LLM, ChatMessage, LlmRequest, Role
from providers.openai.llm import OpenAILlm, OpenAILlmOptions
from tests.fakes import (
    DeepgramConfig,
    ElevenLabsConfig,
    FakeDeepgram,
    FakeElevenLabs,
    FakeOpenAI,
    OpenAIConfig,
)
from vad import Vad

DEEPGRAM_KEY = "bench-deepgram-key"
OPENAI_KEY = "sk-bench"
ELEVENLABS_KEY = "bench-xi-key"


class SessionStack(Protocol):
    """The pipeline a session runs on, and the hook that scripts simulated providers before each turn."""

    pipeline: Pipeline

    def before_turn(self, turn: TurnSpec) -> None: ...


class SimulatedStack:
    def __init__(self, pipeline: Pipeline, script: FakeScript) -> None:
        self.pipeline = pipeline
        self._script = script

    def before_turn(self, turn: TurnSpec) -> None:
        self._script.before_turn(turn)


class ConfiguredStack:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def before_turn(self, turn: TurnSpec) -> None:
        """Real providers are not scripted."""


@asynccontextmanager
async def simulated_stack(
    latencies: ProviderLatencies, settings: SessionSettings, tools: list[Tool], vad: Vad
) -> AsyncIterator[SimulatedStack]:
    """Fakes for one session, the real adapters pointed at them, and the pipeline over those adapters."""
    async with AsyncExitStack() as stack:
        deepgram = await stack.enter_async_context(
            FakeDeepgram(api_key=DEEPGRAM_KEY, config=DeepgramConfig(final_delay=latencies.stt_final))
        )
        openai = await stack.enter_async_context(
            FakeOpenAI(
                api_key=OPENAI_KEY,
                config=OpenAIConfig(
                    first_token_delay=latencies.llm_first_chunk_delay,
                    tokens_per_second=latencies.llm_tokens_per_second,
                ),
            )
        )
        elevenlabs = await stack.enter_async_context(
            FakeElevenLabs(
                api_key=ELEVENLABS_KEY,
                config=ElevenLabsConfig(
                    first_byte_delay=latencies.tts_first_byte, ms_per_char=latencies.tts_ms_per_char
                ),
            )
        )
        # Deepgram's own endpointing is off: only the pipeline's Finalize ends an utterance.
        stt = DeepgramStt(
            DeepgramOptions.model_validate(
                {"api_key": DEEPGRAM_KEY, "ws_url": deepgram.url, "endpointing_ms": None}
            )
        )
        llm = OpenAILlm(
            OpenAILlmOptions.model_validate(
                {"api_key": OPENAI_KEY, "base_url": openai.base_url, "max_retries": 0}
            )
        )
        tts = ElevenLabsTts(
            ElevenLabsWebsocketOptions.model_validate(
                {"api_key": ELEVENLABS_KEY, "base_url": elevenlabs.base_url, "ws_url": elevenlabs.ws_url}
            )
        )
        pipeline = Pipeline(stt=stt, llm=llm, tts=tts, vad=vad, tools=tools, settings=settings)
        await stack.enter_async_context(pipeline)  # closes the adapters' connections before the fakes stop
        script = FakeScript(deepgram, openai)
        await warm_up_llm(llm)
        yield SimulatedStack(pipeline, script)


async def warm_up_llm(llm: LLM) -> None:
    """One request before the session, so the adapter's HTTP client exists and holds a connection — as the
    shared client of a production process does (building a fresh ``AsyncOpenAI`` client, with its TLS context,
    costs ~20 ms on its first request)."""
    request = LlmRequest(messages=(ChatMessage(Role.USER, "warm up"),))
    async with aclosing(llm.stream(request)) as chunks:
        async for _ in chunks:
            pass


@asynccontextmanager
async def configured_stack(pipeline: Pipeline) -> AsyncIterator[ConfiguredStack]:
    yield ConfiguredStack(pipeline)
