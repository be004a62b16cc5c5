"""Test speech generated offline with espeak-ng: single utterances and conversations with known timings.

espeak-ng keeps a little state between syntheses (its pitch-flutter phase, a static variable no API resets), so
the same text spoken twice in one process differs by a few samples depending on what was spoken before. To make
every test hear the same audio whatever order the tests run in, each utterance is synthesized in a fresh process
(forked from a clean fork server, so it starts from espeak-ng's initial state), then cached for the life of the
test process (``speak`` returns read-only arrays; copy one before modifying it).
"""

from __future__ import annotations

import concurrent.futures
import functools
import multiprocessing
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


def _synthesize(text: str, voice: str, rate_wpm: int, pitch: int) -> tuple[np.ndarray, int]:
    """Runs in a fresh child process."""
    synthesis = EspeakEngine.shared().synthesize(text, voice=voice, rate_wpm=rate_wpm, pitch=pitch)
    return synthesis.samples, synthesis.sample_rate


@functools.cache
def _fresh_processes() -> concurrent.futures.ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.speech_audio"])
    return concurrent.futures.ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1)


@functools.cache
def synthesize_fresh(
    text: str, voice: str = "en-us", rate_wpm: int = 175, pitch: int = 50
) -> tuple[np.ndarray, int]:
    """espeak-ng's audio for ``text`` as a fresh process makes it: the same whatever was synthesized before."""
    samples, rate = _fresh_processes().submit(_synthesize, text, voice, rate_wpm, pitch).result()
    return _read_only(samples), rate


@functools.cache
def speak(
    text: str, sample_rate: int = 16000, voice: str = "en-us", rate_wpm: int = 175, pitch: int = 50
) -> np.ndarray:
    """``text`` spoken by espeak-ng at ``sample_rate``, without leading or trailing silence (int16, read-only)."""
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    samples, native_rate = synthesize_fresh(text, voice, rate_wpm, pitch)
    voiced = _trim_silence(samples)
    if sample_rate != native_rate and voiced.size:
        voiced = soxr.resample(voiced, native_rate, sample_rate, quality="HQ")
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
