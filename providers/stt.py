"""The speech-to-text protocol: audio frames in, interim and final transcripts out, plus "finalize now"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from pipeline.base.audio import AudioFrame
from pipeline.base.transcripts import Transcript, TurnSignal, WordTiming

__all__ = ["SpeechToText", "SttStream", "Transcript", "TurnSignal", "WordTiming"]


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
