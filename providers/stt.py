"""The speech-to-text protocol: audio frames in, interim and final transcripts out, plus "finalize now"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pipeline.base.audio import AudioFrame
from pipeline.observe.events import WordTiming


class TurnSignal(StrEnum):
    """End-of-turn signals from providers that model turns themselves (Deepgram Flux)."""

    START_OF_TURN = "start_of_turn"
    EAGER_END_OF_TURN = "eager_end_of_turn"
    TURN_RESUMED = "turn_resumed"
    END_OF_TURN = "end_of_turn"


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    is_final: bool
    words: tuple[WordTiming, ...] = ()
    confidence: float | None = None
    from_finalize: bool = False  # the answer to a finalize() request
    turn_signal: TurnSignal | None = None
    end_of_turn_probability: float | None = None


class SttStream(Protocol):
    async def push_audio(self, frame: AudioFrame) -> None:
        """Caller audio at the pipeline rate, in order. Must not block for long (buffer inside)."""
        ...

    async def finalize(self) -> None:
        """The user stopped speaking: transcribe everything received so far, now.

        Contract: the answer is a final ``Transcript`` with ``from_finalize=True`` (its text may be empty when
        earlier finals already covered the audio); the turn detector waits for it.
        """
        ...

    def transcripts(self) -> AsyncIterator[Transcript]:
        """Interim and final transcripts as they arrive; ends when the stream closes."""
        ...


@runtime_checkable
class SpeechToText(Protocol):
    provider: str
    model: str

    def stream(self, *, sample_rate: int) -> AbstractAsyncContextManager[SttStream]:
        """Open one recognition stream for one session (closing it releases sockets/threads)."""
        ...
