"""Interfaces: what the pipeline holds (Vad) and what a stream asks a model for (WindowScorer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from vad.params import VadParams

if TYPE_CHECKING:
    from vad.stream import VadStream


@dataclass(frozen=True, slots=True)
class WindowScore:
    probability: float
    inference_s: float


class WindowScorer(Protocol):
    """Per-stream model state: scores consecutive windows of exactly ``window_size`` float32 samples."""

    @property
    def window_size(self) -> int: ...

    async def score(self, window: np.ndarray) -> WindowScore: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Vad(Protocol):
    """Something that creates per-session VAD streams (Silero, batched Silero or energy).

    ``sample_rate`` defaults to ``params.sample_rate``; ``params`` defaults to the VAD's configured params.
    """

    def create_stream(self, sample_rate: int | None = None, params: VadParams | None = None) -> VadStream: ...
