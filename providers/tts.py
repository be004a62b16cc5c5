"""The text-to-speech protocol: text in (sentence by sentence, as the LLM writes it), audio chunks out with
optional character alignment, so the pipeline knows which words the caller actually heard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Alignment:
    """Characters of the spoken text with their start/end times in seconds from the chunk's first sample."""

    chars: tuple[str, ...]
    starts: tuple[float, ...]
    ends: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class TtsAudio:
    pcm: bytes  # PCM16 mono at the provider's sample_rate
    alignment: Alignment | None = None


@dataclass(frozen=True, slots=True)
class TtsSegmentEnd:
    """All audio for ``text`` (one pushed segment) has been yielded."""

    text: str


TtsOutput = TtsAudio | TtsSegmentEnd


class TtsStream(Protocol):
    """One agent utterance. Closing it early (barge-in) must stop synthesis and drop late audio."""

    async def push_text(self, text: str) -> None:
        """A segment of text ending at a sentence (or clause) boundary."""
        ...

    async def end_input(self) -> None:
        """No more text: flush what is buffered."""
        ...

    def outputs(self) -> AsyncIterator[TtsOutput]:
        """Audio and segment ends, in order; ends after the last segment once input has ended."""
        ...


@runtime_checkable
class TextToSpeech(Protocol):
    provider: str
    model: str
    sample_rate: int  # of the audio it yields; the pipeline resamples to its own rate

    def stream(self) -> AbstractAsyncContextManager[TtsStream]: ...
