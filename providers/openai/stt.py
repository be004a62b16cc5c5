"""``openai`` STT: each caller utterance is transcribed as one upload, when the pipeline's VAD says it ended.

    stt: {provider: openai, model: gpt-4o-transcribe, language: en}
    stt: {provider: openai, base_url: http://localhost:8000/v1, model: Systran/faster-whisper-small}  # local

Audio pushed since the last ``finalize()`` is buffered (bounded, trimmed to the utterance: see ``utterance``);
``finalize()`` queues it, and a worker uploads it as a WAV to ``/v1/audio/transcriptions``. With ``stream``
(the default for gpt-4o*-transcribe models) the text deltas become interim transcripts as they arrive; the
answer to every ``finalize()`` is one final transcript with ``from_finalize=True`` (empty when nothing was said).
Uploads run one at a time, in order. A failed upload raises ``ProviderError`` from the stream (the pipeline
reports it and reopens the stream); the SDK retries connection errors, 429 and 5xx first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import numpy as np
from openai import AsyncOpenAI
from pydantic import Field

from pipeline.base.audio import AudioFrame, wav_bytes
from pipeline.base.channel import Channel
from providers.openai.connection import ClientHandle, OpenAIConnectionOptions
from providers.openai.errors import PROVIDER, ErrorContext
from providers.openai.steps import FirstItemDeadline, sdk_step
from providers.registry import ProviderSpec
from providers.stt import Transcript
from providers.utterance import UtteranceBuffer


class OpenAISttOptions(OpenAIConnectionOptions):
    model: str = Field(
        "gpt-4o-transcribe", description="gpt-4o-transcribe, gpt-4o-mini-transcribe, whisper-1"
    )
    language: str | None = Field(None, description="ISO-639-1 code of the caller's language, e.g. en")
    prompt: str | None = Field(None, description="vocabulary or style hints for the model")
    stream: bool | None = Field(
        None, description="interim text while transcribing; None: on for gpt-4o*-transcribe models"
    )
    transcript_timeout: float | None = Field(
        15.0, gt=0, description="seconds from the upload to the first text, retries included"
    )
    max_utterance_seconds: float = Field(
        30.0, gt=1.0, description="audio kept per utterance (oldest dropped)"
    )
    speech_gate_dbfs: float | None = Field(
        -50.0, le=0.0, description="level that counts as speech when trimming silence; None sends everything"
    )
    preroll: float = Field(0.3, ge=0.0, le=2.0, description="seconds kept before the utterance")

    @property
    def streams(self) -> bool:
        if self.stream is not None:
            return self.stream
        return self.model.startswith("gpt-4o") and "transcribe" in self.model


class OpenAIStt:
    provider = PROVIDER

    def __init__(self, options: OpenAISttOptions | None = None) -> None:
        self.options = options or OpenAISttOptions()
        self.model = self.options.model
        self._client = ClientHandle(self.options)
        self._errors = ErrorContext.of("transcription", self.options)

    async def aclose(self) -> None:
        await self._client.aclose()

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[OpenAISttStream]:
        stream = OpenAISttStream(self._client.get(), self.options, sample_rate, self._errors)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(stream.run)
                try:
                    yield stream
                finally:
                    group.cancel_scope.cancel()  # an upload in flight is abandoned (its connection closed)
        finally:
            stream.close()


class OpenAISttStream:
    def __init__(
        self, client: AsyncOpenAI, options: OpenAISttOptions, sample_rate: int, errors: ErrorContext
    ) -> None:
        self._client = client
        self._options = options
        self._sample_rate = sample_rate
        self._errors = errors
        self._buffer = UtteranceBuffer(
            max_seconds=options.max_utterance_seconds,
            gate_dbfs=options.speech_gate_dbfs,
            preroll=options.preroll,
        )
        self._uploads: Channel[bytes] = Channel("openai-stt-uploads", 16)
        self._results: Channel[Transcript] = Channel("openai-stt-results", 256)

    async def push_audio(self, frame: AudioFrame) -> None:
        self._buffer.push(frame)

    async def finalize(self) -> None:
        await self._uploads.send(self._buffer.take())

    def transcripts(self) -> AsyncIterator[Transcript]:
        return self._results.__aiter__()

    def close(self) -> None:
        self._uploads.close()
        self._results.close()

    async def run(self) -> None:
        """Upload each utterance in turn and answer its finalize."""
        async for pcm in self._uploads:
            text = await self._transcribe(pcm) if pcm else ""
            await self._results.send(Transcript(text, is_final=True, from_finalize=True))

    def request_params(self, pcm: bytes) -> dict[str, Any]:
        options = self._options
        audio = wav_bytes(np.frombuffer(pcm, dtype="<i2"), self._sample_rate)
        params: dict[str, Any] = {"model": options.model, "file": ("audio.wav", audio, "audio/wav")}
        if options.language:
            params["language"] = options.language
        if options.prompt:
            params["prompt"] = options.prompt
        if options.streams:
            params["stream"] = True
        return params

    async def _transcribe(self, pcm: bytes) -> str:
        transcriptions = self._client.audio.transcriptions
        params = self.request_params(pcm)
        deadline = FirstItemDeadline(self._options.transcript_timeout, "transcript")
        result = await sdk_step(
            lambda: transcriptions.create(**params), deadline, self._errors, mid_stream=False
        )
        if not self._options.streams:
            return _text_of(result)
        try:
            return await self._read_events(result, deadline)
        finally:
            with anyio.CancelScope(shield=True):
                await result.close()

    async def _read_events(self, events: Any, deadline: FirstItemDeadline) -> str:
        """``transcript.text.delta`` events become growing interim transcripts; ``.done`` has the final text."""
        text = ""
        final: str | None = None
        while (
            event := await sdk_step(lambda: anext(events, None), deadline, self._errors, mid_stream=True)
        ) is not None:
            kind = getattr(event, "type", None)
            if kind == "transcript.text.delta":
                deadline.met()
                text += getattr(event, "delta", None) or ""
                if text.strip():
                    await self._results.send(Transcript(text.strip(), is_final=False))
            elif kind == "transcript.text.done":
                final = getattr(event, "text", None)
        return (final if final is not None else text).strip()


def _text_of(result: object) -> str:
    """``Transcription.text``, or the body itself for servers answering plain text."""
    text = result if isinstance(result, str) else getattr(result, "text", None)
    return text.strip() if isinstance(text, str) else ""


SPEC = ProviderSpec(
    kind="stt",
    name="openai",
    options=OpenAISttOptions,
    build=OpenAIStt,
    description="OpenAI transcription (gpt-4o-transcribe / whisper-1) per utterance, or a compatible server",
)
