"""Signal level helpers."""

from __future__ import annotations

import math

import numpy as np

SILENCE_DB = -100.0  # reported for digital silence instead of -inf
_SILENCE_RMS = 10.0 ** (SILENCE_DB / 20.0)


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level of float samples in [-1, 1] as dBFS (a full-scale square wave is 0 dBFS), floored at -100."""
    if samples.size == 0:
        return SILENCE_DB
    mean_square = float(np.dot(samples, samples)) / samples.size
    rms = math.sqrt(mean_square)
    if rms <= _SILENCE_RMS:
        return SILENCE_DB
    return 20.0 * math.log10(rms)
