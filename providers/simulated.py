"""Simulated providers with fixed latencies: in-process stand-ins for speech-to-text, an LLM and text-to-speech.

They make the pipeline's own cost measurable (benchmarks: zero added latency, or a latency profile) and whole
conversations testable on a virtual clock. The STT turns each loud stretch of caller audio into the next scripted
utterance; the LLM streams scripted replies (text and tool calls) word by word; the TTS produces a tone whose
length is proportional to the text, with exact character alignment. Every latency is an anyio sleep.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import numpy as np

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from providers.llm import LlmChunk, LlmRequest, LlmUsage, TextDelta, ToolCall
from providers.segment_tts import SegmentTtsStream
from providers.stt import Transcript
from providers.tts import Alignment, TtsAudio

RATE = 16000
SPEECH_RMS = 3000  # amplitude of the caller's "speech" tone


def tone(seconds: float, rate: int = RATE, amplitude: float = SPEECH_RMS, freq: float = 220.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.asarray(amplitude * np.sqrt(2) * np.sin(2 * np.pi * freq * t), dtype=np.int16)


def silence(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(round(seconds * rate), dtype=np.int16)


# --- speech-to-text ----------------------------------------------------------------------------------------


@dataclass
class SimulatedStt:
    """Each stretch of loud audio becomes the next utterance; finals answer ``finalize`` after ``final_delay``."""

    utterances: list[str]
    final_delay: float = 0.1
    words_per_second: float = 4.0  # interim results grow at this rate while audio is loud
    provider: str = "simulated"
    model: str = "test"
    finalize_calls: list[float] = field(default_factory=list)

    @asynccontextmanager
    async def stream(self, *, sample_rate: int) -> AsyncIterator[SimulatedSttStream]:
        stream = SimulatedSttStream(self)
        async with anyio.create_task_group() as group:
            stream.group = group
            yield stream
            stream.results.close()
            group.cancel_scope.cancel()


_LOUD_MEAN_SQUARE = 300.0**2  # RMS above 300 (of 32767) counts as speech


class SimulatedSttStream:
    def __init__(self, script: SimulatedStt) -> None:
        self.script = script
        self.results: Channel[Transcript] = Channel("stt-results", 256)
        self.group: anyio.abc.TaskGroup | None = None
        self._loud_seconds = 0.0
        self._interim_words = 0
        self._next = 0

    def _current(self) -> str:
        return self.script.utterances[self._next] if self._next < len(self.script.utterances) else ""

    async def push_audio(self, frame: AudioFrame) -> None:
        samples = frame.to_int16().astype(np.float32)
        if samples.size and float(np.dot(samples, samples)) > _LOUD_MEAN_SQUARE * samples.size:
            self._loud_seconds += frame.duration
            words = self._current().split()
            count = min(len(words), int(self._loud_seconds * self.script.words_per_second))
            if count > self._interim_words:
                self._interim_words = count
                self.results.send_nowait(Transcript(" ".join(words[:count]), is_final=False))

    async def finalize(self) -> None:
        self.script.finalize_calls.append(anyio.current_time())
        text = ""
        if self._loud_seconds > 0:
            text = self._current()
            self._next += 1
        self._loud_seconds, self._interim_words = 0.0, 0
        assert self.group is not None
        self.group.start_soon(self._answer, text)

    async def _answer(self, text: str) -> None:
        await anyio.sleep(self.script.final_delay)
        if not self.results.closed:
            self.results.send_nowait(Transcript(text, is_final=True, from_finalize=True))

    def transcripts(self) -> AsyncIterator[Transcript]:
        return self.results.__aiter__()


# --- LLM ---------------------------------------------------------------------------------------------------


@dataclass
class SimulatedLlm:
    """Replies in order: each reply is text (streamed word by word) or a list of text/ToolCall chunks.
    When the script runs out it answers "OK."."""

    replies: list[str | Sequence[str | ToolCall] | Exception]  # an exception is raised after ``ttft``
    ttft: float = 0.2
    token_interval: float = 0.02
    provider: str = "simulated"
    model: str = "test"
    requests: list[LlmRequest] = field(default_factory=list)
    closed_early: int = 0  # streams the pipeline closed before they finished
    completed: int = 0

    async def stream(self, request: LlmRequest) -> AsyncGenerator[LlmChunk, None]:
        self.requests.append(request)
        reply = self.replies.pop(0) if self.replies else "OK."
        chunks: Sequence[str | ToolCall] = (
            _words(reply) if isinstance(reply, str) else () if isinstance(reply, Exception) else reply
        )
        finished = False
        try:
            await anyio.sleep(self.ttft)
            if isinstance(reply, Exception):
                raise reply
            for index, chunk in enumerate(chunks):
                if index:
                    await anyio.sleep(self.token_interval)
                yield TextDelta(chunk) if isinstance(chunk, str) else chunk
            yield LlmUsage(prompt_tokens=10, completion_tokens=len(chunks))
            finished = True
        finally:
            if finished:
                self.completed += 1
            else:
                self.closed_early += 1


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [word if index == 0 else " " + word for index, word in enumerate(words)]


# --- text-to-speech ----------------------------------------------------------------------------------------


@dataclass
class SimulatedTts:
    """Synthesizes ``seconds_per_char`` of tone per character, in ``chunk_seconds`` chunks, after ``ttfb``;
    with ``aligned`` it also reports exact character timings."""

    ttfb: float = 0.1
    seconds_per_char: float = 0.05
    chunk_seconds: float = 0.1
    aligned: bool = True
    sample_rate: int = RATE
    provider: str = "simulated"
    model: str = "test"
    texts: list[str] = field(default_factory=list)

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[SegmentTtsStream]:
        yield SegmentTtsStream(self._synthesize)

    async def _synthesize(self, text: str) -> AsyncGenerator[TtsAudio, None]:
        self.texts.append(text)
        await anyio.sleep(self.ttfb)
        total = len(text) * self.seconds_per_char
        audio = tone(total, self.sample_rate, amplitude=2000, freq=440.0)
        per_chunk = round(self.chunk_seconds * self.sample_rate)
        for start in range(0, len(audio), per_chunk):
            piece = audio[start : start + per_chunk]
            alignment = None
            if self.aligned:
                first = round(start / self.sample_rate / self.seconds_per_char)
                last = round((start + len(piece)) / self.sample_rate / self.seconds_per_char)
                chars = text[first:last]
                offset = start / self.sample_rate
                alignment = Alignment(
                    tuple(chars),
                    tuple((first + i) * self.seconds_per_char - offset for i in range(len(chars))),
                    tuple((first + i + 1) * self.seconds_per_char - offset for i in range(len(chars))),
                )
            yield TtsAudio(piece.tobytes(), alignment)
