"""Test speech generated offline with espeak-ng: single utterances and conversations with known timings.

Utterances are cached for the life of the process (``speak`` returns read-only arrays; copy one before
modifying it), so every test in a run hears exactly the same audio for the same arguments. Across processes the audio
is identical when the same calls happen in the same order, and within a few samples otherwise (espeak-ng keeps
its pitch-flutter phase between calls).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import soxr

from providers.local.espeak_engine import EspeakEngine

# Samples quieter than this (about -50 dBFS) count as silence when trimming an utterance.
_SILENCE_LEVEL = 100


@dataclass(frozen=True)
class SpeechTrack:
    """A mono int16 recording plus the ground truth of when each spoken part is heard."""

    samples: np.ndarray  # int16
    sample_rate: int
    segments: list[tuple[float, float, str]]  # (start_s, end_s, text) of each spoken part, in order

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    def pcm(self) -> bytes:
        """The samples as little-endian PCM16 bytes."""
        return self.samples.astype("<i2").tobytes()


def _trim_silence(samples: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _SILENCE_LEVEL)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


def _read_only(samples: np.ndarray) -> np.ndarray:
    samples.flags.writeable = False
    return samples


@functools.cache
def speak(text: str, sample_rate: int = 16000, voice: str = "en-us", rate_wpm: int = 175) -> np.ndarray:
    """``text`` spoken by espeak-ng at ``sample_rate``, without leading or trailing silence (int16, read-only)."""
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    synthesis = EspeakEngine.shared().synthesize(text, voice=voice, rate_wpm=rate_wpm)
    voiced = _trim_silence(synthesis.samples)
    if sample_rate != synthesis.sample_rate and voiced.size:
        voiced = soxr.resample(voiced, synthesis.sample_rate, sample_rate, quality="HQ")
    return _read_only(np.ascontiguousarray(voiced, dtype=np.int16))


def conversation(parts: Sequence[str | float], sample_rate: int = 16000) -> SpeechTrack:
    """Concatenate spoken parts (strings) and pauses (numbers of seconds) into one track.

    ``segments`` gives the exact start and end of every spoken part within the track; pauses are digital
    silence, so anything between segments is silent.
    """
    normalized: list[str | float] = []
    for part in parts:
        if isinstance(part, str):
            normalized.append(part)
        elif isinstance(part, int | float) and not isinstance(part, bool) and part >= 0:
            normalized.append(float(part))
        else:
            raise ValueError(f"conversation parts are texts or non-negative pauses in seconds, got {part!r}")
    pieces: list[np.ndarray] = []
    segments: list[tuple[float, float, str]] = []
    position = 0
    for part in normalized:
        if isinstance(part, str):
            piece = speak(part, sample_rate)
            segments.append((position / sample_rate, (position + piece.size) / sample_rate, part))
        else:
            piece = np.zeros(round(part * sample_rate), dtype=np.int16)
        pieces.append(piece)
        position += piece.size
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
    return SpeechTrack(samples, sample_rate, segments)
