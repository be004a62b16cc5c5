"""``whisper-local`` STT: Whisper tiny.en on the caller's utterances, offline (the ``neural`` extra).

    stt: {provider: whisper-local}                 # beam_size, no_speech_threshold, interim_every, workers

Whisper transcribes whole utterances, not a stream. The pipeline calls ``finalize()`` the moment its VAD hears
the caller stop — before the turn decision — so the decode runs while the end-of-turn detector is still waiting:
the endpointing wait hides (most of) the decode. During a long utterance the growing audio is decoded about every
``interim_every`` seconds of new speech on a worker thread, giving interim text; when the final audio is exactly
what the last interim decode saw, its text is reused instead of decoding again. Segments Whisper itself judges
not to be speech (``no_speech_prob`` at or above the threshold) are dropped, so silence and noise give an empty
final. Every ``finalize()`` is answered by one final transcript with ``from_finalize=True``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pipeline.base.audio import AudioFrame
from pipeline.base.audio.resample import resample_int16
from pipeline.base.channel import Channel
from providers.local.whisper_engine import Decoded, WhisperEngine
from providers.registry import ProviderSpec
from providers.stt import Transcript
from providers.utterance import UtteranceBuffer

WHISPER_RATE = 16000


class WhisperSttOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_path: Path | None = Field(None, description="a CTranslate2 Whisper model folder; default: tiny.en")
    beam_size: int = Field(5, ge=1, le=10, description="5 (the default) hears odd voices better; 1 is greedy")
    no_speech_threshold: float = Field(
        0.6,
        gt=0.0,
        le=1.0,
        description="segments Whisper rates at least this likely to be non-speech are dropped",
    )
    interim_every: float | None = Field(
        1.0, gt=0.2, description="seconds of new speech between interim decodes; None: finals only"
    )
    workers: int | None = Field(None, ge=1, le=64, description="decodes at once; default: the CPU count")
    speech_gate_dbfs: float = Field(-50.0, le=0.0, description="level that counts as speech when trimming")
    preroll: float = Field(0.3, ge=0.0, le=2.0, description="seconds kept before the utterance")
    max_utterance_seconds: float = Field(28.0, gt=1.0, le=30.0, description="Whisper hears at most 30 s")


class WhisperStt:
    provider = "whisper-local"

    def __init__(self, options: WhisperSttOptions | None = None) -> None:
        self.options = options or WhisperSttOptions()
        self.engine = WhisperEngine.shared(self.options.model_path, workers=self.options.workers)
        self.model = self.engine.model_path.name if self.options.model_path else "tiny.en"

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[WhisperSttStream]:
        stream = WhisperSttStream(self.engine, self.options, sample_rate)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(stream.run_finals)
                group.start_soon(stream.run_interims)
                try:
                    yield stream
                finally:
                    group.cancel_scope.cancel()
        finally:
            stream.close()


class WhisperSttStream:
    def __init__(self, engine: WhisperEngine, options: WhisperSttOptions, sample_rate: int) -> None:
        self._engine = engine
        self._options = options
        self._sample_rate = sample_rate
        self._buffer = UtteranceBuffer(
            max_seconds=options.max_utterance_seconds,
            gate_dbfs=options.speech_gate_dbfs,
            preroll=options.preroll,
        )
        self._finals: Channel[bytes] = Channel("whisper-finals", 16)
        self._results: Channel[Transcript] = Channel("whisper-results", 256)
        self._interim_wanted = anyio.Event()
        self._seconds_at_interim = 0.0  # buffered seconds when the last interim decode was asked for
        self._utterance = 0  # bumped at each finalize: an interim of an earlier utterance is stale
        self._last_interim: tuple[bytes, str] | None = None  # (audio, text) of the newest interim decode
        self._interim_decode = anyio.CancelScope()  # the interim decode in progress (or waiting for a worker)

    async def push_audio(self, frame: AudioFrame) -> None:
        self._buffer.push(frame)
        every = self._options.interim_every
        if every is not None and self._buffer.seconds - self._seconds_at_interim >= every:
            self._seconds_at_interim = self._buffer.seconds
            self._interim_wanted.set()

    async def finalize(self) -> None:
        self._utterance += 1
        self._seconds_at_interim = 0.0
        # an interim still waiting for a decode worker is stale now: the final takes its place in the queue
        self._interim_decode.cancel()
        await self._finals.send(self._buffer.take())

    def transcripts(self) -> AsyncIterator[Transcript]:
        return self._results.__aiter__()

    def close(self) -> None:
        self._finals.close()
        self._results.close()

    async def run_finals(self) -> None:
        async for pcm in self._finals:
            text, queued = "", None
            reused = self._last_interim
            if reused is not None and reused[0] == pcm:
                text = reused[1]  # the last interim decode heard exactly this audio
            elif pcm:
                decoded = await self._decode(pcm)
                text, queued = decoded.text, decoded.queue_delay
            self._last_interim = None
            await self._results.send(Transcript(text, is_final=True, from_finalize=True, queue_delay=queued))

    async def run_interims(self) -> None:
        while True:
            await self._interim_wanted.wait()
            self._interim_wanted = anyio.Event()
            utterance, pcm = self._utterance, self._buffer.peek()
            if not pcm:
                continue
            decoded = None
            with anyio.CancelScope() as self._interim_decode:
                decoded = await self._decode(pcm)
            if decoded is None or utterance != self._utterance:
                continue  # finalized meanwhile: the final answers for this audio
            self._last_interim = (pcm, decoded.text)
            if decoded.text:
                await self._results.send(Transcript(decoded.text, is_final=False))

    async def _decode(self, pcm: bytes) -> Decoded:
        samples = np.frombuffer(pcm, dtype="<i2")
        if self._sample_rate != WHISPER_RATE:
            samples = resample_int16(samples, self._sample_rate, WHISPER_RATE)
        audio = samples.astype(np.float32) / 32768.0
        return await self._engine.decode(
            audio, beam_size=self._options.beam_size, no_speech_threshold=self._options.no_speech_threshold
        )


SPEC = ProviderSpec(
    kind="stt",
    name="whisper-local",
    options=WhisperSttOptions,
    build=WhisperStt,
    description="Whisper tiny.en on CTranslate2, offline, per utterance with interim decodes (parley[neural])",
)
