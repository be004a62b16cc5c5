"""What the input and speech-to-text stages report about the caller. The interruption controller is the one
receiver: it decides turns and barge-ins from these signals, and owns the turn detector that hears them too."""

from __future__ import annotations

from typing import Protocol

from pipeline.base.transcripts import Transcript


class CallerSignals(Protocol):
    @property
    def turn_id(self) -> int:
        """The caller's current (or last) turn; 0 before the first."""
        ...

    def speech_started(self, media_time: float, speech_duration: float) -> None:
        """The VAD confirmed speech that began at ``media_time`` and has lasted ``speech_duration`` so far."""
        ...

    def speech_onset(self) -> None:
        """The VAD hears speech-like audio it has not confirmed yet (``speech_started`` or
        ``speech_onset_dropped`` follows)."""
        ...

    def speech_onset_dropped(self) -> None:
        """The unconfirmed speech-like audio ended before it counted as speech."""
        ...

    def speech_progress(self, speech_duration: float) -> None:
        """Still speaking (or in a short pause): the current speech has lasted ``speech_duration``."""
        ...

    def speech_stopped(self, media_time: float, speech_duration: float, user_stopped: float) -> None:
        """The speech ended at ``media_time`` (clock time ``user_stopped``); the final transcript is requested
        right after this signal."""
        ...

    def transcript(self, transcript: Transcript) -> None:
        """An interim or final transcript from speech-to-text."""
        ...
