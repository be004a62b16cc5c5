"""The simulated providers, selectable from YAML (``provider: simulated``) for benchmarks and demos of the
server's own cost: fixed latencies, scripted words, a tone for speech (``providers/simulated.py``).

A server shares one provider object between all its calls, so what the YAML builds keeps no state across calls:
each speech-to-text stream, LLM request and speech stream gets a fresh simulated provider. The caller's
utterances and the agent's replies repeat in order (the LLM picks the reply by the number of agent turns so far).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager

from pydantic import Field

from providers.llm import LlmChunk, LlmRequest, Role
from providers.options import ProviderOptions
from providers.registry import ProviderSpec
from providers.segment_tts import SegmentTtsStream
from providers.simulated import RATE, SimulatedLlm, SimulatedStt, SimulatedSttStream, SimulatedTts

SCRIPT_TURNS = 1000  # utterances per call before the simulated STT hears nothing more


class SimulatedSttOptions(ProviderOptions):
    utterances: list[str] = Field(
        min_length=1, description="what each loud stretch of audio is heard as, in turn"
    )
    final_delay: float = Field(
        0.1, ge=0.0, le=10.0, description="seconds from finalize to the final transcript"
    )
    words_per_second: float = Field(4.0, gt=0.0, description="interim results grow at this rate while loud")


class SimulatedLlmOptions(ProviderOptions):
    replies: list[str] = Field(min_length=1, description="the agent's replies, in turn (then from the first)")
    ttft: float = Field(0.2, ge=0.0, le=10.0, description="seconds to the first token")
    token_interval: float = Field(0.02, ge=0.0, le=10.0, description="seconds between words")


class SimulatedTtsOptions(ProviderOptions):
    ttfb: float = Field(0.1, ge=0.0, le=10.0, description="seconds to the first audio")
    seconds_per_char: float = Field(0.05, gt=0.0, le=1.0, description="speech length per character")


class ScriptedSimulatedStt:
    """``SimulatedStt`` with a fresh script per stream (each call hears the utterances from the first)."""

    provider = "simulated"
    model = "scripted"

    def __init__(self, options: SimulatedSttOptions) -> None:
        self._options = options
        cycle = itertools.cycle(options.utterances)
        self._script = [next(cycle) for _ in range(SCRIPT_TURNS)]  # shared read-only by the streams

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[SimulatedSttStream]:
        stt = SimulatedStt(
            self._script,
            final_delay=self._options.final_delay,
            words_per_second=self._options.words_per_second,
        )
        async with stt.stream(sample_rate=sample_rate) as stream:
            yield stream


class ScriptedSimulatedLlm:
    """``SimulatedLlm`` answering each request with the reply for its turn."""

    provider = "simulated"
    model = "scripted"

    def __init__(self, options: SimulatedLlmOptions) -> None:
        self._options = options

    async def stream(self, request: LlmRequest) -> AsyncGenerator[LlmChunk, None]:
        turn = sum(1 for message in request.messages if message.role is Role.ASSISTANT)
        reply = self._options.replies[turn % len(self._options.replies)]
        llm = SimulatedLlm([reply], ttft=self._options.ttft, token_interval=self._options.token_interval)
        async for chunk in llm.stream(request):
            yield chunk


class ScriptedSimulatedTts:
    """``SimulatedTts`` with a fresh synthesizer per speech stream."""

    provider = "simulated"
    model = "tone"

    def __init__(self, options: SimulatedTtsOptions) -> None:
        self._options = options
        self.sample_rate = RATE

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[SegmentTtsStream]:
        tts = SimulatedTts(ttfb=self._options.ttfb, seconds_per_char=self._options.seconds_per_char)
        async with tts.stream() as stream:
            yield stream


STT_SPEC = ProviderSpec(
    kind="stt",
    name="simulated",
    options=SimulatedSttOptions,
    build=ScriptedSimulatedStt,
    description="scripted transcripts after a fixed delay (benchmarks, no audio recognition)",
)
LLM_SPEC = ProviderSpec(
    kind="llm",
    name="simulated",
    options=SimulatedLlmOptions,
    build=ScriptedSimulatedLlm,
    description="scripted replies with a fixed time to first token (benchmarks)",
)
TTS_SPEC = ProviderSpec(
    kind="tts",
    name="simulated",
    options=SimulatedTtsOptions,
    build=ScriptedSimulatedTts,
    description="a tone as long as the text, after a fixed delay (benchmarks)",
)
