"""Inference for the text end-of-turn classifier (weights trained by ``training.eot.train``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from turn.eot.text_features import FEATURE_VERSION, N_BUCKETS, feature_buckets

DEFAULT_WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "text_eot_weights.npz"
NEUTRAL_PROBABILITY = 0.5  # returned for an empty transcript: the words give no evidence either way


class TextModelLoadError(ValueError):
    """The weights file is missing, unreadable, or was trained for a different feature set."""


class TextTurnModel:
    """Logistic regression over hashed text features, its logit divided by a fitted temperature; immutable
    after loading, so safe to share across tasks.

    >>> model = TextTurnModel.load()
    >>> model.predict("my number is five five five", "What's the best number to reach you?") < 0.5
    True
    """

    def __init__(self, weights: dict[int, float], temperature: float = 1.0) -> None:
        self._weights = weights
        self.temperature = temperature

    @classmethod
    def load(cls, path: str | Path | None = None) -> TextTurnModel:
        """Load weights; ``path=None`` loads the weights shipped with the package."""
        weights_path = Path(path) if path is not None else DEFAULT_WEIGHTS_PATH
        if not weights_path.is_file():
            raise TextModelLoadError(f"text end-of-turn weights not found: {weights_path}")
        try:
            with np.load(weights_path) as data:
                version = int(data["feature_version"])
                n_buckets = int(data["n_buckets"])
                if version != FEATURE_VERSION or n_buckets != N_BUCKETS:
                    raise TextModelLoadError(
                        f"{weights_path} was trained for feature version {version} with {n_buckets} buckets; "
                        f"this code uses version {FEATURE_VERSION} with {N_BUCKETS}. "
                        "Retrain: uv run python -m training.eot.train"
                    )
                indices = data["indices"].astype(np.int64)
                values = data["weights"].astype(np.float64)
                temperature = float(data["temperature"])
        except TextModelLoadError:
            raise
        except (OSError, KeyError, ValueError) as exc:
            raise TextModelLoadError(f"cannot read text end-of-turn weights {weights_path}: {exc}") from exc
        if not temperature > 0:
            raise TextModelLoadError(f"{weights_path}: temperature must be positive, got {temperature}")
        return cls(dict(zip(indices.tolist(), values.tolist(), strict=True)), temperature)

    def logit(self, transcript: str, agent_last_utterance: str | None = None) -> float:
        """The raw score (before the temperature)."""
        get = self._weights.get
        return math.fsum(get(b, 0.0) for b in feature_buckets(transcript, agent_last_utterance))

    def predict(self, transcript: str, agent_last_utterance: str | None = None) -> float:
        """Probability in [0, 1] that the user has finished their turn."""
        if not transcript.strip():
            return NEUTRAL_PROBABILITY
        z = self.logit(transcript, agent_last_utterance) / self.temperature
        return 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z))))
