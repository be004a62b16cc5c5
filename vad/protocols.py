"""What a VAD stream asks a model for: scores of consecutive windows (``WindowScorer``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


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
