"""Builds the turn-taking pieces a session needs from its ``TurnSettings``: the end-of-turn delay policy, the
audio end-of-turn score (a Smart Turn model over the caller's recent audio, run on a worker thread) and the
barge-in policy."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from pipeline.base.audio import resample_int16
from pipeline.base.compute import run_blocking
from pipeline.settings import TurnSettings
from turn.barge_in import BargeInPolicy
from turn.delay_policy import DelayPolicy, SilencePolicy
from turn.detector import AudioScore
from turn.eot import AudioTurnCompletionModel, SmartTurnModel, TextTurnModel
from turn.semantic import SemanticPolicy

RECENT_AUDIO_SECONDS = 8.0  # what the audio end-of-turn model looks at
AUDIO_MODEL_RATE = 16000  # ... at this rate (Smart Turn v3)


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


def delay_policy(settings: TurnSettings) -> DelayPolicy:
    timing = settings.timing()
    if settings.detector == "silence":
        return SilencePolicy(timing.silence_delay)
    return SemanticPolicy(shared_text_model(), timing)


class RecentAudio:
    """The caller's last few seconds at the pipeline rate, in a ring buffer (kept only when an audio end-of-turn
    model needs them; then each frame costs one small copy)."""

    def __init__(
        self, sample_rate: int, seconds: float = RECENT_AUDIO_SECONDS, *, enabled: bool = True
    ) -> None:
        self._sample_rate = sample_rate
        self._seconds = seconds
        self._ring = np.zeros(0, dtype=np.int16)
        self._write = 0  # next index to write
        self._filled = 0
        if enabled:
            self.enable()

    def enable(self) -> None:
        """Start keeping audio (from now on; nothing earlier was kept)."""
        if self._ring.size == 0:
            self._ring = np.zeros(int(self._sample_rate * self._seconds), dtype=np.int16)

    def add(self, samples: np.ndarray) -> None:
        size = len(self._ring)
        if size == 0:  # not enabled
            return
        samples = samples[-size:]
        first = min(len(samples), size - self._write)
        self._ring[self._write : self._write + first] = samples[:first]
        self._ring[: len(samples) - first] = samples[first:]
        self._write = (self._write + len(samples)) % size
        self._filled = min(size, self._filled + len(samples))

    def samples(self) -> np.ndarray:
        """Oldest first."""
        ordered = np.concatenate([self._ring[self._write :], self._ring[: self._write]])
        return ordered[len(ordered) - self._filled :]

    def for_audio_model(self) -> np.ndarray:
        """The kept audio at the rate the audio end-of-turn model takes."""
        return self.at_model_rate(self.samples())

    def at_model_rate(self, samples: np.ndarray) -> np.ndarray:
        return resample_int16(samples, self._sample_rate, AUDIO_MODEL_RATE)


class SmartTurnScore:
    """An ``AudioScore``: the caller's recent audio through an audio end-of-turn model. The audio is copied on the
    event loop (the input stage keeps writing to it); resampling and inference run on a worker thread
    (``run_blocking``), so tens of milliseconds of model time do not stall the other calls of the process."""

    def __init__(self, model: AudioTurnCompletionModel, recent_audio: RecentAudio) -> None:
        self._model = model
        self._recent_audio = recent_audio

    async def __call__(self) -> float | None:
        samples = self._recent_audio.samples()
        if samples.size == 0:
            return None
        return await run_blocking(self._predict, samples)

    def _predict(self, samples: np.ndarray) -> float:
        return self._model.predict(self._recent_audio.at_model_rate(samples))


class TurnPolicies:
    """Turns ``TurnSettings`` into policies for one session. It keeps the caller's recent audio (fed by the input
    stage) for an audio end-of-turn model; an audio model set mid-session starts hearing the caller from then on."""

    def __init__(self, sample_rate: int, settings: TurnSettings) -> None:
        self.recent_audio = RecentAudio(sample_rate, enabled=settings.audio_model_path is not None)

    def delay(self, settings: TurnSettings) -> DelayPolicy:
        return delay_policy(settings)

    def audio_score(self, settings: TurnSettings) -> AudioScore | None:
        """The semantic detector's audio score, when ``audio_model_path`` names a model (loaded once per process;
        a missing or bad file raises ``SmartTurnModelError``)."""
        if settings.detector == "silence" or settings.audio_model_path is None:
            return None
        model = shared_audio_model(settings.audio_model_path)
        self.recent_audio.enable()
        return SmartTurnScore(model, self.recent_audio)

    def barge_in(self, settings: TurnSettings) -> BargeInPolicy:
        return barge_in_policy(settings)
