"""PCM helpers for the fakes: a cheap deterministic tone, silence, and energy-based speech framing.

All audio is 16-bit little-endian mono PCM.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

TONE_HZ = 440
TONE_AMPLITUDE = 0.3
BYTES_PER_SAMPLE = 2


@lru_cache(maxsize=16)
def _tone_second(sample_rate: int) -> np.ndarray:
    """One second of the tone; 440 Hz fits a whole number of periods in a second, so it tiles seamlessly."""
    t = np.arange(sample_rate, dtype=np.float64) / sample_rate
    wave = np.sin(2.0 * np.pi * TONE_HZ * t) * (TONE_AMPLITUDE * 32767)
    return wave.astype("<i2")


def tone(sample_rate: int, n_samples: int, start_sample: int = 0) -> bytes:
    """`n_samples` of the tone, phase-continuous with a previous slice ending at `start_sample`."""
    second = _tone_second(sample_rate)
    offset = start_sample % sample_rate
    indices = (np.arange(n_samples) + offset) % sample_rate
    return second[indices].tobytes()


def tone_seconds(sample_rate: int, seconds: float) -> bytes:
    return tone(sample_rate, round(sample_rate * seconds))


def silence(sample_rate: int, seconds: float) -> bytes:
    return bytes(round(sample_rate * seconds) * BYTES_PER_SAMPLE)


def utterance(lead: float, speech: float, tail: float, sample_rate: int = 16000) -> bytes:
    """Silence, the tone for `speech` seconds, silence: one utterance to the fakes' energy framing."""
    return silence(sample_rate, lead) + tone_seconds(sample_rate, speech) + silence(sample_rate, tail)


def rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0


def reached(elapsed: float, limit: float) -> bool:
    """`elapsed >= limit` for audio times built from sample counts, tolerant of float rounding."""
    return elapsed + 1e-6 >= limit


@dataclass(frozen=True)
class AudioFrame:
    """A fixed-length slice of the input stream, `start`/`end` in seconds of audio since the stream began."""

    start: float
    end: float
    speech: bool


class EnergyFramer:
    """Cuts an incoming byte stream into fixed frames and labels each speech or silence by RMS energy."""

    def __init__(self, sample_rate: int, threshold: float, frame_ms: int = 10) -> None:
        self._sample_rate = sample_rate
        self._threshold = threshold
        self._frame_bytes = sample_rate * frame_ms // 1000 * BYTES_PER_SAMPLE
        self._pending = bytearray()
        self._samples_done = 0

    @property
    def position(self) -> float:
        """Seconds of audio framed so far."""
        return self._samples_done / self._sample_rate

    def feed(self, data: bytes) -> list[AudioFrame]:
        self._pending.extend(data)
        usable = len(self._pending) - len(self._pending) % self._frame_bytes
        if usable == 0:
            return []
        block = np.frombuffer(bytes(self._pending[:usable]), dtype="<i2").astype(np.float32)
        del self._pending[:usable]
        frames = block.reshape(-1, self._frame_bytes // BYTES_PER_SAMPLE)
        energies = np.sqrt(np.mean(frames * frames, axis=1))
        frame_samples = frames.shape[1]
        out: list[AudioFrame] = []
        for energy in energies:
            start = self._samples_done / self._sample_rate
            self._samples_done += frame_samples
            out.append(
                AudioFrame(start, self._samples_done / self._sample_rate, bool(energy > self._threshold))
            )
        return out


@dataclass(frozen=True)
class SpeechChunk:
    """Synthesised audio for a run of characters; times in ms from the start of the synthesised text."""

    pcm: bytes
    chars: tuple[str, ...]
    start_ms: tuple[int, ...]
    duration_ms: tuple[int, ...]

    @property
    def chunk_start_ms(self) -> int:
        return self.start_ms[0] if self.start_ms else 0


def synthesize(text: str, sample_rate: int, ms_per_char: int, chars_per_chunk: int) -> list[SpeechChunk]:
    """Deterministic "speech": `ms_per_char` of tone per character, cut every `chars_per_chunk` characters."""
    samples_per_char = sample_rate * ms_per_char // 1000
    chunks: list[SpeechChunk] = []
    for first in range(0, len(text), max(1, chars_per_chunk)):
        chars = text[first : first + chars_per_chunk]
        pcm = tone(sample_rate, samples_per_char * len(chars), first * samples_per_char)
        starts = tuple((first + i) * ms_per_char for i in range(len(chars)))
        chunks.append(SpeechChunk(pcm, tuple(chars), starts, (ms_per_char,) * len(chars)))
    return chunks
