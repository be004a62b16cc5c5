"""The caller's audio for each turn: espeak-ng speech (or a WAV file) at the pipeline rate, trimmed to the
speech so the benchmark knows exactly when the caller starts and stops talking."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.latency.profiles import CALLER_RATE_WPM, CALLER_VOICE
from benchmarks.latency.scenario import Scenario, TurnSpec
from pipeline.base.audio import read_wav
from tests.speech_audio import speak

SPEECH_LEVEL = 300  # |sample| above this (about -40 dBFS) is speech when trimming


def trim_to_speech(samples: np.ndarray, level: int = SPEECH_LEVEL) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > level)
    if loud.size == 0:
        raise ValueError("the caller audio is silent")
    return samples[loud[0] : loud[-1] + 1]


class CallerAudioError(ValueError):
    """A caller turn whose audio cannot be made (an unknown voice, a bad WAV file, silence)."""


class CallerVoice:
    """Synthesizes (once per distinct text) and loads the caller's utterances."""

    def __init__(self, sample_rate: int, voice: str = CALLER_VOICE, rate_wpm: int = CALLER_RATE_WPM) -> None:
        self.sample_rate = sample_rate
        self.voice = voice
        self.rate_wpm = rate_wpm
        self._cache: dict[tuple[str, Path | None], np.ndarray] = {}

    def utterance(self, scenario: Scenario, turn: TurnSpec) -> np.ndarray:
        wav = scenario.wav_path(turn)
        key = (turn.caller, wav)
        if key not in self._cache:
            try:
                self._cache[key] = self._load(wav) if wav is not None else self._speak(turn.caller)
            except (ValueError, RuntimeError) as exc:
                source = str(wav) if wav is not None else f"espeak-ng voice {self.voice!r}"
                raise CallerAudioError(f"caller turn {turn.caller!r} ({source}): {exc}") from None
        return self._cache[key]

    def _speak(self, text: str) -> np.ndarray:
        return trim_to_speech(speak(text, self.sample_rate, self.voice, self.rate_wpm))

    def _load(self, path: Path) -> np.ndarray:
        frame, _ = read_wav(path, self.sample_rate)
        return trim_to_speech(frame.to_int16())
