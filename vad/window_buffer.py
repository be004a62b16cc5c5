"""Buffers arbitrary chunks into fixed-size windows with media timestamps."""

from __future__ import annotations

import numpy as np

_INT16_SCALE = np.float32(1.0 / 32768.0)


def to_float32(samples: np.ndarray) -> np.ndarray:
    """Mono int16 PCM (or float samples already in [-1, 1]) as a 1-D float32 array."""
    if samples.ndim != 1:
        raise ValueError(f"expected mono 1-D samples, got shape {samples.shape}")
    if samples.dtype == np.int16:
        audio = samples.astype(np.float32)
        audio *= _INT16_SCALE  # in place: one allocation per chunk
        return audio
    if samples.dtype.kind == "f":
        return np.array(samples, dtype=np.float32)  # a copy: the buffer may outlive the caller's array
    raise TypeError(f"expected int16 PCM (or float samples), got dtype {samples.dtype}")


class WindowBuffer:
    """Accumulates samples; ``pop`` returns full windows and the media time of their first sample.

    Each pushed chunk re-anchors time: its first sample is at ``timestamp``, so the samples still buffered
    from earlier chunks are assumed to precede it directly.
    """

    def __init__(self, window_size: int, sample_rate: int) -> None:
        self._window_size = window_size
        self._sample_rate = sample_rate
        self._pending = np.zeros(0, dtype=np.float32)
        self._read = 0  # samples of _pending already returned
        self._anchor_time = 0.0  # media time of _pending[0]

    @property
    def window_duration(self) -> float:
        return self._window_size / self._sample_rate

    def push(self, samples: np.ndarray, timestamp: float) -> None:
        leftover = self._pending[self._read :]
        self._anchor_time = timestamp - leftover.size / self._sample_rate
        self._pending = np.concatenate((leftover, samples)) if leftover.size else samples
        self._read = 0

    def pop(self) -> tuple[np.ndarray, float] | None:
        start = self._read
        end = start + self._window_size
        if end > self._pending.size:
            return None
        self._read = end
        return self._pending[start:end], self._anchor_time + start / self._sample_rate

    def clear(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)
        self._read = 0
