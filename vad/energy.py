"""Energy VAD: a no-model fallback whose speech probability is a ramp on the window's RMS level."""

from __future__ import annotations

import time

import numpy as np

from vad.levels import rms_dbfs
from vad.params import VadParams
from vad.protocols import WindowScore
from vad.silero_model import window_geometry
from vad.stream import VadStream

DEFAULT_FLOOR_DB = -50.0
DEFAULT_CEILING_DB = -30.0


class EnergyScorer:
    """Probability 0 at or below ``floor_db``, 1 at or above ``ceiling_db``, linear in dB in between.

    Windows have the same size as Silero's (32 ms) so timings are comparable across VADs.
    """

    def __init__(self, sample_rate: int, floor_db: float, ceiling_db: float) -> None:
        self._window_size = window_geometry(sample_rate).window
        self._floor_db = floor_db
        self._span_db = ceiling_db - floor_db

    @property
    def window_size(self) -> int:
        return self._window_size

    async def score(self, window: np.ndarray) -> WindowScore:
        started = time.perf_counter()
        level = (rms_dbfs(window) - self._floor_db) / self._span_db
        probability = min(1.0, max(0.0, level))
        return WindowScore(probability, time.perf_counter() - started)

    def reset(self) -> None:
        """Stateless."""

    def close(self) -> None:
        """Nothing to release."""


class EnergyVad:
    """Creates energy-based VAD streams (same stream API and state machine as Silero)."""

    def __init__(
        self,
        params: VadParams | None = None,
        *,
        floor_db: float = DEFAULT_FLOOR_DB,
        ceiling_db: float = DEFAULT_CEILING_DB,
    ) -> None:
        if ceiling_db <= floor_db:
            raise ValueError(f"ceiling_db ({ceiling_db}) must be above floor_db ({floor_db})")
        self._params = params or VadParams()
        self._floor_db = floor_db
        self._ceiling_db = ceiling_db

    def create_stream(self, sample_rate: int | None = None, params: VadParams | None = None) -> VadStream:
        params = (params or self._params).with_sample_rate(sample_rate)
        scorer = EnergyScorer(params.sample_rate, self._floor_db, self._ceiling_db)
        return VadStream(scorer, params)
