"""Builds the turn-taking pieces a session needs from its ``TurnSettings``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from pipeline.settings import TurnSettings
from turn.barge_in import BargeInPolicy
from turn.delay_policy import DelayPolicy, SilencePolicy
from turn.eot import SmartTurnModel, TextTurnModel
from turn.semantic import SemanticPolicy

RECENT_AUDIO_SECONDS = 8.0  # what the audio end-of-turn model looks at


def barge_in_policy(settings: TurnSettings) -> BargeInPolicy:
    return BargeInPolicy(
        settings.timing().barge_in_duration,
        settings.min_interruption_words,
        frozenset(word.lower() for word in settings.backchannels),
    )


@cache
def shared_text_model() -> TextTurnModel:
    """The shipped text end-of-turn model, loaded once per process."""
    return TextTurnModel.load()


@cache
def shared_audio_model(path: Path) -> SmartTurnModel:
    return SmartTurnModel.load(path)


def delay_policy(settings: TurnSettings, recent_audio: Callable[[], np.ndarray]) -> DelayPolicy:
    timing = settings.timing()
    if settings.detector == "silence":
        return SilencePolicy(timing.silence_delay)
    audio_model = shared_audio_model(settings.audio_model_path) if settings.audio_model_path else None
    return SemanticPolicy(shared_text_model(), timing, audio_model=audio_model, recent_audio=recent_audio)


class RecentAudio:
    """The caller's last few seconds at the pipeline rate (kept only when an audio model needs them)."""

    def __init__(
        self, sample_rate: int, seconds: float = RECENT_AUDIO_SECONDS, *, enabled: bool = True
    ) -> None:
        self.enabled = enabled
        self._buffer = np.zeros(int(sample_rate * seconds) if enabled else 0, dtype=np.int16)
        self._filled = 0

    def add(self, samples: np.ndarray) -> None:
        if not self.enabled:
            return
        size = len(self._buffer)
        samples = samples[-size:]
        self._buffer = np.roll(self._buffer, -len(samples))
        self._buffer[-len(samples) :] = samples
        self._filled = min(size, self._filled + len(samples))

    def samples(self) -> np.ndarray:
        return self._buffer[len(self._buffer) - self._filled :].copy()
