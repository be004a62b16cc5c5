"""Voicemail-beep detection: a sustained pure tone between 400 and 2,000 Hz lasting at least ~150 ms.

Each 20 ms block is windowed and transformed; it is *tonal* when one spectral peak (its main lobe) holds most of
the block's energy — speech (harmonics, formants), music chords and DTMF (two tones) fail that. A beep is a run of
tonal blocks at a steady frequency; it is reported once, when the run reaches the minimum duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

BLOCK_SECONDS = 0.02
MIN_FREQUENCY = 400.0
MAX_FREQUENCY = 2000.0
MIN_DURATION = 0.15
MIN_PURITY = 0.8  # share of the block's energy in the peak's main lobe
MAX_DRIFT_HZ = 40.0  # block-to-block frequency change allowed within one beep
MIN_RMS = 100.0  # PCM16 amplitude; about -50 dBFS
_FFT_SIZE = 2048
_LOBE_BINS = 6  # Hann main lobe (±2 bins at the block length) at this zero-padding, plus margin


@dataclass(frozen=True)
class Beep:
    """A detected beep: its frequency, and the media times the tone started and the detection fired."""

    frequency: float
    started_at: float
    detected_at: float


def tonal_frequency(block: np.ndarray, rate: int) -> float | None:
    """The frequency of the block's single dominant tone, or None when the block is not a pure tone."""
    if float(np.sqrt(np.mean(block**2))) < MIN_RMS:
        return None
    windowed = block * np.hanning(len(block))
    spectrum = np.abs(np.fft.rfft(windowed, _FFT_SIZE)) ** 2
    peak = int(np.argmax(spectrum))
    lobe = _LOBE_BINS * _FFT_SIZE // len(block) // 4
    share = spectrum[max(0, peak - lobe) : peak + lobe + 1].sum() / spectrum.sum()
    if share < MIN_PURITY:
        return None
    if 0 < peak < len(spectrum) - 1:  # parabolic interpolation of the peak on a log scale
        left, centre, right = np.log(spectrum[peak - 1 : peak + 2] + 1e-12)
        offset = 0.5 * (left - right) / (left - 2 * centre + right)
    else:
        offset = 0.0
    return float((peak + offset) * rate / _FFT_SIZE)


class BeepDetector:
    """Feeds on PCM16 audio (any frame size); yields each beep once, ``MIN_DURATION`` after it started."""

    def __init__(self, sample_rate: int, *, min_duration: float = MIN_DURATION) -> None:
        self.sample_rate = sample_rate
        self.min_duration = min_duration
        self._block = round(BLOCK_SECONDS * sample_rate)
        self._pending = np.zeros(0)
        self._time = 0.0
        self._run_start: float | None = None
        self._run_frequency = 0.0
        self._run_blocks = 0
        self._reported = False

    def push(self, samples: np.ndarray) -> Iterator[Beep]:
        self._pending = np.concatenate([self._pending, np.asarray(samples, dtype=np.float64)])
        while len(self._pending) >= self._block:
            block, self._pending = self._pending[: self._block], self._pending[self._block :]
            start = self._time
            self._time += self._block / self.sample_rate
            frequency = tonal_frequency(block, self.sample_rate)
            in_band = frequency is not None and MIN_FREQUENCY <= frequency <= MAX_FREQUENCY
            if not in_band or frequency is None:
                self._run_start, self._reported = None, False
                continue
            if self._run_start is None or abs(frequency - self._run_frequency) > MAX_DRIFT_HZ:
                self._run_start, self._run_blocks, self._run_frequency, self._reported = (
                    start,
                    0,
                    frequency,
                    False,
                )
            self._run_blocks += 1
            self._run_frequency += (frequency - self._run_frequency) / self._run_blocks
            if not self._reported and self._time - self._run_start >= self.min_duration - 1e-9:
                self._reported = True
                yield Beep(round(self._run_frequency, 1), self._run_start, self._time)
