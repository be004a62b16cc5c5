"""Interfaces the turn detector programs against; any model with these methods can be plugged in."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TurnCompletionModel(Protocol):
    """Probability, from the words so far, that the user has finished their turn."""

    def predict(self, transcript: str, agent_last_utterance: str | None = None) -> float:
        """``transcript``: the user's words so far this turn (any casing/punctuation);
        ``agent_last_utterance``: what the agent said last (its question gives context), or None.
        Returns a probability in [0, 1]."""
        ...


@runtime_checkable
class AudioTurnCompletionModel(Protocol):
    """Probability, from the user's audio so far, that they have finished their turn."""

    def predict(self, samples_16k: np.ndarray) -> float:
        """``samples_16k``: the user's turn audio, 16 kHz mono (float in [-1, 1] or int16)."""
        ...
