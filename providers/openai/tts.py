"""``openai`` TTS: each sentence is one streamed ``/v1/audio/speech`` request answering raw PCM (24 kHz s16le
mono; the pipeline resamples), yielded chunk by chunk as it arrives.

    tts: {provider: openai, model: gpt-4o-mini-tts, voice: coral, instructions: "Speak warmly."}

Sentences are synthesized in order as the reply is written (``SegmentTtsStream``); closing the stream on
barge-in closes the HTTP response. Network chunks may split a sample: an odd trailing byte is carried over to the
next chunk. No character alignment is available from this endpoint.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from typing import Any

import anyio
from pydantic import Field

from providers.openai.connection import ClientHandle, OpenAIConnectionOptions
from providers.openai.errors import PROVIDER, ErrorContext
from providers.openai.steps import FirstItemDeadline, sdk_step
from providers.registry import ProviderSpec
from providers.segment_tts import SegmentTtsStream
from providers.tts import TtsAudio

PCM_SAMPLE_RATE = 24000  # what response_format="pcm" produces


class OpenAITtsOptions(OpenAIConnectionOptions):
    model: str = Field("gpt-4o-mini-tts", description="gpt-4o-mini-tts, tts-1 or tts-1-hd")
    voice: str = Field(
        "alloy", description="alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, shimmer..."
    )
    speed: float | None = Field(None, ge=0.25, le=4.0, description="1.0 is normal")
    instructions: str | None = Field(None, description="how to speak (gpt-4o-mini-tts only)")
    first_byte_timeout: float | None = Field(
        10.0, gt=0, description="seconds from the request to the first audio of a sentence, retries included"
    )


class OpenAITts:
    provider = PROVIDER
    sample_rate = PCM_SAMPLE_RATE

    def __init__(self, options: OpenAITtsOptions | None = None) -> None:
        self.options = options or OpenAITtsOptions()
        self.model = self.options.model
        self._client = ClientHandle(self.options)
        self._errors = ErrorContext.of("speech", self.options)

    async def aclose(self) -> None:
        await self._client.aclose()

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[SegmentTtsStream]:
        yield SegmentTtsStream(self._synthesize)

    def request_params(self, text: str) -> dict[str, Any]:
        options = self.options
        params: dict[str, Any] = {
            "model": options.model,
            "voice": options.voice,
            "input": text,
            "response_format": "pcm",
        }
        if options.speed is not None:
            params["speed"] = options.speed
        if options.instructions:
            params["instructions"] = options.instructions
        return params

    async def _synthesize(self, text: str) -> AsyncGenerator[TtsAudio, None]:
        speech = self._client.get().audio.speech.with_streaming_response
        params = self.request_params(text)
        deadline = FirstItemDeadline(self.options.first_byte_timeout, "audio")
        response_scope = AsyncExitStack()
        try:
            response = await sdk_step(
                lambda: response_scope.enter_async_context(speech.create(**params)),
                deadline,
                self._errors,
                mid_stream=False,
            )
            pieces = await response_scope.enter_async_context(aclosing(_as_generator(response.iter_bytes())))
            samples = _SampleAligner()
            while True:
                piece = await sdk_step(lambda: anext(pieces, None), deadline, self._errors, mid_stream=True)
                if piece is None:
                    break
                pcm = samples.push(piece)
                if pcm:
                    deadline.met()
                    yield TtsAudio(pcm)
        finally:
            with anyio.CancelScope(shield=True):  # barge-in closes the response at once
                await response_scope.aclose()


class _SampleAligner:
    """Whole 16-bit samples out of arbitrary byte chunks: an odd trailing byte waits for the next chunk."""

    def __init__(self) -> None:
        self._carry = b""

    def push(self, data: bytes) -> bytes:
        data = self._carry + data
        even = len(data) - len(data) % 2
        self._carry = data[even:]
        return data[:even]


SPEC = ProviderSpec(
    kind="tts",
    name="openai",
    options=OpenAITtsOptions,
    build=OpenAITts,
    description="OpenAI speech (gpt-4o-mini-tts / tts-1), streamed 24 kHz PCM per sentence",
)


async def _as_generator(chunks: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
    """The SDK's byte iterator as an async generator, which ``aclosing`` can close."""
    async for chunk in chunks:
        yield chunk
