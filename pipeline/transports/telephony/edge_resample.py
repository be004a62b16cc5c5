"""Low-latency integer-ratio resampling for the phone edge (8 kHz <-> 16/24/48 kHz).

libsoxr's high-quality stream filter holds ~50-100 ms of audio, which on the phone path would delay every reply
and keep the end of one reply in the filter until the next one. A 64-tap-per-phase windowed-sinc FIR holds
~2 ms and is plenty for 3.4 kHz telephone audio.
"""

from __future__ import annotations

import numpy as np

_TAPS_PER_PHASE = 32


def _lowpass(factor: int) -> np.ndarray:
    """A Blackman-windowed sinc at the high rate, cut off just below the low rate's Nyquist frequency."""
    taps = _TAPS_PER_PHASE * factor + 1
    n = np.arange(taps) - (taps - 1) / 2
    cutoff = 0.45 / factor  # cycles per sample at the high rate
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
    normalized: np.ndarray = (kernel / kernel.sum()).astype(np.float64)
    return normalized


def integer_factor(high_rate: int, low_rate: int) -> int:
    if high_rate % low_rate:
        raise ValueError(f"the phone edge resamples by integer factors only: {high_rate} Hz / {low_rate} Hz")
    return high_rate // low_rate


class Decimator:
    """high rate -> low rate (e.g. 16 kHz agent audio -> 8 kHz), keeping filter state between frames."""

    def __init__(self, factor: int) -> None:
        self.factor = factor
        self._kernel = _lowpass(factor)
        self._history = np.zeros(len(self._kernel) - 1)
        self._phase = 0

    def process(self, samples: np.ndarray) -> np.ndarray:
        if self.factor == 1:
            return np.asarray(samples, dtype=np.int16)
        signal = np.concatenate([self._history, samples.astype(np.float64)])
        filtered = np.convolve(signal, self._kernel, mode="valid")
        self._history = signal[len(signal) - len(self._history) :]
        picked = filtered[self._phase :: self.factor]
        self._phase = (self._phase - len(filtered)) % self.factor
        return np.clip(np.round(picked), -32768, 32767).astype(np.int16)


class Interpolator:
    """low rate -> high rate (e.g. 8 kHz caller audio -> 16 kHz), keeping filter state between frames."""

    def __init__(self, factor: int) -> None:
        self.factor = factor
        self._kernel = _lowpass(factor) * factor
        self._history = np.zeros(len(self._kernel) - 1)

    def process(self, samples: np.ndarray) -> np.ndarray:
        if self.factor == 1:
            return np.asarray(samples, dtype=np.int16)
        stuffed = np.zeros(len(samples) * self.factor)
        stuffed[:: self.factor] = samples
        signal = np.concatenate([self._history, stuffed])
        filtered = np.convolve(signal, self._kernel, mode="valid")
        self._history = signal[len(signal) - len(self._history) :]
        return np.clip(np.round(filtered), -32768, 32767).astype(np.int16)
