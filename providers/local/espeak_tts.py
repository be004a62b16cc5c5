"""``espeak``: offline text-to-speech with espeak-ng (the library and voices ship in the espeakng-loader wheel).
Each sentence is synthesized as it arrives and streamed chunk by chunk; word timings from espeak-ng become
character alignment, so the pipeline knows which words the caller heard."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager

from pydantic import Field, field_validator

from pipeline.base.compute import run_blocking
from providers.errors import ErrorCode, ProviderError
from providers.local.espeak_ctypes import find_voice
from providers.local.espeak_engine import (
    EspeakEngine,
    SynthesisChunk,
    WordStart,
    validate_options,
)
from providers.options import ProviderOptions
from providers.registry import ProviderSpec
from providers.segment_tts import SegmentTtsStream
from providers.tts import Alignment, TtsAudio


class EspeakOptions(ProviderOptions):
    voice: str = Field("en-us", description="espeak-ng voice or language, e.g. en-us, en-gb, de")
    rate_wpm: int = Field(175, description="speaking rate, words per minute (80-450)")
    pitch: int = Field(50, description="0-99")

    @field_validator("voice")
    @classmethod
    def _known_voice(cls, value: str) -> str:
        validate_options(value, 175, 50)
        if find_voice(EspeakEngine.shared().voices(), value) is None:
            raise ValueError(f"espeak-ng has no voice {value!r} (try en-us, en-gb, fr, de, es)")
        return value

    @field_validator("rate_wpm")
    @classmethod
    def _rate(cls, value: int) -> int:
        validate_options("en-us", value, 50)
        return value

    @field_validator("pitch")
    @classmethod
    def _pitch(cls, value: int) -> int:
        validate_options("en-us", 175, value)
        return value


class EspeakTts:
    provider = "espeak"

    def __init__(self, options: EspeakOptions | None = None) -> None:
        self.options = options or EspeakOptions()
        self.model = self.options.voice
        self._engine = EspeakEngine.shared()
        self.sample_rate = self._engine.sample_rate

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[SegmentTtsStream]:
        yield SegmentTtsStream(self._synthesize)

    async def _synthesize(self, text: str) -> AsyncGenerator[TtsAudio, None]:
        options = self.options
        chunks = self._engine.synthesize_chunks(
            text, voice=options.voice, rate_wpm=options.rate_wpm, pitch=options.pitch
        )
        aligner = _WordAligner(text)
        position = 0.0
        try:
            while (chunk := await run_blocking(_next_chunk, chunks)) is not None:
                audio = chunk.samples.astype("<i2", copy=False).tobytes()
                yield TtsAudio(audio, aligner.on_chunk(chunk))
                position = chunk.start_s + len(chunk.samples) / chunk.sample_rate
        except (RuntimeError, ValueError) as exc:
            raise ProviderError("espeak", f"synthesis failed: {exc}", code=ErrorCode.BAD_REQUEST) from exc
        finally:
            await run_blocking(chunks.close)  # stops synthesis early on barge-in
        last = aligner.finish(position)
        if last is not None:
            yield TtsAudio(b"", last)


def _next_chunk(chunks: Iterator[SynthesisChunk]) -> SynthesisChunk | None:
    return next(chunks, None)


class _WordAligner:
    """Turns word start times into character timings: a word ends where the next one starts (or at the end).

    Times in each Alignment are relative to the first sample of the chunk it travels with.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._pending: WordStart | None = None

    def on_chunk(self, chunk: SynthesisChunk) -> Alignment | None:
        spans: list[tuple[int, int, float, float]] = []
        for word in chunk.words:
            if (pending := self._pending) is not None:
                offset = chunk.start_s
                spans.append(
                    (pending.char_start, word.char_start, pending.start_s - offset, word.start_s - offset)
                )
            self._pending = word
        return self._alignment(spans)

    def finish(self, end_s: float) -> Alignment | None:
        """The last word, ending with the audio; sent after the last chunk, so times are relative to ``end_s``."""
        if self._pending is None:
            return None
        word, self._pending = self._pending, None
        return self._alignment([(word.char_start, len(self._text), word.start_s - end_s, 0.0)])

    def _alignment(self, spans: list[tuple[int, int, float, float]]) -> Alignment | None:
        """Each span is the text from one word event to the next (so words espeak-ng spoke without an event
        of their own are kept), timed as one unit."""
        chars: list[str] = []
        starts: list[float] = []
        ends: list[float] = []
        for char_start, char_end, start, end in spans:
            for char in [*self._text[char_start:char_end].rstrip(), " "]:
                chars.append(char)
                starts.append(start)
                ends.append(end)
        return Alignment(tuple(chars), tuple(starts), tuple(ends)) if chars else None


SPEC = ProviderSpec(
    kind="tts",
    name="espeak",
    options=EspeakOptions,
    build=EspeakTts,
    description="offline espeak-ng voices (robotic, instant, no network)",
)
