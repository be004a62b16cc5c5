"""Temperature scaling for the text end-of-turn model, and how to measure calibration.

The logistic regression is fitted on the training split, so its raw probabilities need not match how often
it is right on text it has not seen. One number, the temperature T, rescales the logit: p = sigmoid(z / T).
It is fitted by minimising log-loss on the calibration half of the held-out split and reported on the other
half. T does not change which side of 0.5 a prediction falls on, only how sure it is.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from training.eot.dataset import Row, group_key

MIN_TEMPERATURE = 0.25
MAX_TEMPERATURE = 8.0


def is_calibration_row(row: Row) -> bool:
    """Half of the held-out utterances (all spellings of one utterance together) calibrate, half report."""
    return zlib.crc32(b"calibration:" + group_key(row.text).encode("utf-8")) % 2 == 0


def split_calibration(rows: Sequence[Row]) -> tuple[list[Row], list[Row]]:
    calibration = [r for r in rows if is_calibration_row(r)]
    report = [r for r in rows if not is_calibration_row(r)]
    return calibration, report


def log_loss(labels: np.ndarray, probabilities: np.ndarray) -> float:
    p = np.clip(probabilities, 1e-7, 1 - 1e-7)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def scaled(logits: np.ndarray, temperature: float) -> np.ndarray:
    return sigmoid(logits / temperature)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T minimising log-loss of sigmoid(logits / T): golden-section search on log T (loss is unimodal)."""
    lo, hi = np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)
    ratio = (np.sqrt(5.0) - 1.0) / 2.0

    def loss(log_t: float) -> float:
        return log_loss(labels, scaled(logits, float(np.exp(log_t))))

    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    for _ in range(60):
        if loss(a) < loss(b):
            hi, b = b, a
            a = hi - ratio * (hi - lo)
        else:
            lo, a = a, b
            b = lo + ratio * (hi - lo)
    return round(float(np.exp((lo + hi) / 2.0)), 4)


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - predicted probability| over equal-width bins, weighted by bin size."""
    edges = np.minimum((probabilities * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        in_bin = edges == b
        if in_bin.any():
            error += in_bin.mean() * abs(labels[in_bin].mean() - probabilities[in_bin].mean())
    return float(error)
