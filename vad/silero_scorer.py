"""Per-stream Silero state (recurrent state + context samples) on top of a shared inference backend."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from vad.protocols import WindowScore
from vad.silero_model import RowOutput, initial_state, window_geometry


class SileroBackend(Protocol):
    """Runs rows of one or many streams through the shared model (inline or batched)."""

    async def infer(self, row: np.ndarray, state: np.ndarray, sample_rate: int) -> RowOutput: ...

    def attach(self, sample_rate: int) -> None: ...

    def detach(self, sample_rate: int) -> None: ...


class SileroScorer:
    """Carries one stream's recurrent state and the last ``context`` samples of its previous window, exactly
    like Silero's reference OnnxWrapper (zeros at the start and after ``reset``)."""

    def __init__(self, backend: SileroBackend, sample_rate: int) -> None:
        geometry = window_geometry(sample_rate)
        self._backend = backend
        self._sample_rate = sample_rate
        self._window_size = geometry.window
        self._context_size = geometry.context
        self._state = initial_state()
        self._context = np.zeros(geometry.context, dtype=np.float32)
        self._attached = True
        backend.attach(sample_rate)

    @property
    def window_size(self) -> int:
        return self._window_size

    async def score(self, window: np.ndarray) -> WindowScore:
        row = np.concatenate((self._context, window))
        output = await self._backend.infer(row, self._state, self._sample_rate)
        self._state = output.state
        self._context = row[-self._context_size :]
        return WindowScore(output.probability, output.inference_s)

    def reset(self) -> None:
        self._state = initial_state()
        self._context = np.zeros(self._context_size, dtype=np.float32)

    def close(self) -> None:
        if self._attached:
            self._attached = False
            self._backend.detach(self._sample_rate)
