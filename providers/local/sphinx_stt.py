"""``pocketsphinx``: offline streaming speech-to-text with the en-us model shipped in the pocketsphinx wheel.

Weak on accuracy (a 2010s-era HMM recognizer); it exists so the default config runs with no network and no key,
and for tests. Audio is decoded in a worker thread in 100 ms batches; interim results follow the decoder's partial
hypothesis; ``finalize`` ends the utterance and answers with its final words.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum
from typing import ClassVar

import anyio
import numpy as np
from pydantic import Field

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from pipeline.base.compute import run_blocking
from pipeline.base.transcripts import WordTiming
from providers.errors import ErrorCode, ProviderError
from providers.local.sphinx_engine import SAMPLE_RATE, SphinxModel, SphinxRecognizer, SphinxResult
from providers.options import ProviderOptions
from providers.registry import ProviderSpec
from providers.stt import Transcript


class SphinxOptions(ProviderOptions):
    batch_ms: int = Field(100, ge=20, le=1000, description="audio decoded per worker-thread call")
    speech_gate_db: float = Field(
        -45.0, le=0.0, description="after an utterance, decoding resumes at this level"
    )
    preroll_ms: int = Field(500, ge=0, le=2000, description="audio kept from before the level rose")
    max_utterance_seconds: float = Field(30.0, gt=1.0, description="an utterance longer than this is cut")
    interim_results: bool = True


class _Finalize(Enum):
    MARK = "finalize"


class _Gate(Enum):
    """Between utterances the decoder only gets audio once it gets loud (keeping a pre-roll), so each
    utterance is decoded like a VAD segment instead of after seconds of silence or of the agent talking."""

    WAITING = "waiting"
    OPEN = "open"


class SphinxStt:
    provider = "pocketsphinx"
    model = "en-us"
    _model: ClassVar[SphinxModel | None] = None

    def __init__(self, options: SphinxOptions | None = None) -> None:
        self.options = options or SphinxOptions()

    @classmethod
    def shared_model(cls) -> SphinxModel:
        if cls._model is None:
            cls._model = SphinxModel()
        return cls._model

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[SphinxSttStream]:
        if sample_rate != SAMPLE_RATE:
            raise ProviderError(
                "pocketsphinx",
                f"the en-us model needs {SAMPLE_RATE} Hz audio; set audio.sample_rate: {SAMPLE_RATE}",
                code=ErrorCode.BAD_REQUEST,
                recoverable=False,
            )
        recognizer = await run_blocking(self.shared_model().recognizer)
        stream = SphinxSttStream(recognizer, self.options)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(stream.decode)
                yield stream
                stream.stop()
        finally:
            await run_blocking(recognizer.close)


class SphinxSttStream:
    def __init__(self, recognizer: SphinxRecognizer, options: SphinxOptions) -> None:
        self._recognizer = recognizer
        self._options = options
        self._input: Channel[AudioFrame | _Finalize] = Channel("sphinx-input", 1000)
        self._results: Channel[Transcript] = Channel("sphinx-results", 64)
        self._utterance_seconds = 0.0
        self._last_partial = ""
        self._gate = _Gate.WAITING
        self._preroll: deque[AudioFrame] = deque()
        self._preroll_seconds = 0.0

    async def push_audio(self, frame: AudioFrame) -> None:
        await self._input.send(frame)

    async def finalize(self) -> None:
        await self._input.send(_Finalize.MARK)

    def transcripts(self) -> AsyncIterator[Transcript]:
        return self._results.__aiter__()

    def stop(self) -> None:
        self._input.close()

    async def decode(self) -> None:
        await run_blocking(self._recognizer.start)
        batch = bytearray()
        batch_bytes = self._options.batch_ms * SAMPLE_RATE // 1000 * 2
        async for item in self._input:
            if item is _Finalize.MARK:
                await self._feed(batch)
                await self._finish(from_finalize=True)
                self._gate = _Gate.WAITING
                continue
            if self._gate is _Gate.OPEN:
                batch += item.pcm
            elif self._opens_gate(item):
                batch += b"".join(frame.pcm for frame in self._preroll)
                self._preroll.clear()
                self._preroll_seconds = 0.0
            else:
                continue
            if len(batch) >= batch_bytes or (len(self._input) == 0 and len(batch) >= batch_bytes // 2):
                await self._feed(batch)
        self._results.close()

    def _opens_gate(self, frame: AudioFrame) -> bool:
        """Keep ``frame`` in the pre-roll; True (with the pre-roll handed to the batch) once it is loud."""
        self._preroll.append(frame)
        self._preroll_seconds += frame.duration
        while (
            self._preroll
            and self._preroll_seconds - self._preroll[0].duration >= self._options.preroll_ms / 1000
        ):
            self._preroll_seconds -= self._preroll.popleft().duration
        if level_dbfs(frame.to_int16()) < self._options.speech_gate_db:
            return False
        self._gate = _Gate.OPEN
        return True

    async def _feed(self, batch: bytearray) -> None:
        if not batch:
            return
        data = bytes(batch)
        batch.clear()
        self._utterance_seconds += len(data) / 2 / SAMPLE_RATE
        partial = await run_blocking(self._feed_and_partial, data)
        if self._options.interim_results and partial and partial != self._last_partial:
            self._last_partial = partial
            await self._results.send(Transcript(partial, is_final=False))
        if self._utterance_seconds >= self._options.max_utterance_seconds:
            await self._finish(from_finalize=False)

    def _feed_and_partial(self, data: bytes) -> str:
        self._recognizer.feed(data)
        return self._recognizer.partial() if self._options.interim_results else ""

    async def _finish(self, *, from_finalize: bool) -> None:
        result: SphinxResult = await run_blocking(self._finish_and_restart)
        self._utterance_seconds = 0.0
        self._last_partial = ""
        words = tuple(
            WordTiming(word=w.text, start=w.start_s, end=w.end_s, confidence=w.confidence)
            for w in result.words
        )
        confidence = min((w.confidence for w in result.words), default=None)
        await self._results.send(
            Transcript(
                result.text, is_final=True, words=words, confidence=confidence, from_finalize=from_finalize
            )
        )

    def _finish_and_restart(self) -> SphinxResult:
        result = self._recognizer.finish()
        self._recognizer.start()
        return result


def level_dbfs(samples: np.ndarray) -> float:
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    return 20.0 * math.log10(max(rms, 1e-6) / 32768.0)


SPEC = ProviderSpec(
    kind="stt",
    name="pocketsphinx",
    options=SphinxOptions,
    build=SphinxStt,
    description="offline en-us recognition with pocketsphinx (weak accuracy; for demos and tests)",
)
